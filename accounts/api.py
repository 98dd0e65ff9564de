from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from doanso.lib.openapi import MessageSerializer

from .services import token_issue, token_revoke


@extend_schema(
    summary="Get an API token",
    description=(
        "Exchange a user name and password for a token; send it as `Authorization: Token <key>`. "
        "Each call gives a new token and ends the previous one; a token also ends after `API_TOKEN_DAYS`, "
        "when the password changes, and when its user holds no role any more (401). "
        "After several wrong passwords for one user name from one address, that pair is locked out "
        "for a while (429), even with the right password."
    ),
    examples=[
        OpenApiExample("Request", value={"username": "thanhdoan", "password": "doanso-demo"}, request_only=True),
        OpenApiExample("Response", value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}, response_only=True),
        OpenApiExample(
            "Locked out",
            value={"detail": "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút."},
            response_only=True,
            status_codes=["429"],
        ),
    ],
    responses={
        200: inline_serializer("Token", {"token": serializers.CharField()}),
        400: OpenApiResponse(
            response=OpenApiTypes.OBJECT,
            description="Wrong user name or password (or one is missing), by field or in `non_field_errors`.",
            examples=[
                OpenApiExample(
                    "Wrong password", value={"non_field_errors": ["Unable to log in with provided credentials."]}
                )
            ],
        ),
        429: OpenApiResponse(
            response=inline_serializer("LockedOut", {"detail": serializers.CharField()}),
            description="Locked out for a while after too many wrong passwords.",
        ),
    },
)
class ObtainTokenAPIView(ObtainAuthToken):
    """DRF's token view, documented, answering 429 while django-axes locks the caller out."""

    parser_classes = api_settings.DEFAULT_PARSER_CLASSES  # type: ignore[assignment]  # DRF's view names its own, unlimited, JSON parser

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            # django-axes marks the request it was given (this DRF request) when it refuses the pair.
            if getattr(request, "axes_locked_out", False):
                minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
                return Response(
                    {"detail": _("Too many failed log-ins. Try again in %(minutes)d minutes.") % {"minutes": minutes}},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                )
            raise
        # Each log-in gets a new token and ends the previous one: a token that leaked stops working
        # the next time its owner asks, and never outlives API_TOKEN_DAYS.
        token = token_issue(user=serializer.validated_data["user"])
        return Response({"token": token.key})

    @extend_schema(
        summary="End your API token",
        description="Revoke the token this request is authenticated with (log out of the API).",
        request=None,
        responses={204: None, 401: OpenApiResponse(response=MessageSerializer, description="Not logged in.")},
        examples=[
            OpenApiExample(
                "Not logged in",
                value={"detail": "Thông tin xác thực không được cung cấp."},
                response_only=True,
                status_codes=["401"],
            )
        ],
    )
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
