"""Enqueueing Celery tasks after commit without letting a dead broker break the request."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Send ``task`` now; return False (and log) if the broker cannot be reached.

    Callers rely on a periodic sweep to catch up, so a dead broker delays work but loses nothing.
    """
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except (OperationalError, ConnectionError, OSError) as exc:
        logger.warning("Could not enqueue %s (%s); the periodic sweep will catch up.", task.name, exc)
        return False
    return True


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Send ``task`` once the surrounding transaction commits (immediately outside one)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
