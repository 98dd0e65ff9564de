"""The metrics that feed ``metric`` questions, computed in SQL over a unit's subtree and a period.

* ``activities.online_share``: online or hybrid activities / all activities;
* ``activities.digital_registration_share``: activities with online registration / all;
* ``payments.cashless_share_amount``: confirmed non-cash amount / all confirmed amount;
* ``payments.cashless_share_count``: confirmed non-cash payments / all confirmed payments.

Each is a percentage (0–100), or absent when there is nothing to count. Activities count by their
start, payments by when they were paid (or recorded, if the date is unknown); the period's end
day is included.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.scoring.metrics import MetricSource, MetricValue
from units.models import Unit

from .models import Activity, Payment

ACTIVITY_KEYS = ("activities.online_share", "activities.digital_registration_share")
PAYMENT_KEYS = ("payments.cashless_share_amount", "payments.cashless_share_count")
TITLES = {
    "activities.online_share": gettext_lazy("Online or hybrid activities"),
    "activities.digital_registration_share": gettext_lazy("Activities with online registration"),
    "payments.cashless_share_amount": gettext_lazy("Cashless share of the amount"),
    "payments.cashless_share_count": gettext_lazy("Cashless share of the payments"),
}


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end + 1 day 00:00) in the site's time zone."""
    tz = timezone.get_default_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def rows_sql(depths: Sequence[int], start: date, end: date) -> tuple[str, list[Any]]:
    """SELECT prefix, metric, value — one row per unit (at ``depths``) whose subtree has records."""
    lower, upper = period_bounds(start, end)
    unit, activity, payment = Unit._meta.db_table, Activity._meta.db_table, Payment._meta.db_table
    digital = "', '".join(sorted(Activity.DIGITAL_MODES))
    parts: list[str] = []
    params: list[Any] = []
    for depth in depths:
        length = depth * Unit.steplen
        for key, numerator in (
            ("activities.online_share", f"CASE WHEN a.mode IN ('{digital}') THEN 1 ELSE 0 END"),
            ("activities.digital_registration_share", "CASE WHEN a.digital_registration = TRUE THEN 1 ELSE 0 END"),
        ):
            parts.append(
                f"""SELECT substr(u.path, 1, %s), '{key}', 100.0 * SUM({numerator}) / COUNT(*)
                    FROM {activity} a JOIN {unit} u ON u.id = a.unit_id
                    WHERE a.starts_at >= %s AND a.starts_at < %s AND u.depth >= %s
                    GROUP BY substr(u.path, 1, %s)"""
            )
            params += [length, lower, upper, depth, length]
        for key, numerator, denominator in (
            (
                "payments.cashless_share_amount",
                "CASE WHEN p.channel <> 'cash' THEN p.amount ELSE 0 END",
                "SUM(p.amount)",
            ),
            ("payments.cashless_share_count", "CASE WHEN p.channel <> 'cash' THEN 1 ELSE 0 END", "COUNT(*)"),
        ):
            parts.append(
                f"""SELECT substr(u.path, 1, %s), '{key}', 100.0 * SUM({numerator}) / {denominator}
                    FROM {payment} p JOIN {unit} u ON u.id = p.unit_id
                    WHERE p.status = 'confirmed' AND COALESCE(p.paid_at, p.created_at) >= %s
                      AND COALESCE(p.paid_at, p.created_at) < %s AND u.depth >= %s
                    GROUP BY substr(u.path, 1, %s)"""
            )
            params += [length, lower, upper, depth, length]
    return "\nUNION ALL\n".join(parts), params


def _share(numerator: float, denominator: float) -> float | None:
    return 100.0 * numerator / denominator if denominator else None


def unit_values(unit: Unit, start: date, end: date) -> dict[str, MetricValue]:
    """The four metrics of one unit's subtree, with what was counted (two queries)."""
    lower, upper = period_bounds(start, end)
    acts = Activity.objects.filter(
        unit__path__startswith=unit.path, starts_at__gte=lower, starts_at__lt=upper
    ).aggregate(
        total=Count("pk"),
        digital=Count("pk", filter=Q(mode__in=Activity.DIGITAL_MODES)),
        registered=Count("pk", filter=Q(digital_registration=True)),
    )
    pays = (
        Payment.objects.filter(unit__path__startswith=unit.path, status=Payment.Status.CONFIRMED)
        .annotate(moment=Coalesce("paid_at", "created_at"))
        .filter(moment__gte=lower, moment__lt=upper)
        .aggregate(
            count=Count("pk"),
            cashless=Count("pk", filter=~Q(channel=Payment.Channel.CASH)),
            total_amount=Coalesce(Sum("amount"), 0),
            cashless_amount=Coalesce(Sum("amount", filter=~Q(channel=Payment.Channel.CASH)), 0),
        )
    )
    return {
        "activities.online_share": MetricValue(
            _share(acts["digital"], acts["total"]),
            acts["digital"],
            acts["total"],
            _("%(n)d of %(total)d activities online or hybrid") % {"n": acts["digital"], "total": acts["total"]},
        ),
        "activities.digital_registration_share": MetricValue(
            _share(acts["registered"], acts["total"]),
            acts["registered"],
            acts["total"],
            _("%(n)d of %(total)d activities with online registration")
            % {"n": acts["registered"], "total": acts["total"]},
        ),
        "payments.cashless_share_amount": MetricValue(
            _share(pays["cashless_amount"], pays["total_amount"]),
            pays["cashless_amount"],
            pays["total_amount"],
            _("%(n)s of %(total)s VND collected without cash")
            % {
                "n": f"{pays['cashless_amount']:,}".replace(",", "."),
                "total": f"{pays['total_amount']:,}".replace(",", "."),
            },
        ),
        "payments.cashless_share_count": MetricValue(
            _share(pays["cashless"], pays["count"]),
            pays["cashless"],
            pays["count"],
            _("%(n)d of %(total)d confirmed payments without cash") % {"n": pays["cashless"], "total": pays["count"]},
        ),
    }


SOURCE = MetricSource(keys=ACTIVITY_KEYS + PAYMENT_KEYS, rows_sql=rows_sql, unit_values=unit_values)
