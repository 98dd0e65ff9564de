"""Demo data for assessments: the two default frameworks, a closed baseline milestone (T0), an open
unit campaign with a realistic spread of drafts, submissions, returns and approvals, and an open
member campaign with answers.

Deterministic and idempotent: frameworks and campaigns are looked up by code/name first.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from doanso.lib.db import refresh_planner_statistics
from units.models import Unit, UnitRole

from . import services
from .answers import answer_score
from .models import (
    Answer,
    Assignment,
    Campaign,
    Evidence,
    Framework,
    FrameworkKind,
    Question,
    Response,
    ResponseTransition,
)
from .services import AnswerInput

FRAMEWORK_DIR = Path(__file__).resolve().parent / "frameworks"
DEFAULT_FRAMEWORKS = ("unit-maturity-v1.json", "member-digcomp-v1.json")
UNIT_CAMPAIGN = "Khảo sát chuyển đổi số tổ chức Đoàn 2026"
BASELINE_CAMPAIGN = "Khảo sát chuyển đổi số tổ chức Đoàn — mốc T0"
MEMBER_CAMPAIGN = "Khảo sát năng lực số đoàn viên 2026"


def load_default_frameworks() -> list[Framework]:
    """Import and publish the default frameworks unless that version is already there."""
    frameworks = []
    for name in DEFAULT_FRAMEWORKS:
        data = json.loads((FRAMEWORK_DIR / name).read_text(encoding="utf-8"))
        existing = Framework.objects.filter(code=data["code"], version=data["version"]).first()
        framework = existing or services.framework_import(data=data, publish=True)
        assert framework is not None  # not a dry run
        frameworks.append(framework)
    return frameworks


def _random_answer(rng: random.Random, question: Question, quality: float) -> Any:
    """A plausible answer; ``quality`` (0–1) pushes a unit towards better answers."""
    options = list(question.options.all())
    T = Question.Type

    def pick(items: list[Any]) -> Any:
        index = min(len(items) - 1, max(0, round(rng.gauss(quality * (len(items) - 1), 1.0))))
        return items[index]

    if question.type in (T.LEVEL, T.CHOICE):
        return pick(sorted(options, key=lambda o: o.points)).code
    if question.type == T.MULTI:
        return [o.code for o in options if o.points > 0 and rng.random() < quality + 0.1] or [options[0].code]
    if question.type == T.YES_NO:
        return rng.random() < quality + 0.15
    if question.type == T.NUMBER:
        return rng.randint(0, int(12 * quality) + 2)
    if question.type == T.PERCENT:
        return round(min(100, max(0, rng.gauss(quality * 100, 15))))
    if question.type == T.RATIO:
        denominator = rng.randint(10, 60)
        return {
            "numerator": min(denominator, round(denominator * max(0.0, rng.gauss(quality, 0.15)))),
            "denominator": denominator,
        }
    if question.type == T.TEXT:
        return rng.choice(["", "Cần tập huấn thêm cho cán bộ chi đoàn.", "Thiếu thiết bị, mạng chưa ổn định."])
    return None


def _fill(
    rng: random.Random, response: Response, questions: list[Question], quality: float, share: float, by: Any
) -> None:
    inputs = []
    for q in questions:
        if q.type in (Question.Type.METRIC, Question.Type.FILE) or rng.random() > share:
            continue
        if q.allows_na and rng.random() < 0.1:
            inputs.append(AnswerInput(question=q.code, na=True))
        else:
            inputs.append(AnswerInput(question=q.code, value=_random_answer(rng, q, quality)))
    services.response_save_answers(response=response, version=response.version, answers=inputs, by=by)


def _attach_demo_evidence(rng: random.Random, response: Response, questions: list[Question], by: Any) -> None:
    for indicator in {q.indicator for q in questions if q.indicator.evidence_required}:
        if rng.random() < 0.7:
            Evidence.objects.create(
                response=response,
                indicator=indicator,
                url=f"https://drive.example.vn/minh-chung/{response.assignment.unit.code}/{indicator.code}",
                note="Văn bản / đường dẫn minh chứng",
                uploaded_by=by,
            )


def _unit_campaign(name: str, milestone: str, *, opens_at: Any, closes_at: Any, period: tuple[Any, Any]) -> Campaign:
    campaign = services.campaign_create(
        by=None,
        framework=Framework.objects.get(code="unit-maturity", version=1),
        name=name,
        milestone=milestone,
        period_start=period[0],
        period_end=period[1],
        opens_at=opens_at,
        closes_at=closes_at,
        scope_unit=Unit.objects.get(code="HCM"),
        levels=[Unit.Level.CITY, Unit.Level.UPPER_GRASSROOTS, Unit.Level.GRASSROOTS],
    )
    services.campaign_open(campaign=campaign)
    return campaign


def _answer_unit_surveys(
    campaign: Campaign,
    rng: random.Random,
    *,
    quality: tuple[float, float],
    outcomes: dict[str, float],
    keep_open: set[str],
) -> None:
    """Fill the campaign's unit surveys. ``outcomes`` are cumulative shares: not started, draft,
    submitted, returned; the rest is approved."""
    questions = services.framework_questions(campaign.framework_id)
    secretaries = UnitRole.objects.current().filter(role=UnitRole.Role.SECRETARY).select_related("user")
    editors = {r.unit_id: r.user for r in secretaries}
    reviewer = get_user_model().objects.filter(username="thanhdoan").first()
    responses = Response.objects.filter(assignment__campaign=campaign).select_related(
        "assignment__unit", "assignment__campaign"
    )
    for index, response in enumerate(responses.order_by("assignment__unit__path")):
        if index % 20 == 0:  # the answer tables grow from nothing inside one transaction
            refresh_planner_statistics(Answer, Evidence, Response, ResponseTransition)
        unit = response.assignment.unit
        if unit.code in keep_open:
            continue
        by = editors.get(unit.pk)
        roll = rng.random()
        level = rng.betavariate(*quality)
        if roll < outcomes["not_started"]:
            continue
        if roll < outcomes["draft"]:
            _fill(rng, response, questions, level, share=0.5, by=by)  # draft in progress
            continue
        _fill(rng, response, questions, level, share=1.0, by=by)
        response.refresh_from_db()
        _attach_demo_evidence(rng, response, questions, by)
        if services.response_missing(response, questions):
            continue
        response = services.response_submit(response=response, by=by)
        if roll < outcomes["submitted"]:
            continue  # submitted, waiting for review
        if roll < outcomes["returned"]:
            services.response_return(
                response=response, by=reviewer, comment="Đề nghị bổ sung minh chứng kế hoạch và số liệu họp trực tuyến."
            )
            continue
        services.response_approve(response=response, by=reviewer)


@transaction.atomic
def seed_baseline_campaign(now: Any = None, seed: int = 2025) -> Campaign:
    """The T0 milestone, closed months ago: what the current campaign's deltas and trends compare to."""
    now = now or timezone.now()
    existing = Campaign.objects.filter(name=BASELINE_CAMPAIGN).first()
    if existing:
        return existing
    opened = now - timedelta(days=200)
    campaign = _unit_campaign(
        BASELINE_CAMPAIGN,
        "T0 — đầu năm 2026",
        opens_at=opened,
        closes_at=now + timedelta(hours=1),  # answers are accepted while the demo fills it in
        period=((now - timedelta(days=380)).date(), (now - timedelta(days=200)).date()),
    )
    outcomes = {"not_started": 0.12, "draft": 0.15, "submitted": 0.2, "returned": 0.2}
    _answer_unit_surveys(campaign, random.Random(seed), quality=(1.8, 2.6), outcomes=outcomes, keep_open=set())
    services.campaign_close(campaign=campaign)
    # Back-date the demo milestone to where it belongs in time.
    Campaign.objects.filter(pk=campaign.pk).update(
        closes_at=opened + timedelta(days=30), closed_at=opened + timedelta(days=30)
    )
    campaign.refresh_from_db()
    return campaign


@transaction.atomic
def seed_unit_campaign(now: Any = None, seed: int = 2026) -> Campaign:
    now = now or timezone.now()
    existing = Campaign.objects.filter(name=UNIT_CAMPAIGN).first()
    if existing:
        return existing
    campaign = _unit_campaign(
        UNIT_CAMPAIGN,
        "Giữa năm 2026",
        opens_at=now - timedelta(days=20),
        closes_at=now + timedelta(days=15),
        period=((now - timedelta(days=180)).date(), now.date()),
    )
    outcomes = {"not_started": 0.15, "draft": 0.30, "submitted": 0.50, "returned": 0.60}
    keep_open = {"HCM-PSG-01", "HCM-BK-01"}  # demo secretaries find their survey still to do
    _answer_unit_surveys(campaign, random.Random(seed), quality=(2.2, 2.0), outcomes=outcomes, keep_open=keep_open)
    return campaign


@transaction.atomic
def seed_member_campaign(now: Any = None, seed: int = 2027) -> Campaign:
    now = now or timezone.now()
    existing = Campaign.objects.filter(name=MEMBER_CAMPAIGN).first()
    if existing:
        return existing
    framework = Framework.objects.get(code="member-digcomp", version=1)
    campaign = services.campaign_create(
        by=None,
        framework=framework,
        name=MEMBER_CAMPAIGN,
        milestone="T0 — 2026",
        period_start=(now - timedelta(days=180)).date(),
        period_end=now.date(),
        opens_at=now - timedelta(days=20),
        closes_at=now + timedelta(days=15),
        scope_unit=Unit.objects.get(code="HCM"),
        levels=[Unit.Level.BRANCH],
    )
    services.campaign_open(campaign=campaign)
    rng = random.Random(seed)
    questions = [
        q for q in services.framework_questions(framework.pk) if q.type == Question.Type.LEVEL and not q.target_groups
    ]
    group_by_sector: dict[str, str] = {
        Unit.Sector.SCHOOL: "pupil",
        Unit.Sector.UNIVERSITY: "student",
        Unit.Sector.ENTERPRISE: "worker",
        Unit.Sector.AGENCY: "civil_servant",
        Unit.Sector.ARMED_FORCES: "armed_forces",
        Unit.Sector.RESIDENTIAL: "residential",
    }
    # Members answer in bulk (the same stored shape as the member survey produces): a third of
    # the branches, 3–12 members each.
    assignments = list(Assignment.objects.filter(campaign=campaign).select_related("unit").order_by("unit__path"))
    answers: list[Answer] = []
    transitions: list[ResponseTransition] = []
    for assignment in assignments:
        if rng.random() > 0.33:
            continue
        base = rng.betavariate(2.5, 2.5)
        for _ in range(rng.randint(3, 12)):
            group = group_by_sector.get(assignment.unit.sector, "other") if rng.random() < 0.9 else "other"
            response = Response.objects.create(
                assignment=assignment,
                kind=FrameworkKind.MEMBER,
                status=Response.Status.SUBMITTED,
                version=1,
                target_group=group,
                submitted_at=now,
            )
            transitions.append(
                ResponseTransition(response=response, from_status="draft", to_status="submitted", at=now)
            )
            for q in questions:
                ordered = sorted(q.options.all(), key=lambda o: o.points)
                index = min(len(ordered) - 1, max(0, round(rng.gauss(base * (len(ordered) - 1), 0.9))))
                option = ordered[index]
                answers.append(
                    Answer(
                        response=response,
                        question=q,
                        option=option,
                        score=answer_score(q, is_na=False, option_points=option.points),
                    )
                )
    Answer.objects.bulk_create(answers, batch_size=2000)
    ResponseTransition.objects.bulk_create(transitions, batch_size=2000)
    return campaign


def seed_assessments() -> tuple[Campaign, Campaign, Campaign]:
    """The baseline (closed), the current unit campaign and the member campaign, in time order."""
    load_default_frameworks()
    return seed_baseline_campaign(), seed_unit_campaign(), seed_member_campaign()
