"""The list of role holders of a subtree as CSV or XLSX (what the roles page shows, unpaginated).

Cells are neutralised against spreadsheet formulas: a value starting with = + - @ (or a tab or
carriage return) is written with a leading apostrophe, so a name such as "=HYPERLINK(…)" typed
into an import never runs in the spreadsheet of the person who opens the export.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook

from .models import Unit, UnitRole

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _date(value: object) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else ""  # type: ignore[arg-type]


def holder_columns() -> list[str]:
    return [
        _("Unit code"),
        _("Unit"),
        _("Level"),
        _("Role"),
        _("User name"),
        _("Full name"),
        _("E-mail"),
        _("Phone"),
        _("Since"),
        _("Until"),
    ]


def holder_rows(roles: QuerySet[UnitRole]) -> Iterator[list[str]]:
    for r in roles.iterator(chunk_size=2000):
        yield [
            neutralise(v)
            for v in (
                r.unit.code,
                r.unit.name,
                r.unit.get_level_display(),
                r.get_role_display(),
                r.user.username,
                r.user.full_name,
                r.user.email,
                r.user.phone,
                _date(r.created_at),
                _date(r.ended_at),
            )
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(columns: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so that Excel opens UTF-8 (Vietnamese) correctly
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow(row)


def holders_response(unit: Unit, roles: QuerySet[UnitRole], fmt: str) -> StreamingHttpResponse | FileResponse:
    name = f"{slugify(unit.code) or 'unit'}-roles-{timezone.localdate():%Y%m%d}.{fmt}"
    columns, rows = [neutralise(c) for c in holder_columns()], holder_rows(roles)
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(columns, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="roles")
    sheet.append(columns)
    for row in rows:
        sheet.append(row)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - on disk; FileResponse closes (and so removes) it
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
