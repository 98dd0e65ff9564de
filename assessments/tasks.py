"""Background work of the assessments app: e-mails. Thin: re-fetch, return if gone, call services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from . import notifications


@shared_task(autoretry_for=(OperationalError, ConnectionError, OSError), retry_backoff=True, max_retries=5)
def send_returned_email(response_id: int) -> int:
    """Tell the unit's editors that their survey was returned, with the reviewer's comment."""
    return notifications.notify_returned(response_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def send_deadline_reminders() -> int:
    """Daily: remind units that have not submitted, N days before closing. Each reminder once."""
    return notifications.send_deadline_reminders()
