"""Writes about accounts: API tokens."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from .models import User


@transaction.atomic
def token_issue(*, user: User) -> Token:
    """A new API token for the user; the previous one (if any) ends now. Two log-ins at the same
    moment take turns on the user's row, so neither meets the other's half-made token."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def token_revoke(*, user: User) -> int:
    """End the user's API token (the user logging out of the API, or an admin)."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted
