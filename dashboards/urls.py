from django.urls import path, register_converter

from . import views


class TableFormat:
    regex = "xlsx|csv"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TableFormat, "fmt")

app_name = "dashboards"

urlpatterns = [
    path("dashboard/", views.city, name="city"),
    path("dashboard/export/<slug:table>.<fmt:fmt>", views.city_export, name="city_export"),
    path("dashboard/units/<str:code>/", views.unit_page, name="unit"),
    path("dashboard/units/<str:code>/export/<slug:table>.<fmt:fmt>", views.unit_export, name="unit_export"),
    path("dashboard/exports/<uuid:pk>/", views.export_status, name="export_status"),
    path("dashboard/exports/<uuid:pk>/download/", views.export_download, name="export_download"),
]
