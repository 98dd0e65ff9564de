"""Security headers on every kind of answer: the Content-Security-Policy forbids inline scripts
and other origins everywhere (inline styles only on the API docs page, for Swagger UI), pages
cannot be framed, and the browser must not guess content types."""

from __future__ import annotations

import pytest
from django.urls import reverse


def directives(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/", "/api/v1/schema/", "/no-such-page/"])
def test_every_answer_carries_a_strict_policy(client, db, url):
    response = client.get(url)
    csp = directives(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["form-action"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_only_the_api_docs_allow_inline_styles_and_never_inline_scripts(client, db):
    csp = directives(client.get(reverse("api-docs")))
    assert csp["script-src"] == ["'self'"]
    assert set(csp["style-src"]) == {"'self'", "'unsafe-inline'"}


def test_pages_have_no_inline_script_or_style_attribute(personas, client_for):
    """The templates themselves: what the policy would block is not even written."""
    body = client_for(personas.editor).get(reverse("units:detail", args=["QA-1-a"])).content.decode()
    assert "<script>" not in body and " style=" not in body and "onclick=" not in body
