from django.urls import path

from . import views

app_name = "units"

urlpatterns = [
    path("", views.unit_tree, name="tree"),
    path("import/", views.unit_import, name="import"),
    path("import/confirm/", views.unit_import_confirm, name="import_confirm"),
    path("<str:code>/", views.unit_detail, name="detail"),
    path("<str:code>/children/", views.unit_children, name="children"),
]
