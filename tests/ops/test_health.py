"""/healthz: what a load balancer sees when the database, Redis or the worker heartbeat is up or down."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import OperationalError

from ops import health
from ops.tasks import record_worker_heartbeat
from tests.worker import free_port, wait_until


@pytest.fixture
def no_heartbeat() -> Iterator[None]:
    cache.delete(health.HEARTBEAT_CACHE_KEY)
    yield
    cache.delete(health.HEARTBEAT_CACHE_KEY)


@pytest.fixture
def with_workers(settings, no_heartbeat: None) -> None:
    """Deployed with a broker: tasks go to workers, so /healthz checks their heartbeat."""
    settings.CELERY_TASK_ALWAYS_EAGER = False


def healthz(client):  # type: ignore[no-untyped-def]
    return client.get("/healthz")


def test_a_healthy_site_answers_200_ok_to_an_anonymous_probe_and_is_never_cached(client, db, settings, with_workers):
    record_worker_heartbeat()
    response = healthz(client)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == ("ok" if settings.REDIS_URL else "not configured")
    assert body["checks"]["worker"]["status"] == "ok"
    assert 0 <= body["checks"]["worker"]["age_seconds"] <= 5
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    assert client.post("/healthz").status_code == 405


def test_the_embedded_default_has_no_redis_and_no_worker_to_check(client, db, settings):
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = healthz(client)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok", "ms": response.json()["checks"]["database"]["ms"]},
            "redis": {"status": "not configured"},
            "worker": {"status": "not configured"},
        },
    }


def test_redis_down_answers_503_without_saying_where_redis_is(client, db, settings, with_workers):
    port = free_port()  # nothing listens there
    settings.REDIS_URL = f"redis://:s3cret-password@127.0.0.1:{port}/0"
    response = healthz(client)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["redis"]["status"] == "fail"
    assert body["checks"]["redis"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["worker"] == {"status": "unknown"}  # its heartbeat lives in Redis
    text = response.content.decode()
    assert "127.0.0.1" not in text and str(port) not in text and "s3cret" not in text


def test_a_redis_that_accepts_but_never_answers_fails_within_about_a_second(client, db, settings):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel completes the handshake; nobody ever replies
        settings.REDIS_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        started = time.monotonic()
        response = healthz(client)
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {
        "status": "fail",
        "error": "TimeoutError",
        "ms": response.json()["checks"]["redis"]["ms"],
    }
    assert elapsed < 3, elapsed


def test_database_down_answers_503_without_the_connection_details(client, db, monkeypatch):
    class DeadConnection:
        def cursor(self) -> None:
            raise OperationalError('connection to server at "db.internal" (10.0.0.5), port 5432 failed')

    monkeypatch.setattr(health, "connection", DeadConnection())
    response = healthz(client)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "fail"
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert "db.internal" not in response.content.decode() and "10.0.0.5" not in response.content.decode()


def test_a_stale_or_missing_heartbeat_degrades_the_site_but_keeps_it_in_rotation(client, db, with_workers):
    record_worker_heartbeat()
    assert healthz(client).json()["status"] == "ok"

    cache.set(health.HEARTBEAT_CACHE_KEY, time.time() - health.HEARTBEAT_STALE_AFTER_SECONDS - 30)
    response = healthz(client)
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    worker = response.json()["checks"]["worker"]
    assert worker["status"] == "stale" and worker["age_seconds"] >= health.HEARTBEAT_STALE_AFTER_SECONDS + 30

    cache.delete(health.HEARTBEAT_CACHE_KEY)
    response = healthz(client)
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["worker"] == {"status": "stale", "age_seconds": None}


def test_healthz_answers_plain_http_when_the_site_redirects_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/accounts/login/").status_code == 301
    assert healthz(client).status_code in (200, 503)


def test_the_heartbeat_is_scheduled_every_30_seconds_and_expires_before_the_next(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["ops-worker-heartbeat"]
    assert entry["task"] == record_worker_heartbeat.name
    assert entry["schedule"].total_seconds() == 30
    assert entry["options"]["expires"] < 30
    assert health.HEARTBEAT_STALE_AFTER_SECONDS >= 3 * 30  # a late beat or two is not an alarm


@pytest.mark.celery_worker
def test_a_real_worker_records_the_heartbeat_that_healthz_reads(celery_worker, client, with_workers):
    assert healthz(client).json()["checks"]["worker"] == {"status": "stale", "age_seconds": None}
    record_worker_heartbeat.apply_async()  # what beat sends every 30 s
    assert wait_until(lambda: healthz(client).json()["checks"]["worker"]["status"] == "ok", timeout=30), (
        celery_worker.output()
    )
    response = healthz(client)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert f"Task {record_worker_heartbeat.name}[" in celery_worker.output()
