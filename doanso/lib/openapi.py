"""OpenAPI: the error responses that every endpoint can give, documented once.

drf-spectacular documents what a view declares: its success response and whatever ``@extend_schema``
lists. The errors that DRF itself produces — a refused login or role (403), a lookup outside what the
caller may see or a page past the end (404), invalid input (400) — would be missing, and the schema
would not describe what the API really does (CONVENTIONS, "API"). The ``AutoSchema`` below adds them
to each operation that can give them, unless the view documents that status itself.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class MessageSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="A short message for people, in the caller's language.")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in the caller's language.")


class ConflictSerializer(ErrorSerializer):
    current_version = serializers.IntegerField(
        required=False, help_text="With a version conflict: the version to load again before retrying."
    )


def error_response(description: str, example: str, *, name: str = "Error") -> OpenApiResponse:
    """A ``{"detail": …}`` response with one example."""
    return OpenApiResponse(
        response=ErrorSerializer, description=description, examples=[OpenApiExample(name, value={"detail": example})]
    )


def conflict_response(description: str, example: dict[str, Any]) -> OpenApiResponse:
    return OpenApiResponse(
        response=ConflictSerializer, description=description, examples=[OpenApiExample("Conflict", value=example)]
    )


INVALID = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description=(
        "Invalid input: messages by field name (by question code for answers); `detail` or `non_field_errors` "
        "when the request as a whole is refused."
    ),
    examples=[OpenApiExample("Invalid input", value={"amount": ["Ensure this value is greater than or equal to 1."]})],
)
NOT_ALLOWED = error_response(
    "Not authenticated (no session, no valid token), or the caller's role does not allow this.",
    "You do not have permission to perform this action.",
    name="Not allowed",
)
BAD_CREDENTIALS = error_response(
    "A token or session was sent but is invalid (or the session's CSRF token is missing).",
    "Invalid token.",
    name="Invalid token",
)
TOKEN_ENDED = error_response(
    "The token sent is unknown or has ended (expired, revoked, replaced by a newer one, the password changed, "
    "or its user holds no role any more); ask for a new one.",
    "This token has expired; ask for a new one.",
    name="Token ended",
)
UNSUPPORTED = error_response(
    "The body's content type is not JSON, a form or multipart (or a multipart body is malformed).",
    'Unsupported media type "text/plain" in request.',
    name="Unsupported media type",
)
NOT_FOUND = error_response("No such object, or it is outside what the caller may see.", "Not found.", name="Not found")
NO_SUCH_PAGE = error_response("No such page.", "Invalid page.", name="No such page")
NOT_FOUND_OR_PAGE = error_response(
    "No such object, it is outside what the caller may see, or no such page.", "Not found.", name="Not found"
)


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for code, response in self._implicit_errors(operation).items():
            if code not in operation["responses"]:
                operation["responses"][code] = self._get_response_for_code(response, code)
        return operation

    def _implicit_errors(self, operation: dict[str, Any]) -> dict[str, OpenApiResponse]:
        errors: dict[str, OpenApiResponse] = {}
        parameters = operation.get("parameters", [])
        filters = [p for p in parameters if p["in"] == "query" and p["name"] != "page"]
        if filters or ("requestBody" in operation and self.method in ("POST", "PUT", "PATCH")):
            errors["400"] = INVALID
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            errors["403"] = NOT_ALLOWED
        elif self.view.get_authenticators():
            errors["403"] = BAD_CREDENTIALS
        if self.view.get_authenticators():
            errors["401"] = TOKEN_ENDED
        if self.method in ("POST", "PUT", "PATCH"):
            errors["415"] = UNSUPPORTED
        looked_up = any(p["in"] == "path" for p in parameters)
        paged = self.method == "GET" and self._is_list_view() and self._get_paginator() is not None
        if looked_up or paged:
            errors["404"] = NOT_FOUND_OR_PAGE if looked_up and paged else NOT_FOUND if looked_up else NO_SUCH_PAGE
        return errors
