from collections.abc import Iterator
from typing import Any

from crispy_forms.helper import FormHelper
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.helper = FormHelper()
        self.helper.form_tag = False


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form skips accounts without a usable password; ours are exactly the people
    created by an import or a manager who never chose one, so they must get the mail too. Inactive
    accounts still get nothing."""

    def get_users(self, email: str) -> Iterator[Any]:
        User = get_user_model()
        email_field = User.get_email_field_name()
        candidates = User._default_manager.filter(**{f"{email_field}__iexact": email, "is_active": True})
        same = auth_forms._unicode_ci_compare  # type: ignore[attr-defined]
        return (u for u in candidates if same(email, getattr(u, email_field)))
