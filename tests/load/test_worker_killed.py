"""A worker killed in the middle of a full campaign recomputation loses nothing: the scores end up
exactly those of a rebuild done in-process.

Two ways a worker dies, two ways the work comes back:

* the pool process running the task is killed (the kernel's OOM killer picks the biggest process):
  with ``task_acks_late`` and ``task_reject_on_worker_lost`` the worker puts the message back on
  the queue and runs it again at once;
* the whole worker is killed (its machine or container goes away): the message stays
  unacknowledged in Redis, redelivered only after the visibility timeout (an hour), but the
  outbox row (``ScoreDirty``) written with the request was not deleted — the recomputation is one
  transaction, rolled back with the dead connection — so beat's minute sweep has the next worker
  do it.

The dataset is ``bench_seed``'s district scale (3,613 units, 10,000 member responses): its member
campaign takes about half a second to rebuild, long enough to kill the worker in the middle, which
is detected in PostgreSQL (the worker's transaction holds the campaign's row lock).
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction

from assessments.models import (
    ResponseDomainScore,
    ResponseIndicatorScore,
    ResponseScore,
    ScoreDirty,
    UnitDomainScore,
    UnitGroupScore,
    UnitScore,
)
from assessments.scoring.services import scores_rebuild_campaign, scores_request_rebuild
from assessments.tasks import sweep_pending_scores
from bench.seed import seed
from doanso.celery import app
from tests.worker import WorkerProcess, wait_until

SCORE_MODELS = [
    ResponseScore,
    ResponseDomainScore,
    ResponseIndicatorScore,
    UnitScore,
    UnitDomainScore,
    UnitGroupScore,
]


def snapshot(campaign_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every score row of the campaign (all columns but the id and computed_at), floats rounded."""
    snap = {}
    for model in SCORE_MODELS:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in ("id", "computed_at")]
        rows = model.objects.filter(campaign_id=campaign_id).values_list(*fields)
        snap[model.__name__] = sorted(tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows)
    return snap


def wipe_scores(campaign_id: int) -> None:
    for model in SCORE_MODELS:
        model.objects.filter(campaign_id=campaign_id).delete()


def request_rebuild(campaign_id: int) -> None:
    """What ``POST /api/v1/campaigns/<id>/recompute/`` does: an outbox row, and a task after commit."""
    with transaction.atomic():
        scores_request_rebuild(campaign_id=campaign_id)


def writing_backends(*, busy_for: float = 0.0) -> list[int]:
    """PostgreSQL backends of this database, other than ours, inside a transaction that wrote or
    locked rows (the recomputation starts by locking the campaign's row) at least ``busy_for`` s ago."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_xid IS NOT NULL AND now() - xact_start >= %s * interval '1 second'",
            [busy_for],
        )
        return [row[0] for row in cursor.fetchall()]


def wait_for_recompute_to_be_under_way(worker: WorkerProcess) -> int:
    """The worker's recomputation transaction has been at work for 0.1 s (of about 0.5 s)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = writing_backends(busy_for=0.1)
        if pids:
            return pids[0]
        time.sleep(0.005)
    raise AssertionError(f"the worker never started the recomputation:\n{worker.output()[-3000:]}")


def pool_processes(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def drop_unacknowledged(queue: str) -> None:
    """Remove the killed worker's unacknowledged message from Redis (kombu keeps it an hour)."""
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for tag, payload in client.hgetall("unacked").items():
        try:
            routing_key = json.loads(payload)[2]
        except (ValueError, IndexError):
            continue
        if routing_key == queue:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@pytest.fixture
def worker_queue() -> Any:
    queue = f"doanso-test-{uuid.uuid4().hex[:8]}"
    saved = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = saved
        drop_unacknowledged(queue)
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)


@pytest.mark.celery_worker
def test_a_recompute_whose_worker_is_killed_mid_task_ends_with_the_scores_of_an_in_process_rebuild(
    transactional_db: None, worker_queue: str, tmp_path: Path
):
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    campaign_id = seed("district", log=lambda *args: None)["member_campaign"]
    scores_rebuild_campaign(campaign_id=campaign_id)
    expected = snapshot(campaign_id)
    assert len(expected["UnitScore"]) > 3000  # not vacuous

    # 1. The pool process running the task is killed: the same worker runs the task again.
    wipe_scores(campaign_id)
    worker = WorkerProcess(worker_queue, tmp_path / "prefork.log", pool="prefork")
    try:
        worker.start()
        assert worker.process is not None
        request_rebuild(campaign_id)
        wait_for_recompute_to_be_under_way(worker)
        (child,) = pool_processes(worker.process.pid)
        os.kill(child, signal.SIGKILL)
        assert wait_until(lambda: not ScoreDirty.objects.filter(campaign_id=campaign_id).exists(), timeout=60), (
            worker.output()[-3000:]
        )
        assert "WorkerLostError" in worker.output()  # it died with the task under way, which ran again
        assert snapshot(campaign_id) == expected
    finally:
        worker.stop()

    # 2. The whole worker is killed: nothing half-done stays, and the sweep has the next worker finish.
    wipe_scores(campaign_id)
    worker = WorkerProcess(worker_queue, tmp_path / "killed.log")
    successor = WorkerProcess(worker_queue, tmp_path / "successor.log")
    try:
        worker.start()
        assert worker.process is not None
        request_rebuild(campaign_id)
        backend = wait_for_recompute_to_be_under_way(worker)
        worker.process.kill()
        worker.process.wait(timeout=10)
        # PostgreSQL rolls the dead worker's transaction back once it notices the connection is gone.
        assert wait_until(lambda: backend not in writing_backends(), timeout=60)
        assert ScoreDirty.objects.filter(campaign_id=campaign_id).exists()
        assert not UnitScore.objects.filter(campaign_id=campaign_id).exists()

        successor.start()
        sweep_pending_scores.apply_async()  # what Celery beat sends every minute
        assert wait_until(lambda: not ScoreDirty.objects.filter(campaign_id=campaign_id).exists(), timeout=60), (
            successor.output()[-3000:]
        )
        assert snapshot(campaign_id) == expected
    finally:
        for process in (worker, successor):
            if process.process is not None:
                process.stop()
