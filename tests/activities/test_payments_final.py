"""Money typed the Vietnamese way in the payment form and the API (24.000 is 24000, never 24);
confirmed payments are final — the only change is a reversal with a reason, audited; a QR only
for a pending payment, and the same QR whatever the page's language."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from activities import services
from activities.metrics import unit_values
from activities.models import Bank, Payment, UnitBankAccount
from activities.selectors import payment_totals, payments_in
from activities.vietqr import parse_payload


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def account(tree):
    return UnitBankAccount.objects.create(
        unit=tree.qa1a, bank=Bank.objects.get(bin="970436"), account_number="1023456789", account_name="DOAN QA1A"
    )


@pytest.fixture
def confirmed(tree, personas):
    payment = services.payment_create(
        unit=tree.qa1a,
        by=personas.editor,
        purpose=Payment.Purpose.DUES,
        amount=24000,
        channel=Payment.Channel.VIETQR,
        paid_at=timezone.make_aware(datetime(2026, 3, 2, 9)),
    )
    services.payment_confirm(payment=payment, by=personas.editor)
    payment.refresh_from_db()
    return payment


@pytest.fixture
def pending(tree, personas):
    return services.payment_create(unit=tree.qa1a, by=personas.editor, amount=60000, channel=Payment.Channel.VIETQR)


# --- The VND parser in the form and the API -----------------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), [("24.000", 24000), ("60.000 đ", 60000), ("1.200.000", 1200000)])
def test_the_payment_form_reads_amounts_typed_the_vietnamese_way(personas, client_for, tree, typed, stored):
    response = client_for(personas.editor).post(
        reverse("activities:payment_create", args=["QA-1-a"]),
        {"purpose": "dues", "amount": typed, "channel": "cash"},
    )
    assert response.status_code == 302
    assert Payment.objects.get(unit=tree.qa1a).amount == stored


@pytest.mark.parametrize(
    ("typed", "says"),
    [("24.5", "không rõ ràng"), ("12345678901234", "13 chữ số"), ("-24.000", "số âm"), ("", "nhập số tiền")],
)
def test_the_payment_form_refuses_unclear_amounts_and_records_nothing(personas, client_for, tree, typed, says):
    response = client_for(personas.editor).post(
        reverse("activities:payment_create", args=["QA-1-a"]),
        {"purpose": "dues", "amount": typed, "channel": "cash"},
    )
    assert response.status_code == 200
    assert says in " ".join(response.context["form"].errors["amount"])
    assert not Payment.objects.exists()


def test_the_edit_form_shows_the_amount_grouped(personas, client_for, pending):
    page = client_for(personas.editor).get(reverse("activities:payment_edit", args=[pending.pk]))
    assert 'value="60.000"' in page.content.decode()
    assert 'inputmode="numeric"' in page.content.decode()


@pytest.mark.parametrize(
    ("sent", "stored"), [(24000, 24000), ("24.000", 24000), (24000.0, 24000), ("1,200,000.00", 1200000)]
)
def test_the_api_accepts_json_integers_and_strings_written_the_vietnamese_way(personas, tree, sent, stored):
    response = api_for(personas.editor).post(
        "/api/v1/payments/", {"unit": "QA-1-a", "amount": sent, "channel": "vietqr"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == stored
    assert Payment.objects.get().amount == stored


@pytest.mark.parametrize("sent", [24.5, "24.5", "24,5", 12345678901234, "12345678901234", True, "", 0, -24000])
def test_the_api_refuses_amounts_that_are_not_whole_dong_with_a_reason(personas, tree, sent):
    response = api_for(personas.editor).post(
        "/api/v1/payments/", {"unit": "QA-1-a", "amount": sent, "channel": "vietqr"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["amount"]
    assert not Payment.objects.exists()


def test_the_api_patch_reads_24_000_as_24000(personas, pending):
    response = api_for(personas.editor).patch(
        f"/api/v1/payments/{pending.pk}/", {"amount": "24.000", "version": pending.version}, format="json"
    )
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.amount == 24000


# --- Confirmed payments are final -----------------------------------------------------------------


def test_patching_a_confirmed_payment_through_the_api_is_refused_with_a_reason(personas, confirmed):
    response = api_for(personas.editor).patch(
        f"/api/v1/payments/{confirmed.pk}/", {"amount": 60000, "version": confirmed.version}, format="json"
    )
    assert response.status_code == 409
    assert "hoàn tác" in response.json()["detail"]
    confirmed.refresh_from_db()
    assert confirmed.amount == 24000 and confirmed.status == Payment.Status.CONFIRMED


def test_the_edit_form_of_a_confirmed_payment_refuses_and_changes_nothing(personas, client_for, confirmed):
    client = client_for(personas.editor)
    page = client.get(reverse("activities:payment_edit", args=[confirmed.pk]))
    assert page.status_code == 302 and page["Location"] == reverse("activities:payment_qr", args=[confirmed.pk])
    posted = client.post(
        reverse("activities:payment_edit", args=[confirmed.pk]),
        {"purpose": "dues", "amount": "60.000", "channel": "cash", "version": confirmed.version},
    )
    assert posted.status_code == 409
    assert "không thể sửa" in " ".join(posted.context["form"].non_field_errors())
    confirmed.refresh_from_db()
    assert confirmed.amount == 24000 and confirmed.channel == Payment.Channel.VIETQR


def test_a_confirmed_payment_cannot_be_cancelled(personas, client_for, confirmed):
    response = api_for(personas.editor).post(f"/api/v1/payments/{confirmed.pk}/cancel/")
    assert response.status_code == 409 and "hoàn tác" in response.json()["detail"]
    client_for(personas.editor).post(reverse("activities:payment_cancel", args=[confirmed.pk]))
    confirmed.refresh_from_db()
    assert confirmed.status == Payment.Status.CONFIRMED


def test_the_services_refuse_to_change_a_confirmed_payment(confirmed):
    with pytest.raises(services.PaymentFinal):
        services.payment_update(payment=confirmed, version=confirmed.version, amount=60000)
    with pytest.raises(services.PaymentFinal):
        services.payment_cancel(payment=confirmed)


def test_reversing_a_confirmed_payment_needs_a_reason_and_is_audited(personas, client_for, confirmed):
    client = client_for(personas.editor)
    client.post(reverse("activities:payment_reverse", args=[confirmed.pk]), {"reason": "  "})
    confirmed.refresh_from_db()
    assert confirmed.status == Payment.Status.CONFIRMED  # no reason: nothing changed

    page = client.get(reverse("activities:payment_qr", args=[confirmed.pk]))
    assert page.context["reverse_form"] is not None and "qr_svg" not in page.context
    done = client.post(reverse("activities:payment_reverse", args=[confirmed.pk]), {"reason": "Ghi trùng hai lần"})
    assert done.status_code == 302
    confirmed.refresh_from_db()
    assert confirmed.status == Payment.Status.REVERSED
    assert confirmed.reversal_reason == "Ghi trùng hai lần" and confirmed.reversed_by == personas.editor
    latest = confirmed.history.order_by("-history_id").first()
    assert latest.status == Payment.Status.REVERSED
    assert latest.history_change_reason == "Ghi trùng hai lần" and latest.history_user == personas.editor
    # Reversed is final too.
    with pytest.raises(services.PaymentFinal):
        services.payment_reverse(payment=confirmed, by=personas.editor, reason="again")


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("reviewer", 403), ("outsider", 404)])
def test_only_the_units_editors_reverse_a_payment(personas, client_for, confirmed, persona, status):
    user = getattr(personas, persona)
    assert (
        client_for(user).post(reverse("activities:payment_reverse", args=[confirmed.pk]), {"reason": "x"}).status_code
        == status
    )
    assert (
        api_for(user).post(f"/api/v1/payments/{confirmed.pk}/reverse/", {"reason": "x"}, format="json").status_code
        == status
    )
    confirmed.refresh_from_db()
    assert confirmed.status == Payment.Status.CONFIRMED


def test_the_api_reverses_a_confirmed_payment_with_a_reason(personas, confirmed, pending):
    client = api_for(personas.editor)
    assert client.post(f"/api/v1/payments/{confirmed.pk}/reverse/", {}, format="json").status_code == 400
    refused = client.post(f"/api/v1/payments/{pending.pk}/reverse/", {"reason": "x"}, format="json")
    assert refused.status_code == 409 and refused.json()["detail"]
    response = client.post(
        f"/api/v1/payments/{confirmed.pk}/reverse/", {"reason": "Ngân hàng hoàn tiền"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "reversed" and response.json()["reversal_reason"] == "Ngân hàng hoàn tiền"
    assert Payment.objects.get(pk=confirmed.pk).status == Payment.Status.REVERSED


def test_a_reversed_payment_no_longer_counts_in_totals_or_metrics(tree, personas, confirmed):
    cash = services.payment_create(
        unit=tree.qa1a,
        by=personas.editor,
        confirmed=True,
        amount=6000,
        channel=Payment.Channel.CASH,
        paid_at=timezone.make_aware(datetime(2026, 3, 3, 9)),
    )
    assert cash.status == Payment.Status.CONFIRMED
    period = {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}
    before = unit_values(tree.qa1a, period["start"], period["end"])
    assert before["payments.cashless_share_amount"].value == 80.0  # 24,000 of 30,000
    services.payment_reverse(payment=confirmed, by=personas.editor, reason="Ghi nhầm")
    totals = payment_totals(payments_in(tree.qa1a, subtree=False, status="", **period))
    assert totals.amount == 6000 and totals.count == 1
    after = unit_values(tree.qa1a, period["start"], period["end"])
    assert after["payments.cashless_share_amount"].value == 0.0  # only the cash payment is left


# --- A QR only for a pending payment, the same in every language --------------------------------


def test_no_qr_is_served_for_a_confirmed_cancelled_or_reversed_payment(personas, client_for, tree, account, confirmed):
    cancelled = services.payment_create(unit=tree.qa1a, by=personas.editor, amount=5000)
    services.payment_cancel(payment=cancelled)
    reversed_ = services.payment_create(unit=tree.qa1a, by=personas.editor, amount=7000, confirmed=True)
    services.payment_reverse(payment=reversed_, by=personas.editor, reason="Ghi nhầm")
    client = client_for(personas.editor)
    for payment in (confirmed, cancelled, reversed_):
        page = client.get(reverse("activities:payment_qr", args=[payment.pk]))
        assert page.status_code == 200
        assert "qr_svg" not in page.context and "payload" not in page.context
        assert "<svg" not in page.content.decode() and "không hiển thị mã VietQR" in page.content.decode()
        api = api_for(personas.editor).get(f"/api/v1/payments/{payment.pk}/vietqr/")
        assert api.status_code == 409 and "VietQR" in api.json()["detail"] and "payload" not in api.json()


def in_language(client, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_the_qr_payload_is_the_same_byte_for_byte_in_english_and_vietnamese(personas, client_for, account, pending):
    url = reverse("activities:payment_qr", args=[pending.pk])
    vi = in_language(client_for(personas.editor), "vi").get(url)
    en = in_language(client_for(personas.editor), "en").get(url)
    assert vi["Content-Language"] == "vi" and en["Content-Language"] == "en"  # the pages really differ
    assert vi.context["payload"].encode() == en.context["payload"].encode()
    assert parse_payload(en.context["payload"]).note == f"{pending.reference} DOAN PHI"
    api_url = f"/api/v1/payments/{pending.pk}/vietqr/"
    api_en = api_for(personas.editor).get(api_url, HTTP_ACCEPT_LANGUAGE="en")
    api_vi = api_for(personas.editor).get(api_url, HTTP_ACCEPT_LANGUAGE="vi")
    assert api_en.json()["payload"].encode() == api_vi.json()["payload"].encode() == vi.context["payload"].encode()
