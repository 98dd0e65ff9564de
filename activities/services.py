"""Writes of the activities app: activities, payments, the bank account, statement reconciliation.

Every change of a record dated inside an open campaign's period marks the scores of its unit and
ancestors stale (metric questions count these records).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.scoring.services import scores_mark_records_changed
from doanso.lib.history import record_history
from doanso.lib.moments import plausible_errors
from units.models import Unit

from .models import Activity, Bank, BankStatement, Payment, StatementLine, UnitBankAccount
from .reconciliation import StatementPlan

if TYPE_CHECKING:
    from accounts.models import User

ACTIVITY_FIELDS = (
    "title",
    "category",
    "starts_at",
    "mode",
    "platform",
    "participants",
    "digital_registration",
    "digital_checkin",
    "e_document",
    "notes",
)
PAYMENT_FIELDS = ("purpose", "amount", "channel", "paid_at", "payer_member_code", "activity", "note")


class RecordConflict(Exception):
    """The record was changed by someone else since it was loaded (HTTP 409)."""

    def __init__(self, current_version: int):
        super().__init__(
            _("This record was changed by someone else in the meantime (now version %(v)d).") % {"v": current_version}
        )
        self.current_version = current_version


class PaymentFinal(ValidationError):
    """The payment is no longer pending: it cannot be changed (HTTP 409)."""


def payment_final_reason(payment: Payment) -> str:
    if payment.status == Payment.Status.CONFIRMED:
        return _(
            "A confirmed payment is final and cannot be changed. "
            "If it was recorded by mistake, reverse it with a reason."
        )
    if payment.status == Payment.Status.REVERSED:
        return _("This payment was reversed; a reversed payment cannot be changed.")
    return _("A cancelled payment cannot be changed.")


def _day(moment: datetime | None) -> date | None:
    return timezone.localtime(moment).date() if moment else None


def records_changed(unit: Unit, *moments: datetime | None) -> None:
    """Scores that count this unit's records on these days are stale (open campaigns only)."""
    days = sorted({d for d in (_day(m) for m in moments) if d})
    scores_mark_records_changed(unit=unit, moments=days)


# --- Activities ---------------------------------------------------------------------------------


def _clean_activity(activity: Activity) -> None:
    try:
        activity.full_clean(exclude=["unit", "created_by"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    if errors := plausible_errors(starts_at=activity.starts_at):
        raise ValidationError(errors)


@transaction.atomic
def activity_create(*, unit: Unit, by: User | None, **fields: Any) -> Activity:
    activity = Activity(unit=unit, created_by=by, **{k: v for k, v in fields.items() if k in ACTIVITY_FIELDS})
    _clean_activity(activity)
    activity.save()
    records_changed(unit, activity.starts_at)
    return activity


@transaction.atomic
def activity_update(*, activity: Activity, version: int, **fields: Any) -> Activity:
    """Change an activity; ``version`` is the one the editor loaded (a stale one → RecordConflict)."""
    current = Activity.objects.select_for_update().get(pk=activity.pk)
    if current.version != version:
        raise RecordConflict(current.version)
    before = current.starts_at
    for name, value in fields.items():
        if name in ACTIVITY_FIELDS:
            setattr(current, name, value)
    _clean_activity(current)
    current.version = F("version") + 1
    current.save()
    current.refresh_from_db()
    records_changed(current.unit, before, current.starts_at)
    return current


@transaction.atomic
def activity_delete(*, activity: Activity) -> None:
    unit, moment = activity.unit, activity.starts_at
    activity.delete()
    records_changed(unit, moment)


# --- Payments -----------------------------------------------------------------------------------


def _clean_payment(payment: Payment) -> None:
    if payment.activity_id and payment.activity and payment.activity.unit_id != payment.unit_id:
        raise ValidationError({"activity": [_("The activity belongs to another unit.")]})
    try:
        payment.full_clean(exclude=["unit", "created_by", "confirmed_by", "reference"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    if errors := plausible_errors(paid_at=payment.paid_at):
        raise ValidationError(errors)


@transaction.atomic
def payment_create(*, unit: Unit, by: User | None, confirmed: bool = False, **fields: Any) -> Payment:
    """Record a payment: pending until confirmed by hand or by a bank statement, unless the
    treasurer records money already received (``confirmed``)."""
    payment = Payment(unit=unit, created_by=by, **{k: v for k, v in fields.items() if k in PAYMENT_FIELDS})
    if confirmed:
        payment.status = Payment.Status.CONFIRMED
        payment.confirmed_at = timezone.now()
        payment.confirmed_by = by
        payment.paid_at = payment.paid_at or payment.confirmed_at
    _clean_payment(payment)
    payment.save()
    if confirmed:
        records_changed(unit, payment.paid_at)
    return payment


@transaction.atomic
def payment_update(*, payment: Payment, version: int, **fields: Any) -> Payment:
    current = Payment.objects.select_for_update().get(pk=payment.pk)
    if current.version != version:
        raise RecordConflict(current.version)
    if current.status != Payment.Status.PENDING:
        raise PaymentFinal(payment_final_reason(current))
    # Only a pending payment changes, and pending payments count in no metric: no score goes stale.
    for name, value in fields.items():
        if name in PAYMENT_FIELDS:
            setattr(current, name, value)
    _clean_payment(current)
    # A number, not F("version") + 1: the row is locked, and the history record copies the value.
    current.version = version + 1
    current.save()
    current.refresh_from_db()
    return current


@transaction.atomic
def payment_confirm(*, payment: Payment, by: User | None, paid_at: datetime | None = None) -> bool:
    """pending → confirmed, once. Returns False if it was not pending any more."""
    now = timezone.now()
    done = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
        status=Payment.Status.CONFIRMED,
        confirmed_at=now,
        confirmed_by=by,
        paid_at=paid_at or payment.paid_at or now,
        version=F("version") + 1,
        updated_at=now,
    )
    if done:
        payment.refresh_from_db()
        record_history([payment], by=by, reason="confirmed")
        records_changed(payment.unit, payment.paid_at)
    return bool(done)


@transaction.atomic
def payment_cancel(*, payment: Payment) -> Payment:
    done = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
        status=Payment.Status.CANCELLED, version=F("version") + 1, updated_at=timezone.now()
    )
    if not done:
        payment.refresh_from_db()
        if payment.status == Payment.Status.CONFIRMED:
            raise PaymentFinal(
                _("A confirmed payment cannot be cancelled. If it was recorded by mistake, reverse it with a reason.")
            )
        raise PaymentFinal(_("Only a pending payment can be cancelled."))
    payment.refresh_from_db()
    record_history([payment], by=None, reason="cancelled")
    return payment


@transaction.atomic
def payment_reverse(*, payment: Payment, by: User | None, reason: str) -> Payment:
    """confirmed → reversed, with the reason kept in the payment and its audit trail.

    The only change a confirmed payment allows: it stops counting in totals and metrics, and
    nothing of it is erased (the statement line that confirmed it still points at it)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": [_("Say why the payment is reversed.")]})
    if len(reason) > 1000:
        raise ValidationError({"reason": [_("Keep the reason under 1,000 characters.")]})
    now = timezone.now()
    done = Payment.objects.filter(pk=payment.pk, status=Payment.Status.CONFIRMED).update(
        status=Payment.Status.REVERSED,
        reversed_at=now,
        reversed_by=by,
        reversal_reason=reason,
        version=F("version") + 1,
        updated_at=now,
    )
    payment.refresh_from_db()
    if not done:
        raise PaymentFinal(
            _("Only a confirmed payment can be reversed; this one is %(status)s.")
            % {"status": payment.get_status_display().lower()}
        )
    record_history([payment], by=by, reason=reason)
    records_changed(payment.unit, payment.paid_at or payment.created_at)
    return payment


@transaction.atomic
def bank_account_save(*, unit: Unit, bank: Bank, account_number: str, account_name: str) -> UnitBankAccount:
    account, _created = UnitBankAccount.objects.update_or_create(
        unit=unit,
        defaults={"bank": bank, "account_number": account_number.strip(), "account_name": account_name.strip()},
    )
    account.full_clean()
    return account


# --- Bank statements ----------------------------------------------------------------------------


@transaction.atomic
def statement_reconcile(
    *, unit: Unit, plan: StatementPlan, by: User | None, original_name: str, content_hash: str
) -> BankStatement:
    """Confirm the payments the plan matched (each at most once, ever) and keep the statement."""
    statement = BankStatement.objects.create(
        unit=unit, original_name=original_name[:255], content_hash=content_hash, uploaded_by=by, rows=len(plan.rows)
    )
    lines = []
    confirmed = 0
    for row in plan.rows:
        outcome = row.outcome
        if outcome == StatementLine.Outcome.CONFIRMED:
            assert row.payment is not None
            moment = timezone.make_aware(datetime.combine(row.date, datetime.min.time())) if row.date else None
            if payment_confirm(payment=row.payment, by=by, paid_at=moment):
                confirmed += 1
            else:
                outcome = StatementLine.Outcome.ALREADY  # confirmed meanwhile, by hand or another upload
        lines.append(
            StatementLine(
                statement=statement,
                row=row.row,
                date=row.date,
                amount=row.amount,
                description=row.description[:2000],
                bank_reference=row.bank_reference[:100],
                outcome=outcome,
                payment=row.payment,
            )
        )
    StatementLine.objects.bulk_create(lines)
    BankStatement.objects.filter(pk=statement.pk).update(confirmed=confirmed)
    statement.refresh_from_db()
    return statement
