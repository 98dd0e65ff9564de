"""What ``/healthz`` reports to a load balancer: the database, Redis and the Celery worker heartbeat.

Every check is cheap and bounded: one ``SELECT 1`` on the request's usual database connection, one
Redis ``PING`` with 1-second socket timeouts and no retries, one cache read. Answers carry states
and timings only; the reason for a failure (which may name hosts) goes to the server log.

The worker heartbeat is driven by Celery beat: every 30 s beat sends ``ops.tasks.record_worker_heartbeat``
to the default queue (expiring after 25 s) and whichever worker runs it writes the time into the
shared cache (Redis). That one timestamp proves the whole path the site depends on — beat is
scheduling, the broker delivers, a worker consumes the default queue promptly and can reach Redis —
where a worker-side signal (``heartbeat_sent``) would only prove that some worker process is alive,
even one whose queue is stuck or whose beat is dead. It is stale after 2 minutes (four missed beats).
A stale heartbeat makes the site ``degraded`` (HTTP 200: pages work, scores and e-mails wait), never
``fail``: taking web servers out of rotation would not bring a worker back.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Literal, NotRequired, TypedDict

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

HEARTBEAT_CACHE_KEY = "ops:worker-heartbeat"
HEARTBEAT_STALE_AFTER_SECONDS = 120
# Long enough to tell "stale for an hour" from "never seen"; short enough not to linger forever.
HEARTBEAT_CACHE_TIMEOUT_SECONDS = 24 * 3600
REDIS_TIMEOUT_SECONDS = 1.0

CheckStatus = Literal["ok", "fail", "stale", "unknown", "not configured"]
OverallStatus = Literal["ok", "degraded", "fail"]


class Check(TypedDict):
    status: CheckStatus
    ms: NotRequired[float]  # time the check took
    error: NotRequired[str]  # the exception's class only: its text may name hosts
    age_seconds: NotRequired[int | None]  # worker: seconds since the last heartbeat, None if none


class HealthChecks(TypedDict):
    database: Check
    redis: Check
    worker: Check


class HealthReport(TypedDict):
    status: OverallStatus
    checks: HealthChecks


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def check_database() -> Check:
    """``SELECT 1`` on the default connection (the one requests use, so a pooled one is reused)."""
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("Health check: the database is unreachable: %s", exc)
        return {"status": "fail", "error": type(exc).__name__, "ms": _elapsed_ms(started)}
    return {"status": "ok", "ms": _elapsed_ms(started)}


@functools.lru_cache(maxsize=4)
def _redis_client(url: str) -> redis.Redis:
    # redis-py retries ten times with backoff by default: a probe must answer within its timeout.
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


def check_redis() -> Check:
    """``PING`` Redis (broker and cache). Without ``REDIS_URL`` the site runs embedded: nothing to check."""
    if not settings.REDIS_URL:
        return {"status": "not configured"}
    started = time.monotonic()
    try:
        _redis_client(settings.REDIS_URL).ping()
    except (redis.RedisError, OSError) as exc:
        logger.warning("Health check: Redis is unreachable: %s", exc)
        return {"status": "fail", "error": type(exc).__name__, "ms": _elapsed_ms(started)}
    return {"status": "ok", "ms": _elapsed_ms(started)}


def heartbeat_record() -> None:
    """Write "a worker ran a task from the default queue now" where every web process can read it."""
    cache.set(HEARTBEAT_CACHE_KEY, time.time(), timeout=HEARTBEAT_CACHE_TIMEOUT_SECONDS)


def check_worker() -> Check:
    """Age of the last heartbeat. With tasks run eagerly (no broker) there is no worker to check."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "not configured"}
    try:
        recorded = cache.get(HEARTBEAT_CACHE_KEY)
    except (redis.RedisError, OSError) as exc:
        logger.warning("Health check: cannot read the worker heartbeat: %s", exc)
        return {"status": "unknown", "error": type(exc).__name__}
    if recorded is None:
        return {"status": "stale", "age_seconds": None}
    age = max(0, round(time.time() - float(recorded)))
    return {"status": "ok" if age <= HEARTBEAT_STALE_AFTER_SECONDS else "stale", "age_seconds": age}


def health_report() -> HealthReport:
    """``fail`` when the database or a configured Redis is down; ``degraded`` when only the worker is."""
    database = check_database()
    redis_check = check_redis()
    # With Redis down the heartbeat cannot be read (and Redis already fails the report).
    worker: Check = {"status": "unknown"} if redis_check["status"] == "fail" else check_worker()
    status: OverallStatus
    if database["status"] == "fail" or redis_check["status"] == "fail":
        status = "fail"
    elif worker["status"] not in ("ok", "not configured"):
        status = "degraded"
    else:
        status = "ok"
    return {"status": status, "checks": {"database": database, "redis": redis_check, "worker": worker}}
