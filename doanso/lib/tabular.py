"""Read an uploaded CSV, XLSX or legacy XLS file into rows numbered as the user sees them in a spreadsheet.

Shared by every import (units, activities, bank statements). The format is recognised from the
content, not the file name (XLSX is a zip, ``PK``; XLS an OLE2 compound file, ``D0 CF 11 E0``).
By default the first row with content is the header; a bank statement passes ``header_hints`` and
the header is the row among the first 30 that names most of the known columns (banks put their
name, the account and the period above it). Reading is bounded: past ``IMPORT_MAX_ROWS`` rows or
``IMPORT_MAX_COLUMNS`` columns it stops with a clear error, and an XLSX sheet is streamed (its
declared dimension, which can claim a million rows, is ignored).
"""

from __future__ import annotations

import csv
import io
import threading
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.utils.translation import gettext as _

from .text import search_key

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
HEADER_SCAN_ROWS = 30
# Tried in this order when a CSV is not UTF-8: Vietnamese Windows first, then Western European.
LEGACY_ENCODINGS = (("cp1258", "Windows-1258"), ("cp1252", "Windows-1252"))


class TabularError(Exception):
    """The file cannot be read as a table at all (wrong format, encoding, empty, too large)."""


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    header_row: int = 1
    encoding: str = ""  # for a CSV not in UTF-8: the encoding that was assumed, to tell the user

    @property
    def encoding_notice(self) -> str:
        if not self.encoding:
            return ""
        return _(
            "The file is not UTF-8; it was read as %(encoding)s. Check that the Vietnamese letters look right."
        ) % {"encoding": self.encoding}


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


# What the readers of this thread have read since the last reset: rows and cells handed on to the
# caller. Tests of the upload paths assert on these (a file claiming a huge size is read by what it
# holds, a file past the cap stops at the cap), not on timings.
_counters = threading.local()


def reset_read_counters() -> None:
    _counters.rows = _counters.cells = 0


def read_counters() -> tuple[int, int]:
    return getattr(_counters, "rows", 0), getattr(_counters, "cells", 0)


def count_read(rows: Iterable[Sequence[object]]) -> Iterator[Sequence[object]]:
    """Pass rows through, counting them (for every tabular reader, spreadsheets of frameworks too)."""
    for row in rows:
        _counters.rows = getattr(_counters, "rows", 0) + 1
        _counters.cells = getattr(_counters, "cells", 0) + len(row)
        yield row


def _limits() -> tuple[int, int]:
    return settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_COLUMNS


def _bounded(rows: Iterable[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """The rows, stopping with an error past the row or column cap (trailing empty cells are not counted)."""
    max_rows, max_columns = _limits()
    for count, (number, cells) in enumerate(rows, start=1):
        _counters.rows = getattr(_counters, "rows", 0) + 1
        _counters.cells = getattr(_counters, "cells", 0) + len(cells)
        if count > max_rows + HEADER_SCAN_ROWS:
            raise TabularError(
                _("The file has more than %(max)d rows. Split it into smaller files.") % {"max": max_rows}
            )
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) > max_columns:
            raise TabularError(
                _("Row %(row)d has more than %(max)d columns; this does not look like a list to import.")
                % {"row": number, "max": max_columns}
            )
        yield number, cells


def _header_score(cells: list[str], hints: frozenset[str]) -> int:
    score = 0
    for cell in cells:
        key = search_key(cell.replace("_", " "))
        if key and (key in hints or any(f" {h} " in f" {key} " for h in hints if len(h) > 3)):
            score += 1
    return score


def _build(raw_rows: Iterable[tuple[int, list[str]]], header_hints: Iterable[str] | None = None) -> Table:
    rows = iter(raw_rows)
    head: list[tuple[int, list[str]]] = []
    for number, cells in rows:  # the first rows with content: the header is among them
        if any(c.strip() for c in cells):
            head.append((number, cells))
        if len(head) >= (HEADER_SCAN_ROWS if header_hints is not None else 1):
            break
    if not head:
        raise TabularError(_("The file is empty."))
    chosen = 0
    if header_hints is not None:
        hints = frozenset(search_key(h) for h in header_hints)
        scores = [_header_score(cells, hints) for _n, cells in head]
        if max(scores) >= 2:
            chosen = scores.index(max(scores))
    header_row, header_cells = head[chosen]
    headers = [_normalise_header(h) for h in header_cells]
    while headers and headers[-1] == "":
        headers.pop()
    if not any(headers):
        raise TabularError(_("Row %(row)d should hold the column names, but it is empty.") % {"row": header_row})
    seen: set[str] = set()
    for name in headers:
        if name and name in seen:
            raise TabularError(_("Column “%(name)s” appears twice in the header row.") % {"name": name})
        seen.add(name)
    table = Table(headers=headers, header_row=header_row)
    max_rows, _max_columns = _limits()
    for number, cells in [*head[chosen + 1 :], *rows]:
        values = [c.strip() for c in cells]
        if not any(values):
            continue  # blank lines are not data
        if len(table.rows) >= max_rows:
            raise TabularError(
                _("The file has more than %(max)d rows. Split it into smaller files.") % {"max": max_rows}
            )
        padded = values + [""] * (len(headers) - len(values))
        table.rows.append((number, {h: padded[i] for i, h in enumerate(headers) if h}))
    return table


# An XLSX is a zip: a 600 KB file can unpack to gigabytes (openpyxl loads the shared strings whole).
XLSX_MAX_UNPACKED = 200 * 1024 * 1024
XLSX_MAX_SHARED_STRINGS = 30 * 1024 * 1024


def check_workbook_zip(data: bytes) -> None:
    """Refuse a workbook whose parts would unpack past the caps, before any of it is unpacked."""
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise TabularError(_("The file looks like an Excel workbook but cannot be opened.")) from exc
    shared = sum(e.file_size for e in entries if e.filename.lower().endswith("sharedstrings.xml"))
    if sum(e.file_size for e in entries) > XLSX_MAX_UNPACKED or shared > XLSX_MAX_SHARED_STRINGS:
        raise TabularError(
            _("The workbook unpacks to more than %(mb)d MB; split it into smaller files.")
            % {"mb": XLSX_MAX_UNPACKED // (1024 * 1024)}
        )


def _read_xlsx(data: bytes, header_hints: Iterable[str] | None) -> Table:
    import openpyxl

    check_workbook_zip(data)

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # the parser's own errors are many (zip, XML, openpyxl's): all mean "damaged"
        raise TabularError(_("The file looks like an Excel workbook but cannot be opened.")) from exc
    try:
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # the declared size may be wrong (or huge): read what is there
        _max_rows, max_columns = _limits()
        rows = (
            (i, [_cell_text(v) for v in row[: max_columns + 1]])
            for i, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        return _build(_bounded(rows), header_hints)
    except TabularError:
        raise
    except Exception as exc:  # no sheet, broken XML, a chart sheet first…: whatever the parser met, not a 500
        raise TabularError(_("The file looks like an Excel workbook but cannot be opened.")) from exc
    finally:
        workbook.close()


def _read_xls(data: bytes, header_hints: Iterable[str] | None) -> Table:
    """A legacy Excel 97–2003 workbook (.xls), as many banks still export statements."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as exc:  # xlrd's CompDocError and the like: a damaged file, not a 500
        raise TabularError(_("The file looks like an Excel 97–2003 workbook (.xls) but cannot be opened.")) from exc
    try:
        sheet = book.sheet_by_index(0)
        max_rows, max_columns = _limits()
        if sheet.nrows > max_rows + HEADER_SCAN_ROWS:
            raise TabularError(
                _("The file has more than %(max)d rows. Split it into smaller files.") % {"max": max_rows}
            )

        def text(cell: xlrd.sheet.Cell) -> str:
            if cell.ctype == xlrd.XL_CELL_DATE:
                return _cell_text(xlrd.xldate_as_datetime(cell.value, book.datemode))
            if cell.ctype == xlrd.XL_CELL_BOOLEAN:
                return _cell_text(bool(cell.value))
            return _cell_text(cell.value)

        rows = ((i + 1, [text(c) for c in sheet.row(i)[: max_columns + 1]]) for i in range(sheet.nrows))
        return _build(_bounded(rows), header_hints)
    except TabularError:
        raise
    except Exception as exc:
        raise TabularError(_("The file looks like an Excel 97–2003 workbook (.xls) but cannot be opened.")) from exc
    finally:
        book.release_resources()


def _decode(data: bytes, legacy_encodings: bool) -> tuple[str, str]:
    """The text and, when it was not UTF, the name of the encoding assumed."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" is UTF-16 with a BOM
        try:
            return data.decode("utf-16"), ""
        except UnicodeDecodeError as exc:
            raise TabularError(_("The file starts like UTF-16 text but is not valid UTF-16.")) from exc
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        if legacy_encodings:
            for codec, name in LEGACY_ENCODINGS:
                try:
                    # Windows-1258 writes tones as combining marks: compose them as UTF-8 text would.
                    return unicodedata.normalize("NFC", data.decode(codec)), name
                except UnicodeDecodeError:
                    continue
            raise TabularError(
                _(
                    "The CSV file is neither UTF-8 nor Windows-1258/1252 text. In Excel choose “CSV UTF-8” "
                    "when saving, or upload the Excel file."
                )
            ) from exc
        raise TabularError(
            _("The CSV file is not UTF-8 text. In Excel choose “CSV UTF-8” when saving, or upload the .xlsx file.")
        ) from exc


def _read_csv(data: bytes, header_hints: Iterable[str] | None, legacy_encodings: bool) -> Table:
    text, encoding = _decode(data, legacy_encodings)
    if "\x00" in text:
        raise TabularError(_("The file is neither a CSV text file nor an Excel (.xlsx) workbook."))
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    # csv's line_num counts physical lines; spreadsheets count records. Use record numbers.
    try:
        table = _build(_bounded(enumerate(reader, start=1)), header_hints)
    except csv.Error as exc:
        raise TabularError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from exc
    table.encoding = encoding
    return table


def read_table(data: bytes, *, header_hints: Iterable[str] | None = None, legacy_encodings: bool = False) -> Table:
    """Parse ``data`` (CSV in UTF-8/UTF-16, XLSX or XLS) into a :class:`Table`.

    ``header_hints``: column names (any case, with or without diacritics) to find the header row
    under title rows. ``legacy_encodings``: read a CSV that is not UTF-8 as Windows-1258 (or 1252)
    instead of refusing it; ``Table.encoding`` then says which was assumed.
    """
    if not data.strip():
        raise TabularError(_("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, header_hints)
    if data.startswith(XLS_MAGIC):
        return _read_xls(data, header_hints)
    return _read_csv(data, header_hints, legacy_encodings)
