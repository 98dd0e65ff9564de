"""A branch secretary on a phone asks for dues by VietQR: the QR on the screen decodes back to a
payload whose amount and note carry the payment (zxing-cpp reads the rendered pixels)."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from activities.models import Bank, Payment, UnitBankAccount
from activities.vietqr import parse_payload

from .conftest import log_in, screenshot


def test_secretary_shows_a_vietqr_that_a_phone_can_scan(
    tree, personas, reference_data, phone_page, live_server, password
):
    UnitBankAccount.objects.create(
        unit=tree.qa1a, bank=Bank.objects.get(bin="970436"), account_number="1023456789", account_name="DOAN QA1A"
    )
    page = phone_page
    log_in(page, live_server, "editor", password)
    page.goto(f"{live_server.url}/units/QA-1-a/payments/")
    page.get_by_role("link", name="Ghi nhận khoản thu").click()
    page.locator("#id_purpose").select_option("dues")
    page.locator("#id_amount").fill("24000")
    page.locator("#id_channel").select_option("vietqr")
    page.locator("main button[type=submit]").click()

    payment = Payment.objects.get(unit=tree.qa1a)
    expect(page).to_have_url(f"{live_server.url}/payments/{payment.pk}/qr/")
    expect(page.get_by_text(payment.reference).first).to_be_visible()
    screenshot(page, "payment-vietqr-phone")

    pixels = Image.open(io.BytesIO(page.locator(".qr").screenshot()))
    decoded = [r.text for r in zxingcpp.read_barcodes(pixels)]
    assert len(decoded) == 1
    parsed = parse_payload(decoded[0])
    assert parsed.dynamic and parsed.bin_code == "970436" and parsed.account == "1023456789"
    assert parsed.amount == 24000 and payment.reference in parsed.note
    assert payment.status == Payment.Status.PENDING


def test_secretary_types_dues_the_vietnamese_way_and_the_qr_asks_for_24000(
    tree, personas, reference_data, phone_page, live_server, password
):
    UnitBankAccount.objects.create(
        unit=tree.qa1a, bank=Bank.objects.get(bin="970436"), account_number="1023456789", account_name="DOAN QA1A"
    )
    page = phone_page
    log_in(page, live_server, "editor", password)
    page.goto(f"{live_server.url}/units/QA-1-a/payments/new/")
    amount = page.locator("#id_amount")
    expect(amount).to_have_attribute("inputmode", "numeric")
    expect(amount).to_have_attribute("type", "text")
    amount.press_sequentially("24.000")
    expect(page.locator("#id_amount-vnd-hint")).to_have_text("= 24.000 đ")
    screenshot(page, "payment-form-typed-24000-phone")
    page.locator("#id_channel").select_option("vietqr")
    page.locator("main button[type=submit]").click()

    payment = Payment.objects.get(unit=tree.qa1a)
    assert payment.amount == 24000  # never 24
    expect(page).to_have_url(f"{live_server.url}/payments/{payment.pk}/qr/")
    expect(page.get_by_text("24.000 đ").first).to_be_visible()
    screenshot(page, "payment-typed-24000-phone")
    pixels = Image.open(io.BytesIO(page.locator(".qr").screenshot()))
    decoded = [r.text for r in zxingcpp.read_barcodes(pixels)]
    assert len(decoded) == 1 and parse_payload(decoded[0]).amount == 24000


def test_an_unreadable_amount_is_flagged_while_typing_and_refused_by_the_server(
    tree, personas, reference_data, phone_page, live_server, password
):
    page = phone_page
    log_in(page, live_server, "editor", password)
    page.goto(f"{live_server.url}/units/QA-1-a/payments/new/")
    page.locator("#id_amount").press_sequentially("24.5")
    expect(page.locator("#id_amount-vnd-hint")).to_have_class(re.compile(r"\btext-danger\b"))
    page.locator("#id_channel").select_option("cash")
    page.locator("main button[type=submit]").click()
    expect(page.get_by_text("“24.5” không rõ ràng").first).to_be_visible()
    assert not Payment.objects.filter(unit=tree.qa1a).exists()
