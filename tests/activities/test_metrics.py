"""Metrics for metric questions: hand-computed values on a small fixture, in Python and in the
scoring SQL; an activity edited inside an open campaign's period changes the unit's score."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import timezone

from activities import services
from activities.metrics import unit_values
from activities.models import Activity, Payment
from assessments.models import Response, ResponseIndicatorScore, ResponseScore, ScoreDirty
from tests.assessments.conftest import make_campaign
from tests.scoring.conftest import ANSWERS_A, answer, attach_evidence, score_now, submit

START, END = date(2026, 1, 1), date(2026, 6, 30)
EXACT = {"rel": 1e-12, "abs": 1e-12}


def local(*args: int) -> datetime:
    return timezone.make_aware(datetime(*args), timezone.get_default_timezone())


@pytest.fixture
def records(tree):
    def act(unit, when, mode, registration):
        return Activity.objects.create(
            unit=unit, title="Sinh hoạt", starts_at=when, mode=mode, digital_registration=registration
        )

    march = local(2026, 3, 1, 9)

    def pay(unit, amount, channel, status=Payment.Status.CONFIRMED, when=march):
        return Payment.objects.create(unit=unit, amount=amount, channel=channel, status=status, paid_at=when)

    made = {
        "online": act(tree.qa1a, local(2026, 2, 1, 19), Activity.Mode.ONLINE, True),
        "hybrid": act(tree.qa1a, local(2026, 3, 1, 19), Activity.Mode.HYBRID, False),
        "in_person": act(tree.qa1a, local(2026, 4, 1, 19), Activity.Mode.IN_PERSON, True),
        "last_evening": act(tree.qa1a, local(2026, 6, 30, 23, 30), Activity.Mode.IN_PERSON, False),  # included
        "after": act(tree.qa1a, local(2026, 7, 1, 0, 30), Activity.Mode.ONLINE, True),  # after the period
        "sibling": act(tree.qa1b, local(2026, 5, 1, 19), Activity.Mode.ONLINE, True),
        "outsider": act(tree.qb1a, local(2026, 5, 1, 19), Activity.Mode.ONLINE, True),
    }
    pay(tree.qa1a, 24000, Payment.Channel.VIETQR)
    pay(tree.qa1a, 6000, Payment.Channel.CASH)
    pay(tree.qa1a, 10000, Payment.Channel.VIETQR, status=Payment.Status.PENDING, when=None)  # not confirmed
    pay(tree.qa1a, 50000, Payment.Channel.CARD, status=Payment.Status.CANCELLED)
    pay(tree.qa1a, 70000, Payment.Channel.E_WALLET, when=local(2025, 12, 31, 23))  # before the period
    return made


def test_metric_values_equal_hand_computed_values(tree, records):
    branch = unit_values(tree.qa1a, START, END)
    assert branch["activities.online_share"].value == 50.0  # online + hybrid = 2 of 4
    assert branch["activities.digital_registration_share"].value == 50.0  # 2 of 4
    assert branch["payments.cashless_share_amount"].value == 80.0  # 24,000 of 30,000
    assert branch["payments.cashless_share_count"].value == 50.0  # 1 of 2
    grassroots = unit_values(tree.qa1, START, END)  # the subtree: QA-1-a and QA-1-b
    assert grassroots["activities.online_share"].value == 60.0  # 3 of 5
    assert grassroots["activities.digital_registration_share"].value == 60.0
    empty = unit_values(tree.qb1, date(2027, 1, 1), date(2027, 2, 1))
    assert empty["activities.online_share"].value is None  # nothing to count: no value, not 0


@pytest.fixture
def scored_branch(tree, example_framework, records):
    campaign = make_campaign(example_framework, tree.city, levels=["branch"], period_start=START, period_end=END)
    response = Response.objects.get(assignment__campaign=campaign, assignment__unit=tree.qa1a)
    answer(response, ANSWERS_A)
    attach_evidence(response, "I2")
    submit(response)
    score_now(campaign.pk)
    return campaign, response


def test_scoring_uses_the_metric(scored_branch):
    _campaign, response = scored_branch
    i4 = ResponseIndicatorScore.objects.get(response=response, indicator__code="I4").score
    assert i4 == pytest.approx(100 * (1 * 0.4 + 2 * 0.5) / 3, **EXACT)  # Q10 = 40 %, Q11 = online share 50 %
    assert ResponseScore.objects.get(response=response).overall == pytest.approx(
        (3 * 65 + (75 + 3 * i4) / 4) / 4, **EXACT
    )


def test_editing_an_activity_in_an_open_campaigns_period_changes_the_units_score(scored_branch, records, tree):
    campaign, response = scored_branch
    before = ResponseScore.objects.get(response=response).overall
    activity = records["last_evening"]
    services.activity_update(activity=activity, version=activity.version, mode=Activity.Mode.ONLINE)
    assert ScoreDirty.objects.filter(campaign=campaign, unit=tree.qa1a).exists()
    score_now(campaign.pk)
    after = ResponseScore.objects.get(response=response).overall
    i4 = 100 * (1 * 0.4 + 2 * 0.75) / 3  # now 3 of 4 activities online or hybrid
    assert after == pytest.approx((3 * 65 + (75 + 3 * i4) / 4) / 4, **EXACT)
    assert after > before


def test_records_outside_any_open_period_mark_nothing(scored_branch, tree):
    services.activity_create(
        unit=tree.qa1a, by=None, title="Sau kỳ", starts_at=local(2026, 8, 1, 19), mode=Activity.Mode.ONLINE
    )
    assert not ScoreDirty.objects.exists()


def test_a_payment_confirmed_in_the_period_marks_the_branch_and_its_expected_ancestors(
    tree, example_framework, records
):
    campaign = make_campaign(
        example_framework, tree.city, levels=["grassroots", "branch"], period_start=START, period_end=END
    )
    ScoreDirty.objects.all().delete()
    payment = Payment.objects.create(
        unit=tree.qa1a, amount=24000, channel=Payment.Channel.VIETQR, paid_at=local(2026, 5, 5, 9)
    )
    services.payment_confirm(payment=payment, by=None)
    assert set(ScoreDirty.objects.filter(campaign=campaign).values_list("unit__code", flat=True)) == {"QA-1-a", "QA-1"}


def test_the_survey_shows_the_metric_value_read_only(personas, client_for, scored_branch):
    _campaign, response = scored_branch
    page = client_for(personas.editor).get(f"/responses/{response.pk}/", {"section": "D2"})
    body = page.content.decode()
    assert "50,0%" in body or "50.0%" in body
    assert 'name="Q11"' not in body  # no input: computed, not answered
