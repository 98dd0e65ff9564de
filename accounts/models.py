from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

phone_validator = RegexValidator(
    r"^\+?[0-9 .-]{8,20}$",
    _("Enter a valid phone number (digits, optionally starting with +)."),
)


class User(AbstractUser):
    """A person who signs in: secretaries, city staff, admins. Members answering surveys have no account."""

    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    # API tokens issued before this moment no longer authenticate (units/authentication.py).
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True, editable=False)

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})" if self.full_name else self.username

    def set_password(self, raw_password: str | None) -> None:
        """Every way of changing a password (forms, admin, reset, invitation, ``changepassword``)
        goes through here; the stamp ends the API tokens issued before it."""
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    def set_unusable_password(self) -> None:
        """Admin's "disable password-based authentication" ends the API tokens too."""
        super().set_unusable_password()
        self.password_changed_at = timezone.now()

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[-1] if self.full_name else self.username
