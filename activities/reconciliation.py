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

from django.utils.translation import gettext as _

from doanso.lib.tabular import Table
from doanso.lib.text import search_key
from units.models import Unit

from .models import REFERENCE_ALPHABET, REFERENCE_PREFIX, Payment, StatementLine

FIELDS = ("date", "amount", "description", "reference")
HEADER_HINTS = {
    "date": ("ngay giao dich", "ngay hieu luc", "ngay", "date", "transaction date", "value date", "thoi gian"),
    "amount": ("so tien ghi co", "ghi co", "so tien", "credit", "amount", "so tien vnd", "phat sinh co"),
    "description": ("noi dung giao dich", "noi dung", "dien giai", "mo ta", "description", "details", "remark"),
    "reference": (
        "so tham chieu",
        "ma giao dich",
        "so giao dich",
        "so ct",
        "reference",
        "ref",
        "transaction id",
        "ma gd",
    ),
}
REFERENCE_RE = re.compile(rf"{REFERENCE_PREFIX}[{REFERENCE_ALPHABET}]{{8}}")
Outcome = StatementLine.Outcome


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """The most likely column for each field, from the header names (Vietnamese or English)."""
    keys = {h: search_key(h.replace("_", " ")) for h in headers}
    mapping: dict[str, str] = {}
    for name, hints in HEADER_HINTS.items():
        for hint in hints:  # hints are ordered from most to least specific
            found = next((h for h, k in keys.items() if k == hint and h not in mapping.values()), None)
            found = found or next((h for h, k in keys.items() if hint in k and h not in mapping.values()), None)
            if found:
                mapping[name] = found
                break
    return mapping


def parse_amount(raw: str) -> int | None:
    """VND amounts as banks print them: 1.200.000 · 1,200,000 · 1200000 · 1200000.00 · +50.000."""
    text = re.sub(r"[^\d.,+-]", "", raw or "")
    if not text:
        return None
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", text):
        return sign * int(re.sub(r"[.,]", "", text))
    if re.fullmatch(r"\d+([.,]\d{1,2})?", text):
        return sign * round(float(text.replace(",", ".")))
    return None


def parse_date(raw: str) -> date | None:
    """The day of a statement row: 20/11/2026, 20-11-2026, 2026-11-20 (times ignored)."""
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
    for name in ("amount", "description"):
        if not mapping.get(name) or mapping[name] not in table.headers:
            plan.problems.append(_("Choose the column holding the %(field)s.") % {"field": field_labels()[name]})
    if plan.problems:
        return plan
    rows: list[tuple[PlannedRow, set[str]]] = []
    for number, cells in table.rows:
        description = cells.get(mapping["description"], "")
        amount = parse_amount(cells.get(mapping["amount"], ""))
        row = PlannedRow(
            row=number,
            date=parse_date(cells.get(mapping.get("date", ""), "")),
            amount=amount,
            description=description,
            bank_reference=cells.get(mapping.get("reference", ""), ""),
            outcome=Outcome.UNMATCHED,
        )
        rows.append((row, references_in(description)))
    all_refs = set().union(*(refs for _row, refs in rows)) if rows else set()
    payments = {p.reference: p for p in Payment.objects.filter(unit=unit, reference__in=all_refs)}
    for row, refs in rows:
        found = [payments[r] for r in sorted(refs) if r in payments]
        if row.amount is None or row.amount <= 0:
            row.outcome = Outcome.NOT_CREDIT
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
            elif payment.amount != row.amount:
                row.outcome = Outcome.AMOUNT_DIFFERS
                row.note = _("%(ref)s expects %(amount)s") % {
                    "ref": payment.reference,
                    "amount": f"{payment.amount:,}".replace(",", "."),
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


def field_labels() -> dict[str, Any]:
    """Names of the mapped columns, in the active language."""
    return {
        "date": _("date"),
        "amount": _("amount"),
        "description": _("description (transfer note)"),
        "reference": _("bank reference"),
    }
