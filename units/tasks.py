"""Background work of the units app. Tasks are thin: call one service."""

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recompute_member_totals() -> int:
    """Recompute subtree member totals for the whole tree. Idempotent: a second run writes nothing."""
    return services.unit_recompute_member_totals()
