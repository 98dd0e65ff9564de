"""Access to activities, payments, bank accounts and statements — the unit rules, per object.

Whoever sees a unit sees its records (and those of the units below it); only the unit's own
editors (secretary, deputy, staff) record, change, confirm or reconcile them. Invisible → 404,
visible but not editable → 403, in pages, API and QR pages alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404

from units.permissions import can_edit_unit_data, can_view_unit

from .models import Activity, BankStatement, Payment

if TYPE_CHECKING:
    from units.permissions import AnyUser


def _check(user: AnyUser, unit: object, action: str) -> None:
    if not can_view_unit(user, unit):  # type: ignore[arg-type]
        raise Http404
    if action == "edit" and not can_edit_unit_data(user, unit):  # type: ignore[arg-type]
        raise PermissionDenied


def activity_get_for_user(user: AnyUser, pk: int, *, action: str = "view") -> Activity:
    activity = Activity.objects.select_related("unit").filter(pk=pk).first()
    if activity is None:
        raise Http404
    _check(user, activity.unit, action)
    return activity


def payment_get_for_user(user: AnyUser, pk: int, *, action: str = "view") -> Payment:
    payment = Payment.objects.select_related("unit", "activity").filter(pk=pk).first()
    if payment is None:
        raise Http404
    _check(user, payment.unit, action)
    return payment


def statement_get_for_user(user: AnyUser, pk: int, *, action: str = "view") -> BankStatement:
    statement = BankStatement.objects.select_related("unit").filter(pk=pk).first()
    if statement is None:
        raise Http404
    _check(user, statement.unit, action)
    return statement
