"""Fixtures shared by the dashboard tests and the browser tests (a pytest plugin, see
tests/conftest.py). Dashboards read what the scoring pipeline stored: these fixtures answer the framework of
docs/scoring-example.md at two milestones and score them, so every number on a page is known.

Milestone T0 (closed): only QA-1-b answered, with the answers of response B (40.9375).
Milestone T1 (open):   QA-1-a = response A with evidence (60.9375), QA-1-b = response B without
                       evidence (40.9375), QA-1 returned (not counted), QB-1-a a draft.
So QA-1, QA and the city have the subtree overall 50.9375 in T1 and 40.9375 in T0 (delta +10).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from assessments import services
from assessments.models import Campaign, Framework, Response
from tests.assessments.conftest import SMALL_MEMBER_SPEC, make_campaign, spec
from tests.scoring.conftest import ANSWERS_A, EXAMPLE_SPEC, answer, attach_evidence, score_now, submit

GUIDANCE = {
    "I1": "Lập kế hoạch chuyển đổi số hằng năm và giao người phụ trách.",
    "I3": "Đưa hồ sơ đoàn viên lên phần mềm quản lý.",
    "I4": "Tổ chức ít nhất một buổi sinh hoạt trực tuyến mỗi quý.",
}


@dataclass
class Milestones:
    framework: Framework
    t0: Campaign
    t1: Campaign
    responses: dict[str, Response]


def _framework() -> Framework:
    data = copy.deepcopy(EXAMPLE_SPEC)
    for domain in data["domains"]:
        for indicator in domain["indicators"]:
            indicator["guidance"] = GUIDANCE.get(indicator["code"], "")
    return services.framework_import(data=data, publish=True)  # type: ignore[return-value]


def _response(campaign: Campaign, unit: Any) -> Response:
    return Response.objects.get(assignment__campaign=campaign, assignment__unit=unit)


@pytest.fixture
def milestones(tree: Any) -> Milestones:
    framework = _framework()
    now = timezone.now()
    levels = ["grassroots", "branch"]
    t0 = make_campaign(
        framework, tree.city, levels=levels, name="Đợt T0", milestone="T0", opens_at=now - timedelta(days=60)
    )
    services.response_approve(response=submit(answer(_response(t0, tree.qa1b), ANSWERS_A)), by=None)
    score_now(t0.pk, full=True)
    services.campaign_close(campaign=t0)

    t1 = make_campaign(
        framework, tree.city, levels=levels, name="Đợt T1", milestone="T1", opens_at=now - timedelta(days=2)
    )
    a, b, c, d = (_response(t1, u) for u in (tree.qa1a, tree.qa1b, tree.qa1, tree.qb1a))
    for r in (a, b, c):
        answer(r, ANSWERS_A)
    attach_evidence(a, "I2")
    submit(a)
    services.response_approve(response=submit(b), by=None)
    services.response_return(response=submit(c), by=None, comment="Bổ sung")
    answer(d, ANSWERS_A[:2])
    score_now(t1.pk, full=True)
    return Milestones(framework, t0, t1, {"A": a, "B": b, "C": c, "D": d})


@pytest.fixture
def member_campaign_scored(tree: Any) -> Campaign:
    """Member survey at QA-1-a: five students (shown) and two workers (suppressed)."""
    framework = services.framework_import(data=spec(SMALL_MEMBER_SPEC, code="member-dash"), publish=True)
    campaign = make_campaign(framework, tree.city, levels=["branch"], name="Đợt năng lực số")
    assignment = campaign.assignments.get(unit=tree.qa1a)
    for group, code in [("student", "4")] * 5 + [("worker", "1")] * 2:
        answers = [services.AnswerInput("C1.1", code)]
        if group == "student":
            answers.append(services.AnswerInput("C1.2", "1"))  # 50 points
        services.member_response_submit(assignment=assignment, target_group=group, answers=answers)
    score_now(campaign.pk, full=True)
    return campaign
