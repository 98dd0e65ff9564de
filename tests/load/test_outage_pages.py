"""What a user sees while the database is unreachable: 503 with a clear message, JSON under /api/,
a small page elsewhere — never a 500 or a stack trace. (The real outage, a PostgreSQL restart under
load, is in test_database_restart.py.)"""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import IntegrityError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext

OUTAGE = OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def outage_message() -> str:
    with translation.override("vi"):
        return gettext("The system is temporarily unavailable. Please try again in a few minutes.")


def remember_in_session(request: HttpRequest) -> HttpResponse:
    request.session["seen"] = True  # saved by the session middleware, after this view returned
    return HttpResponse("ok")


urlpatterns = [path("remember/", remember_in_session)]


@pytest.fixture
def logged_in(client_for, personas) -> Client:  # type: ignore[no-untyped-def]
    return client_for(personas.editor)


def test_an_api_call_while_the_database_is_down_gets_503_json_with_the_reason(logged_in):
    with mock.patch.object(SessionStore, "load", side_effect=OUTAGE):
        response = logged_in.get("/api/v1/units/")
    assert response.status_code == 503
    assert response.json() == {"detail": "Hệ thống tạm thời gián đoạn, vui lòng thử lại sau ít phút."}
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"


def test_a_page_while_the_database_is_down_gets_a_503_page_in_vietnamese_without_a_stack_trace(logged_in, tree):
    with mock.patch.object(SessionStore, "load", side_effect=OUTAGE):
        response = logged_in.get(f"/units/{tree.qa1a.code}/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert outage_message() in body
    assert '<html lang="vi">' in body
    assert "Traceback" not in body and "OperationalError" not in body


def test_the_message_follows_the_language_chosen_with_the_switch(logged_in, settings):
    logged_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with mock.patch.object(SessionStore, "load", side_effect=OUTAGE):
        response = logged_in.get("/api/v1/units/")
    assert response.json() == {"detail": "The system is temporarily unavailable. Please try again in a few minutes."}


@override_settings(ROOT_URLCONF=__name__)
def test_a_database_failure_after_the_view_returned_is_a_503_too(db):
    client = Client(raise_request_exception=False)
    with mock.patch.object(SessionStore, "save", side_effect=OUTAGE):
        response = client.get("/remember/")
    assert response.status_code == 503
    assert outage_message() in response.content.decode()


def test_other_database_errors_stay_server_errors(logged_in):
    """A constraint violation is a bug or bad data, not an outage: it must not read "try again"."""
    client = Client(raise_request_exception=False)
    client.cookies = logged_in.cookies
    with mock.patch.object(SessionStore, "load", side_effect=IntegrityError("duplicate key")):
        response = client.get("/api/v1/units/")
    assert response.status_code == 500


class _PgError(Exception):
    """Stands for a psycopg2 error: what Django's OperationalError wraps, with its SQLSTATE."""

    def __init__(self, pgcode: str):
        super().__init__(pgcode)
        self.pgcode = pgcode


def _wrapped(pgcode: str) -> OperationalError:
    error = OperationalError(f"SQLSTATE {pgcode}")
    error.__cause__ = _PgError(pgcode)
    return error


@pytest.mark.parametrize(
    ("pgcode", "status"),
    [
        ("08006", 503),  # connection failure
        ("57P01", 503),  # admin shutdown (the restart)
        ("57P03", 503),  # cannot connect now (starting up)
        ("40P01", 500),  # deadlock: a bug to fix, not an outage
        ("57014", 500),  # statement timeout
        ("53300", 500),  # too many connections: a capacity problem for error reporting
    ],
)
def test_only_a_server_going_away_or_not_there_yet_is_an_outage(logged_in, pgcode, status):
    client = Client(raise_request_exception=False)
    client.cookies = logged_in.cookies
    with mock.patch.object(SessionStore, "load", side_effect=_wrapped(pgcode)):
        response = client.get("/api/v1/units/")
    assert response.status_code == status
