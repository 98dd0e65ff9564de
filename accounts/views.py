from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from .invitations import invitation_token_generator


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """Open an invitation: choose a password (Django's SetPasswordForm and the password validators),
    then be logged in and taken to one's unit. Django's view also moves the token out of the URL
    into the session before the form is shown, so it never leaks through a Referer header."""

    template_name = "accounts/invitation_accept.html"
    token_generator = invitation_token_generator
    post_reset_login = True
    # Axes' backend needs the login request; the model backend is the one that checks passwords.
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("units:mine")

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None


invitation_accept = InvitationAcceptView.as_view()
