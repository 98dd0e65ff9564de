"""Request helpers: the request type of views behind ``login_required`` (for type checking) and the
client address used for throttling."""

from __future__ import annotations

import ipaddress
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
    # An empty or malformed header falls back to the socket's address, never to an error.
    for raw in (request.META.get(key), request.META.get("REMOTE_ADDR")):
        candidate = str(raw or "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return ""


def parse_id(raw: object) -> int | None:
    """A positive id or version number from a query string or a form, or None.

    ASCII digits only and at most 18 of them: ``"²".isdigit()`` is true but ``int("²")`` fails,
    ``int("١٢")`` quietly reads Arabic-Indic digits, and a 30-digit number overflows the database's
    bigint — each was a 500 somewhere. Every numeric parameter goes through here.
    """
    text = str(raw).strip() if raw is not None else ""
    if not (0 < len(text) <= 18 and text.isascii() and text.isdigit()):
        return None
    return int(text)


def ratelimit_key(group: str, request: HttpRequest) -> str:
    """django-ratelimit's key: the same client address as the login lockout (``client_ip``)."""
    return client_ip(request)
