"""Request helpers: the request type of views behind ``login_required`` (for type checking) and the
client address used for throttling."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


def client_ip(request: HttpRequest) -> str:
    """The client's address for throttling: ``RATELIMIT_IP_META_KEY`` (a header set by our own
    reverse proxy) when configured, else the socket's address. Used by django-ratelimit and
    django-axes alike, so both count the same clients."""
    from django.conf import settings

    key = settings.RATELIMIT_IP_META_KEY or "REMOTE_ADDR"
    # In a list (X-Forwarded-For) only the last address was added by our own proxy; the ones
    # before it are whatever the client sent, and would let it pick a fresh address per try.
    return str(request.META.get(key) or request.META.get("REMOTE_ADDR") or "").split(",")[-1].strip()
