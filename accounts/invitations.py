"""Invitations: a one-time link with which a person who was given an account sets their password.

The token is Django's password-reset token with a salt of its own (a reset link is no invitation
and the other way round) and its own lifetime, ``INVITATION_TIMEOUT_DAYS``. It is one-time because
its hash covers the password and the last login, which both change once the link is used.
"""

from __future__ import annotations

import logging
import smtplib
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

if TYPE_CHECKING:
    from .models import User

logger = logging.getLogger(__name__)


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.invitations.InvitationTokenGenerator"

    @property
    def timeout_seconds(self) -> int:
        return int(settings.INVITATION_TIMEOUT_DAYS) * 24 * 3600

    def check_token(self, user: Any, token: str | None) -> bool:
        # Django's check_token measures age against PASSWORD_RESET_TIMEOUT; an invitation has its own.
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return False
        return (self._num_seconds(self._now()) - ts) <= self.timeout_seconds

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        # An account switched off after the invitation went out cannot be opened with it.
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


invitation_token_generator = InvitationTokenGenerator()


def can_be_invited(user: User) -> bool:
    """Only a person who never chose a password: an invitation must never take over an account in use."""
    return user.is_active and not user.has_usable_password()


def invitation_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:invitation", args=[uid, invitation_token_generator.make_token(user)])


def invitation_url(user: User) -> str:
    """The absolute one-time link (``SITE_URL``), for e-mails and printed invitations."""
    return settings.SITE_URL + invitation_path(user)


def invitation_send(user: User, *, unit_name: str = "") -> bool:
    """E-mail the invitation. True when the mail server accepted it; False (logged) when it did not
    or when the person has no e-mail address — the caller says so instead of claiming "sent"."""
    if not user.email or not can_be_invited(user):
        return False
    ctx = {
        "user": user,
        "unit_name": unit_name,
        "url": invitation_url(user),
        "days": settings.INVITATION_TIMEOUT_DAYS,
        "login_url": settings.SITE_URL + reverse("accounts:login"),
    }
    subject = render_to_string("accounts/email/invitation_subject.txt", ctx).strip()
    body = render_to_string("accounts/email/invitation.txt", ctx)
    try:
        EmailMessage(subject, body, None, [user.email]).send()
    except (smtplib.SMTPException, OSError):
        logger.warning("Invitation to %s could not be sent", user.username, exc_info=True)
        return False
    return True
