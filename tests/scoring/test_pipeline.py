"""The aggregation pipeline: incremental equals full, idempotent, bounded queries, concurrent
workers, a real worker after a submit, and nothing lost while Redis is down."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from assessments import services
from assessments.models import (
    Answer,
    Response,
    ResponseDomainScore,
    ResponseIndicatorScore,
    ResponseScore,
    ScoreDirty,
    UnitDomainScore,
    UnitScore,
)
from assessments.scoring.services import scores_process_pending, scores_rebuild_campaign
from assessments.tasks import sweep_pending_scores
from doanso.celery import app
from tests.assessments.conftest import make_campaign
from tests.factories import UnitFactory
from tests.worker import RedisServer, WorkerProcess, use_broker, wait_until

from .conftest import ANSWERS_A, EXAMPLE_SPEC, answer, attach_evidence, score_now, submit


def snapshot(campaign_id: int) -> dict[str, list[tuple]]:
    """Every score row of the campaign, without computed_at."""
    return {
        "responses": sorted(
            ResponseScore.objects.filter(campaign_id=campaign_id).values_list("response_id", "unit_id", "overall")
        ),
        "domains": sorted(
            ResponseDomainScore.objects.filter(campaign_id=campaign_id).values_list("response_id", "domain_id", "score")
        ),
        "indicators": sorted(
            ResponseIndicatorScore.objects.filter(campaign_id=campaign_id).values_list(
                "response_id", "indicator_id", "score"
            )
        ),
        "units": sorted(
            UnitScore.objects.filter(campaign_id=campaign_id).values_list(
                "unit_id", "overall", "expected", "responded", "responses", "delta", "rank"
            )
        ),
        "unit_domains": sorted(
            UnitDomainScore.objects.filter(campaign_id=campaign_id).values_list("unit_id", "domain_id", "score")
        ),
    }


def rounded(snap: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    return {
        k: [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows] for k, rows in snap.items()
    }


@pytest.fixture
def campaign(tree, example_framework):
    return make_campaign(example_framework, tree.city, levels=["grassroots", "branch"])


def test_incremental_updates_equal_a_full_rebuild(campaign, tree):
    score_now(campaign.pk)
    a = Response.objects.get(assignment__campaign=campaign, assignment__unit=tree.qa1a)
    b = Response.objects.get(assignment__campaign=campaign, assignment__unit=tree.qb1a)
    answer(a, ANSWERS_A)
    attach_evidence(a, "I2")
    submit(a)
    score_now(campaign.pk)
    answer(b, ANSWERS_A)
    submit(b)
    score_now(campaign.pk)
    services.response_return(response=Response.objects.get(pk=a.pk), by=None, comment="Sửa")
    score_now(campaign.pk)
    incremental = rounded(snapshot(campaign.pk))
    assert ScoreDirty.objects.count() == 0
    scores_rebuild_campaign(campaign_id=campaign.pk)
    assert rounded(snapshot(campaign.pk)) == incremental
    assert incremental["units"]  # not vacuous: there are rows to compare


def test_running_a_recomputation_twice_leaves_identical_rows(campaign, tree):
    a = Response.objects.get(assignment__campaign=campaign, assignment__unit=tree.qa1a)
    answer(a, ANSWERS_A)
    submit(a)
    scores_rebuild_campaign(campaign_id=campaign.pk)
    first = snapshot(campaign.pk)
    scores_rebuild_campaign(campaign_id=campaign.pk)
    assert snapshot(campaign.pk) == first
    ScoreDirty.objects.create(campaign=campaign, response=a)
    scores_process_pending(campaign_id=campaign.pk)
    assert snapshot(campaign.pk) == first


def _answered_campaign(framework, tree, name: str):
    campaign = make_campaign(framework, tree.city, levels=["grassroots", "branch"], name=name)
    for response in Response.objects.filter(assignment__campaign=campaign):
        answer(response, ANSWERS_A)
        submit(response)
    return campaign


def test_a_full_rebuild_uses_the_same_number_of_queries_for_ten_times_more_data(tree, example_framework):
    small = _answered_campaign(example_framework, tree, "nhỏ")
    with CaptureQueriesContext(connection) as small_queries:
        scores_rebuild_campaign(campaign_id=small.pk)
    for i in range(50):  # ten times as many units, responses and answers, same tree depth
        UnitFactory(code=f"QB-1-n{i}", level="branch", member_count=10 + i, parent=tree.qb1 if i % 2 else tree.qa1)
    other_framework = services.framework_import(data={**EXAMPLE_SPEC, "code": "score-example-2"}, publish=True)
    big = _answered_campaign(other_framework, tree, "lớn")  # another framework code: no delta to compute in either
    sizes = [Answer.objects.filter(response__assignment__campaign=c).count() for c in (small, big)]
    assert sizes[1] >= 10 * sizes[0]
    with CaptureQueriesContext(connection) as big_queries:
        scores_rebuild_campaign(campaign_id=big.pk)
    assert len(big_queries.captured_queries) == len(small_queries.captured_queries)
    assert UnitScore.objects.filter(campaign=big).count() == 5 + 53  # city, QA, QB, QA-1, QB-1 + branches


def test_recompute_scores_command(campaign, tree, capsys):
    a = Response.objects.get(assignment__campaign=campaign, assignment__unit=tree.qa1a)
    answer(a, ANSWERS_A)
    submit(a)
    ScoreDirty.objects.all().delete()
    UnitScore.objects.all().delete()
    call_command("recompute_scores", "--campaign", str(campaign.pk))
    assert UnitScore.objects.get(campaign=campaign, unit=tree.city).responded == 1
    assert campaign.name in capsys.readouterr().out


# --- Real parts: PostgreSQL row locks, a Celery worker, Redis going away -------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_campaign_at_once_leave_correct_rows(tree, example_framework):
    campaign = make_campaign(example_framework, tree.city, levels=["grassroots", "branch"])
    for response in Response.objects.filter(assignment__campaign=campaign):
        answer(response, ANSWERS_A)
        submit(response)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work(full: bool) -> None:
        try:
            barrier.wait()
            if full:
                scores_rebuild_campaign(campaign_id=campaign.pk)
            else:
                scores_process_pending(campaign_id=campaign.pk)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i % 2 == 0,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    concurrent = rounded(snapshot(campaign.pk))
    scores_rebuild_campaign(campaign_id=campaign.pk)
    assert rounded(snapshot(campaign.pk)) == concurrent
    assert UnitScore.objects.get(campaign=campaign, unit=tree.city).responded == 5
    assert ScoreDirty.objects.count() == 0


def api_scores(user, campaign, unit_code: str) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/scores/", {"campaign": campaign.pk, "unit": unit_code})
    assert response.status_code == 200
    return response.json()


@pytest.mark.celery_worker
def test_after_a_submit_a_real_worker_scores_the_unit_and_every_ancestor_within_seconds(
    celery_worker, tree, example_framework, personas
):
    campaign = make_campaign(example_framework, tree.city, levels=["grassroots", "branch"])
    assert wait_until(lambda: ScoreDirty.objects.count() == 0), celery_worker.output()  # the opening rebuild
    response = Response.objects.get(assignment__campaign=campaign, assignment__unit=tree.qa1a)
    answer(response, ANSWERS_A)
    attach_evidence(response, "I2")
    with transaction.atomic():
        submit(response, by=personas.editor)
    for code in ("QA-1-a", "QA-1", "QA", "CITY"):
        assert wait_until(
            lambda code=code: api_scores(personas.city_staff, campaign, code)["subtree"]["overall"] is not None,
            timeout=15,
        ), (
            code,
            celery_worker.output(),
        )
        payload = api_scores(personas.city_staff, campaign, code)
        assert payload["subtree"]["overall"] == 60.94
        assert payload["subtree"]["responded"] == 1
        assert payload["computed_at"] is not None
    assert api_scores(personas.editor, campaign, "QA-1-a")["response"]["level"] == "Hình thành"
    assert "Task assessments.tasks.score_pending[" in celery_worker.output()


@pytest.mark.celery_worker
def test_a_submit_with_redis_down_is_saved_and_scored_once_redis_and_the_worker_are_back(
    transactional_db, tree, example_framework, personas, tmp_path: Path
):
    redis_server = RedisServer(tmp_path)
    saved = app.conf.broker_url, app.conf.task_always_eager, app.conf.task_default_queue
    queue = f"doanso-test-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(queue, tmp_path / "worker.log", broker_url=redis_server.url)
    try:
        use_broker(redis_server.url)  # nothing listens there yet: Redis is "down"
        app.conf.task_always_eager = False
        app.conf.task_default_queue = queue
        campaign = make_campaign(example_framework, tree.city, levels=["grassroots", "branch"])
        response = Response.objects.get(assignment__campaign=campaign, assignment__unit=tree.qa1a)
        answer(response, ANSWERS_A)
        with transaction.atomic():
            submit(response, by=personas.editor)  # the on-commit enqueue fails, quietly
        assert Response.objects.get(pk=response.pk).status == "submitted"
        assert ScoreDirty.objects.filter(campaign=campaign, response=response).exists()
        assert not ResponseScore.objects.filter(response=response).exists()

        redis_server.start()
        use_broker(redis_server.url)
        worker.start()
        sweep_pending_scores.apply_async()  # what Celery beat sends every minute
        assert wait_until(lambda: ScoreDirty.objects.count() == 0, timeout=30), worker.output()
        assert ResponseScore.objects.get(response=response).overall == pytest.approx(40.9375)  # no evidence: I2 = 0
        assert api_scores(personas.city_staff, campaign, "CITY")["subtree"]["responded"] == 1
    finally:
        worker.stop()
        redis_server.stop()
        use_broker(saved[0])
        app.conf.task_always_eager, app.conf.task_default_queue = saved[1], saved[2]
