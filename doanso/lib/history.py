"""The audit trail (django-simple-history) for changes that services make in bulk or with
compare-and-swap updates, which do not pass through ``Model.save()`` and so send no signal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin


def record_history(objects: Sequence[Model], *, by: Any, reason: str = "", created: bool = False) -> None:
    """Write one history row per object as it is now ("+" when just created, else "~")."""
    if not objects:
        return
    manager = type(objects[0]).history  # type: ignore[attr-defined]
    user = by if getattr(by, "is_authenticated", False) else None
    manager.bulk_history_create(list(objects), update=not created, default_user=user, default_change_reason=reason)


def delete_with_history(objects: Sequence[Model], *, by: Any) -> None:
    """Delete one by one so that each deletion is recorded ("-") with who did it."""
    user = by if getattr(by, "is_authenticated", False) else None
    for obj in objects:
        obj._history_user = user  # type: ignore[attr-defined]  # read by simple-history's post_delete
        obj.delete()


@dataclass(frozen=True)
class Change:
    """One row of an audit trail as pages show it."""

    at: datetime
    by: str
    kind: str  # "+" created, "~" changed, "-" deleted
    what: str
    value: str


def field_changes(records: Sequence[Any], fields: Sequence[str], what: str) -> list[Change]:
    """Turn historical records of one object (any order) into rows naming the fields that changed
    from one version to the next, with their new values; newest first. No query beyond the
    records themselves (``history_user`` should be select_related)."""
    ordered = sorted(records, key=lambda r: (r.history_date, r.history_id))
    rows: list[Change] = []
    previous = None
    for record in ordered:
        changed = [f for f in fields if previous is None or getattr(previous, f) != getattr(record, f)]
        if record.history_type == "~" and not changed:
            previous = record
            continue
        model = record.instance_type
        value = "; ".join(f"{model._meta.get_field(f).verbose_name}: {_display(record, f)}" for f in changed)
        rows.append(Change(record.history_date, who(record), record.history_type, what, value))
        previous = record
    return rows[::-1]


def who(record: Any) -> str:
    user = record.history_user
    return (user.get_full_name() or user.username) if user else ""


def _display(record: Any, field: str) -> str:
    display = getattr(record, f"get_{field}_display", None)
    value = display() if display else getattr(record, field)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value)


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """simple-history's admin pages, to read only. Its "revert" would save an old version straight
    through the ORM — un-publishing a framework, un-confirming a payment, moving a response's
    status back without a transition — around every rule the services keep."""

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
