"""Score tables: written only by the scoring pipeline (assessments/scoring), read by the API and
dashboards. Every row carries ``computed_at``. Levels (bands) are not stored: they follow from a
score and the framework's bands when read.

Response level (counted responses only: submitted or approved):
    ResponseScore (overall), ResponseDomainScore, ResponseIndicatorScore (unit surveys only).
Unit level, per campaign, over the unit's subtree including itself:
    UnitScore (overall, coverage, member counts, delta, rank), UnitDomainScore, UnitGroupScore.
ScoreDirty is the outbox: written in the same transaction as the change that makes scores stale,
deleted by the task that recomputed them — a dead broker delays a score, never loses it.

Score rows are derived data rebuilt wholesale: their foreign keys carry no database constraint and
no index beyond the unique ones the pipeline and the API look them up by (rebuilding a city writes
about a million rows, and every extra index or constraint check is paid on each of them). Django
still deletes them with their campaign, response or unit.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from units.models import Unit

from .campaigns import Campaign
from .frameworks import Domain, Indicator
from .responses import Response


class ResponseScore(models.Model):
    response = models.OneToOneField(
        Response, on_delete=models.CASCADE, primary_key=True, related_name="score", db_constraint=False
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    target_group = models.CharField(max_length=50, blank=True)
    overall = models.FloatField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("response score")
        verbose_name_plural = _("response scores")
        indexes = [models.Index(fields=["campaign", "unit"], name="rscore_campaign_unit")]

    def __str__(self) -> str:
        return f"{self.response_id}: {self.overall}"


class ResponseDomainScore(models.Model):
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="domain_scores", db_constraint=False, db_index=False
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    score = models.FloatField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "domain"], name="rdscore_unique")]
        indexes = [models.Index(fields=["campaign"], name="rdscore_campaign")]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.domain_id}: {self.score}"


class ResponseIndicatorScore(models.Model):
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="indicator_scores", db_constraint=False, db_index=False
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    score = models.FloatField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "indicator"], name="riscore_unique")]
        indexes = [models.Index(fields=["campaign"], name="riscore_campaign")]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.indicator_id}: {self.score}"


class UnitScore(models.Model):
    """A unit's subtree in a campaign: the roll-up of counted responses of the units under it.

    ``overall_sum`` / ``overall_weight`` are the partial sums the mean is made of, so that a parent's
    roll-up is its own responses plus its children's sums — computed bottom-up, one tree level at a
    time, without rescanning every response for every ancestor.
    """

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="unit_scores", db_constraint=False, db_index=False
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="scores", db_constraint=False, db_index=False)
    overall = models.FloatField(null=True)
    expected = models.PositiveIntegerField(default=0, help_text="Assignments in the subtree (the snapshot).")
    responded = models.PositiveIntegerField(default=0, help_text="Assignments with a counted response.")
    responses = models.PositiveIntegerField(default=0, help_text="Counted responses (member surveys: many per unit).")
    overall_sum = models.FloatField(null=True)
    overall_weight = models.FloatField(null=True)
    delta = models.FloatField(null=True, help_text="Overall minus the previous campaign's on the same framework code.")
    rank = models.PositiveIntegerField(null=True, help_text="Position among siblings of the same sector (1 = best).")
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="uscore_unique")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.unit_id}: {self.overall}"


class UnitDomainScore(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    score = models.FloatField(null=True)
    score_sum = models.FloatField(null=True)
    score_weight = models.FloatField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "unit", "domain"], name="udscore_unique")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.unit_id}/{self.domain_id}: {self.score}"


class UnitGroupScore(models.Model):
    """Member surveys: a unit subtree's score per target group. ``overall`` is left empty when
    fewer than ``SUPPRESS_BELOW`` members of the group answered, and is never shown then; the
    partial sums stay for the roll-up to the parent (the answers themselves are stored anyway)."""

    SUPPRESS_BELOW = 5

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    target_group = models.CharField(max_length=50)
    responses = models.PositiveIntegerField()
    overall = models.FloatField(null=True)
    overall_sum = models.FloatField(null=True)
    overall_weight = models.FloatField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "unit", "target_group"], name="ugscore_unique")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.unit_id}/{self.target_group}: {self.overall}"

    @property
    def suppressed(self) -> bool:
        return self.responses < self.SUPPRESS_BELOW


class ScoreDirty(models.Model):
    """Something changed that scores depend on: a response (submit, approve, return) or a unit's
    records (activities, payments). Recomputation removes the rows it handled."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    response = models.ForeignKey(Response, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["campaign", "created_at"], name="scoredirty_campaign")]

    def __str__(self) -> str:
        return f"{self.campaign_id}: response {self.response_id} unit {self.unit_id}"
