"""Campaigns (survey rounds at milestones) and their snapshotted assignments."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from units.models import Unit

from .frameworks import Framework, FrameworkKind


class Campaign(models.Model):
    """A survey round at a milestone, over a scope unit's subtree, pinned to one framework version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Not opened yet")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Rollup(models.TextChoices):
        MEAN = "mean", _("Mean of units")
        MEMBERS = "members", _("Weighted by members")

    framework = models.ForeignKey(
        Framework, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("framework")
    )
    name = models.CharField(_("name"), max_length=255)
    milestone = models.CharField(_("milestone"), max_length=100, help_text=_("e.g. T0, mid-2026, end of 2026"))
    period_start = models.DateField(
        _("period start"), help_text=_("Start of the window for activity and payment figures.")
    )
    period_end = models.DateField(_("period end"))
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    scope_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("scope unit")
    )
    levels = models.JSONField(_("unit levels included"), default=list)
    rollup = models.CharField(_("roll-up"), max_length=10, choices=Rollup.choices, default=Rollup.MEAN)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    follows = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followers",
        verbose_name=_("follows"),
        help_text=_(
            "The earlier campaign this one's changes (deltas) are measured against. Leave empty to use the "
            "latest earlier campaign on the same framework whose scope contains this one's."
        ),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="campaign_period_order"
            ),
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="campaign_window_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.milestone})"

    def clean(self) -> None:
        errors = follows_errors(self, self.follows)
        if errors:
            raise ValidationError({"follows": errors})

    @property
    def is_member_survey(self) -> bool:
        return self.framework.kind == FrameworkKind.MEMBER


def follows_errors(campaign: Campaign, follows: Campaign | None) -> list[str]:
    """Why ``follows`` cannot be the campaign ``campaign`` is measured against (empty: it can)."""
    if follows is None:
        return []
    errors: list[str] = []
    if campaign.pk is not None and follows.pk == campaign.pk:
        errors.append(str(_("A campaign cannot follow itself.")))
    if campaign.framework_id is not None and follows.framework.code != campaign.framework.code:
        errors.append(str(_("The earlier campaign must use a version of the same framework.")))
    if campaign.opens_at is not None and follows.opens_at >= campaign.opens_at:
        errors.append(str(_("The campaign followed must open before this one.")))
    return errors


def new_member_token() -> str:
    return secrets.token_urlsafe(16)


class Assignment(models.Model):
    """One expected unit of a campaign, snapshotted when the campaign opens."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("campaign")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("unit"))
    deadline = models.DateTimeField(
        _("extended deadline"), null=True, blank=True, help_text=_("Empty: the campaign's closing time.")
    )
    member_token = models.CharField(max_length=32, unique=True, default=new_member_token, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="assignment_unique_unit")]

    def __str__(self) -> str:
        return f"{self.campaign} — {self.unit.code}"

    @property
    def effective_deadline(self) -> Any:
        return self.deadline or self.campaign.closes_at

    def accepts_answers(self, now: Any = None) -> bool:
        """Open campaign before the deadline, or an extension for this unit still running."""
        now = now or timezone.now()
        campaign = self.campaign
        if campaign.status == Campaign.Status.DRAFT or now < campaign.opens_at:
            return False
        if self.deadline is not None:
            return now <= self.deadline
        return campaign.status == Campaign.Status.OPEN and now <= campaign.closes_at


class ReminderLog(models.Model):
    """A deadline reminder already sent for an assignment, so a rerun never mails twice."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assignment", "days_before"], name="reminder_once_per_step")]

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.days_before}"
