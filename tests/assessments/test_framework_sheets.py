"""Frameworks as XLSX workbooks: exact round trip, located mistakes, Excel's ways with cells."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from assessments import services, sheets
from assessments.demo import FRAMEWORK_DIR
from assessments.models import Domain, Framework, Indicator, LevelBand, Option, Question

from .conftest import SMALL_MEMBER_SPEC, spec


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Framework, Domain, Indicator, Question, Option, LevelBand))


def workbook(data: dict[str, Any]) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(sheets.spec_to_xlsx(data)))


def saved(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row_of(sheet: Any, column: int, value: str) -> int:
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=column).value == value)


@pytest.mark.parametrize("name", ["unit-maturity-v1.json", "member-digcomp-v1.json"])
def test_a_default_framework_exported_to_xlsx_and_imported_again_is_identical(db, name):
    original = json.loads((FRAMEWORK_DIR / name).read_text(encoding="utf-8"))
    with transaction.atomic():  # export from the database, then leave it empty again
        framework = services.framework_import(data=original)
        assert framework is not None
        exported = services.framework_to_xlsx(framework)
        transaction.set_rollback(True)
    assert Framework.objects.count() == 0

    imported = services.framework_import_xlsx(file=exported)

    assert imported is not None and imported.status == Framework.Status.DRAFT
    assert services.framework_to_spec(imported) == original
    assert Question.objects.filter(framework=imported).count() == sum(
        len(i["questions"]) for d in original["domains"] for i in d["indicators"]
    )


def test_the_workbook_has_one_sheet_per_kind_of_object_with_parent_codes(db):
    book = workbook(spec())
    assert book.sheetnames == [
        "framework",
        "bands",
        "target_groups",
        "domains",
        "indicators",
        "questions",
        "options",
        "thresholds",
    ]
    questions = book["questions"]
    assert [c.value for c in questions[1]][:4] == ["indicator", "code", "type", "text"]
    assert [c.value for c in questions[2]][:4] == ["A.1", "A1", "level", "Câu hỏi A1"]
    assert [c.value for c in book["options"][2]] == ["A1", "0", "Mức 0", None, 0]
    assert [c.value for c in book["thresholds"][2]] == ["A3", 0, 0]


def test_a_workbook_with_several_mistakes_lists_every_one_by_sheet_row_and_column_and_writes_nothing(db):
    book = workbook(spec())
    book["framework"]["B4"] = "một"  # version: not a number
    book["bands"]["D3"] = "green"  # colour
    book["domains"]["D2"] = 0  # weight must be > 0
    indicators = book["indicators"]
    indicators["A3"] = "Z"  # a domain that does not exist
    indicators["F2"] = None  # weight left empty
    questions = book["questions"]
    b4 = row_of(questions, 2, "B4")  # a text question nothing depends on
    questions.cell(row=b4, column=3, value="lvel")  # unknown type
    options = book["options"]
    options["E3"] = 120  # points above 100
    before = counts()

    with pytest.raises(services.FrameworkSheetRejected) as caught:
        services.framework_import_xlsx(file=saved(book))

    found = {(c.sheet, c.row, c.column): c.message for c in caught.value.cells}
    assert ("framework", 4, "B") in found
    assert "green" in found[("bands", 3, "D")]
    assert ("domains", 2, "D") in found
    assert "“Z”" in found[("indicators", 3, "A")]
    assert found[("indicators", 2, "F")] == "không được để trống"
    assert "lvel" in found[("questions", b4, "C")]
    assert "120" in found[("options", 3, "E")]
    assert len(caught.value.cells) == 7, caught.value.cells  # each mistake once, nothing invented
    assert all(p[0].startswith("Trang tính “") for p in caught.value.problems)  # Vietnamese wording
    assert counts() == before


def test_problems_the_validator_finds_point_to_the_cell_of_the_json_field(db):
    data = spec()
    data["domains"][0]["indicators"][0]["questions"][0]["show_if"] = {"question": "A2", "values": ["yes"]}
    book = workbook(data)
    with pytest.raises(services.FrameworkSheetRejected) as caught:
        services.framework_import_xlsx(file=saved(book))
    [cell] = caught.value.cells
    assert (cell.sheet, cell.row, cell.column, cell.field) == ("questions", 2, "J", "show_if_question")
    assert "A2" in cell.message
    assert Framework.objects.count() == 0


def test_an_existing_version_is_reported_on_the_version_cell(db):
    services.framework_import(data=spec())
    with pytest.raises(services.FrameworkSheetRejected) as caught:
        services.framework_import_xlsx(file=sheets.spec_to_xlsx(spec()))
    assert [(c.sheet, c.row, c.column) for c in caught.value.cells] == [("framework", 4, "B")]


def test_cells_as_excel_really_stores_them_are_read_as_meant(db):
    """Numbers typed in code columns (1 → 1.0), spaces around codes, blank rows, yes/no in words."""
    book = workbook(SMALL_MEMBER_SPEC)
    domains, indicators, questions = book["domains"], book["indicators"], book["questions"]
    domains["A2"] = 1.0  # the domain code "1", typed as a number
    indicators["A2"] = 1.0
    indicators["B2"] = 1.1  # the indicator code "1.1"
    indicators["G2"] = "không"  # evidence_required, in words
    questions["A2"] = "  1.1 "
    questions["C2"] = " level"
    questions["F2"] = "1"  # a weight typed as text
    questions.insert_rows(3)  # a blank row between two questions
    questions["P4"] = " student "  # a target-group list with spaces around it
    book["framework"]["B4"] = 1.0  # version
    book["options"]["E2"] = 0.0

    framework = services.framework_import_xlsx(file=saved(book))

    assert framework is not None
    assert services.framework_to_spec(framework) == SMALL_MEMBER_SPEC


def test_formula_looking_text_is_written_as_text_and_read_back_exactly(db):
    data = spec()
    question = data["domains"][0]["indicators"][0]["questions"][0]
    question["text"] = "=1+1 là bao nhiêu?"
    question["options"][0]["label"] = '=HYPERLINK("http://x.example","bấm")'
    book = workbook(data)
    cell = book["questions"]["D2"]
    assert (cell.value, cell.data_type) == ("=1+1 là bao nhiêu?", "s")  # Excel will not evaluate it
    assert book["options"]["C2"].data_type == "s"

    framework = services.framework_import_xlsx(file=saved(book))

    assert framework is not None
    assert services.framework_to_spec(framework) == data


def test_a_file_that_is_not_a_workbook_is_refused_with_one_clear_message(db):
    with pytest.raises(services.FrameworkSheetRejected) as caught:
        services.framework_import_xlsx(file=b"code,name\nx,y\n")
    [cell] = caught.value.cells
    assert "không phải bảng tính Excel" in cell.message
    assert Framework.objects.count() == 0


def test_a_missing_sheet_and_an_unknown_column_are_named(db):
    book = workbook(spec())
    del book["options"]
    book["domains"]["E1"] = "colour"
    with pytest.raises(services.FrameworkSheetRejected) as caught:
        services.framework_import_xlsx(file=saved(book))
    found = {(c.sheet, c.row, c.column) for c in caught.value.cells}
    assert ("options", None, None) in found
    assert ("domains", 1, "E") in found
    assert Framework.objects.count() == 0


def test_the_commands_export_and_import_xlsx(db, tmp_path: Path, capsys):
    framework = services.framework_import(data=spec(), publish=True)
    assert framework is not None
    path = tmp_path / "test-unit.xlsx"
    call_command("export_framework", "test-unit", "1", "--format", "xlsx", "--output", str(path))
    with pytest.raises(CommandError, match="--output"):
        call_command("export_framework", "test-unit", "1", "--format", "xlsx")

    book = openpyxl.load_workbook(path)
    book["framework"]["B4"] = 2  # the next version
    book.save(path)
    call_command("import_framework", str(path), "--dry-run")
    assert Framework.objects.count() == 1
    call_command("import_framework", str(path))
    second = Framework.objects.get(code="test-unit", version=2)
    assert services.framework_to_spec(second) == {**spec(), "version": 2}

    book["options"]["E2"] = 120
    book["framework"]["B4"] = 3
    book.save(path)
    with pytest.raises(CommandError):
        call_command("import_framework", str(path))
    assert "Trang tính “options”, dòng 2, cột E (points)" in capsys.readouterr().err
    assert Framework.objects.count() == 2


def test_admin_exports_a_framework_as_xlsx(personas, client_for, unit_framework):
    response = client_for(personas.admin).get(
        reverse("admin:assessments_framework_export_xlsx", args=[unit_framework.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="test-unit-v1.xlsx"'
    data, problems, _where = sheets.read_xlsx(response.content)
    assert problems == [] and data == spec()


def test_admin_import_lists_the_mistakes_of_a_workbook_and_imports_a_good_one(personas, client_for, db):
    client = client_for(personas.admin)
    url = reverse("admin:assessments_framework_import_xlsx")
    changelist = client.get(reverse("admin:assessments_framework_changelist")).content.decode()
    assert url in changelist  # the button on the framework list
    book = workbook(spec())
    book["options"]["E3"] = 120
    book["bands"]["D2"] = "đỏ"
    bad = io.BytesIO(saved(book))
    bad.name = "bo-chi-so.xlsx"

    response = client.post(url, {"file": bad})

    assert response.status_code == 200
    body = response.content.decode()
    assert "2 lỗi" in body and "không có gì được nhập" in body
    table = body.split('id="workbook-problems"')[1].split("</table>")[0]
    assert "<td>options</td><td>3</td><td>E</td>" in table and "<td>bands</td><td>2</td><td>D</td>" in table
    assert Framework.objects.count() == 0

    good = io.BytesIO(sheets.spec_to_xlsx(spec()))
    good.name = "bo-chi-so.xlsx"
    response = client.post(url, {"file": good})
    framework = Framework.objects.get(code="test-unit", version=1)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:assessments_framework_change", args=[framework.pk])
    assert framework.status == Framework.Status.DRAFT


def test_a_text_excel_cannot_store_stops_the_export_with_its_place_instead_of_changing_it(
    personas, client_for, db, tmp_path: Path
):
    data = spec()
    data["domains"][0]["indicators"][0]["questions"][1]["help"] = "Dán từ Word:\x0bdòng mới"
    framework = services.framework_import(data=data)
    assert framework is not None
    with pytest.raises(CommandError, match="“questions”, dòng 3, cột E"):
        call_command("export_framework", "test-unit", "1", "--format", "xlsx", "--output", str(tmp_path / "x.xlsx"))
    client = client_for(personas.admin)
    response = client.get(reverse("admin:assessments_framework_export_xlsx", args=[framework.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:assessments_framework_change", args=[framework.pk])
    assert "không lưu được" in response.content.decode()


def test_admin_refuses_a_workbook_larger_than_5_mb(personas, client_for, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile("to.xlsx", b"0" * (5 * 1024 * 1024 + 1))
    response = client_for(personas.admin).post(reverse("admin:assessments_framework_import_xlsx"), {"file": big})
    assert response.status_code == 200
    assert "lớn hơn 5 MB" in response.content.decode()
    assert Framework.objects.count() == 0
