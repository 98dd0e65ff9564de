"""While the database is unreachable (restarting, failing over, out of connections), answer 503
with a clear message instead of a 500 error page or stack trace.

Django reconnects by itself once the server is back: a connection that failed is closed at the end
of its request, and with ``CONN_HEALTH_CHECKS`` a persistent one is checked before it is reused, so
no restart of gunicorn or of the worker is needed. Nothing is half-written: every write is one
transaction, rolled back when the connection drops.

A failure inside a view (most of them: the session, the user and every query are read there) is
caught by ``process_exception``, before Django's error page is rendered. One raised elsewhere — say
the session saved after the view — has already been turned into a 500 response by the time it
reaches this middleware; the ``got_request_exception`` signal marks such a request, and the 500 is
replaced here.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
_MARK = "_doanso_database_unavailable"


# SQLSTATEs of a server that is going away or not there yet (PostgreSQL: connection exceptions,
# admin/crash shutdown, cannot connect now). A deadlock, a timeout or a limit is not an outage.
_OUTAGE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def is_database_unavailable(exc: BaseException | None) -> bool:
    """The connection is refused, lost or closed, or the server is shutting down or starting up.

    Only those: other OperationalErrors (deadlocks, serialization failures, timeouts, SQLite's
    "no such table") and IntegrityError, ProgrammingError … are bugs or load problems that must
    reach error reporting as 500s, not read "try again later"."""
    if isinstance(exc, InterfaceError):
        return True  # a connection already closed under us
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    code = getattr(cause, "pgcode", None)
    if code:
        return str(code).startswith(_OUTAGE_SQLSTATES)
    if type(cause).__module__.startswith("sqlite3"):
        return "database is locked" in str(cause)
    # psycopg2 reports failures to connect and connections lost mid-query without a SQLSTATE.
    return True


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with the reason: JSON (``{"detail": …}``) under /api/, a small page elsewhere. Renders
    nothing that needs the database (no session, no user, no base template)."""
    message = _("The system is temporarily unavailable. Please try again in a few minutes.")
    response: HttpResponse
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        html = render_to_string(
            "503.html",
            {
                "title": _("Temporarily unavailable"),
                "message": message,
                "reassurance": _("What you saved before is safe. Your last change may not have been saved."),
            },
        )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _mark_request(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is not None and is_database_unavailable(sys.exc_info()[1]):
        setattr(request, _MARK, True)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        got_request_exception.connect(_mark_request, dispatch_uid="doanso-database-unavailable")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, _MARK, False) and response.status_code >= 500:
            return database_unavailable_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        logger.error("Database unavailable, answered 503: %s %s", request.method, request.path, exc_info=exception)
        return database_unavailable_response(request)
