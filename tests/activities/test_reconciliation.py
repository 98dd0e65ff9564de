"""Bank statement reconciliation: preview before writing, each payment confirmed once, ambiguity
reported and left alone, with the personas."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from activities.models import BankStatement, Payment, StatementLine
from activities.reconciliation import guess_mapping, parse_date, plan_statement, row_amount
from activities.services import statement_reconcile
from doanso.lib.tabular import read_table

Outcome = StatementLine.Outcome
MAPPING = {
    "date": "ngày_giao_dịch",
    "amount": "số_tiền_ghi_có",
    "description": "nội_dung",
    "reference": "số_tham_chiếu",
}


@pytest.fixture
def payments(tree):
    def make(ref: str, amount: int, status: str = Payment.Status.PENDING) -> Payment:
        return Payment.objects.create(unit=tree.qa1a, amount=amount, reference=ref, status=status)

    return {
        "a": make("DSAAAAAAAA", 24000),
        "b": make("DSBBBBBBBB", 60000),
        "c": make("DSCCCCCCCC", 50000),
        "d": make("DSDDDDDDDD", 24000, Payment.Status.CONFIRMED),
        "e": make("DSEEEEEEEE", 24000),
        "f": make("DSFFFFFFFF", 30000),
    }


STATEMENT = (
    "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu\n"
    "20/11/2026,24.000,CK DSAAAAAAAA DOAN PHI,FT001\n"  # row 2: matches a
    '20/11/2026,"60,000",ds bbbb bbbb doan phi,FT002\n'  # row 3: b, spaced and lower case by the bank
    "21/11/2026,50.000,DSCCCCCCCC va DSEEEEEEEE,FT003\n"  # row 4: two references → ambiguous
    "21/11/2026,24.000,DSDDDDDDDD,FT004\n"  # row 5: already confirmed before
    "22/11/2026,99.000,DSFFFFFFFF,FT005\n"  # row 6: amount differs
    "22/11/2026,24.000,Chuyen tien an trua,FT006\n"  # row 7: no reference → unmatched (never guessed by amount)
    "22/11/2026,-15.000,Phi dich vu,FT007\n"  # row 8: not incoming
)
TWO_ROWS_ONE_PAYMENT = (
    "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu\n"
    "23/11/2026,24.000,DSEEEEEEEE,FT010\n"
    "23/11/2026,24.000,DSEEEEEEEE lan 2,FT011\n"
)


def table(text: str):
    return read_table(text.encode("utf-8"))


def test_amounts_and_dates_are_read_as_banks_print_them():
    def amount(raw: str):
        return row_amount({"a": raw}, {"amount": "a"})

    assert [amount(v) for v in ("1.200.000", "1,200,000", "1200000", "1,200,000.00", "+50.000", "-15.000")] == [
        1200000,
        1200000,
        1200000,
        1200000,
        50000,
        -15000,
    ]
    for unreadable in ("12,5", "abc", "1.20.000"):  # once read as 12 or None: now refused, never guessed
        with pytest.raises(ValidationError):
            amount(unreadable)
    assert parse_date("20/11/2026") == parse_date("2026-11-20 08:30:00") == parse_date("20-11-2026")
    assert parse_date("20/11/2026 14:05:00") == parse_date("20/11/2026")
    assert parse_date("hôm qua") is None


def test_columns_are_guessed_from_vietnamese_or_english_headers():
    guessed = guess_mapping(table(STATEMENT).headers)
    assert guessed == {**{k: v for k, v in MAPPING.items() if k != "amount"}, "credit": "số_tiền_ghi_có"}
    english = read_table(b"Transaction date,Credit,Description,Reference\n1/1/2026,1,x,y\n")
    assert guess_mapping(english.headers) == {
        "date": "transaction_date",
        "credit": "credit",
        "description": "description",
        "reference": "reference",
    }


def test_every_row_is_decided_before_anything_is_written(tree, payments):
    plan = plan_statement(tree.qa1a, table(STATEMENT), MAPPING)
    assert [(r.row, r.outcome) for r in plan.rows] == [
        (2, Outcome.CONFIRMED),
        (3, Outcome.CONFIRMED),
        (4, Outcome.AMBIGUOUS),
        (5, Outcome.ALREADY),
        (6, Outcome.AMOUNT_DIFFERS),
        (7, Outcome.UNMATCHED),
        (8, Outcome.NOT_CREDIT),
    ]
    assert Payment.objects.filter(status=Payment.Status.CONFIRMED).count() == 1  # only d, from before


def test_reconciling_the_same_statement_twice_confirms_each_payment_exactly_once(tree, payments, personas):
    first = statement_reconcile(
        unit=tree.qa1a,
        plan=plan_statement(tree.qa1a, table(STATEMENT), MAPPING),
        by=personas.editor,
        original_name="sao-ke.csv",
        content_hash="x",
    )
    assert first.confirmed == 2
    confirmed_at = {p.reference: p.confirmed_at for p in Payment.objects.filter(status=Payment.Status.CONFIRMED)}
    assert set(confirmed_at) == {"DSAAAAAAAA", "DSBBBBBBBB", "DSDDDDDDDD"}
    second = statement_reconcile(
        unit=tree.qa1a,
        plan=plan_statement(tree.qa1a, table(STATEMENT), MAPPING),
        by=personas.editor,
        original_name="sao-ke.csv",
        content_hash="x",
    )
    assert second.confirmed == 0
    assert {
        p.reference: p.confirmed_at for p in Payment.objects.filter(status=Payment.Status.CONFIRMED)
    } == confirmed_at
    outcomes = dict(second.lines.values_list("row", "outcome"))
    assert outcomes[2] == outcomes[3] == Outcome.ALREADY


def test_an_ambiguous_row_is_reported_and_left_alone(tree, payments, personas):
    statement = statement_reconcile(
        unit=tree.qa1a,
        plan=plan_statement(tree.qa1a, table(STATEMENT), MAPPING),
        by=personas.editor,
        original_name="s.csv",
        content_hash="y",
    )
    assert statement.lines.get(row=4).outcome == Outcome.AMBIGUOUS
    assert Payment.objects.get(reference="DSCCCCCCCC").status == Payment.Status.PENDING
    assert Payment.objects.get(reference="DSEEEEEEEE").status == Payment.Status.PENDING
    assert Payment.objects.get(reference="DSFFFFFFFF").status == Payment.Status.PENDING  # amount differs: not confirmed


def test_two_rows_naming_one_payment_are_both_ambiguous(tree, payments):
    plan = plan_statement(tree.qa1a, table(TWO_ROWS_ONE_PAYMENT), MAPPING)
    assert [r.outcome for r in plan.rows] == [Outcome.AMBIGUOUS, Outcome.AMBIGUOUS]
    assert "2, 3" in plan.rows[0].note


def test_references_of_another_unit_are_not_matched(tree, payments):
    plan = plan_statement(tree.qb1a, table(STATEMENT), MAPPING)
    assert {r.outcome for r in plan.rows} <= {Outcome.UNMATCHED, Outcome.NOT_CREDIT}


def test_an_xlsx_statement_works_like_csv(tree, payments):
    book = openpyxl.Workbook()
    for line in STATEMENT.strip().splitlines():
        book.active.append(next(__import__("csv").reader([line])))
    buffer = io.BytesIO()
    book.save(buffer)
    plan = plan_statement(tree.qa1a, read_table(buffer.getvalue()), MAPPING)
    assert plan.summary["confirmed"] == 2


# --- Pages -------------------------------------------------------------------------------------


def upload(client, tree):
    return client.post(
        reverse("activities:unit_statements", args=[tree.qa1a.code]),
        {"file": SimpleUploadedFile("sao-ke-11.csv", STATEMENT.encode())},
    )


def test_upload_preview_then_confirm(personas, client_for, tree, payments):
    client = client_for(personas.editor)
    response = upload(client, tree)
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert preview.context["plan"].summary["confirmed"] == 2
    assert Payment.objects.filter(status=Payment.Status.CONFIRMED).count() == 1  # the preview wrote nothing
    token = preview.context["token"]
    done = client.post(reverse("activities:statement_confirm", args=[tree.qa1a.code, token]), MAPPING)
    statement = BankStatement.objects.get()
    assert done["Location"] == reverse("activities:statement", args=[statement.pk])
    assert statement.confirmed == 2 and statement.original_name == "sao-ke-11.csv"
    # The same file again: the preview says so, and confirming changes nothing.
    again = client.get(upload(client, tree)["Location"])
    assert again.context["previous"] == statement
    assert again.context["plan"].summary["confirmed"] == 0


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("reviewer", 403), ("outsider", 404)])
def test_only_the_units_editors_upload_statements(personas, client_for, tree, payments, persona, status):
    assert upload(client_for(getattr(personas, persona)), tree).status_code == status


@pytest.mark.parametrize(
    ("persona", "status"), [("editor", 200), ("viewer", 200), ("reviewer", 200), ("outsider", 404)]
)
def test_statement_pages_follow_the_unit(personas, client_for, tree, payments, persona, status):
    statement = statement_reconcile(
        unit=tree.qa1a,
        plan=plan_statement(tree.qa1a, table(STATEMENT), MAPPING),
        by=None,
        original_name="s.csv",
        content_hash="z",
    )
    client = client_for(getattr(personas, persona))
    assert client.get(reverse("activities:statement", args=[statement.pk])).status_code == status
    assert client.get(reverse("activities:unit_statements", args=[tree.qa1a.code])).status_code == status
