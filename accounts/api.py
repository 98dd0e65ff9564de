from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.authtoken.views import ObtainAuthToken


@extend_schema(
    summary="Get an API token",
    description="Exchange a user name and password for a token; send it as `Authorization: Token <key>`.",
    examples=[
        OpenApiExample("Request", value={"username": "thanhdoan", "password": "doanso-demo"}, request_only=True),
        OpenApiExample("Response", value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}, response_only=True),
    ],
)
class ObtainTokenAPIView(ObtainAuthToken):
    """DRF's token view, documented."""
