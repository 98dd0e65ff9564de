"""Login throttling (django-axes): five wrong passwords for one username from one address lock
that pair out for a while, on the login page, in the admin and on the API token endpoint alike."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def fail(client, username: str, times: int, address: str = "10.0.0.1") -> list[int]:
    return [
        client.post(
            reverse("accounts:login"), {"username": username, "password": "sai-mat-khau"}, REMOTE_ADDR=address
        ).status_code
        for _ in range(times)
    ]


def test_wrong_passwords_lock_the_account_out_with_a_vietnamese_page(personas, client, password):
    assert fail(client, "editor", 2) == [200, 200]  # the form again, with its error
    response = client.post(
        reverse("accounts:login"), {"username": "editor", "password": "sai-mat-khau"}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 429
    body = response.content.decode()
    assert "Đăng nhập sai quá nhiều lần" in body and "15 phút" in body
    # Now even the right password is refused from that address …
    response = client.post(
        reverse("accounts:login"), {"username": "editor", "password": password}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_and_address(personas, client, password):
    fail(client, "editor", 3)
    # Someone else on the same network still logs in; so does the owner from another address.
    other = client.post(reverse("accounts:login"), {"username": "viewer", "password": password}, REMOTE_ADDR="10.0.0.1")
    assert other.status_code == 302
    client.logout()
    elsewhere = client.post(
        reverse("accounts:login"), {"username": "editor", "password": password}, REMOTE_ADDR="10.9.9.9"
    )
    assert elsewhere.status_code == 302


def test_a_successful_login_resets_the_count(personas, client, password):
    fail(client, "editor", 2)
    ok = client.post(reverse("accounts:login"), {"username": "editor", "password": password}, REMOTE_ADDR="10.0.0.1")
    assert ok.status_code == 302
    client.logout()
    assert fail(client, "editor", 2) == [200, 200]  # counting starts again from zero


def test_the_api_token_endpoint_is_throttled_too(personas, password):
    api = APIClient(REMOTE_ADDR="10.0.0.2")
    url = reverse("api-auth-token")
    statuses = [api.post(url, {"username": "editor", "password": "sai"}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    locked = api.post(url, {"username": "editor", "password": password})  # the right password, too late
    assert locked.status_code == 429 and "15 phút" in locked.json()["detail"]
    assert AccessAttempt.objects.get(username="editor", ip_address="10.0.0.2").failures_since_start == 4


def test_the_admin_login_is_throttled_too(personas, client, password):
    url = reverse("admin:login")
    for _ in range(3):
        client.post(url, {"username": "admin", "password": "sai"}, REMOTE_ADDR="10.0.0.3")
    response = client.post(url, {"username": "admin", "password": password}, REMOTE_ADDR="10.0.0.3")
    assert response.status_code == 429


def test_behind_a_proxy_the_address_it_added_counts_not_the_ones_a_client_made_up(personas, client, settings):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"
    url = reverse("accounts:login")
    for made_up in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):  # a fresh "address" on every try …
        client.post(url, {"username": "editor", "password": "sai"}, HTTP_X_FORWARDED_FOR=f"{made_up}, 10.0.0.7")
    locked = client.post(url, {"username": "editor", "password": "sai"}, HTTP_X_FORWARDED_FOR="9.9.9.9, 10.0.0.7")
    assert locked.status_code == 429  # … but the proxy saw one client, 10.0.0.7
