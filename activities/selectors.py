"""Reads for activity and payment pages: lists in scope, totals, the dues remittance."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from doanso.lib.history import Change, field_changes
from units.models import Unit

from .metrics import period_bounds
from .models import Activity, DuesRate, DuesSplit, Payment


def _scope(unit: Unit, subtree: bool) -> Q:
    return Q(unit__path__startswith=unit.path) if subtree else Q(unit=unit)


def activities_in(
    unit: Unit,
    *,
    subtree: bool = False,
    start: date | None = None,
    end: date | None = None,
    mode: str = "",
    category: str = "",
) -> QuerySet[Activity]:
    qs = Activity.objects.filter(_scope(unit, subtree)).select_related("unit")
    if start or end:
        lower, upper = period_bounds(start or date(1900, 1, 1), end or date(2999, 12, 31))
        qs = qs.filter(starts_at__gte=lower, starts_at__lt=upper)
    if mode:
        qs = qs.filter(mode=mode)
    if category:
        qs = qs.filter(category=category)
    return qs.order_by("-starts_at", "-pk")


def payments_in(
    unit: Unit, *, subtree: bool = False, start: date | None = None, end: date | None = None, status: str = ""
) -> QuerySet[Payment]:
    qs = (
        Payment.objects.filter(_scope(unit, subtree))
        .select_related("unit")
        .annotate(moment=Coalesce("paid_at", "created_at"))
    )
    if start or end:
        lower, upper = period_bounds(start or date(1900, 1, 1), end or date(2999, 12, 31))
        qs = qs.filter(moment__gte=lower, moment__lt=upper)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-moment", "-pk")


@dataclass
class Totals:
    by_purpose: list[dict[str, Any]]
    by_channel: list[dict[str, Any]]
    amount: int
    count: int
    cashless_amount: int

    @property
    def cashless_percent(self) -> float | None:
        return 100 * self.cashless_amount / self.amount if self.amount else None


def payment_totals(payments: QuerySet[Payment]) -> Totals:
    """Confirmed payments only: by purpose and by channel (three aggregate queries)."""
    confirmed = payments.filter(status=Payment.Status.CONFIRMED).order_by()
    purposes = dict(Payment.Purpose.choices)
    channels = dict(Payment.Channel.choices)
    by_purpose = [
        {"key": row["purpose"], "label": purposes[row["purpose"]], "amount": row["total"], "count": row["count"]}
        for row in confirmed.values("purpose").annotate(total=Sum("amount"), count=Count("pk")).order_by("purpose")
    ]
    by_channel = [
        {"key": row["channel"], "label": channels[row["channel"]], "amount": row["total"], "count": row["count"]}
        for row in confirmed.values("channel").annotate(total=Sum("amount"), count=Count("pk")).order_by("channel")
    ]
    overall = confirmed.aggregate(
        total=Coalesce(Sum("amount"), 0),
        count=Count("pk"),
        cashless=Coalesce(Sum("amount", filter=~Q(channel=Payment.Channel.CASH)), 0),
    )
    return Totals(by_purpose, by_channel, overall["total"], overall["count"], overall["cashless"])


def dues_split_on(day: date) -> Fraction:
    split = DuesSplit.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    return Fraction(split.kept_numerator, split.kept_denominator) if split else Fraction(2, 3)


def dues_rates_on(day: date) -> list[DuesRate]:
    rates = DuesRate.objects.filter(effective_from__lte=day).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=day)
    )
    latest: dict[str, DuesRate] = {}
    for rate in rates.order_by("category", "-effective_from"):
        latest.setdefault(rate.category, rate)
    return list(latest.values())


@dataclass
class Remittance:
    collected: int  # dues the unit itself collected
    received: int  # passed up to it by the units directly below
    kept: int
    passed_up: int
    kept_fraction: Fraction


def dues_remittance(unit: Unit, start: date, end: date) -> Remittance:
    """The 2/3 kept – 1/3 passed up rule, bottom-up through the unit's subtree (two queries).

    Each unit keeps its share of what it collected plus what its children passed up, and passes
    the rest to its parent. Amounts are exact fractions until shown (rounded to the đồng).
    """
    keep = dues_split_on(end)
    lower, upper = period_bounds(start, end)
    rows = (
        Payment.objects.filter(
            unit__path__startswith=unit.path, purpose=Payment.Purpose.DUES, status=Payment.Status.CONFIRMED
        )
        .annotate(moment=Coalesce("paid_at", "created_at"))
        .filter(moment__gte=lower, moment__lt=upper)
        .values("unit__path")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    collected = {row["unit__path"]: Fraction(row["total"]) for row in rows}
    # Every collecting unit and its ancestors down to ``unit``, deepest first.
    paths = {p[: Unit.steplen * d] for p in collected for d in range(unit.depth, len(p) // Unit.steplen + 1)}
    received: dict[str, Fraction] = defaultdict(Fraction)
    for path in sorted(paths, key=len, reverse=True):
        if path != unit.path:
            received[path[: -Unit.steplen]] += (collected.get(path, Fraction(0)) + received[path]) * (1 - keep)
    own = collected.get(unit.path, Fraction(0))
    got = received[unit.path]
    total = own + got
    return Remittance(
        collected=round(own),
        received=round(got),
        kept=round(total * keep),
        passed_up=round(total * (1 - keep)),
        kept_fraction=keep,
    )


PAYMENT_AUDITED_FIELDS = (
    "amount",
    "purpose",
    "channel",
    "status",
    "reference",
    "paid_at",
    "payer_member_code",
    "note",
    "reversal_reason",
)


def payment_history(payment: Payment, limit: int = 100) -> list[Change]:
    """The audit trail of one payment, newest first (1 query)."""
    records = list(Payment.history.filter(id=payment.pk).select_related("history_user").order_by("-history_id")[:limit])
    return field_changes(records, PAYMENT_AUDITED_FIELDS, payment.reference)
