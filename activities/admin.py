from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from doanso.lib.history import ReadOnlyHistoryAdmin
from doanso.lib.money import VNDField

from .models import Activity, Bank, BankStatement, DuesRate, DuesSplit, Payment, StatementLine, UnitBankAccount


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ("short_name", "bin", "name", "is_active")
    search_fields = ("short_name", "bin", "name")


class DuesRateForm(forms.ModelForm):
    monthly_amount = VNDField(label=_("per month (VND)"))

    class Meta:
        model = DuesRate
        fields = ["category", "monthly_amount", "effective_from", "effective_to"]


class PaymentAdminForm(forms.ModelForm):
    amount = VNDField(label=_("amount (VND)"))

    class Meta:
        model = Payment
        fields = ["unit", "purpose", "amount", "channel", "paid_at", "payer_member_code", "activity", "note"]


@admin.register(DuesRate)
class DuesRateAdmin(admin.ModelAdmin):
    form = DuesRateForm
    list_display = ("category", "monthly_amount", "effective_from", "effective_to")


@admin.register(DuesSplit)
class DuesSplitAdmin(admin.ModelAdmin):
    list_display = ("__str__", "effective_from")


@admin.register(UnitBankAccount)
class UnitBankAccountAdmin(admin.ModelAdmin):
    list_display = ("unit", "bank", "account_number", "account_name")
    autocomplete_fields = ["unit"]
    search_fields = ("unit__code", "unit__name", "account_number")


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("title", "unit", "starts_at", "mode", "category", "participants")
    list_filter = ("mode", "category")
    search_fields = ("title", "unit__code", "unit__name")
    autocomplete_fields = ["unit"]
    date_hierarchy = "starts_at"


@admin.register(Payment)
class PaymentAdmin(ReadOnlyHistoryAdmin):
    list_display = ("reference", "unit", "purpose", "amount", "channel", "status", "paid_at")
    list_filter = ("status", "channel", "purpose")
    search_fields = ("reference", "unit__code", "payer_member_code")
    form = PaymentAdminForm
    readonly_fields = (
        "reference",
        "status",
        "confirmed_at",
        "confirmed_by",
        "reversed_at",
        "reversed_by",
        "reversal_reason",
        "version",
    )
    autocomplete_fields = ["unit"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status != Payment.Status.PENDING:  # final: only a reversal changes it
            return [f.name for f in Payment._meta.concrete_fields]
        return super().get_readonly_fields(request, obj)


class StatementLineInline(admin.TabularInline):
    model = StatementLine
    extra = 0
    can_delete = False
    readonly_fields = ("row", "date", "amount", "description", "bank_reference", "outcome", "payment")


@admin.register(BankStatement)
class BankStatementAdmin(admin.ModelAdmin):
    list_display = ("original_name", "unit", "uploaded_at", "rows", "confirmed")
    readonly_fields = ("unit", "original_name", "content_hash", "uploaded_by", "uploaded_at", "rows", "confirmed")
    inlines = [StatementLineInline]
