"""Background work of the assessments app: e-mails. Thin: re-fetch, return if gone, call services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from . import notifications
from .scoring import services as scoring


@shared_task(autoretry_for=(OperationalError, ConnectionError, OSError), retry_backoff=True, max_retries=5)
def send_returned_email(response_id: int) -> int:
    """Tell the unit's editors that their survey was returned, with the reviewer's comment."""
    return notifications.notify_returned(response_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def send_deadline_reminders() -> int:
    """Daily: remind units that have not submitted, N days before closing. Each reminder once."""
    return notifications.send_deadline_reminders()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def score_pending(campaign_id: int) -> int:
    """Recompute what changed in a campaign (a submission, a return, records). Idempotent."""
    return scoring.scores_process_pending(campaign_id=campaign_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def rebuild_campaign_scores(campaign_id: int) -> bool:
    """Recompute every score of one campaign. Idempotent."""
    return scoring.scores_rebuild_campaign(campaign_id=campaign_id)


@shared_task
def sweep_pending_scores() -> int:
    """Every minute: catch up on changes whose task was lost (dead broker, killed worker)."""
    handled = 0
    for campaign_id in scoring.campaigns_with_pending_scores():
        handled += scoring.scores_process_pending(campaign_id=campaign_id)
    return handled


@shared_task
def rebuild_open_campaigns() -> int:
    """Nightly: rebuild every open campaign from scratch (a safety net; normally a no-op)."""
    from .models import Campaign

    ids = list(Campaign.objects.filter(status=Campaign.Status.OPEN).values_list("pk", flat=True))
    for campaign_id in ids:
        scoring.scores_rebuild_campaign(campaign_id=campaign_id)
    return len(ids)
