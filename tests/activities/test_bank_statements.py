"""Statements as banks export them — the bank's title rows above the header, separate Nợ/Có
columns, 1,200,000.00, dates with times, legacy .xls (written by xlwt here), CSV in Windows-1258 —
preview and reconcile through the pages; and the shared reader stays bounded."""

from __future__ import annotations

import io
import unicodedata
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
import xlwt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from activities.models import BankStatement, Payment, StatementLine
from activities.reconciliation import guess_mapping, read_statement
from doanso.lib.tabular import TabularError, read_table

Outcome = StatementLine.Outcome
TITLE = [
    ["NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM"],
    ["SAO KÊ TÀI KHOẢN"],
    ["Số tài khoản: 1023456789", "", "Chủ tài khoản: DOAN QA1A"],
    ["Từ ngày 01/12/2026 đến ngày 31/12/2026"],
    [],
    [],
]
HEADER = ["STT", "Ngày giao dịch", "Số tham chiếu", "Nợ", "Có", "Diễn giải"]
LINES = [
    ["1", "03/12/2026 14:05:00", "FT26337001", "", "1,200,000.00", "CK DSAAAAAAAA DOAN PHI CHI DOAN"],
    ["2", "03/12/2026 15:10:00", "FT26337002", "", "24,000.00", "NGUYEN VAN A chuyen DSBBBBBBBB"],
    ["3", "04/12/2026 08:00:00", "FT26338003", "55,000.00", "", "Thanh toan DSCCCCCCCC mua van phong pham"],
    ["4", "04/12/2026 09:30:00", "FT26338004", "", "60,000.00", "Chuyen tien khong ghi ma"],
    ["5", "05/12/2026 10:00:00", "FT26339005", "", "24,000.50", "DSDDDDDDDD le dong"],
]
FOOTER = [[], ["", "Tổng cộng", "", "55,000.00", "1,308,000.00", ""]]


@pytest.fixture
def payments(tree):
    def make(ref: str, amount: int) -> Payment:
        return Payment.objects.create(unit=tree.qa1a, amount=amount, reference=ref)

    return {
        "a": make("DSAAAAAAAA", 1200000),
        "b": make("DSBBBBBBBB", 24000),
        "c": make("DSCCCCCCCC", 55000),  # named by a debit row: money going out is never a payment
        "d": make("DSDDDDDDDD", 24000),
    }


def rows() -> list[list[str]]:
    return [*TITLE, HEADER, *LINES, *FOOTER]


def as_xls() -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sao ke")
    for r, cells in enumerate(rows()):
        for c, value in enumerate(cells):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def as_xlsx() -> bytes:
    book = openpyxl.Workbook()
    for cells in rows():
        book.active.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_text() -> str:
    return "\r\n".join(",".join(f'"{c}"' if "," in c else c for c in cells) for cells in rows()) + "\r\n"


def cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: precomposed vowels, tones as combining marks."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for char in text:
        try:
            out.append(char.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in tones))
            out.append((base + "".join(p for p in parts if p in tones)).encode("cp1258"))
    return b"".join(out)


STATEMENT_FILES = {
    "xls": ("sao-ke-vcb.xls", as_xls),
    "xlsx": ("sao-ke-bidv.xlsx", as_xlsx),
    "csv-utf8-bom": ("sao-ke.csv", lambda: b"\xef\xbb\xbf" + csv_text().encode("utf-8")),
    "csv-cp1258": ("sao-ke-tcb.csv", lambda: cp1258(csv_text())),
}


def test_a_real_xls_file_is_recognised_by_its_content():
    data = as_xls()
    assert data[:4] == b"\xd0\xcf\x11\xe0"
    table = read_statement(data)
    assert table.header_row == 7 and table.headers[:3] == ["stt", "ngày_giao_dịch", "số_tham_chiếu"]


@pytest.mark.parametrize("kind", list(STATEMENT_FILES))
def test_the_header_is_found_under_the_banks_title_rows(kind):
    _name, make = STATEMENT_FILES[kind]
    table = read_statement(make())
    assert table.header_row == 7
    assert guess_mapping(table.headers) == {
        "date": "ngày_giao_dịch",
        "credit": "có",
        "debit": "nợ",
        "description": "diễn_giải",
        "reference": "số_tham_chiếu",
    }
    assert table.rows[0][0] == 8 and table.rows[0][1]["diễn_giải"].startswith("CK DSAAAAAAAA")


def test_a_windows_1258_csv_is_read_with_its_vietnamese_letters_and_says_so():
    table = read_statement(cp1258(csv_text()))
    assert table.encoding == "Windows-1258"
    assert "Windows-1258" in table.encoding_notice
    assert "ngày_giao_dịch" in table.headers  # composed again: the same text as UTF-8 gives
    assert read_statement(csv_text().encode("utf-8")).encoding == ""


def test_the_unit_import_still_refuses_a_csv_that_is_not_utf8():
    with pytest.raises(TabularError, match="UTF-8"):
        read_table("code,name\nA,Đoàn\n".encode("cp1258"))


@pytest.mark.parametrize("kind", list(STATEMENT_FILES))
def test_a_statement_as_the_bank_exports_it_previews_and_reconciles(personas, client_for, tree, payments, kind):
    name, make = STATEMENT_FILES[kind]
    client = client_for(personas.editor)
    uploaded = client.post(
        reverse("activities:unit_statements", args=[tree.qa1a.code]), {"file": SimpleUploadedFile(name, make())}
    )
    assert uploaded.status_code == 302, uploaded.context["form"].errors if uploaded.context else ""
    preview = client.get(uploaded["Location"])
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert not plan.problems
    by_row = {r.row: r for r in plan.rows}
    assert by_row[8].outcome == Outcome.CONFIRMED and by_row[8].amount == 1200000
    assert by_row[8].date.isoformat() == "2026-12-03"
    assert by_row[9].outcome == Outcome.CONFIRMED and by_row[9].amount == 24000
    assert by_row[10].outcome == Outcome.NOT_CREDIT and by_row[10].amount == -55000  # debit: ignored
    assert by_row[11].outcome == Outcome.UNMATCHED
    assert by_row[12].outcome == Outcome.UNREADABLE and "phần lẻ" in by_row[12].note  # 24,000.50: never 24000
    assert by_row[14].outcome == Outcome.UNREADABLE  # the bank's totals line: both Nợ and Có, never a payment
    html = preview.content.decode()
    assert "không phải tiền vào (bỏ qua)" in html and "dòng 7" in html
    assert Payment.objects.filter(status=Payment.Status.CONFIRMED).count() == 0  # the preview wrote nothing
    assert "sẽ xác nhận khi bạn bấm xác nhận" in html and "Khớp và đã xác nhận" not in html  # not yet

    mapping = {f.name: f.value() for f in preview.context["form"] if f.value()}
    done = client.post(
        reverse("activities:statement_confirm", args=[tree.qa1a.code, preview.context["token"]]), mapping
    )
    statement = BankStatement.objects.get()
    assert done["Location"] == reverse("activities:statement", args=[statement.pk])
    assert statement.confirmed == 2
    assert set(Payment.objects.filter(status=Payment.Status.CONFIRMED).values_list("reference", flat=True)) == {
        "DSAAAAAAAA",
        "DSBBBBBBBB",
    }
    assert Payment.objects.get(reference="DSCCCCCCCC").status == Payment.Status.PENDING
    assert Payment.objects.get(reference="DSDDDDDDDD").status == Payment.Status.PENDING


def test_the_guessed_columns_can_be_changed_on_the_preview(personas, client_for, tree, payments):
    client = client_for(personas.editor)
    uploaded = client.post(
        reverse("activities:unit_statements", args=[tree.qa1a.code]), {"file": SimpleUploadedFile("s.xls", as_xls())}
    )
    preview_url = uploaded["Location"].split("?")[0]
    # Only a signed amount column chosen (the Có column): debits are then just empty rows.
    changed = client.get(preview_url, {"amount": "có", "description": "diễn_giải"})
    plan = changed.context["plan"]
    assert plan.mapping == {"amount": "có", "description": "diễn_giải"}
    assert plan.summary["confirmed"] == 2
    assert {r.row: r.outcome for r in plan.rows}[10] == Outcome.NOT_CREDIT


def test_a_confirm_without_columns_goes_back_to_the_preview_without_the_csrf_token_in_the_url(
    personas, client_for, tree, payments
):
    client = client_for(personas.editor)
    client.handler.enforce_csrf_checks = False
    uploaded = client.post(
        reverse("activities:unit_statements", args=[tree.qa1a.code]), {"file": SimpleUploadedFile("s.xls", as_xls())}
    )
    token = client.get(uploaded["Location"]).context["token"]
    response = client.post(
        reverse("activities:statement_confirm", args=[tree.qa1a.code, token]),
        {"csrfmiddlewaretoken": "secret-token-value", "date": "ngày_giao_dịch", "amount": "", "description": ""},
    )
    assert response.status_code == 302
    assert "csrfmiddlewaretoken" not in response["Location"] and "secret-token-value" not in response["Location"]
    assert parse_qs(urlsplit(response["Location"]).query) == {"date": ["ngày_giao_dịch"]}
    assert not BankStatement.objects.exists()


# --- The shared reader is bounded ---------------------------------------------------------------


def test_a_file_past_the_row_cap_stops_with_a_clear_error(settings):
    settings.IMPORT_MAX_ROWS = 100
    text = "code,name\n" + "".join(f"U{i},Đơn vị {i}\n" for i in range(101))
    with pytest.raises(TabularError, match="100"):
        read_table(text.encode())
    assert len(read_table(("code,name\n" + "".join(f"U{i},x\n" for i in range(100))).encode()).rows) == 100


def test_a_file_past_the_column_cap_stops_with_a_clear_error(settings):
    settings.IMPORT_MAX_COLUMNS = 20
    with pytest.raises(TabularError, match="20"):
        read_table((",".join(f"c{i}" for i in range(21)) + "\n").encode())


def test_an_xlsx_claiming_a_huge_dimension_is_read_by_what_it_holds(settings):
    book = openpyxl.Workbook()
    book.active.append(["code", "name"])
    book.active.append(["A", "Đoàn A"])
    buffer = io.BytesIO()
    book.save(buffer)
    # Rewrite the sheet's declared dimension to the whole grid, as some exporters do.
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:B2" />', b'<dimension ref="A1:XFD1048576" />')
                assert b"XFD1048576" in data
            target.writestr(item, data)
    table = read_table(out.getvalue())
    assert table.headers == ["code", "name"] and table.rows == [(2, {"code": "A", "name": "Đoàn A"})]


def test_an_xlsx_past_the_row_cap_stops_without_reading_it_all(settings):
    settings.IMPORT_MAX_ROWS = 50
    book = openpyxl.Workbook()
    for i in range(200):
        book.active.append([f"U{i}", "x"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(TabularError, match="50"):
        read_table(buffer.getvalue())


def test_a_broken_xls_gets_a_clear_error():
    with pytest.raises(TabularError, match="xls"):
        read_table(b"\xd0\xcf\x11\xe0" + b"\x00" * 600)


def test_a_csv_that_only_windows_1252_can_read_is_read_as_such_and_one_neither_can_is_refused():
    western = "Date,Amount,Description\n03/12/2026,24.000,DSAAAAAAAA Škoda\n".encode("cp1252")
    table = read_statement(western)  # 0x8A (Š) is not Windows-1258
    assert table.encoding == "Windows-1252" and table.rows[0][1]["description"].endswith("Škoda")
    with pytest.raises(TabularError, match="Windows-1258/1252"):
        read_statement(b"Date,Amount,Description\n03/12/2026,24.000,\x81\x8d\n")
