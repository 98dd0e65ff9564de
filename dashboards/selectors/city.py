"""The city dashboard: a subtree's key figures, levels, domains, children, completion, members."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from assessments.models import (
    Campaign,
    Domain,
    ResponseScore,
    ScoreDirty,
    TargetGroup,
    UnitDomainScore,
    UnitGroupScore,
    UnitScore,
)
from assessments.scoring.disclosure import OVERALL, domain_column, group_column, member_protection
from assessments.scoring.services import campaign_previous
from assessments.selectors import CompletionRow, campaign_completion
from units.models import Unit

from .common import (
    Banding,
    Level,
    Scored,
    banding_for,
    combine,
    domains_of,
    from_row,
    ratio,
)


@dataclass
class Kpi:
    overall: Scored
    expected: int
    responded: int
    responses: int
    delta: float | None
    previous: Campaign | None
    computed_at: datetime | None

    @property
    def coverage(self) -> int | None:
        return round(100 * self.responded / self.expected) if self.expected else None


@dataclass
class ChildRow:
    unit: Unit
    overall: Scored
    domains: list[Scored]
    expected: int
    responded: int
    delta: float | None
    rank: int | None
    computed_at: datetime | None
    has_children: bool

    @property
    def coverage(self) -> int | None:
        return round(100 * self.responded / self.expected) if self.expected else None


@dataclass
class DomainScore:
    domain: Domain
    score: Scored


@dataclass
class Distribution:
    counts: list[tuple[Level, int]]
    unscored: int
    computed_at: datetime | None

    @property
    def total(self) -> int:
        return sum(c for _, c in self.counts) + self.unscored


@dataclass
class GroupScore:
    name: str
    responses: int | None  # None when withheld
    overall: Scored | None  # None when suppressed
    suppressed: bool


@dataclass
class MemberCard:
    campaign: Campaign
    overall: Scored
    responses: int | None  # None when withheld
    suppressed: bool
    domains: list[DomainScore]
    groups: list[GroupScore]
    computed_at: datetime | None


@dataclass
class Overview:
    campaign: Campaign
    unit: Unit
    sector: str
    domains: list[Domain]
    kpi: Kpi
    radar: list[DomainScore]
    distribution: Distribution
    children: list[ChildRow]
    completion_own: CompletionRow | None
    completion: list[CompletionRow]
    stale: bool
    levels: list[Level] = field(default_factory=list)

    @property
    def ranking(self) -> list[ChildRow]:
        """Children by sector, best first within each (the stored rank is among same-sector siblings)."""
        return sorted(self.children, key=lambda r: (r.unit.sector, r.rank is None, r.rank or 0, r.unit.name))

    @property
    def most_improved(self) -> list[ChildRow]:
        improved = [r for r in self.children if r.delta is not None and r.delta > 0]
        return sorted(improved, key=lambda r: -(r.delta or 0))[:5]

    @property
    def overdue(self) -> int:
        return sum(r.overdue for r in self.completion) + (self.completion_own.overdue if self.completion_own else 0)


def children_of(unit: Unit, sector: str = "") -> list[Unit]:
    qs = Unit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1)
    if sector:
        qs = qs.filter(sector=sector)
    return list(qs.order_by("name"))


def _has_children(units: Sequence[Unit]) -> set[int]:
    """Which of these siblings have units below them (one query)."""
    if not units:
        return set()
    depth = units[0].depth
    parent_path = units[0].path[: Unit.steplen * (depth - 1)]
    prefixes = (
        Unit.objects.filter(depth=depth + 1, path__startswith=parent_path)
        .annotate(prefix=Substr("path", 1, Unit.steplen * depth))
        .filter(prefix__in=[u.path for u in units])
        .values_list("prefix", flat=True)
        .distinct()
    )
    by_path = {u.path: u.pk for u in units}
    return {by_path[p] for p in prefixes}


def _distribution(campaign: Campaign, unit: Unit, banding: Banding, prefixes: Sequence[str] | None) -> Distribution:
    """Counted responses of the subtree by band (one query)."""
    bands = banding.bands
    counts: dict[str, Any] = {"unscored": Count("pk", filter=Q(overall__isnull=True))}
    for i, band in enumerate(bands):
        condition = Q(overall__gte=band.min_score)
        if i + 1 < len(bands):
            condition &= Q(overall__lt=bands[i + 1].min_score)
        counts[f"b{i}"] = Count("pk", filter=condition)
    qs = ResponseScore.objects.filter(campaign=campaign, unit__path__startswith=unit.path)
    if prefixes is not None:
        qs = qs.annotate(prefix=Substr("unit__path", 1, Unit.steplen * (unit.depth + 1))).filter(
            prefix__in=list(prefixes)
        )
    row = qs.aggregate(**counts)
    return Distribution(
        counts=[(banding.levels[b.pk], row[f"b{i}"]) for i, b in enumerate(bands)],
        unscored=row["unscored"],
        computed_at=None,
    )


def overview(campaign: Campaign, unit: Unit, sector: str = "", *, now: datetime | None = None) -> Overview:
    """Everything on the city dashboard for ``unit``'s subtree (fourteen queries at most)."""
    banding = banding_for(campaign)
    domains = domains_of(campaign)
    children = children_of(unit, sector)
    with_children = _has_children(children)
    ids = [unit.pk, *(c.pk for c in children)]
    scores = {s.unit_id: s for s in UnitScore.objects.filter(campaign=campaign, unit_id__in=ids)}
    domain_rows: dict[int, list[UnitDomainScore]] = defaultdict(list)
    for d in UnitDomainScore.objects.filter(campaign=campaign, unit_id__in=ids):
        domain_rows[d.unit_id].append(d)

    previous = campaign_previous(campaign)
    if sector:
        combined = combine(
            (scores[c.pk] for c in children if c.pk in scores), (d for c in children for d in domain_rows[c.pk])
        )
        delta = None
        if previous is not None and combined.overall is not None:
            before = combine(UnitScore.objects.filter(campaign=previous, unit_id__in=[c.pk for c in children]), ())
            delta = None if before.overall is None else combined.overall - before.overall
    else:
        own = scores.get(unit.pk)
        combined = from_row(own, domain_rows[unit.pk])
        delta = own.delta if own else None

    kpi = Kpi(
        overall=banding(combined.overall),
        expected=combined.expected,
        responded=combined.responded,
        responses=combined.responses,
        delta=None if delta is None else round(delta, 1),
        previous=previous,
        computed_at=combined.computed_at,
    )
    radar = [DomainScore(d, banding(combined.domains.get(d.pk))) for d in domains]
    distribution = _distribution(campaign, unit, banding, [c.path for c in children] if sector else None)
    distribution.computed_at = combined.computed_at

    rows = []
    for child in children:
        s = scores.get(child.pk)
        child_domains = {d.domain_id: d.score for d in domain_rows[child.pk]}
        rows.append(
            ChildRow(
                unit=child,
                overall=banding(s.overall if s else None),
                domains=[banding(child_domains.get(d.pk)) for d in domains],
                expected=s.expected if s else 0,
                responded=s.responded if s else 0,
                delta=None if s is None or s.delta is None else round(s.delta, 1),
                rank=s.rank if s else None,
                computed_at=s.computed_at if s else None,
                has_children=child.pk in with_children,
            )
        )
    rows.sort(key=lambda r: (r.overall.value is None, -(r.overall.value or 0), r.unit.name))

    own_completion, completion = campaign_completion(campaign, unit, now=now)
    if sector:
        keep = {c.pk for c in children}
        completion = [r for r in completion if r.unit.pk in keep]
        own_completion = None
    return Overview(
        campaign=campaign,
        unit=unit,
        sector=sector,
        domains=domains,
        kpi=kpi,
        radar=radar,
        distribution=distribution,
        children=rows,
        completion_own=own_completion,
        completion=completion,
        stale=ScoreDirty.objects.filter(campaign=campaign).exists(),
        levels=list(banding.levels.values()),
    )


def member_card(campaign: Campaign, unit: Unit, sector: str = "") -> MemberCard:
    """Member competency of the subtree (or its child subtrees of one sector), per target group.

    Only what the small-group protection allows is filled in (``assessments.scoring.disclosure``):
    a withheld figure has neither score nor response count. Seven queries (one when the protection
    of the campaign's current scores is cached).
    """
    banding = banding_for(campaign)
    domains = domains_of(campaign)
    units = children_of(unit, sector) if sector else [unit]
    ids = [u.pk for u in units]
    scores = list(UnitScore.objects.filter(campaign=campaign, unit_id__in=ids))
    domain_rows = list(UnitDomainScore.objects.filter(campaign=campaign, unit_id__in=ids))
    combined = combine(scores, domain_rows) if sector else from_row(scores[0] if scores else None, domain_rows)
    group_names = dict(
        TargetGroup.objects.filter(framework_id=campaign.framework_id).order_by("order").values_list("code", "name")
    )
    protection = member_protection(campaign)
    columns = [OVERALL, *(group_column(c) for c in group_names), *(domain_column(d.pk) for d in domains)]
    if sector:
        hidden = protection.combination_hidden(unit.pk, ids, columns)
    else:
        hidden = {c for c in columns if not protection.shows(unit.pk, c)}
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for g in UnitGroupScore.objects.filter(campaign=campaign, unit_id__in=ids):
        t = totals[g.target_group]
        t[0] += g.responses
        t[1] += g.overall_sum or 0
        t[2] += g.overall_weight or 0
    groups = []
    for code, name in group_names.items():
        responses, total, weight = totals.get(code, [0, 0.0, 0.0])
        withheld = group_column(code) in hidden
        suppressed = withheld or responses < UnitGroupScore.SUPPRESS_BELOW
        groups.append(
            GroupScore(
                name=name,
                responses=None if withheld else int(responses),
                overall=None if suppressed else banding(ratio(total, weight)),
                suppressed=suppressed,
            )
        )
    withheld_overall = OVERALL in hidden
    return MemberCard(
        campaign=campaign,
        overall=banding(None if withheld_overall else combined.overall),
        responses=None if withheld_overall else combined.responses,
        suppressed=withheld_overall,
        domains=[
            DomainScore(d, banding(None if domain_column(d.pk) in hidden else combined.domains.get(d.pk)))
            for d in domains
        ],
        groups=groups,
        computed_at=combined.computed_at,
    )


def subtree_units(campaign: Campaign, unit: Unit, sector: str = "") -> QuerySet[UnitScore]:
    """Every unit of the subtree with a score row in the campaign (for the full export)."""
    qs = UnitScore.objects.filter(campaign=campaign, unit__path__startswith=unit.path)
    if sector:
        prefixes = [c.path for c in children_of(unit, sector)]
        qs = qs.annotate(prefix=Substr("unit__path", 1, Unit.steplen * (unit.depth + 1))).filter(prefix__in=prefixes)
    return qs.select_related("unit").order_by("unit__path")
