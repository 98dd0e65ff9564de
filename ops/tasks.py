"""Background work of the ops app."""

from __future__ import annotations

from celery import shared_task

from . import health


@shared_task(ignore_result=True)
def record_worker_heartbeat() -> None:
    """Every 30 s from beat: tell /healthz that the beat → broker → worker path works (see ops.health)."""
    health.heartbeat_record()
