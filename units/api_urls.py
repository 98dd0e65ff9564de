from django.urls import path

from . import api

urlpatterns = [
    path("units/", api.UnitListAPIView.as_view(), name="api-unit-list"),
    path("units/<str:code>/", api.UnitDetailAPIView.as_view(), name="api-unit-detail"),
]
