from django.urls import path

from .views import activities, payments, statements

app_name = "activities"

urlpatterns = [
    path("units/<str:code>/activities/", activities.unit_activities, name="unit_activities"),
    path("units/<str:code>/activities/new/", activities.activity_create, name="activity_create"),
    path("activities/<int:pk>/edit/", activities.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/delete/", activities.activity_delete, name="activity_delete"),
    path("activities/import/", activities.activity_import, name="import"),
    path("activities/import/confirm/", activities.activity_import_confirm, name="import_confirm"),
    path("units/<str:code>/payments/", payments.unit_payments, name="unit_payments"),
    path("units/<str:code>/payments/new/", payments.payment_create, name="payment_create"),
    path("units/<str:code>/bank-account/", payments.unit_bank_account, name="bank_account"),
    path("units/<str:code>/vietqr/", payments.unit_vietqr_poster, name="vietqr_poster"),
    path("payments/<int:pk>/edit/", payments.payment_edit, name="payment_edit"),
    path("payments/<int:pk>/confirm/", payments.payment_confirm, name="payment_confirm"),
    path("payments/<int:pk>/cancel/", payments.payment_cancel, name="payment_cancel"),
    path("payments/<int:pk>/reverse/", payments.payment_reverse, name="payment_reverse"),
    path("payments/<int:pk>/qr/", payments.payment_qr, name="payment_qr"),
    path("units/<str:code>/statements/", statements.unit_statements, name="unit_statements"),
    path("units/<str:code>/statements/preview/<str:token>/", statements.statement_preview, name="statement_preview"),
    path(
        "units/<str:code>/statements/preview/<str:token>/confirm/",
        statements.statement_confirm,
        name="statement_confirm",
    ),
    path("statements/<int:pk>/", statements.statement_detail, name="statement"),
]
