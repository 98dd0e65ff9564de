"""Writes of the dashboards app: the background exports of large tables."""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta
from typing import Any

from django.core.files import File
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.permissions import campaign_get_for_user
from doanso.lib.tasks import enqueue_on_commit
from units.permissions import unit_get_for_user

from .exports import WRITERS, Table, file_name, units_table
from .models import Export

logger = logging.getLogger(__name__)

# Tables built in the background, by name: (user, campaign, unit, sector) → Table.
BACKGROUND_TABLES = {"units": lambda campaign, unit, sector: units_table(campaign, unit, sector)}
KEEP_EXPORTS = timedelta(days=7)


@transaction.atomic
def export_request(*, user: Any, table: str, fmt: str, campaign_id: int, unit_code: str, sector: str) -> Export:
    """Queue a large table for a background build; the user is sent to its status page."""
    from .tasks import build_export

    export = Export.objects.create(
        user=user,
        table=table,
        fmt=fmt,
        params={"campaign": campaign_id, "unit": unit_code, "sector": sector},
    )
    enqueue_on_commit(build_export, str(export.pk))
    return export


def _table_for(export: Export) -> Table:
    """Check access again (roles may have changed since the request) and make the table."""
    user = export.user
    campaign = campaign_get_for_user(user, int(export.params["campaign"]))
    unit = unit_get_for_user(user, str(export.params["unit"]))
    return BACKGROUND_TABLES[export.table](campaign, unit, str(export.params.get("sector", "")))


def export_build(*, export_id: str) -> bool:
    """Build one export (idempotent: only a pending export is claimed, by one worker)."""
    claimed = Export.objects.filter(pk=export_id, status=Export.Status.PENDING).update(status=Export.Status.RUNNING)
    if not claimed:
        return False
    export = Export.objects.select_related("user").get(pk=export_id)
    try:
        table = _table_for(export)
        with tempfile.TemporaryFile() as spool:
            rows = WRITERS[export.fmt](table, spool)
            spool.seek(0)
            name = file_name(table, export.fmt)
            export.file.save(f"{export.pk.hex}.{export.fmt}", File(spool), save=False)
        export.filename = name
        export.rows = rows
        export.status = Export.Status.DONE
    except Http404:
        export.status = Export.Status.FAILED
        export.error = _("You can no longer see this unit or campaign.")
    except Exception:
        logger.exception("Export %s failed", export_id)
        export.status = Export.Status.FAILED
        export.error = _("The file could not be prepared. Please try again; if it fails again, tell the city staff.")
    export.finished_at = timezone.now()
    export.save(update_fields=["file", "filename", "rows", "status", "error", "finished_at"])
    return export.status == Export.Status.DONE


def exports_resume(*, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Pending exports whose message was lost (dead broker or worker) are built now."""
    built = 0
    cutoff = timezone.now() - older_than
    for pk in Export.objects.filter(status=Export.Status.PENDING, created_at__lt=cutoff).values_list("pk", flat=True):
        built += export_build(export_id=str(pk))
    return built


def exports_purge(*, now: Any = None) -> int:
    """Remove exports (and their files) older than a week."""
    cutoff = (now or timezone.now()) - KEEP_EXPORTS
    removed = 0
    for export in Export.objects.filter(created_at__lt=cutoff):
        if export.file:
            export.file.delete(save=False)
        export.delete()
        removed += 1
    return removed
