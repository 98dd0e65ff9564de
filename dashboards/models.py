"""The dashboards app reads other apps' data; its only table is the queue of large exports."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from doanso.lib.storage import private_storage


class Export(models.Model):
    """A table too large to stream inside a request: built by a Celery task into a private file,
    downloaded only by the person who asked for it (and only while they may still see the unit)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Being prepared")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        XLSX = "xlsx", "XLSX"
        CSV = "csv", "CSV"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    table = models.CharField(max_length=30)
    fmt = models.CharField(max_length=4, choices=Format.choices)
    params = models.JSONField(default=dict, help_text="campaign, unit code and sector of the table")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(storage=private_storage, upload_to="exports/", blank=True, max_length=255)
    filename = models.CharField(max_length=200, blank=True)
    rows = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["status", "created_at"], name="export_status_created")]

    def __str__(self) -> str:
        return f"{self.table}.{self.fmt} ({self.status})"
