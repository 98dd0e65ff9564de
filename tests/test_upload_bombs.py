"""Every upload path against files built to exhaust the server (issue: memory bombs).

* a 5 KB XLSX whose sheet *declares* the whole grid (``A1:XFD1048576``) but holds a few cells:
  read by what it holds;
* a file of 1,000,000 rows (CSV for the record imports, XLSX for the framework import): refused
  with a clear message at the row cap, having read no more than the cap.

The assertions are on the readers' own row and cell counters (doanso/lib/tabular.py), never on
timings. Each path is used by the persona who may use it, through the page a person uploads on.
"""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from activities.models import Activity, BankStatement
from assessments.models import Framework
from doanso.lib.tabular import read_counters, reset_read_counters
from units.models import Unit

MILLION = 1_000_000


def _declare_the_whole_grid(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name.startswith("xl/worksheets/sheet"):
                start = data.index(b"<dimension ref=")
                end = data.index(b"/>", start) + 2
                data = data[:start] + b'<dimension ref="A1:XFD1048576"/>' + data[end:]
            target.writestr(name, data)
    return out.getvalue()


def dimension_bomb(header: list[str], row: list[str]) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(header)
    book.active.append(row)
    data = _declare_the_whole_grid(book)
    assert len(data) < 6000 and b"XFD1048576" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    return data


def million_row_xlsx(sheet_names: list[str], filled: int | None = None) -> bytes:
    """An XLSX with 1,000,000 rows in each sheet (or only in sheet number ``filled``), written as raw
    XML (openpyxl would take minutes)."""
    book = openpyxl.Workbook()
    book.active.title = sheet_names[0]
    for name in sheet_names[1:]:
        book.create_sheet(name)
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    rows = '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * MILLION  # compresses to a small file
    sheet_xml = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        f'2006/main"><sheetData>{rows}</sheetData></worksheet>'
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            wanted = name.startswith("xl/worksheets/sheet") and (
                filled is None or name == f"xl/worksheets/sheet{filled}.xml"
            )
            target.writestr(name, sheet_xml if wanted else source.read(name))
    return out.getvalue()


def million_row_csv(header: str) -> bytes:
    return (header + "\n" + "x,y\n" * MILLION).encode()


UNIT_HEADER = ["code", "name", "parent_code", "level", "sector", "member_count"]
ACTIVITY_HEADER = ["unit_code", "title", "category", "starts_at", "mode", "participants"]
STATEMENT_HEADER = ["Ngày giao dịch", "Số tiền", "Nội dung", "Số tham chiếu"]


@pytest.fixture
def upload_paths(personas, tree, settings):
    """(label, client, url, extra form fields) for every page that takes a table."""
    settings.IMPORT_MAX_ROWS = 50_000
    return [
        ("units", personas.admin, reverse("units:import"), {}),
        ("activities", personas.editor, reverse("activities:import"), {}),
        ("statements", personas.editor, reverse("activities:unit_statements", args=[tree.qa1a.code]), {}),
    ]


READ: list[tuple[int, int]] = []  # the counters of the last request(s) of _post


def _post(client_for, user, url: str, name: str, data: bytes, extra: dict) -> str:
    """Upload as a person does (the form's POST, then the page it leads to); READ gets the largest
    rows/cells count that one request read."""
    client = client_for(user)
    READ.clear()
    reset_read_counters()
    response = client.post(url, {"file": SimpleUploadedFile(name, data), **extra})
    READ.append(read_counters())
    assert response.status_code in (200, 302, 400, 422), (url, response.status_code)
    if response.status_code == 302:
        reset_read_counters()
        response = client.get(response["Location"])
        READ.append(read_counters())
    return response.content.decode()


def _most_read() -> tuple[int, int]:
    return max(r for r, _c in READ), max(c for _r, c in READ)


def test_a_sheet_declaring_the_whole_grid_is_read_by_what_it_holds_on_every_upload_path(upload_paths, client_for):
    headers = {"units": UNIT_HEADER, "activities": ACTIVITY_HEADER, "statements": STATEMENT_HEADER}
    for label, user, url, extra in upload_paths:
        header = headers[label]
        _post(client_for, user, url, "bom.xlsx", dimension_bomb(header, ["1"] * len(header)), extra)
        rows, cells = _most_read()
        assert 1 <= rows <= 2 and cells <= 2 * len(header) + 2, (label, rows, cells)


def test_a_million_rows_stop_at_the_cap_with_a_clear_message_on_every_upload_path(upload_paths, client_for, settings):
    units_before, activities_before = Unit.objects.count(), Activity.objects.count()
    for label, user, url, extra in upload_paths:
        page = _post(client_for, user, url, "trieu-dong.csv", million_row_csv("a,b"), extra)
        rows, _cells = _most_read()
        assert rows <= settings.IMPORT_MAX_ROWS + 50, (label, rows)  # the cap, plus the rows scanned for a header
        assert "50000" in page.replace(".", "").replace(",", "") or "50 000" in page, label
    assert (Unit.objects.count(), Activity.objects.count()) == (units_before, activities_before)
    assert not BankStatement.objects.exists()


def test_the_framework_import_reads_bombs_by_what_they_hold_and_stops_at_its_cap(personas, client_for):
    from assessments.sheets import MAX_COLUMNS, MAX_ROWS, SHEET_ORDER

    client = client_for(personas.admin)
    url = reverse("admin:assessments_framework_import_xlsx")
    book = openpyxl.Workbook()
    book.active.title = SHEET_ORDER[0]
    book.active.append(["field", "value"])
    reset_read_counters()
    response = client.post(url, {"file": SimpleUploadedFile("bom.xlsx", _declare_the_whole_grid(book))})
    assert response.status_code == 200
    rows, cells = read_counters()
    assert rows <= 2 * len(SHEET_ORDER) and cells <= rows * MAX_COLUMNS
    reset_read_counters()  # a million rows in every sheet: past the unpacked-size cap, refused unread
    response = client.post(url, {"file": SimpleUploadedFile("trieu-dong.xlsx", million_row_xlsx(list(SHEET_ORDER)))})
    assert response.status_code == 200 and "MB" in response.content.decode()
    assert read_counters() == (0, 0)
    reset_read_counters()  # a million rows in one sheet: read up to the sheet's cap, then refused
    data = million_row_xlsx(list(SHEET_ORDER), filled=SHEET_ORDER.index("domains") + 1)
    response = client.post(url, {"file": SimpleUploadedFile("trieu-dong.xlsx", data)})
    assert response.status_code == 200
    rows, _cells = read_counters()
    assert MAX_ROWS <= rows <= len(SHEET_ORDER) * (MAX_ROWS + 1)  # really read, and only up to the cap
    page = response.content.decode()
    assert f"{MAX_ROWS:,}".replace(",", ".") in page or str(MAX_ROWS) in page
    assert not Framework.objects.exists()
