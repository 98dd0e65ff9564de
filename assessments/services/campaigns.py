"""Campaign services: create, open (snapshot the expected units), close, extend one unit."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from doanso.lib.moments import plausible_errors
from units.models import Unit

from ..models import Assignment, Campaign, Framework, FrameworkKind, Response
from ..models.campaigns import follows_errors
from ..scoring.services import scores_request_rebuild

if TYPE_CHECKING:
    from accounts.models import User


def _check_campaign_fields(
    *,
    framework: Framework,
    period_start: date,
    period_end: date,
    opens_at: datetime,
    closes_at: datetime,
    levels: list[str],
) -> None:
    errors: dict[str, list[str]] = {}
    if framework.status != Framework.Status.PUBLISHED:
        errors.setdefault("framework", []).append(_("Choose a published framework version."))
    if period_end < period_start:
        errors.setdefault("period_end", []).append(_("The period cannot end before it starts."))
    if closes_at <= opens_at:
        errors.setdefault("closes_at", []).append(_("The survey must close after it opens."))
    for name, messages in plausible_errors(
        period_start=period_start, period_end=period_end, opens_at=opens_at, closes_at=closes_at
    ).items():
        errors.setdefault(name, []).extend(messages)
    unknown = [level for level in levels if level not in Unit.Level.values]
    if not levels or unknown:
        errors.setdefault("levels", []).append(_("Choose at least one unit level."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def campaign_create(
    *,
    by: User | None,
    framework: Framework,
    name: str,
    milestone: str,
    period_start: date,
    period_end: date,
    opens_at: datetime,
    closes_at: datetime,
    scope_unit: Unit,
    levels: list[str],
    rollup: str = Campaign.Rollup.MEAN,
    follows: Campaign | None = None,
) -> Campaign:
    _check_campaign_fields(
        framework=framework,
        period_start=period_start,
        period_end=period_end,
        opens_at=opens_at,
        closes_at=closes_at,
        levels=levels,
    )
    if rollup not in Campaign.Rollup.values:
        raise ValidationError({"rollup": [_("Unknown roll-up mode.")]})
    follows_problems = follows_errors(Campaign(framework=framework, opens_at=opens_at), follows)
    if follows_problems:
        raise ValidationError({"follows": follows_problems})
    return Campaign.objects.create(
        framework=framework,
        name=name,
        milestone=milestone,
        period_start=period_start,
        period_end=period_end,
        opens_at=opens_at,
        closes_at=closes_at,
        scope_unit=scope_unit,
        levels=sorted(set(levels), key=Unit.Level.values.index),
        rollup=rollup,
        follows=follows,
        created_by=by,
    )


def expected_units(campaign: Campaign) -> list[Unit]:
    """Active units of the requested levels in the scope unit's subtree (the scope included)."""
    return list(
        Unit.objects.filter(path__startswith=campaign.scope_unit.path, is_active=True, level__in=campaign.levels)
        .order_by("path")
        .only("pk")
    )


@transaction.atomic
def campaign_open(*, campaign: Campaign) -> int:
    """Open the campaign and snapshot one Assignment per expected unit. Returns how many.

    The snapshot is the denominator of coverage: units added, moved or closed later do not change
    it. Unit surveys also get their (empty) draft response, so every unit has one to fill in.
    """
    opened = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
        status=Campaign.Status.OPEN, opened_at=timezone.now()
    )
    if not opened:
        raise ValidationError(_("Only a campaign that has not been opened yet can be opened."))
    campaign.refresh_from_db()
    units = expected_units(campaign)
    if not units:
        raise ValidationError(_("No active unit of the chosen levels lies under the scope unit."))
    Assignment.objects.bulk_create([Assignment(campaign=campaign, unit=unit) for unit in units], batch_size=2000)
    if campaign.framework.kind == FrameworkKind.UNIT:
        assignments = Assignment.objects.filter(campaign=campaign).only("pk")
        Response.objects.bulk_create(
            [Response(assignment=a, kind=FrameworkKind.UNIT) for a in assignments.iterator()], batch_size=2000
        )
    scores_request_rebuild(campaign_id=campaign.pk)  # coverage rows (0 of N) from the start
    return len(units)


@transaction.atomic
def campaign_close(*, campaign: Campaign) -> Campaign:
    """Close: drafts are locked from now on, except units whose deadline was extended."""
    closed = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.OPEN).update(
        status=Campaign.Status.CLOSED, closed_at=timezone.now()
    )
    if not closed:
        raise ValidationError(_("Only an open campaign can be closed."))
    campaign.refresh_from_db()
    return campaign


@transaction.atomic
def assignment_extend(*, assignment: Assignment, deadline: datetime) -> Assignment:
    """Give one unit until ``deadline`` (also after the campaign closed)."""
    if assignment.campaign.status == Campaign.Status.DRAFT:
        raise ValidationError(_("The campaign has not been opened yet."))
    if deadline <= timezone.now():
        raise ValidationError({"deadline": [_("The new deadline must be in the future.")]})
    Assignment.objects.filter(pk=assignment.pk).update(deadline=deadline)
    assignment.refresh_from_db()
    return assignment
