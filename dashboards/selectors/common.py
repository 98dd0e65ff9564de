"""What every dashboard needs: which campaign and unit to show, bands, and combining stored sums."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from assessments.models import (
    Campaign,
    Domain,
    FrameworkKind,
    LevelBand,
    UnitDomainScore,
    UnitScore,
)
from assessments.permissions import campaigns_visible_q
from assessments.scoring.selectors import band_for
from units.models import Unit
from units.permissions import visible_root_paths

if TYPE_CHECKING:
    from units.permissions import AnyUser

OPENED = (Campaign.Status.OPEN, Campaign.Status.CLOSED)
TONES = 5  # heat-map colour steps (CSS classes tone-0 … tone-4)


# --- Campaigns and units to show -------------------------------------------------------------


def dashboard_campaigns(user: AnyUser, kind: str = FrameworkKind.UNIT) -> list[Campaign]:
    """Opened campaigns the user may see, newest first."""
    return list(
        Campaign.objects.filter(campaigns_visible_q(user), framework__kind=kind, status__in=OPENED)
        .select_related("framework", "scope_unit")
        .order_by("-opens_at", "-pk")
    )


def covers(campaign: Campaign, unit: Unit) -> bool:
    """The campaign's scope and the unit's subtree overlap (one lies under the other)."""
    scope = campaign.scope_unit.path
    return unit.path.startswith(scope) or scope.startswith(unit.path)


def pick_campaign(campaigns: Sequence[Campaign], unit: Unit | None, wanted: int | None) -> Campaign | None:
    """The campaign asked for (None if not among ``campaigns``), else the newest covering the unit."""
    if wanted is not None:
        return next((c for c in campaigns if c.pk == wanted), None)
    return next((c for c in campaigns if unit is None or covers(c, unit)), None)


def default_unit(user: AnyUser, campaign: Campaign | None) -> Unit | None:
    """Where a dashboard opens: the campaign's scope if the user sees it, else the user's topmost
    unit inside that scope, else the user's topmost unit."""
    roots = visible_root_paths(user)
    if campaign is not None:
        scope = campaign.scope_unit
        if any(scope.path.startswith(p) for p in roots) or user.is_superuser:
            return scope
        inside = [p for p in roots if p.startswith(scope.path)]
        if inside:
            return Unit.objects.get(path=inside[0])
    if roots:
        return Unit.objects.get(path=roots[0])
    return Unit.objects.filter(depth=1).order_by("path").first() if user.is_superuser else None


def unit_path(unit: Unit) -> list[Unit]:
    """The unit's ancestors and itself, top down (one query)."""
    prefixes = [unit.path[:i] for i in range(Unit.steplen, len(unit.path) + 1, Unit.steplen)]
    return list(Unit.objects.filter(path__in=prefixes).order_by("depth"))


def breadcrumbs(user: AnyUser, unit: Unit) -> list[Unit]:
    """The part of the unit's path the user may see (one query)."""
    roots = visible_root_paths(user)
    return [u for u in unit_path(unit) if user.is_superuser or any(u.path.startswith(p) for p in roots)]


# --- Bands -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    name: str
    tone: int  # 0 (lowest band) … TONES - 1 (highest), for colour
    position: int  # 1-based band number


def levels_of(bands: Sequence[LevelBand]) -> dict[int, Level]:
    n = len(bands)
    return {
        b.pk: Level(name=b.name, tone=round(i * (TONES - 1) / (n - 1)) if n > 1 else TONES - 1, position=i + 1)
        for i, b in enumerate(bands)
    }


@dataclass(frozen=True)
class Scored:
    """A score with its band, ready to show."""

    value: float | None
    level: Level | None

    @property
    def tone(self) -> str:
        return f"tone-{self.level.tone}" if self.level else "tone-none"


class Banding:
    def __init__(self, bands: Sequence[LevelBand]) -> None:
        self.bands = list(bands)
        self.levels = levels_of(self.bands)

    def __call__(self, value: float | None) -> Scored:
        band = band_for(value, self.bands)
        return Scored(None if value is None else round(value, 1), self.levels[band.pk] if band else None)


def banding_for(campaign: Campaign) -> Banding:
    return Banding(list(LevelBand.objects.filter(framework_id=campaign.framework_id).order_by("min_score")))


def domains_of(campaign: Campaign) -> list[Domain]:
    return list(Domain.objects.filter(framework_id=campaign.framework_id).order_by("order", "pk"))


# --- Combining stored partial sums -----------------------------------------------------------


def ratio(total: float, weight: float) -> float | None:
    return total / weight if weight else None


@dataclass
class Combined:
    overall: float | None
    expected: int
    responded: int
    responses: int
    domains: dict[int, float | None]
    computed_at: datetime | None


def combine(scores: Iterable[UnitScore], domain_rows: Iterable[UnitDomainScore]) -> Combined:
    """Exactly what the roll-up over these subtrees together would give (sums over sums)."""
    scores = list(scores)
    total = sum(s.overall_sum or 0 for s in scores)
    weight = sum(s.overall_weight or 0 for s in scores)
    d_total: dict[int, float] = defaultdict(float)
    d_weight: dict[int, float] = defaultdict(float)
    for d in domain_rows:
        d_total[d.domain_id] += d.score_sum or 0
        d_weight[d.domain_id] += d.score_weight or 0
    stamps = [s.computed_at for s in scores if s.computed_at]
    return Combined(
        overall=ratio(total, weight),
        expected=sum(s.expected for s in scores),
        responded=sum(s.responded for s in scores),
        responses=sum(s.responses for s in scores),
        domains={k: ratio(d_total[k], d_weight[k]) for k in d_total},
        computed_at=min(stamps) if stamps else None,
    )


def from_row(score: UnitScore | None, domain_rows: Iterable[UnitDomainScore]) -> Combined:
    return Combined(
        overall=score.overall if score else None,
        expected=score.expected if score else 0,
        responded=score.responded if score else 0,
        responses=score.responses if score else 0,
        domains={d.domain_id: d.score for d in domain_rows},
        computed_at=score.computed_at if score else None,
    )
