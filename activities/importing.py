"""Activity import (CSV/XLSX): the whole file is checked first, every problem reported with its
row, nothing written unless all rows are valid. An activity is identified by its unit, title and
start, so importing the same file twice changes nothing the second time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from doanso.lib.moments import plausible_errors
from doanso.lib.tabular import Table
from doanso.lib.text import parse_count, search_key
from units.importing import RowError
from units.models import Unit
from units.permissions import can_edit_unit_data

from .models import Activity
from .services import records_changed

COLUMNS = (
    "unit_code",
    "title",
    "category",
    "starts_at",
    "mode",
    "platform",
    "participants",
    "digital_registration",
    "digital_checkin",
    "e_document",
    "notes",
)
REQUIRED = ("unit_code", "title", "starts_at", "mode")
MODE_ALIASES = {"truc tiep": "in_person", "offline": "in_person", "truc tuyen": "online", "ket hop": "hybrid"}
CATEGORY_ALIASES = {"sinh hoat": "meeting", "hoc tap": "study", "tap huan": "study", "tinh nguyen": "volunteer"}
TRUE_WORDS = {"1", "x", "co", "yes", "true", "c", "y"}
FALSE_WORDS = {"", "0", "khong", "no", "false", "k", "n"}
DATETIME_FORMATS = (
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d",
)


def _lookup(choices: Any, aliases: Mapping[str, str]) -> dict[str, str]:
    table = {search_key(k): v for k, v in aliases.items()}
    for value, label in choices.choices:
        table[search_key(value)] = value
        table[search_key(value.replace("_", " "))] = value
        for language in ("vi", "en"):
            with translation.override(language):
                table[search_key(str(label))] = value
    return table


def parse_datetime_local(raw: str) -> datetime | None:
    text = raw.strip().replace("T", " ")
    for pattern in DATETIME_FORMATS:
        try:
            return timezone.make_aware(datetime.strptime(text, pattern), timezone.get_default_timezone())
        except ValueError:
            continue
    return None


@dataclass
class ActivityImportPlan:
    rows: list[tuple[int, Unit, dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.errors


def plan_activity_import(table: Table, user: Any) -> ActivityImportPlan:
    plan = ActivityImportPlan()
    missing = [c for c in REQUIRED if c not in table.headers]
    unknown = [h for h in table.headers if h and h not in COLUMNS]
    for column in missing:
        plan.errors.append(RowError(1, column, _("Required column “%(column)s” is missing.") % {"column": column}))
    for column in unknown:
        plan.errors.append(
            RowError(
                1,
                column,
                _("Unknown column “%(column)s”. Allowed columns: %(allowed)s.")
                % {"column": column, "allowed": ", ".join(COLUMNS)},
            )
        )
    if missing:
        return plan
    if not table.rows:
        plan.errors.append(RowError(2, None, _("The file has a header but no data rows.")))
        return plan
    modes, categories = _lookup(Activity.Mode, MODE_ALIASES), _lookup(Activity.Category, CATEGORY_ALIASES)
    units = Unit.objects.in_bulk({cells.get("unit_code", "") for _n, cells in table.rows}, field_name="code")
    for number, cells in table.rows:
        errors: list[RowError] = []

        def err(column: str, message: str, number: int = number, errors: list[RowError] = errors) -> None:
            errors.append(RowError(number, column, message))

        unit = units.get(cells.get("unit_code", ""))
        if unit is None or not can_edit_unit_data(user, unit):
            err(
                "unit_code",
                _("You cannot record activities for unit “%(code)s”.") % {"code": cells.get("unit_code", "")},
            )
        title = cells.get("title", "").strip()
        if not title:
            err("title", _("The title is empty."))
        elif len(title) > 255:
            err("title", _("The title is longer than 255 characters."))
        starts_at = parse_datetime_local(cells.get("starts_at", ""))
        if starts_at is None:
            err(
                "starts_at",
                _("“%(value)s” is not a date and time like 20/11/2026 19:30.") % {"value": cells.get("starts_at", "")},
            )
        elif implausible := plausible_errors(starts_at=starts_at):
            err("starts_at", implausible["starts_at"][0])
        mode = modes.get(search_key(cells.get("mode", "")))
        if mode is None:
            err(
                "mode",
                _("Unknown mode “%(value)s”. Use one of: %(allowed)s.")
                % {"value": cells.get("mode", ""), "allowed": ", ".join(Activity.Mode.values)},
            )
        category = (
            categories.get(search_key(cells.get("category", ""))) if cells.get("category") else Activity.Category.OTHER
        )
        if category is None:
            err(
                "category",
                _("Unknown category “%(value)s”. Use one of: %(allowed)s.")
                % {"value": cells.get("category", ""), "allowed": ", ".join(Activity.Category.values)},
            )
        participants = 0
        raw = cells.get("participants", "").strip()
        if raw:
            try:
                participants = parse_count(raw)
                if participants < 0:
                    raise ValueError(raw)
            except ValueError:
                err("participants", _("“%(value)s” is not a whole number of participants.") % {"value": raw})
        flags: dict[str, bool] = {}
        for name in ("digital_registration", "digital_checkin", "e_document"):
            word = search_key(cells.get(name, ""))
            if word in TRUE_WORDS:
                flags[name] = True
            elif word in FALSE_WORDS:
                flags[name] = False
            else:
                err(name, _("Write “có” or “không” (or leave it empty)."))
        plan.errors.extend(errors)
        if not errors:
            assert unit is not None
            plan.rows.append(
                (
                    number,
                    unit,
                    {
                        "title": title,
                        "category": category,
                        "starts_at": starts_at,
                        "mode": mode,
                        "platform": cells.get("platform", "").strip()[:100],
                        "participants": participants,
                        "notes": cells.get("notes", "").strip(),
                        **flags,
                    },
                )
            )
    return plan


@transaction.atomic
def activities_import(*, table: Table, user: Any, dry_run: bool = False) -> ActivityImportPlan:
    """Validate everything, then create or update. Raises nothing: check ``plan.is_valid``."""
    plan = plan_activity_import(table, user)
    if not plan.is_valid:
        plan.rows = []
        return plan
    for _number, unit, values in plan.rows:
        existing = Activity.objects.filter(unit=unit, title=values["title"], starts_at=values["starts_at"]).first()
        if existing is None:
            plan.created += 1
            if not dry_run:
                Activity.objects.create(unit=unit, created_by=user if user.is_authenticated else None, **values)
                records_changed(unit, values["starts_at"])
        elif any(getattr(existing, k) != v for k, v in values.items()):
            plan.updated += 1
            if not dry_run:
                Activity.objects.filter(pk=existing.pk).update(
                    **values, version=existing.version + 1, updated_at=timezone.now()
                )
                records_changed(unit, existing.starts_at, values["starts_at"])
        else:
            plan.unchanged += 1
    return plan
