"""Responses: the unit's survey (one per assignment) or anonymous members' (many), with their
typed answers, status history and evidence."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from doanso.lib.storage import evidence_upload_to, private_storage

from .campaigns import Assignment
from .frameworks import FrameworkKind, Indicator, Option, Question


class Response(models.Model):
    """A filled survey: the unit's (one per assignment) or an anonymous member's (many)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for correction")
        APPROVED = "approved", _("Approved")

    EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})
    COUNTED = frozenset({Status.SUBMITTED, Status.APPROVED})

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="responses", verbose_name=_("assignment")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=FrameworkKind.choices, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(
        _("version"), default=0, help_text=_("Incremented by every save; stale saves get 409.")
    )
    target_group = models.CharField(_("target group"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # The audit trail (django-simple-history): written explicitly by the services, which change
    # responses with compare-and-swap updates rather than save().
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"],
                condition=models.Q(kind=FrameworkKind.UNIT),
                name="response_one_per_unit_assignment",
            ),
        ]
        indexes = [models.Index(fields=["assignment", "status"], name="response_assignment_status")]

    def __str__(self) -> str:
        return f"{self.assignment} — {self.get_status_display()}"

    @property
    def is_editable_status(self) -> bool:
        return self.status in self.EDITABLE


class ResponseTransition(models.Model):
    """History: who moved a response from one status to another, when, and why."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10, choices=Response.Status.choices)
    to_status = models.CharField(max_length=10, choices=Response.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["response_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.response_id}: {self.from_status} → {self.to_status}"


class Answer(models.Model):
    """One typed answer. ``score`` (0–1 or null) and ``is_hidden`` are derived on save so that
    roll-ups can be done in SQL; evidence and metrics are applied at scoring time."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    is_na = models.BooleanField(default=False)
    option = models.ForeignKey(Option, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    options = models.ManyToManyField(Option, blank=True, related_name="+")
    value_bool = models.BooleanField(null=True, blank=True)
    value_number = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    value_denominator = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    value_text = models.TextField(blank=True)
    score = models.FloatField(null=True, blank=True)
    is_hidden = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Who changed which answer when (written by the answer-saving service, which works in bulk).
    # The chosen options of a multi-choice question are kept as text in ``options_text``.
    options_text = models.CharField(max_length=500, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["updated_at", "is_hidden"])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_unique_per_question")]

    def __str__(self) -> str:
        return f"{self.response_id}:{self.question_id}"


class Evidence(models.Model):
    """Proof attached to an indicator of a response (and the answer of a ``file`` question)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="evidence")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(storage=private_storage, upload_to=evidence_upload_to, blank=True, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    url = models.URLField(max_length=500, blank=True)
    note = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(file="") & ~models.Q(url="")) | (~models.Q(file="") & models.Q(url="")),
                name="evidence_is_file_or_link",
            )
        ]

    def __str__(self) -> str:
        return self.original_name or self.url
