"""The unit page: trend across milestones, the explained score, the records of the period."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count

from activities.metrics import TITLES as METRIC_TITLES
from activities.models import Activity
from activities.selectors import Totals, activities_in, payment_totals, payments_in
from assessments.models import (
    Answer,
    Campaign,
    Domain,
    Evidence,
    FrameworkKind,
    Indicator,
    Question,
    Response,
    ResponseDomainScore,
    ResponseIndicatorScore,
    ResponseScore,
    UnitDomainScore,
    UnitScore,
)
from assessments.permissions import campaigns_visible_q
from assessments.scoring.metrics import MetricValue, unit_metric_values
from units.models import Unit

from .common import OPENED, Scored, banding_for, domains_of

if TYPE_CHECKING:
    from units.permissions import AnyUser


@dataclass
class TrendPoint:
    campaign: Campaign
    subtree: Scored
    own: Scored | None
    responded: int
    expected: int


def unit_trend(user: AnyUser, campaign: Campaign, unit: Unit) -> list[TrendPoint]:
    """The unit across every opened milestone of the framework (same code) the user may see (four queries)."""
    banding = banding_for(campaign)
    campaigns = Campaign.objects.filter(
        campaigns_visible_q(user), framework__code=campaign.framework.code, status__in=OPENED
    )
    scores = (
        UnitScore.objects.filter(unit=unit, campaign__in=campaigns)
        .select_related("campaign")
        .order_by("campaign__opens_at", "campaign__pk")
    )
    own = dict(ResponseScore.objects.filter(unit=unit, campaign__in=campaigns).values_list("campaign_id", "overall"))
    return [
        TrendPoint(
            campaign=s.campaign,
            subtree=banding(s.overall),
            own=banding(own[s.campaign_id]) if s.campaign_id in own else None,
            responded=s.responded,
            expected=s.expected,
        )
        for s in scores
    ]


@dataclass
class AnswerLine:
    question: Question
    shown: str  # the answer as the secretary gave it
    points: float | None  # 100 · s
    counted_as_zero: bool  # evidence required but none attached
    is_na: bool
    hidden: bool
    metric: MetricValue | None = None


@dataclass
class IndicatorLine:
    indicator: Indicator
    score: Scored
    answers: list[AnswerLine]
    evidence: list[Evidence]
    missing_evidence: bool


@dataclass
class DomainLine:
    domain: Domain
    own: Scored
    subtree: Scored
    indicators: list[IndicatorLine]


@dataclass
class Explanation:
    response: Response | None
    counted: bool
    overall: Scored | None
    domains: list[DomainLine]
    suggestions: list[IndicatorLine]
    computed_at: datetime | None


def _answer_text(question: Question, answer: Answer | None) -> str:
    T = Question.Type
    if answer is None:
        return ""
    if answer.is_na:
        return "N/A"
    if question.type in (T.LEVEL, T.CHOICE):
        return answer.option.label if answer.option else ""
    if question.type == T.MULTI:
        return "; ".join(o.label for o in answer.options.all())
    if question.type == T.YES_NO:
        return "" if answer.value_bool is None else ("✓" if answer.value_bool else "✗")
    if question.type == T.TEXT:
        return answer.value_text
    if answer.value_number is None:
        return ""
    number = f"{answer.value_number.normalize():f}"
    if question.type == T.RATIO and answer.value_denominator is not None:
        return f"{number} / {answer.value_denominator.normalize():f}"
    if question.type == T.PERCENT:
        return f"{number}%"
    return number


def explain(campaign: Campaign, unit: Unit, *, subtree_domains: dict[int, float | None]) -> Explanation:
    """The unit's own response in the campaign, domain → indicator → answer with the points each
    earned, the evidence, and the weakest indicators as suggested actions (eleven queries)."""
    banding = banding_for(campaign)
    domains = domains_of(campaign)
    response = (
        Response.objects.filter(assignment__campaign=campaign, assignment__unit=unit, kind=FrameworkKind.UNIT)
        .select_related("assignment")
        .first()
    )
    counted = response is not None and response.status in Response.COUNTED
    indicator_scores: dict[int, float | None] = {}
    domain_scores: dict[int, float | None] = {}
    overall = None
    computed_at = None
    answers: dict[int, Answer] = {}
    evidence: dict[int, list[Evidence]] = defaultdict(list)
    metrics: dict[str, MetricValue] = {}
    if response is not None and counted:
        score = ResponseScore.objects.filter(response=response).first()
        overall = banding(score.overall) if score else None
        computed_at = score.computed_at if score else None
        indicator_scores = dict(
            ResponseIndicatorScore.objects.filter(response=response).values_list("indicator_id", "score")
        )
        domain_scores = dict(ResponseDomainScore.objects.filter(response=response).values_list("domain_id", "score"))
        answers = {
            a.question_id: a
            for a in Answer.objects.filter(response=response).select_related("option").prefetch_related("options")
        }
        for e in Evidence.objects.filter(response=response).order_by("created_at"):
            evidence[e.indicator_id].append(e)
    questions = list(
        Question.objects.filter(framework_id=campaign.framework_id)
        .select_related("indicator")
        .order_by("indicator__domain__order", "indicator__order", "order", "pk")
    )
    if counted and any(q.type == Question.Type.METRIC for q in questions):
        metrics = unit_metric_values(unit, campaign.period_start, campaign.period_end)
    by_indicator: dict[int, list[Question]] = defaultdict(list)
    indicators: dict[int, Indicator] = {}
    for q in questions:
        by_indicator[q.indicator_id].append(q)
        indicators[q.indicator_id] = q.indicator

    lines: list[DomainLine] = []
    all_indicators: list[IndicatorLine] = []
    for domain in domains:
        items = []
        for indicator in sorted(
            (i for i in indicators.values() if i.domain_id == domain.pk), key=lambda i: (i.order, i.pk)
        ):
            missing = indicator.evidence_required and not evidence.get(indicator.pk)
            answer_lines = []
            for q in by_indicator[indicator.pk]:
                a = answers.get(q.pk)
                metric = metrics.get(q.metric) if q.type == Question.Type.METRIC else None
                points = None
                if metric is not None and metric.value is not None:
                    points = round(metric.value, 1)
                elif a is not None and a.score is not None and not a.is_hidden:
                    points = round(100 * a.score, 1)
                answer_lines.append(
                    AnswerLine(
                        question=q,
                        shown=_answer_text(q, a) if metric is None else "",
                        points=points,
                        counted_as_zero=bool(missing and points is not None and q.type != Question.Type.METRIC),
                        is_na=bool(a and a.is_na),
                        hidden=bool(a and a.is_hidden),
                        metric=metric,
                    )
                )
            line = IndicatorLine(
                indicator=indicator,
                score=banding(indicator_scores.get(indicator.pk)),
                answers=answer_lines,
                evidence=evidence.get(indicator.pk, []),
                missing_evidence=bool(missing),
            )
            items.append(line)
            all_indicators.append(line)
        lines.append(
            DomainLine(
                domain=domain,
                own=banding(domain_scores.get(domain.pk)),
                subtree=banding(subtree_domains.get(domain.pk)),
                indicators=items,
            )
        )
    weakest = sorted(
        (i for i in all_indicators if i.score.value is not None and i.score.value < 100),
        key=lambda i: (i.score.value, i.indicator.order),
    )[:3]
    return Explanation(
        response=response,
        counted=counted,
        overall=overall,
        domains=lines,
        suggestions=weakest,
        computed_at=computed_at,
    )


@dataclass
class Records:
    start: date
    end: date
    activities: int
    online: int
    by_mode: list[tuple[Any, int]]  # (label, count)
    metrics: list[tuple[str, MetricValue]]  # (title, value)
    payments: Totals


def unit_records(unit: Unit, start: date, end: date) -> Records:
    """Activity and payment figures of the unit's subtree over a campaign's period (seven queries)."""
    activities = activities_in(unit, subtree=True, start=start, end=end).order_by()
    modes = dict(Activity.Mode.choices)
    by_mode = {row["mode"]: row["n"] for row in activities.values("mode").annotate(n=Count("pk"))}
    return Records(
        start=start,
        end=end,
        activities=sum(by_mode.values()),
        online=by_mode.get(Activity.Mode.ONLINE, 0) + by_mode.get(Activity.Mode.HYBRID, 0),
        by_mode=[(label, by_mode.get(code, 0)) for code, label in modes.items()],
        metrics=[
            (str(METRIC_TITLES.get(key, key)), value) for key, value in unit_metric_values(unit, start, end).items()
        ],
        payments=payment_totals(payments_in(unit, subtree=True, start=start, end=end)),
    )


def subtree_scores(campaign: Campaign, unit: Unit) -> tuple[UnitScore | None, dict[int, float | None]]:
    score = UnitScore.objects.filter(campaign=campaign, unit=unit).first()
    domains = dict(UnitDomainScore.objects.filter(campaign=campaign, unit=unit).values_list("domain_id", "score"))
    return score, domains
