"""Background work of the dashboards: large exports. Thin: each task calls one service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def build_export(export_id: str) -> bool:
    """Build one queued export. Idempotent: a finished or running export is left alone."""
    return services.export_build(export_id=export_id)


@shared_task
def resume_exports() -> int:
    """Every minute: build exports whose message was lost."""
    return services.exports_resume()


@shared_task
def purge_exports() -> int:
    """Nightly: exports are kept for a week."""
    return services.exports_purge()
