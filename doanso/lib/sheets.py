"""The one writer for every CSV and XLSX file the site hands out.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or
a carriage return) as a formula, so text typed by users — an answer, a unit's name from an import —
could become a live ``=HYPERLINK(…)`` in a colleague's Excel (CSV injection). Following OWASP's
guidance:

* in CSV such a text cell is written with a leading apostrophe, which Excel and LibreOffice show as
  plain text;
* in XLSX every text cell is stored as a string, never as a formula, with its exact text.

Numbers, dates and booleans are written as they are. Both writers stream: CSV row by row, XLSX
through openpyxl's write-only mode into a file object (a temporary file on disk, not memory).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from django.http import FileResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs as a formula (text only; other values unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """A UTF-8 CSV (with the BOM Excel needs to read Vietnamese) as a stream of lines."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow([neutralise(c) for c in columns])
    for row in rows:
        yield writer.writerow(["" if v is None else neutralise(v) for v in row])


def _text_cell(sheet: Any, value: str, *, bold: bool = False) -> WriteOnlyCell:
    # XLSX cannot hold most control characters (a name pasted with an ESC would stop the export):
    # they are dropped, as a spreadsheet shows nothing for them anyway.
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # openpyxl would store "=…" as a formula; text stays text
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_row(sheet: Any, row: Sequence[Any]) -> list[Any]:
    """One row for a write-only sheet: text as string cells, everything else as it is."""
    return [_text_cell(sheet, v) if isinstance(v, str) else v for v in row]


def write_xlsx(out: IO[bytes], *, sheet_title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write one sheet (bold header row) into ``out``. Returns the number of data rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31] or "data")
    sheet.append([_text_cell(sheet, c, bold=True) for c in columns])
    count = 0
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
        count += 1
    workbook.save(out)
    return count


CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def download(
    filename: str, fmt: str, *, sheet_title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse | FileResponse:
    """The file as an attachment: CSV streamed row by row, XLSX spooled to a temporary file on disk."""
    if fmt == "csv":
        response = StreamingHttpResponse(csv_lines(columns, rows), content_type=CONTENT_TYPES["csv"])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - on disk; FileResponse closes (and so removes) it
    write_xlsx(spool, sheet_title=sheet_title, columns=columns, rows=rows)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=CONTENT_TYPES["xlsx"])
