"""Read an uploaded CSV or XLSX file into rows numbered as the user sees them in a spreadsheet.

Shared by every import (units, activities, bank statements). The format is recognised from the
content, not the file name; row 1 is the header, so the first data row is row 2.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"


class TabularError(Exception):
    """The file cannot be read as a table at all (wrong format, encoding, empty)."""


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def _normalise_header(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def _build(raw_rows: list[tuple[int, list[str]]]) -> Table:
    if not raw_rows:
        raise TabularError(_("The file is empty."))
    header_row, header_cells = raw_rows[0]
    headers = [_normalise_header(h) for h in header_cells]
    while headers and headers[-1] == "":
        headers.pop()
    if not any(headers):
        raise TabularError(_("Row %(row)d should hold the column names, but it is empty.") % {"row": header_row})
    seen: set[str] = set()
    for name in headers:
        if name in seen:
            raise TabularError(_("Column “%(name)s” appears twice in the header row.") % {"name": name})
        seen.add(name)
    table = Table(headers=headers)
    for number, cells in raw_rows[1:]:
        values = [c.strip() for c in cells]
        if not any(values):
            continue  # blank lines are not data
        padded = values + [""] * (len(headers) - len(values))
        table.rows.append((number, {h: padded[i] for i, h in enumerate(headers) if h}))
    return table


def _read_xlsx(data: bytes) -> Table:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise TabularError(_("The file looks like an Excel workbook but cannot be opened.")) from exc
    try:
        sheet = workbook.worksheets[0]
        raw = [(i, [_cell_text(v) for v in row]) for i, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        workbook.close()
    # Skip leading blank rows so the header is the first row with content.
    while raw and not any(raw[0][1]):
        raw.pop(0)
    return _build(raw)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TabularError(
            _("The CSV file is not UTF-8 text. In Excel choose “CSV UTF-8” when saving, or upload the .xlsx file.")
        ) from exc


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    if "\x00" in text:
        raise TabularError(_("The file is neither a CSV text file nor an Excel (.xlsx) workbook."))
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    raw: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            raw.append((reader.line_num, row))
    except csv.Error as exc:
        raise TabularError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from exc
    # csv's line_num counts physical lines; spreadsheets count records. Use record numbers.
    numbered = [(i, cells) for i, (_line, cells) in enumerate(raw, start=1)]
    while numbered and not any(c.strip() for c in numbered[0][1]):
        numbered.pop(0)
    return _build(numbered)


def read_table(data: bytes) -> Table:
    """Parse ``data`` (CSV in UTF-8/UTF-16, or XLSX) into a :class:`Table`."""
    if not data.strip():
        raise TabularError(_("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    return _read_csv(data)
