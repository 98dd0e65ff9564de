from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from doanso.lib.money import VNDField

from .models import Activity, Bank, Payment
from .reconciliation import FIELDS, field_labels


class _Crispy:
    def _helper(self) -> None:
        self.helper = FormHelper()
        self.helper.form_tag = False


class _FilterForm(forms.Form):
    """GET filters: Bootstrap classes on every widget, the dates as native date pickers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select")
            elif not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-control")


class ActivityFilterForm(_FilterForm):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    mode = forms.ChoiceField(label=_("Mode"), required=False, choices=[("", _("All")), *Activity.Mode.choices])
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *Activity.Category.choices]
    )
    subtree = forms.BooleanField(label=_("Include the units below"), required=False)


class ActivityForm(_Crispy, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Activity
        fields = [
            "title",
            "category",
            "starts_at",
            "mode",
            "platform",
            "participants",
            "digital_registration",
            "digital_checkin",
            "e_document",
            "notes",
        ]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        self._helper()


class PaymentFilterForm(_FilterForm):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *Payment.Status.choices])
    subtree = forms.BooleanField(label=_("Include the units below"), required=False)


class PaymentForm(_Crispy, forms.ModelForm):
    amount = VNDField(label=_("Amount (VND)"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    already_received = forms.BooleanField(
        label=_("The money is already received (e.g. cash): record it as confirmed"), required=False
    )

    class Meta:
        model = Payment
        fields = ["purpose", "amount", "channel", "paid_at", "payer_member_code", "activity", "note"]
        widgets = {
            "paid_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }

    def __init__(self, *args: Any, unit: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = Activity.objects.filter(unit=unit).order_by("-starts_at")[:200]  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            del self.fields["already_received"]
        self._helper()


class PaymentReverseForm(_Crispy, forms.Form):
    reason = forms.CharField(
        label=_("Why is this payment reversed?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. recorded twice, or the bank returned the transfer. Kept in the payment's history."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._helper()


class BankAccountForm(_Crispy, forms.Form):
    bank = forms.ModelChoiceField(label=_("Bank"), queryset=Bank.objects.filter(is_active=True))
    account_number = forms.RegexField(
        label=_("Account number"),
        regex=r"^[0-9A-Za-z]{1,19}$",
        max_length=19,
        error_messages={"invalid": _("Letters and digits only, up to 19.")},
    )
    account_name = forms.CharField(label=_("Account holder"), max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._helper()


class UploadForm(_Crispy, forms.Form):
    file = forms.FileField(label=_("File (CSV, XLSX or XLS)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._helper()

    def clean_file(self) -> bytes:
        from django.conf import settings

        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        return bytes(upload.read())


class MappingForm(forms.Form):
    """Which column of the statement holds what (guessed from the header, adjustable)."""

    def __init__(self, *args: Any, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("(none)")), *[(h, h) for h in headers]]
        labels = field_labels()
        for name in FIELDS:
            self.fields[name] = forms.ChoiceField(label=labels[name], choices=choices, required=name == "description")
