"""Payment pages: list with totals and the dues remittance, record, edit, confirm, cancel,
the unit's bank account, and VietQR codes (per payment, and a static poster)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from doanso.lib.http import AuthenticatedHttpRequest
from units.permissions import can_edit_unit_data, can_review_unit, unit_get_for_user

from .. import services
from ..forms import BankAccountForm, PaymentFilterForm, PaymentForm, PaymentReverseForm
from ..models import Payment, UnitBankAccount
from ..permissions import payment_get_for_user
from ..selectors import dues_rates_on, dues_remittance, payment_history, payment_totals, payments_in
from ..vietqr import ascii_note, build_payload, qr_svg

PAGE_SIZE = 50


def payment_note(payment: Payment) -> str:
    """The transfer note: the reference first (what reconciliation looks for), then the purpose —
    always in Vietnamese, whatever the page's language: the QR of a payment is one and the same."""
    with translation.override("vi"):
        return ascii_note(f"{payment.reference} {payment.get_purpose_display()}")


def payment_not_pending_message(payment: Payment) -> str:
    """Why a payment shows no VietQR code (and cannot be paid again)."""
    if payment.status == Payment.Status.CONFIRMED:
        return _("This payment is already confirmed: no VietQR code is shown, so nobody pays it twice.")
    if payment.status == Payment.Status.REVERSED:
        return _("This payment was reversed: no VietQR code is shown.")
    return _("This payment was cancelled: no VietQR code is shown.")


@login_required
def unit_payments(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    unit = unit_get_for_user(request.user, code)
    form = PaymentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    start, end = filters.get("start") or date(today.year, 1, 1), filters.get("end") or today
    payments = payments_in(
        unit, subtree=bool(filters.get("subtree")), start=start, end=end, status=filters.get("status", "")
    )
    ctx = {
        "unit": unit,
        "form": form,
        "start": start,
        "end": end,
        "page": Paginator(payments, PAGE_SIZE).get_page(request.GET.get("page")),
        "totals": payment_totals(payments),
        "remittance": dues_remittance(unit, start, end),
        "rates": dues_rates_on(end),
        "can_edit": can_edit_unit_data(request.user, unit),
        "account": UnitBankAccount.objects.select_related("bank").filter(unit=unit).first(),
        "has_children": unit.numchild > 0,
    }
    return render(request, "activities/payment_list.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def payment_create(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    unit = unit_get_for_user(request.user, code, action="edit")
    form = PaymentForm(request.POST or None, unit=unit)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("version", "already_received")}
        try:
            payment = services.payment_create(
                unit=unit, by=request.user, confirmed=form.cleaned_data.get("already_received", False), **data
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Payment %(ref)s recorded.") % {"ref": payment.reference})
            if payment.status == Payment.Status.PENDING and payment.channel == Payment.Channel.VIETQR:
                return redirect("activities:payment_qr", pk=payment.pk)
            return redirect("activities:unit_payments", code=unit.code)
    return render(request, "activities/payment_form.html", {"unit": unit, "form": form, "payment": None})


@login_required
@require_http_methods(["GET", "POST"])
def payment_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    payment = payment_get_for_user(request.user, pk, action="edit")
    if not payment.is_pending and request.method == "GET":
        messages.error(request, services.payment_final_reason(payment))
        return redirect("activities:payment_qr", pk=payment.pk)
    form = PaymentForm(request.POST or None, instance=payment if request.method == "GET" else None, unit=payment.unit)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.payment_update(payment=payment, version=form.cleaned_data.get("version") or 0, **data)
        except services.RecordConflict:
            status = 409
            form.add_error(
                None,
                _(
                    "Someone else changed this payment while you were editing. "
                    "Your changes are shown below and NOT saved; reload to see theirs."
                ),
            )
        except services.PaymentFinal as exc:
            status = 409
            form.add_error(None, exc.messages)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Payment saved."))
            return redirect("activities:unit_payments", code=payment.unit.code)
    return render(
        request, "activities/payment_form.html", {"unit": payment.unit, "form": form, "payment": payment}, status=status
    )


@login_required
@require_POST
def payment_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    payment = payment_get_for_user(request.user, pk, action="edit")
    if services.payment_confirm(payment=payment, by=request.user):
        messages.success(request, _("Payment %(ref)s confirmed.") % {"ref": payment.reference})
    else:
        messages.info(request, _("Payment %(ref)s was not pending any more.") % {"ref": payment.reference})
    return redirect("activities:unit_payments", code=payment.unit.code)


@login_required
@require_POST
def payment_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    payment = payment_get_for_user(request.user, pk, action="edit")
    try:
        services.payment_cancel(payment=payment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Payment %(ref)s cancelled.") % {"ref": payment.reference})
    return redirect("activities:unit_payments", code=payment.unit.code)


@login_required
@require_POST
def payment_reverse(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Undo a confirmed payment (recorded twice, transfer returned …), with the reason on record."""
    payment = payment_get_for_user(request.user, pk, action="edit")
    form = PaymentReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the payment is reversed."))
        return redirect("activities:payment_qr", pk=payment.pk)
    try:
        services.payment_reverse(payment=payment, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Payment %(ref)s reversed.") % {"ref": payment.reference})
    return redirect("activities:payment_qr", pk=payment.pk)


@login_required
def payment_qr(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The payment's page. Pending: a printable dynamic VietQR (amount and reference pre-filled).
    Otherwise no QR — a paid, cancelled or reversed payment must not be paid (again) — and, for a
    confirmed one, the reversal form for the unit's editors."""
    payment = payment_get_for_user(request.user, pk)
    account = UnitBankAccount.objects.select_related("bank").filter(unit=payment.unit).first()
    can_edit = can_edit_unit_data(request.user, payment.unit)
    ctx: dict[str, object] = {"payment": payment, "unit": payment.unit, "account": account, "can_edit": can_edit}
    if can_review_unit(request.user, payment.unit):  # the audit trail: for reviewers and admins
        ctx["history"] = payment_history(payment)
    if not payment.is_pending:
        ctx["not_pending"] = payment_not_pending_message(payment)
        if can_edit and payment.status == Payment.Status.CONFIRMED:
            ctx["reverse_form"] = PaymentReverseForm()
    elif account is not None:
        payload = build_payload(
            bin_code=account.bank.bin, account=account.account_number, amount=payment.amount, note=payment_note(payment)
        )
        ctx |= {"payload": payload, "qr_svg": qr_svg(payload, responsive=True), "note": payment_note(payment)}
    return render(request, "activities/payment_qr.html", ctx)


@login_required
def unit_vietqr_poster(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """A static VietQR (no amount) for a printed poster: members type the amount and note."""
    unit = unit_get_for_user(request.user, code)
    account = UnitBankAccount.objects.select_related("bank").filter(unit=unit).first()
    if account is None:
        raise Http404
    payload = build_payload(bin_code=account.bank.bin, account=account.account_number)
    return render(
        request,
        "activities/vietqr_poster.html",
        {"unit": unit, "account": account, "payload": payload, "qr_svg": qr_svg(payload, scale=8, responsive=True)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def unit_bank_account(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    unit = unit_get_for_user(request.user, code, action="edit")
    account = UnitBankAccount.objects.filter(unit=unit).first()
    initial = (
        {"bank": account.bank_id, "account_number": account.account_number, "account_name": account.account_name}
        if account
        else {}
    )
    form = BankAccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.bank_account_save(unit=unit, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Bank account saved."))
            return redirect("activities:unit_payments", code=unit.code)
    return render(request, "activities/bank_account_form.html", {"unit": unit, "form": form})
