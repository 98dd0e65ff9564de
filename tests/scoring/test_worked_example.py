"""docs/scoring-example.md, number by number, through the real SQL pipeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import services
from assessments.models import (
    Campaign,
    Response,
    ResponseIndicatorScore,
    ResponseScore,
    UnitDomainScore,
    UnitGroupScore,
    UnitScore,
)
from assessments.scoring.selectors import score_payloads
from tests.assessments.conftest import SMALL_MEMBER_SPEC, make_campaign, spec

from .conftest import ANSWERS_A, answer, attach_evidence, score_now, submit

EXACT = {"rel": 1e-12, "abs": 1e-12}


def resp(campaign: Campaign, unit) -> Response:
    return Response.objects.get(assignment__campaign=campaign, assignment__unit=unit)


@pytest.fixture
def scored(tree, example_framework):
    """Campaign over grassroots and branches with responses A (evidence), B (none), C returned, D draft."""
    now = timezone.now()
    campaign = make_campaign(
        example_framework, tree.city, levels=["grassroots", "branch"], opens_at=now - timedelta(days=2)
    )
    a, b, c, d = (
        resp(campaign, tree.qa1a),
        resp(campaign, tree.qa1b),
        resp(campaign, tree.qa1),
        resp(campaign, tree.qb1a),
    )
    for r in (a, b, c):
        answer(r, ANSWERS_A)
    attach_evidence(a, "I2")
    submit(a)
    services.response_approve(response=submit(b), by=None)
    services.response_return(response=submit(c), by=None, comment="Bổ sung")
    answer(d, ANSWERS_A[:2])  # a draft
    score_now(campaign.pk)
    return campaign, {"A": a, "B": b, "C": c, "D": d}


def test_response_a_indicator_domain_and_overall(scored):
    campaign, r = scored
    indicators = dict(ResponseIndicatorScore.objects.filter(response=r["A"]).values_list("indicator__code", "score"))
    assert indicators == {
        "I1": pytest.approx(57.5, **EXACT),
        "I2": pytest.approx(80.0, **EXACT),
        "I3": pytest.approx(75.0, **EXACT),
        "I4": pytest.approx(40.0, **EXACT),
    }
    payload = score_payloads(campaign, [r["A"].assignment.unit])[0]
    assert ResponseScore.objects.get(response=r["A"]).overall == pytest.approx(60.9375, **EXACT)
    assert payload["response"] == {"overall": 60.94, "level": "Hình thành", "domains": {"D1": 65.0, "D2": 48.75}}


def test_evidence_required_without_evidence_counts_zero(scored):
    _campaign, r = scored
    indicators = dict(ResponseIndicatorScore.objects.filter(response=r["B"]).values_list("indicator__code", "score"))
    assert indicators["I2"] == 0.0
    assert ResponseScore.objects.get(response=r["B"]).overall == pytest.approx(40.9375, **EXACT)


def test_returned_and_draft_responses_are_not_counted(scored):
    campaign, r = scored
    assert not ResponseScore.objects.filter(response__in=[r["C"], r["D"]]).exists()
    qa1 = UnitScore.objects.get(campaign=campaign, unit=r["C"].assignment.unit)
    assert (qa1.responded, qa1.expected, qa1.responses) == (2, 3, 2)


def test_two_level_roll_up_in_mean_mode(scored, tree):
    campaign, _r = scored
    scores = {s.unit.code: s for s in UnitScore.objects.filter(campaign=campaign).select_related("unit")}
    for code in ("QA-1", "QA", "CITY"):
        assert scores[code].overall == pytest.approx(50.9375, **EXACT), code
    assert (scores["CITY"].responded, scores["CITY"].expected) == (2, 5)
    assert scores["QB"].overall is None and (scores["QB"].responded, scores["QB"].expected) == (0, 2)
    domains = dict(
        UnitDomainScore.objects.filter(campaign=campaign, unit=tree.qa1).values_list("domain__code", "score")
    )
    assert domains == {"D1": pytest.approx((65 + 115 / 3) / 2, **EXACT), "D2": pytest.approx(48.75, **EXACT)}


def test_two_level_roll_up_in_members_mode(scored, tree):
    campaign, _r = scored
    Campaign.objects.filter(pk=campaign.pk).update(rollup=Campaign.Rollup.MEMBERS)
    score_now(campaign.pk, full=True)
    scores = {s.unit.code: s.overall for s in UnitScore.objects.filter(campaign=campaign).select_related("unit")}
    for code in ("QA-1", "QA", "CITY"):
        assert scores[code] == pytest.approx(52.9375, **EXACT), code


def test_delta_against_the_previous_campaign_with_the_same_code(scored, tree, example_framework):
    campaign, _r = scored
    earlier = make_campaign(
        example_framework,
        tree.city,
        levels=["grassroots", "branch"],
        name="Đợt trước",
        opens_at=timezone.now() - timedelta(days=200),
        closes_at=timezone.now() + timedelta(days=1),  # still open, so the test can answer it
    )
    p = resp(earlier, tree.qa1a)
    answer(p, [{"question": "Q1", "value": "2"}, {"question": "Q2", "value": False}, {"question": "Q4", "value": "0"}])
    Response.objects.filter(pk=p.pk).update(
        status=Response.Status.SUBMITTED
    )  # incomplete on purpose; counted as submitted
    score_now(earlier.pk, full=True)
    assert UnitScore.objects.get(campaign=earlier, unit=tree.qa1a).overall == pytest.approx(25.0, **EXACT)
    # Rebuilding the earlier campaign refreshed the later one's deltas.
    deltas = {s.unit.code: s.delta for s in UnitScore.objects.filter(campaign=campaign).select_related("unit")}
    assert deltas["QA-1-a"] == pytest.approx(35.9375, **EXACT)
    assert deltas["QA-1"] == pytest.approx(25.9375, **EXACT)
    assert deltas["QA-1-b"] is None  # nothing to compare with
    score_now(campaign.pk, full=True)  # and a rebuild of the later one computes the same
    assert UnitScore.objects.get(campaign=campaign, unit=tree.qa1a).delta == pytest.approx(35.9375, **EXACT)


def test_rank_among_siblings_of_the_same_sector(scored, tree):
    campaign, _r = scored
    ranks = {s.unit.code: s.rank for s in UnitScore.objects.filter(campaign=campaign).select_related("unit")}
    assert (ranks["QA-1-a"], ranks["QA-1-b"], ranks["QA"], ranks["QB"]) == (1, 2, 1, None)


def test_member_aggregate_with_one_suppressed_group(tree, db):
    framework = services.framework_import(data=spec(SMALL_MEMBER_SPEC, code="member-example"), publish=True)
    campaign = make_campaign(framework, tree.city, levels=["branch"])
    assignment = campaign.assignments.get(unit=tree.qa1a)
    points_to_code = {0: "0", 25: "1", 50: "2", 75: "3", 100: "4"}
    for group, points in [("student", p) for p in (100, 75, 75, 50, 50)] + [("worker", p) for p in (25, 25)]:
        answers = [services.AnswerInput("C1.1", points_to_code[points])]
        if group == "student":
            answers.append(services.AnswerInput("C1.2", "1"))  # C1.2 is a second, student-only item
        services.member_response_submit(assignment=assignment, target_group=group, answers=answers)
    score_now(campaign.pk)
    groups = {g.target_group: g for g in UnitGroupScore.objects.filter(campaign=campaign, unit=tree.qa1a)}
    # Students also answered C1.2 (50 points); their overall is the mean of C1.1 and C1.2 per response.
    student_overalls = [(p + 50) / 2 for p in (100, 75, 75, 50, 50)]
    assert groups["student"].responses == 5
    assert groups["student"].overall == pytest.approx(sum(student_overalls) / 5, **EXACT)
    assert groups["worker"].responses == 2 and groups["worker"].overall is None  # suppressed: not even stored
    payload = score_payloads(campaign, [tree.qa1a])[0]
    # Read back, the workers are withheld with their count, and so are the students: 7 × overall −
    # 5 × the students' mean would give the two workers' sum (docs/privacy.md).
    withheld = {"responses": None, "overall": None, "suppressed": True}
    assert payload["members"]["by_target_group"] == {"student": withheld, "worker": withheld}
    assert payload["members"]["responses"] == 7
    assert payload["response"] is None
    all_overalls = [*student_overalls, 25, 25]
    assert UnitScore.objects.get(campaign=campaign, unit=tree.qa1a).overall == pytest.approx(
        sum(all_overalls) / 7, **EXACT
    )


def test_the_documented_member_example_with_one_item(tree, db):
    """docs/scoring-example.md's member numbers: a framework with a single item for everyone."""
    one_item = spec(SMALL_MEMBER_SPEC, code="member-one-item")
    one_item["domains"][0]["indicators"][0]["questions"] = one_item["domains"][0]["indicators"][0]["questions"][:1]
    framework = services.framework_import(data=one_item, publish=True)
    campaign = make_campaign(framework, tree.city, levels=["branch"])
    assignment = campaign.assignments.get(unit=tree.qa1a)
    for group, code in [("student", c) for c in "43322"] + [("worker", "1"), ("worker", "1")]:
        services.member_response_submit(
            assignment=assignment, target_group=group, answers=[services.AnswerInput("C1.1", code)]
        )
    score_now(campaign.pk)
    stored = {g.target_group: g for g in UnitGroupScore.objects.filter(campaign=campaign, unit=tree.qa1a)}
    assert (stored["student"].responses, stored["student"].overall) == (5, pytest.approx(70.0, **EXACT))
    assert (stored["worker"].responses, stored["worker"].overall_sum) == (2, pytest.approx(50.0, **EXACT))
    assert UnitScore.objects.get(campaign=campaign, unit=tree.qa1a).overall == pytest.approx(400 / 7, **EXACT)
    # Shown: the overall over 7; both groups withheld (the students as the complement of the workers).
    payload = score_payloads(campaign, [tree.qa1a])[0]
    assert (payload["members"]["overall"], payload["members"]["responses"]) == (57.14, 7)
    withheld = {"responses": None, "overall": None, "suppressed": True}
    assert payload["members"]["by_target_group"] == {"student": withheld, "worker": withheld}


def test_members_mode_over_units_without_members_has_no_roll_up_and_the_page_says_why(scored, tree, personas, client):
    """Every responding unit has member_count 0: no weighted mean exists — empty, never 0 or an error."""
    from django.urls import reverse

    from units.models import Unit

    campaign, _r = scored
    Campaign.objects.filter(pk=campaign.pk).update(rollup=Campaign.Rollup.MEMBERS)
    Unit.objects.filter(pk__in=[tree.qa1a.pk, tree.qa1b.pk]).update(member_count=0)
    score_now(campaign.pk, full=True)
    qa1 = UnitScore.objects.get(campaign=campaign, unit=tree.qa1)
    assert (qa1.responses, qa1.overall) == (2, None)
    assert not UnitDomainScore.objects.filter(campaign=campaign, unit=tree.qa1, score__isnull=False).exists()
    client.force_login(personas.city_staff)
    page = client.get(reverse("dashboards:unit", kwargs={"code": "QA-1"}), {"campaign": campaign.pk})
    assert page.status_code == 200
    assert b'data-note="no-member-counts"' in page.content
    # In mean mode the same units roll up as usual, and the note is gone.
    Campaign.objects.filter(pk=campaign.pk).update(rollup=Campaign.Rollup.MEAN)
    score_now(campaign.pk, full=True)
    page = client.get(reverse("dashboards:unit", kwargs={"code": "QA-1"}), {"campaign": campaign.pk})
    assert UnitScore.objects.get(campaign=campaign, unit=tree.qa1).overall == pytest.approx(50.9375, **EXACT)
    assert b'data-note="no-member-counts"' not in page.content
