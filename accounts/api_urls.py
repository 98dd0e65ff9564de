from django.urls import path

from .api import ObtainTokenAPIView

urlpatterns = [
    path("auth/token/", ObtainTokenAPIView.as_view(), name="api-auth-token"),
]
