"""Bank statement reconciliation: read the file, map its columns, decide each row — before
anything is written.

A row matches a payment when its description carries exactly one payment reference of the unit
(``DS`` + 8 characters, the note VietQR pre-fills) and the amount is the same. Nothing is guessed:
a row naming two payments, or two rows naming one payment, are reported as ambiguous and left
alone; a reference with another amount is reported too. Confirming a payment happens once, ever:
uploading the same statement again confirms nothing new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from doanso.lib.money import format_vnd, parse_vnd
from doanso.lib.tabular import Table, read_table
from doanso.lib.text import search_key
from units.models import Unit

from .models import REFERENCE_ALPHABET, REFERENCE_PREFIX, Payment, StatementLine

FIELDS = ("date", "amount", "credit", "debit", "description", "reference")
# Header names as Vietnamese banks (Vietcombank, BIDV, Techcombank, VietinBank …) and English
# exports write them, diacritics folded. The order of fields matters: "credit" and "debit" claim
# "Số tiền ghi có / ghi nợ" before "amount" would take them for its "số tiền".
HEADER_HINTS = {
    "date": (
        "ngay giao dich",
        "ngay hieu luc",
        "ngay gd",
        "ngay",
        "date",
        "transaction date",
        "value date",
        "posting date",
        "thoi gian",
    ),
    "credit": ("so tien ghi co", "ghi co", "so tien co", "phat sinh co", "tien vao", "co", "credit", "credit amount"),
    "debit": ("so tien ghi no", "ghi no", "so tien no", "phat sinh no", "tien ra", "no", "debit", "debit amount"),
    "amount": ("so tien", "so tien giao dich", "so tien vnd", "amount", "transaction amount"),
    "description": (
        "noi dung giao dich",
        "noi dung",
        "dien giai",
        "mo ta",
        "chi tiet giao dich",
        "description",
        "transaction details",
        "details",
        "remark",
        "remarks",
    ),
    "reference": (
        "so tham chieu",
        "ma giao dich",
        "so giao dich",
        "so ct",
        "so but toan",
        "reference",
        "reference no",
        "ref",
        "transaction id",
        "ma gd",
    ),
}
ALL_HINTS = tuple(h for hints in HEADER_HINTS.values() for h in hints)
REFERENCE_RE = re.compile(rf"{REFERENCE_PREFIX}[{REFERENCE_ALPHABET}]{{8}}")
Outcome = StatementLine.Outcome


def _has_words(key: str, hint: str) -> bool:
    """``hint`` appears in ``key`` as whole words ("no" is in "ghi no", not in "noi dung")."""
    return f" {hint} " in f" {key} "


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """The most likely column for each field, from the header names (Vietnamese or English)."""
    keys = {h: search_key(h.replace("_", " ")) for h in headers}
    mapping: dict[str, str] = {}
    for name, hints in HEADER_HINTS.items():
        for hint in hints:  # hints are ordered from most to least specific
            free = [h for h in keys if h not in mapping.values()]
            found = next((h for h in free if keys[h] == hint), None)
            found = found or next((h for h in free if _has_words(keys[h], hint)), None)
            if found:
                mapping[name] = found
                break
    return mapping


def read_statement(data: bytes) -> Table:
    """A bank statement as banks export it: title rows above the header, CSV in UTF-8 or Windows-1258."""
    return read_table(data, header_hints=ALL_HINTS, legacy_encodings=True)


def parse_date(raw: str) -> date | None:
    """The day of a statement row: 20/11/2026, 20/11/2026 14:05:00, 20-11-2026, 2026-11-20 (times ignored)."""
    day = re.split(r"[ T]", (raw or "").strip(), maxsplit=1)[0]
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d/%m/%y"):
        try:
            return datetime.strptime(day, pattern).date()
        except ValueError:
            continue
    return None


def references_in(text: str) -> set[str]:
    """Payment references in a transfer note, however the bank spaced or cased it."""
    folded = search_key(text).upper()
    return set(REFERENCE_RE.findall(folded)) | set(REFERENCE_RE.findall(folded.replace(" ", "")))


@dataclass
class PlannedRow:
    row: int
    date: date | None
    amount: int | None
    description: str
    bank_reference: str
    outcome: str
    payment: Payment | None = None
    note: str = ""

    def get_outcome_display(self) -> str:  # the same as StatementLine's, for shared templates
        return str(Outcome(self.outcome).label)


@dataclass
class StatementPlan:
    mapping: dict[str, str]
    rows: list[PlannedRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def summary(self) -> dict[str, int]:
        return {o.value: self.count(o.value) for o in Outcome}


def plan_statement(unit: Unit, table: Table, mapping: dict[str, str]) -> StatementPlan:
    """Decide every row; nothing is written."""
    plan = StatementPlan(mapping=mapping)
    mapping = {k: v for k, v in mapping.items() if k in FIELDS and v in table.headers}
    plan.mapping = mapping
    if "description" not in mapping:
        plan.problems.append(_("Choose the column holding the %(field)s.") % {"field": field_labels()["description"]})
    if "amount" not in mapping and "credit" not in mapping:
        plan.problems.append(
            _("Choose the column holding the amount, or the credit (Có) column if debits and credits are separate.")
        )
    if plan.problems:
        return plan
    rows: list[tuple[PlannedRow, set[str]]] = []
    for number, cells in table.rows:
        description = cells.get(mapping["description"], "")
        row = PlannedRow(
            row=number,
            date=parse_date(cells.get(mapping.get("date", ""), "")),
            amount=None,
            description=description,
            bank_reference=cells.get(mapping.get("reference", ""), ""),
            outcome=Outcome.UNMATCHED,
        )
        try:
            row.amount = row_amount(cells, mapping)
        except ValidationError as exc:
            row.outcome, row.note = Outcome.UNREADABLE, " ".join(exc.messages)
        rows.append((row, references_in(description)))
    all_refs = set().union(*(refs for _row, refs in rows)) if rows else set()
    payments = {p.reference: p for p in Payment.objects.filter(unit=unit, reference__in=all_refs)}
    for row, refs in rows:
        found = [payments[r] for r in sorted(refs) if r in payments]
        if row.outcome == Outcome.UNREADABLE:
            continue
        if row.amount is None or row.amount <= 0:
            row.outcome = Outcome.NOT_CREDIT
            row.note = _("money going out (debit): not a payment") if row.amount else ""
        elif len(found) > 1:
            row.outcome = Outcome.AMBIGUOUS
            row.note = ", ".join(p.reference for p in found)
        elif not found:
            row.outcome = Outcome.UNMATCHED
        else:
            payment = found[0]
            row.payment = payment
            if payment.status == Payment.Status.CONFIRMED:
                row.outcome = Outcome.ALREADY
            elif payment.status == Payment.Status.CANCELLED:
                row.outcome, row.note = (
                    Outcome.UNMATCHED,
                    _("payment %(ref)s was cancelled") % {"ref": payment.reference},
                )
            elif payment.status == Payment.Status.REVERSED:
                row.outcome, row.note = (
                    Outcome.UNMATCHED,
                    _("payment %(ref)s was reversed") % {"ref": payment.reference},
                )
            elif payment.amount != row.amount:
                row.outcome = Outcome.AMOUNT_DIFFERS
                row.note = _("%(ref)s expects %(amount)s") % {
                    "ref": payment.reference,
                    "amount": format_vnd(payment.amount),
                }
            else:
                row.outcome = Outcome.CONFIRMED
    # Two rows for one payment: which one paid it? Do not guess.
    claims: dict[int, list[PlannedRow]] = {}
    for row, _refs in rows:
        if row.outcome == Outcome.CONFIRMED and row.payment is not None:
            claims.setdefault(row.payment.pk, []).append(row)
    for claimed in claims.values():
        if len(claimed) > 1:
            for row in claimed:
                row.outcome = Outcome.AMBIGUOUS
                row.note = _("rows %(rows)s name the same payment") % {"rows": ", ".join(str(r.row) for r in claimed)}
    plan.rows = [row for row, _refs in rows]
    return plan


def row_amount(cells: dict[str, str], mapping: dict[str, str]) -> int | None:
    """Money in (> 0), money out (< 0) or nothing (None) on one row; ValidationError if unreadable.

    With separate Có/Nợ (credit/debit) columns a credit is money in and a debit money out; a single
    amount column is signed (a minus, or brackets, is money out)."""
    if "credit" in mapping:
        credit = cells.get(mapping["credit"], "").strip()
        debit = cells.get(mapping["debit"], "").strip() if "debit" in mapping else ""
        # Some banks print debits as negative numbers, and a negative credit is money going back out.
        credit_amount = parse_vnd(credit, allow_negative=True) if credit else 0
        debit_amount = abs(parse_vnd(debit, allow_negative=True)) if debit else 0
        if credit_amount and debit_amount:
            raise ValidationError(_("The row has both a credit and a debit amount."))
        if credit_amount:
            return credit_amount
        return -debit_amount if debit_amount else None
    raw = cells.get(mapping["amount"], "").strip()
    return parse_vnd(raw, allow_negative=True) if raw else None


def field_labels() -> dict[str, Any]:
    """Names of the mapped columns, in the active language."""
    return {
        "date": _("date"),
        "amount": _("amount (one signed column)"),
        "credit": _("credit (Có: money in)"),
        "debit": _("debit (Nợ: money out)"),
        "description": _("description (transfer note)"),
        "reference": _("bank reference"),
    }
