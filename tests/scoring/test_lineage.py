"""Which earlier campaign a campaign's deltas are measured against (issue 12, item 4)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments import services
from assessments.models import Campaign, Response, UnitScore
from assessments.scoring.services import campaign_previous
from tests.assessments.conftest import SMALL_UNIT_SPEC, make_campaign, spec

from .conftest import ANSWERS_A, answer, score_now, submit

EXACT = {"rel": 1e-12, "abs": 1e-12}
LEVELS = ["grassroots", "branch"]
OWN_ANSWERS = [{"question": "Q1", "value": "0"} if a["question"] == "Q1" else a for a in ANSWERS_A]
EARLIER_ANSWERS = [
    {"question": "Q1", "value": "2"},
    {"question": "Q2", "value": False},
    {"question": "Q4", "value": "0"},
]


def resp(campaign: Campaign, unit) -> Response:
    return Response.objects.get(assignment__campaign=campaign, assignment__unit=unit)


def campaign_at(framework, scope, days_ago: int, name: str, levels=LEVELS) -> Campaign:
    now = timezone.now()
    return make_campaign(
        framework,
        scope,
        levels=levels,
        name=name,
        opens_at=now - timedelta(days=days_ago),
        closes_at=now + timedelta(days=1),
    )


def deltas(campaign: Campaign) -> dict[str, float | None]:
    return {s.unit.code: s.delta for s in UnitScore.objects.filter(campaign=campaign).select_related("unit")}


@pytest.fixture
def city_t0_and_t1(tree, example_framework):
    """City T0 (200 days ago: QA-1-a scores 25) and city T1 (2 days ago: QA-1-a scores 40.9375 —
    response A of docs/scoring-example.md without its evidence)."""
    t0 = campaign_at(example_framework, tree.city, 200, "T0 thành phố")
    answer(resp(t0, tree.qa1a), EARLIER_ANSWERS)
    Response.objects.filter(pk=resp(t0, tree.qa1a).pk).update(status=Response.Status.SUBMITTED)  # incomplete: fine
    score_now(t0.pk, full=True)
    t1 = campaign_at(example_framework, tree.city, 2, "T1 thành phố")
    answer(resp(t1, tree.qa1a), ANSWERS_A)
    submit(resp(t1, tree.qa1a))
    score_now(t1.pk, full=True)
    return t0, t1


def test_a_branch_campaign_between_two_city_campaigns_leaves_the_city_deltas_unchanged(
    tree, example_framework, city_t0_and_t1
):
    t0, t1 = city_t0_and_t1
    before = deltas(t1)
    assert before["QA-1-a"] == pytest.approx(40.9375 - 25.0, **EXACT)
    assert before["CITY"] == pytest.approx(40.9375 - 25.0, **EXACT)

    # The branch secretary's own campaign, same framework code, dated between T0 and T1.
    own = campaign_at(example_framework, tree.qa1a, 100, "Đợt riêng chi đoàn A1a", levels=["branch"])
    answer(resp(own, tree.qa1a), OWN_ANSWERS)
    submit(resp(own, tree.qa1a))
    score_now(own.pk)  # the incremental path after the submission …
    score_now(own.pk, full=True)  # … and a full rebuild, which also refreshes followers
    assert UnitScore.objects.get(campaign=own, unit=tree.qa1a).overall is not None

    assert campaign_previous(t1) == t0
    assert deltas(t1) == before
    score_now(t1.pk, full=True)  # rebuilding the city campaign itself measures against T0 still
    assert deltas(t1) == before


def test_a_narrower_later_campaign_is_measured_against_the_wider_earlier_one(tree, example_framework, city_t0_and_t1):
    t0, _t1 = city_t0_and_t1
    own = campaign_at(example_framework, tree.qa1, 100, "Đợt riêng Đoàn cơ sở A1")
    answer(resp(own, tree.qa1a), ANSWERS_A)
    submit(resp(own, tree.qa1a))
    score_now(own.pk, full=True)
    assert campaign_previous(own) == t0
    assert deltas(own)["QA-1-a"] == pytest.approx(40.9375 - 25.0, **EXACT)


def test_a_sibling_campaign_is_never_the_predecessor(tree, example_framework):
    qb_campaign = campaign_at(example_framework, tree.qb, 50, "Đợt Đoàn trường B")
    qa_campaign = campaign_at(example_framework, tree.qa, 10, "Đợt Đoàn phường A")
    assert qb_campaign.opens_at < qa_campaign.opens_at
    assert campaign_previous(qa_campaign) is None


def test_an_explicit_follows_link_overrides_the_lookup(tree, example_framework, city_t0_and_t1):
    _t0, t1 = city_t0_and_t1
    own = campaign_at(example_framework, tree.qa1a, 100, "Đợt riêng chi đoàn A1a", levels=["branch"])
    answer(resp(own, tree.qa1a), OWN_ANSWERS)
    submit(resp(own, tree.qa1a))
    score_now(own.pk, full=True)
    own_overall = UnitScore.objects.get(campaign=own, unit=tree.qa1a).overall

    Campaign.objects.filter(pk=t1.pk).update(follows=own)
    t1.refresh_from_db()
    assert campaign_previous(t1) == own
    score_now(t1.pk, full=True)
    after = deltas(t1)
    assert after["QA-1-a"] == pytest.approx(40.9375 - own_overall, **EXACT)
    assert after["CITY"] is None  # the branch campaign has no score for the city: nothing to compare
    assert t1 in list(own.followers.all())


def test_follows_must_be_an_earlier_campaign_on_the_same_framework_code(tree, example_framework, city_t0_and_t1):
    t0, t1 = city_t0_and_t1
    other = services.framework_import(data=spec(SMALL_UNIT_SPEC, code="another"), publish=True)
    elsewhere = campaign_at(other, tree.city, 300, "Bộ tiêu chí khác")
    now = timezone.now()
    fields = {
        "by": None,
        "framework": example_framework,
        "name": "T2",
        "milestone": "T2",
        "period_start": now.date(),
        "period_end": (now + timedelta(days=30)).date(),
        "opens_at": now + timedelta(days=1),
        "closes_at": now + timedelta(days=20),
        "scope_unit": tree.city,
        "levels": LEVELS,
    }
    count = Campaign.objects.count()
    with pytest.raises(ValidationError) as wrong_code:
        services.campaign_create(**fields, follows=elsewhere)
    assert "follows" in wrong_code.value.message_dict
    later = {**fields, "opens_at": t0.opens_at - timedelta(days=1), "closes_at": t0.opens_at + timedelta(days=5)}
    with pytest.raises(ValidationError) as not_earlier:
        services.campaign_create(**later, follows=t1)
    assert "follows" in not_earlier.value.message_dict
    assert Campaign.objects.count() == count  # nothing was created

    t1.follows = t1
    with pytest.raises(ValidationError) as itself:
        t1.full_clean()
    assert "follows" in itself.value.message_dict

    created = services.campaign_create(**fields, follows=t0)
    assert created.follows == t0


def _admin_form(campaign: Campaign, **changes) -> dict[str, str]:
    local_open, local_close = timezone.localtime(campaign.opens_at), timezone.localtime(campaign.closes_at)
    data = {
        "framework": str(campaign.framework_id),
        "name": campaign.name,
        "milestone": campaign.milestone,
        "period_start": campaign.period_start.isoformat(),
        "period_end": campaign.period_end.isoformat(),
        "opens_at_0": local_open.date().isoformat(),
        "opens_at_1": local_open.strftime("%H:%M:%S"),
        "closes_at_0": local_close.date().isoformat(),
        "closes_at_1": local_close.strftime("%H:%M:%S"),
        "scope_unit": str(campaign.scope_unit_id),
        "levels": json.dumps(campaign.levels),
        "rollup": campaign.rollup,
        "follows": "",
    }
    data.update(changes)
    return data


def test_an_admin_sets_follows_and_the_deltas_are_recomputed_against_it(
    tree, example_framework, city_t0_and_t1, personas, client_for
):
    from django.urls import reverse

    from assessments.models import ScoreDirty

    t0, t1 = city_t0_and_t1
    own = campaign_at(example_framework, tree.qa1a, 100, "Đợt riêng chi đoàn A1a", levels=["branch"])
    ScoreDirty.objects.all().delete()
    client = client_for(personas.admin)
    url = reverse("admin:assessments_campaign_change", args=[t0.pk])
    refused = client.post(url, _admin_form(t0, follows=str(t1.pk)))  # T1 opens after T0: refused
    assert refused.status_code == 200 and "follows" in refused.context["adminform"].form.errors
    t0.refresh_from_db()
    assert t0.follows is None and not ScoreDirty.objects.exists()

    url = reverse("admin:assessments_campaign_change", args=[t1.pk])
    saved = client.post(url, _admin_form(t1, follows=str(own.pk)))
    assert saved.status_code == 302
    t1.refresh_from_db()
    assert t1.follows == own
    assert ScoreDirty.objects.filter(campaign=t1, response=None, unit=None).exists()  # a full rebuild is queued
    score_now(t1.pk)
    assert campaign_previous(t1) == own
