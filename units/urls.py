from django.urls import path, re_path

from . import views

app_name = "units"

urlpatterns = [
    path("", views.unit_tree, name="tree"),
    path("import/", views.unit_import, name="import"),
    path("import/confirm/", views.unit_import_confirm, name="import_confirm"),
    path("mine/", views.unit_mine, name="mine"),
    path("<str:code>/", views.unit_detail, name="detail"),
    path("<str:code>/handover/", views.unit_handover, name="handover"),
    path("<str:code>/roles/", views.unit_subtree_roles, name="roles"),
    re_path(r"^(?P<code>[^/]+)/roles/export\.(?P<fmt>csv|xlsx)$", views.unit_subtree_roles_export, name="roles_export"),
    path("<str:code>/roles/<int:pk>/end/", views.unitrole_end_view, name="role_end"),
    path("<str:code>/roles/<int:pk>/invite/", views.unitrole_invite, name="role_invite"),
    path("<str:code>/roles/<int:pk>/invitation/", views.unitrole_invitation, name="role_invitation"),
    path("<str:code>/children/", views.unit_children, name="children"),
]
