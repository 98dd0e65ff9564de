from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from doanso.lib.tabular import XLSX_MAGIC

from .permissions import can_name_holder


class UnitSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search units"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control",
                "placeholder": _("Name or code, e.g. Bến Nghé"),
                "autocomplete": "off",
            }
        ),
    )


class UnitImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_(
            "Columns: code, name, parent_code, level, sector, member_count, "
            "secretary_username, secretary_full_name, secretary_email."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is too large (%(size)d MB); the limit is %(limit)d MB.")
                % {"size": upload.size // (1024 * 1024), "limit": settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        data: bytes = upload.read()
        head = data[:4]
        if (
            not head.startswith(XLSX_MAGIC)
            and b"\x00" in data[:2048]
            and not data.startswith((b"\xff\xfe", b"\xfe\xff"))
        ):
            raise forms.ValidationError(_("The file is neither a CSV text file nor an Excel (.xlsx) workbook."))
        return data


class HandoverForm(forms.Form):
    """Name the unit's new secretary: an existing user name, or a new person with name and e-mail."""

    username = forms.CharField(
        label=_("User name of the new secretary"),
        max_length=150,
        help_text=_("An existing user name, or a new one to create an account."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    full_name = forms.CharField(
        label=_("Full name (for a new account)"), max_length=150, required=False, widget=forms.TextInput()
    )
    email = forms.EmailField(
        label=_("E-mail (for a new account)"),
        required=False,
        help_text=_("The invitation goes to this address. Without one, print the invitation from this page."),
    )

    def __init__(self, *args: object, by: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.by = by
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_username(self) -> str:
        from django.contrib.auth import get_user_model

        username: str = self.cleaned_data["username"].strip()
        get_user_model().username_validator(username)
        return username

    def clean(self) -> dict[str, object]:
        from django.contrib.auth import get_user_model

        data = super().clean() or {}
        username = data.get("username")
        existing = get_user_model().objects.filter(username=username).first() if username else None
        if existing is not None and self.by is not None and not can_name_holder(self.by, existing):  # type: ignore[arg-type]
            self.add_error(
                "username",
                _("There is no account “%(username)s” in the units you manage; choose another user name.")
                % {"username": username},
            )
            return data
        email = data.get("email")
        if existing is not None and email and str(email).lower() != existing.email.lower():
            # Never change someone's address on the side, nor guess which person was meant.
            self.add_error(
                "email",
                _("The account “%(username)s” has another e-mail address. Leave name and e-mail empty to name it.")
                % {"username": username},
            )
        new_account = bool(username) and existing is None
        if new_account and not data.get("full_name"):
            self.add_error(
                "full_name",
                _("There is no account “%(username)s” yet: give the full name to create it.") % {"username": username},
            )
        return data


class RoleFilterForm(forms.Form):
    """Filters of the roles-per-subtree page and its export (all optional; bad values are errors)."""

    STATES = (("current", _("Current")), ("ended", _("Ended")), ("all", _("Current and ended")))

    level = forms.ChoiceField(label=_("Unit level"), required=False)
    role = forms.ChoiceField(label=_("Role"), required=False)
    state = forms.ChoiceField(label=_("Holders"), required=False, choices=STATES)

    def __init__(self, *args: object, **kwargs: object) -> None:
        from .models import Unit, UnitRole

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        everything = [("", _("All"))]
        level, role = self.fields["level"], self.fields["role"]
        assert isinstance(level, forms.ChoiceField) and isinstance(role, forms.ChoiceField)
        level.choices = everything + list(Unit.Level.choices)
        role.choices = everything + list(UnitRole.Role.choices)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def filters(self) -> dict[str, str]:
        """The cleaned filters (defaults when the form is unbound)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {"level": data.get("level", ""), "role": data.get("role", ""), "state": data.get("state") or "current"}
