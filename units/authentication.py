"""API token authentication whose tokens end.

DRF's tokens live forever. Here a token authenticates only while

* it is younger than ``API_TOKEN_DAYS``;
* the user's password has not changed since it was issued (``User.password_changed_at``);
* the user still holds a role in the tree (or is an admin or staff user of Django admin) — a
  secretary whose role ended, or was handed over, loses API access with it.

A token that fails one of these is deleted and the request answers 401 with the reason.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .permissions import held_roles


class TokenEnded(exceptions.APIException):
    """401 with ``WWW-Authenticate: Token``. DRF would answer a failed authentication with 403 here,
    because session authentication comes first (and anonymous API callers keep their 403); a token
    that does not work is told so plainly."""

    status_code = 401
    default_code = "token_ended"
    auth_header = "Token"


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        try:
            user, token = super().authenticate_credentials(key)
        except exceptions.AuthenticationFailed as exc:  # unknown key, inactive user
            raise TokenEnded(exc.detail) from None
        reason = ""
        if token.created < timezone.now() - timedelta(days=settings.API_TOKEN_DAYS):
            reason = _("This token has expired; ask for a new one.")
        elif user.password_changed_at and token.created < user.password_changed_at:
            reason = _("The password was changed after this token was issued; ask for a new one.")
        elif not (user.is_superuser or user.is_staff or held_roles(user)):
            reason = _("You no longer hold a role in any unit; this token has ended.")
        if reason:
            token.delete()
            raise TokenEnded(reason)
        return user, token
