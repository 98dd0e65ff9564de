"""API tokens end: a new one per log-in ends the old, and a token stops working after
API_TOKEN_DAYS, after a password change, when its user holds no role any more, or when revoked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from units.models import UnitRole
from units.services import unitrole_end

UNITS = "/api/v1/units/"


def log_in(username: str, password: str) -> str:
    response = APIClient().post(reverse("api-auth-token"), {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_asking_again_gives_a_new_token_and_ends_the_old_one(personas, password):
    first = log_in("editor", password)
    second = log_in("editor", password)
    assert first != second
    assert with_token(second).get(UNITS).status_code == 200
    assert with_token(first).get(UNITS).status_code == 401
    assert Token.objects.filter(user=personas.editor).count() == 1


def test_a_password_change_ends_the_token(personas, password, client_for):
    key = log_in("editor", password)
    assert with_token(key).get(UNITS).status_code == 200
    page = client_for(personas.editor).post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": "Mật-khẩu-mới-2026", "new_password2": "Mật-khẩu-mới-2026"},
    )
    assert page.status_code == 302
    refused = with_token(key).get(UNITS)
    assert refused.status_code == 401 and "mật khẩu" in refused.json()["detail"].lower()
    assert not Token.objects.filter(key=key).exists()
    assert with_token(log_in("editor", "Mật-khẩu-mới-2026")).get(UNITS).status_code == 200


def test_a_password_set_by_an_admin_command_ends_the_token_too(personas, password, monkeypatch):
    key = log_in("editor", password)
    monkeypatch.setattr("getpass.getpass", lambda *a, **k: "Mật-khẩu-khác-2026")
    call_command("changepassword", "editor", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert with_token(key).get(UNITS).status_code == 401


def test_a_token_ends_with_the_last_role_of_its_user(personas, password):
    key = log_in("editor", password)
    assert with_token(key).get(UNITS).status_code == 200
    for role in UnitRole.objects.filter(user=personas.editor):
        unitrole_end(role=role, by=personas.reviewer)  # a handover: the row stays, ended
    refused = with_token(key).get(UNITS)
    assert refused.status_code == 401 and "vai trò" in refused.json()["detail"]


def test_a_token_expires(personas, password, settings):
    settings.API_TOKEN_DAYS = 30
    key = log_in("editor", password)
    type(personas.editor).objects.filter(pk=personas.editor.pk).update(
        password_changed_at=timezone.now() - timedelta(days=90)  # the password is older than the token
    )
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=29))
    assert with_token(key).get(UNITS).status_code == 200
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=31))
    refused = with_token(key).get(UNITS)
    assert refused.status_code == 401 and "hết hạn" in refused.json()["detail"]


def test_the_user_revokes_their_own_token(personas, password):
    key = log_in("editor", password)
    client = with_token(key)
    assert client.delete(reverse("api-auth-token")).status_code == 204
    assert client.get(UNITS).status_code == 401
    assert APIClient().delete(reverse("api-auth-token")).status_code == 403  # anonymous API callers: 403


@pytest.mark.parametrize("username", ["admin"])
def test_an_admin_revokes_a_token_in_django_admin(personas, password, client_for, username):
    key = log_in("editor", password)
    token = Token.objects.get(key=key)
    admin = client_for(personas.admin)
    page = admin.post(reverse("admin:authtoken_tokenproxy_delete", args=[token.user_id]), {"post": "yes"})
    assert page.status_code == 302
    assert with_token(key).get(UNITS).status_code == 401


def test_disabling_password_log_in_ends_the_token(personas, password):
    key = log_in("editor", password)
    personas.editor.refresh_from_db()
    personas.editor.set_unusable_password()
    personas.editor.save()
    assert with_token(key).get(UNITS).status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_log_ins_at_the_same_moment_both_get_a_token(tree):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from tests.factories import PASSWORD, UnitRoleFactory

    UnitRoleFactory(user__username="songsong", unit=tree.qa1a, role=UnitRole.Role.SECRETARY)

    def one(_: int) -> int:
        try:
            return (
                APIClient()
                .post(reverse("api-auth-token"), {"username": "songsong", "password": PASSWORD}, format="json")
                .status_code
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(one, range(8)))
    assert statuses == [200] * 8
    assert Token.objects.filter(user__username="songsong").count() == 1
