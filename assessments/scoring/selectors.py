"""Reading stored scores in the shape the API and dashboards use, a fixed number of queries for
any number of units."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from units.models import Unit

from ..models import (
    Campaign,
    Domain,
    FrameworkKind,
    LevelBand,
    ResponseDomainScore,
    ResponseScore,
    ScoreDirty,
    TargetGroup,
    UnitDomainScore,
    UnitGroupScore,
    UnitScore,
)
from .disclosure import OVERALL, Protection, domain_column, group_column, member_protection
from .services import campaign_previous


def band_for(score: float | None, bands: Sequence[LevelBand]) -> LevelBand | None:
    """The band with the greatest min_score ≤ score (bands sorted by min_score)."""
    if score is None:
        return None
    chosen = None
    for band in bands:
        if Decimal(str(band.min_score)) <= Decimal(str(score)):
            chosen = band
    return chosen


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def score_payloads(campaign: Campaign, units: Sequence[Unit]) -> list[dict[str, Any]]:
    """One payload per unit (same order): its own response, its subtree, members, delta, rank.

    A fixed number of queries whatever the number of units. Member surveys show only what the
    small-group protection (``disclosure.member_protection``) allows: a withheld cell has neither
    mean nor count, and no delta or rank that would give its value or order away.
    """
    bands = list(LevelBand.objects.filter(framework_id=campaign.framework_id).order_by("min_score"))
    domains = list(Domain.objects.filter(framework_id=campaign.framework_id).order_by("order", "pk"))
    domain_codes = {d.pk: d.code for d in domains}
    unit_ids = [u.pk for u in units]
    member_survey = campaign.framework.kind == FrameworkKind.MEMBER

    subtree = {s.unit_id: s for s in UnitScore.objects.filter(campaign=campaign, unit_id__in=unit_ids)}
    subtree_domains: dict[int, dict[str, float | None]] = defaultdict(dict)
    for row in UnitDomainScore.objects.filter(campaign=campaign, unit_id__in=unit_ids).values_list(
        "unit_id", "domain_id", "score"
    ):
        subtree_domains[row[0]][domain_codes[row[1]]] = _round(row[2])

    own: dict[int, ResponseScore] = {}
    own_domains: dict[int, dict[str, float | None]] = defaultdict(dict)
    groups: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    protection = Protection(counts={}, hidden=frozenset())
    previous_protection: Protection | None = None
    if member_survey:
        group_codes = list(
            TargetGroup.objects.filter(framework_id=campaign.framework_id)
            .order_by("order")
            .values_list("code", flat=True)
        )
        protection = member_protection(campaign)
        previous = campaign_previous(campaign)
        previous_protection = member_protection(previous) if previous is not None else None
        for g in UnitGroupScore.objects.filter(campaign=campaign, unit_id__in=unit_ids):
            shown = g.responses > 0 and protection.shows(g.unit_id, group_column(g.target_group))
            groups[g.unit_id][g.target_group] = {
                "responses": g.responses if shown or not g.responses else None,
                "overall": _round(g.overall) if shown else None,
                "suppressed": not shown,
            }
    else:
        group_codes = []
        own = {r.unit_id: r for r in ResponseScore.objects.filter(campaign=campaign, unit_id__in=unit_ids)}
        for response_id, domain_id, score in ResponseDomainScore.objects.filter(
            response_id__in=[r.pk for r in own.values()]
        ).values_list("response_id", "domain_id", "score"):
            own_domains[response_id][domain_codes[domain_id]] = _round(score)
    stale = ScoreDirty.objects.filter(campaign=campaign).exists()

    def level(score: float | None) -> str | None:
        band = band_for(score, bands)
        return band.name if band else None

    def all_domains(values: dict[str, float | None]) -> dict[str, float | None]:
        return {d.code: values.get(d.code) for d in domains}

    payloads = []
    for unit in units:
        s = subtree.get(unit.pk)
        overall = s.overall if s else None
        delta = s.delta if s else None
        rank = s.rank if s else None
        members_shown = True
        if member_survey and s is not None and not protection.shows(unit.pk, OVERALL):
            members_shown = False
            overall = delta = rank = None
        if member_survey and previous_protection is not None and not previous_protection.shows(unit.pk, OVERALL):
            delta = None  # the earlier value is withheld: the difference would give it away
        subtree_domain_values: dict[str, float | None] = {
            d.code: v
            for d in domains
            if (v := subtree_domains[unit.pk].get(d.code)) is not None
            and (not member_survey or protection.shows(unit.pk, domain_column(d.pk)))
        }
        response = own.get(unit.pk)
        payload: dict[str, Any] = {
            "unit": unit.code,
            "campaign": campaign.pk,
            "response": None
            if response is None
            else {
                "overall": _round(response.overall),
                "level": level(response.overall),
                "domains": all_domains(own_domains[response.pk]),
            },
            "subtree": {
                "overall": _round(overall),
                "level": level(overall),
                "domains": all_domains(subtree_domain_values),
                "responded": s.responded if s else 0,
                "expected": s.expected if s else 0,
            },
            "members": None,
            "delta": _round(delta),
            "rank": rank,
            "computed_at": s.computed_at if s else None,
            "stale": stale,
        }
        if member_survey:
            by_group = {
                code: groups[unit.pk].get(code, {"responses": 0, "overall": None, "suppressed": True})
                for code in group_codes
            }
            payload["members"] = {
                "overall": _round(overall),
                "responses": (s.responses if s else 0) if members_shown else None,
                "suppressed": not members_shown,
                "by_target_group": by_group,
            }
        payloads.append(payload)
    return payloads
