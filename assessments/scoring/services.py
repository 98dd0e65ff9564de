"""Scoring services: mark scores stale (the outbox), recompute incrementally, rebuild a campaign.

Recomputations of one campaign are serialised by a lock on its row (SELECT … FOR UPDATE on
PostgreSQL; SQLite serialises write transactions anyway), read only committed data, and replace
rows wholesale — so running a task twice, or two workers at once, leaves identical rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from doanso.lib.tasks import enqueue_on_commit
from units.models import Unit

from ..models import Campaign, FrameworkKind, Question, Response, ScoreDirty
from . import sql

logger = logging.getLogger(__name__)

# Above this many pending changes a full rebuild is cheaper than going change by change.
FULL_REBUILD_ABOVE = 300


@dataclass(frozen=True)
class ScoringPlan:
    campaign_id: int
    unit_survey: bool
    members_weighted: bool
    scope_depth: int
    max_depth: int
    previous_id: int | None
    one_question_per_indicator: bool
    period_start: date
    period_end: date


def campaign_previous(campaign: Campaign) -> Campaign | None:
    """The campaign ``campaign``'s deltas are measured against: the one it explicitly follows, else
    the latest earlier opened campaign on a framework with the same code whose scope contains this
    campaign's scope (a narrower campaign — a branch's own — is never the predecessor of a wider one,
    while a wider earlier one, the city's, can be the predecessor of a narrower later one)."""
    if campaign.follows_id is not None:
        follows = Campaign.objects.filter(pk=campaign.follows_id).exclude(status=Campaign.Status.DRAFT).first()
        if follows is not None:
            return follows
    scope = campaign.scope_unit.path
    containing = [scope[:i] for i in range(Unit.steplen, len(scope) + 1, Unit.steplen)]
    return (
        Campaign.objects.filter(
            framework__code=campaign.framework.code,
            opens_at__lt=campaign.opens_at,
            scope_unit__path__in=containing,
        )
        .exclude(status=Campaign.Status.DRAFT)
        .exclude(pk=campaign.pk)
        .order_by("-opens_at", "-pk")
        .first()
    )


def _plan(campaign: Campaign) -> ScoringPlan:
    unit_survey = campaign.framework.kind == FrameworkKind.UNIT
    previous = campaign_previous(campaign)
    max_depth = campaign.assignments.aggregate(d=Max("unit__depth"))["d"] or campaign.scope_unit.depth
    return ScoringPlan(
        campaign_id=campaign.pk,
        unit_survey=unit_survey,
        # Member surveys are people, each counting once; unit surveys may weight by members.
        members_weighted=unit_survey and campaign.rollup == Campaign.Rollup.MEMBERS,
        scope_depth=campaign.scope_unit.depth,
        max_depth=max_depth,
        previous_id=previous.pk if previous else None,
        period_start=campaign.period_start,
        period_end=campaign.period_end,
        one_question_per_indicator=not (
            Question.objects.filter(framework_id=campaign.framework_id, scored=True)
            .exclude(type__in=Question.UNSCORED_TYPES)
            .values("indicator_id")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .exists()
        ),
    )


def _lock(campaign_id: int) -> Campaign | None:
    return Campaign.objects.select_for_update().select_related("framework", "scope_unit").filter(pk=campaign_id).first()


def _score_responses(plan: ScoringPlan, response_ids: list[int] | None, now: object) -> None:
    """Unit surveys: store each counted response's indicator, domain and overall scores.
    (Member responses are scored on the fly, per unit, in the roll-up.)"""
    if not plan.unit_survey:
        return
    sql.delete_response_scores(plan.campaign_id, response_ids)
    sql.build_metric_values(range(plan.scope_depth, plan.max_depth + 1), plan.period_start, plan.period_end)
    sql.insert_indicator_scores(plan.campaign_id, response_ids, now)  # type: ignore[arg-type]
    sql.insert_domain_scores(plan.campaign_id, response_ids, now)  # type: ignore[arg-type]
    sql.insert_response_scores(plan.campaign_id, response_ids, now)  # type: ignore[arg-type]


def _roll_up(plan: ScoringPlan, unit_ids: list[int] | None, now: object) -> None:
    """Subtree roll-ups of every unit (``None``), or of ``unit_ids`` — touched units and all their
    ancestors — from the deepest level up to the scope unit."""
    sql.delete_unit_scores(plan.campaign_id, unit_ids)
    sql.drop_temp_tables()
    if not plan.unit_survey:
        sql.build_member_response_scores(
            plan.campaign_id, one_question_per_indicator=plan.one_question_per_indicator, unit_ids=unit_ids
        )
    sql.build_own_partials(
        plan.campaign_id, members=plan.members_weighted, unit_survey=plan.unit_survey, unit_ids=unit_ids
    )
    for depth in range(plan.max_depth, plan.scope_depth - 1, -1):
        sql.insert_unit_level(plan.campaign_id, depth, now, unit_ids=unit_ids)  # type: ignore[arg-type]
        sql.insert_unit_domain_level(plan.campaign_id, depth, now, unit_ids=unit_ids)  # type: ignore[arg-type]
        if not plan.unit_survey:
            sql.insert_unit_group_level(plan.campaign_id, depth, now, unit_ids=unit_ids)  # type: ignore[arg-type]
    sql.drop_temp_tables()
    if plan.previous_id is not None:  # rows were just inserted: without a previous campaign, no delta
        sql.update_deltas(plan.campaign_id, plan.previous_id, unit_ids)
    sql.update_ranks(plan.campaign_id, None if unit_ids is None else _sibling_groups(unit_ids), fresh=unit_ids is None)


def _sibling_groups(unit_ids: list[int]) -> list[str]:
    """Parent paths of the units ("" for roots): ranks are recomputed for these sibling groups."""
    return sorted(
        {path[: -Unit.steplen] for path in Unit.objects.filter(pk__in=unit_ids).values_list("path", flat=True)}
    )


def _refresh_followers(campaign: Campaign, unit_ids: list[int] | None) -> None:
    """Later campaigns whose delta compares against this one."""
    later = Campaign.objects.filter(framework__code=campaign.framework.code, opens_at__gt=campaign.opens_at).exclude(
        status=Campaign.Status.DRAFT
    )
    for follower in later.select_related("framework"):
        if campaign_previous(follower) == campaign:
            sql.update_deltas(follower.pk, campaign.pk, unit_ids)


def _warm_protection(plan: ScoringPlan) -> None:
    """Member surveys: the small-group protection of the new scores, computed once they are committed."""
    if not plan.unit_survey:
        from .disclosure import member_protection_warm

        campaign_id = plan.campaign_id
        transaction.on_commit(lambda: member_protection_warm(campaign_id), robust=True)


@transaction.atomic
def scores_rebuild_campaign(*, campaign_id: int) -> bool:
    """Recompute every score of the campaign from its counted responses. Idempotent."""
    campaign = _lock(campaign_id)
    if campaign is None or campaign.status == Campaign.Status.DRAFT:
        return False
    pending = list(ScoreDirty.objects.filter(campaign=campaign).values_list("pk", flat=True))
    plan = _plan(campaign)
    now = timezone.now()
    _score_responses(plan, None, now)
    _roll_up(plan, None, now)
    _refresh_followers(campaign, None)
    ScoreDirty.objects.filter(pk__in=pending).delete()
    _warm_protection(plan)
    return True


@transaction.atomic
def scores_process_pending(*, campaign_id: int) -> int:
    """Recompute what pending changes touched: their responses, and every ancestor's roll-up.

    Returns how many pending changes were handled.
    """
    campaign = _lock(campaign_id)
    if campaign is None:
        return 0
    rows = list(
        ScoreDirty.objects.filter(campaign=campaign)
        .order_by("pk")
        .values("pk", "response_id", "unit_id")[: FULL_REBUILD_ABOVE + 1]
    )
    if not rows:
        return 0
    full_requested = any(r["response_id"] is None and r["unit_id"] is None for r in rows)
    if full_requested or len(rows) > FULL_REBUILD_ABOVE:
        scores_rebuild_campaign(campaign_id=campaign_id)  # same transaction: the lock is already ours
        return len(rows)
    response_ids = {r["response_id"] for r in rows if r["response_id"]}
    touched_units = {r["unit_id"] for r in rows if r["unit_id"]}
    if touched_units:  # activity or payment records changed: that unit's responses may score differently
        response_ids |= set(
            Response.objects.filter(assignment__campaign=campaign, assignment__unit_id__in=touched_units).values_list(
                "pk", flat=True
            )
        )
    unit_paths = set(
        Unit.objects.filter(Q(pk__in=touched_units) | Q(assignments__responses__pk__in=response_ids)).values_list(
            "path", flat=True
        )
    )
    # The touched units and all their ancestors, from the scope unit down (roll-ups stop there).
    scope = campaign.scope_unit.path
    ancestry = {path[: Unit.steplen * d] for path in unit_paths for d in range(1, len(path) // Unit.steplen + 1)}
    prefixes = sorted(p for p in ancestry if p.startswith(scope))
    unit_ids = list(Unit.objects.filter(path__in=prefixes).values_list("pk", flat=True))
    plan = _plan(campaign)
    now = timezone.now()
    _score_responses(plan, sorted(response_ids), now)
    _roll_up(plan, unit_ids, now)
    _refresh_followers(campaign, unit_ids)
    ScoreDirty.objects.filter(pk__in=[r["pk"] for r in rows]).delete()
    _warm_protection(plan)
    return len(rows)


def scores_mark_stale(*, campaign_id: int, response_id: int | None = None, unit_id: int | None = None) -> None:
    """Record (in the caller's transaction) that scores must be recomputed, then ask a worker.

    If the broker is down the row stays and the periodic sweep recomputes it later.
    """
    from ..tasks import score_pending

    ScoreDirty.objects.create(campaign_id=campaign_id, response_id=response_id, unit_id=unit_id)
    enqueue_on_commit(score_pending, campaign_id)


def scores_request_rebuild(*, campaign_id: int) -> None:
    """A full rebuild, queued through the same outbox (a row with neither response nor unit)."""
    scores_mark_stale(campaign_id=campaign_id)


def campaigns_with_pending_scores() -> list[int]:
    return sorted(set(ScoreDirty.objects.values_list("campaign_id", flat=True)))


def scores_mark_records_changed(*, unit: Unit, moments: list[date]) -> int:
    """An activity or payment of ``unit`` dated ``moments`` was added, changed or removed.

    Metric questions of open unit campaigns whose period covers one of the dates count the records
    of each assigned unit's subtree: the unit's and its ancestors' scores are stale. Returns how
    many (campaign, unit) pairs were marked.
    """
    from ..models import Assignment

    if not moments:
        return 0
    period = Q()
    for moment in moments:
        period |= Q(period_start__lte=moment, period_end__gte=moment)
    campaigns = (
        Campaign.objects.filter(period, status=Campaign.Status.OPEN, framework__kind=FrameworkKind.UNIT)
        .filter(framework__questions__type=Question.Type.METRIC)
        .distinct()
    )
    ancestry = [unit.path[: Unit.steplen * d] for d in range(1, unit.depth + 1)]
    pairs = list(
        Assignment.objects.filter(campaign__in=campaigns, unit__path__in=ancestry).values_list("campaign_id", "unit_id")
    )
    for campaign_id, unit_id in pairs:
        scores_mark_stale(campaign_id=campaign_id, unit_id=unit_id)
    return len(pairs)
