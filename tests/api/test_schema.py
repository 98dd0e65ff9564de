"""The published schema documents every operation: a summary, an example of what it takes or gives,
examples that match their schemas, and a JSON body for every error. A new endpoint without them
fails here."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from django.test import Client

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return json.loads(response.content)


def operations(openapi: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in openapi["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def examples(content: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Any]]:
    """(media type schema, example value) for each example of a request body or response."""
    for media in content.values():
        for example in media.get("examples", {}).values():
            yield media.get("schema", {}), example["value"]


def as_json_schema(schema: Any) -> Any:
    """OpenAPI 3.0 → JSON Schema: ``nullable: true`` becomes "or null"."""
    if isinstance(schema, list):
        return [as_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: as_json_schema(value) for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def test_the_api_has_the_operations_we_know(openapi):
    assert len(list(operations(openapi))) >= 30


def test_every_operation_has_a_summary(openapi):
    missing = [name for name, operation in operations(openapi) if not operation.get("summary", "").strip()]
    assert missing == []


def test_every_operation_shows_an_example_of_what_it_takes_or_gives(openapi):
    missing = []
    for name, operation in operations(openapi):
        bodies = [operation.get("requestBody", {}).get("content", {})] + [
            response.get("content", {}) for code, response in operation["responses"].items() if code.startswith("2")
        ]
        if not any(bodies):
            continue  # nothing goes in or comes out (DELETE → 204): nothing to show
        if not any(True for content in bodies for _example in examples(content)):
            missing.append(name)
    assert missing == []


def test_every_error_is_a_described_json_body(openapi):
    bare = [
        f"{name} {code}"
        for name, operation in operations(openapi)
        for code, response in operation["responses"].items()
        if code.startswith("4")
        and ("application/json" not in response.get("content", {}) or not response["description"])
    ]
    assert bare == []


def test_every_example_matches_its_schema(openapi):
    components = as_json_schema(copy.deepcopy(openapi["components"]))
    wrong = []
    for name, operation in operations(openapi):
        contents = {"request": operation.get("requestBody", {}).get("content", {})}
        contents.update({code: response.get("content", {}) for code, response in operation["responses"].items()})
        for where, content in contents.items():
            for schema, value in examples(content):
                validator = jsonschema.Draft4Validator({**as_json_schema(schema), "components": components})
                wrong += [f"{name} {where}: {error.message}" for error in validator.iter_errors(value)]
    assert wrong == []
