"""The list of role holders of a subtree as CSV or XLSX (what the roles page shows, unpaginated).

Written by the site's one writer (doanso/lib/sheets.py), so a name such as "=HYPERLINK(…)" typed
into an import never runs in the spreadsheet of the person who opens the export.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from doanso.lib import sheets

from .models import Unit, UnitRole


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
        ]


def holders_response(unit: Unit, roles: QuerySet[UnitRole], fmt: str) -> StreamingHttpResponse | FileResponse:
    name = f"{slugify(unit.code) or 'unit'}-roles-{timezone.localdate():%Y%m%d}.{fmt}"
    return sheets.download(name, fmt, sheet_title="roles", columns=holder_columns(), rows=holder_rows(roles))
