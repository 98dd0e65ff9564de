"""VietQR: the known-good payloads byte for byte, every payload we make parses and checks, and a
generated QR image decodes back (zxing-cpp, a real decoder)."""

from __future__ import annotations

import io

import pytest
import segno
import zxingcpp
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from activities.models import Bank, Payment, UnitBankAccount
from activities.vietqr import VietQRError, ascii_note, build_payload, crc16_ccitt_false, parse_payload, parse_tlv

KNOWN_GOOD = [
    # (payload, builder arguments) — domain-facts §6, from the subiz/vietqr test suite
    (
        "00020101021138540010A00000072701240006970423011000999999990208QRIBFTTA53037045802VN6304CBB4",
        {"bin_code": "970423", "account": "0099999999"},
    ),
    (
        "00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA53037045405401235802VN"
        "62200816test text string6304D9C6",
        {"bin_code": "970422", "account": "0023457923442", "amount": 40123, "note": "test text string"},
    ),
    (
        "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN"
        "62170813ung ho lu lut6304C15C",
        {"bin_code": "970415", "account": "0011001932418", "amount": 120000, "note": "ung ho lu lut"},
    ),
]


@pytest.mark.parametrize(("expected", "arguments"), KNOWN_GOOD)
def test_known_good_payloads_are_reproduced_byte_for_byte(expected, arguments):
    assert build_payload(**arguments) == expected


@pytest.mark.parametrize(("payload", "arguments"), KNOWN_GOOD)
def test_known_good_payloads_parse_back_and_their_crc_checks(payload, arguments):
    parsed = parse_payload(payload)
    assert (parsed.bin_code, parsed.account, parsed.amount) == (
        arguments["bin_code"],
        arguments["account"],
        arguments.get("amount"),
    )
    assert parsed.dynamic is ("amount" in arguments)
    assert parsed.note == arguments.get("note", "")
    assert (parsed.currency, parsed.country, parsed.service) == ("704", "VN", "QRIBFTTA")


def test_crc_is_zero_padded_to_four_hex_digits():
    payload = build_payload(bin_code="970422", account="0023457923442", amount=24000, note="DS7K2M9QXA DOAN PHI")
    assert payload.endswith("63040033")  # a CRC of 0x33 is written 0033
    assert crc16_ccitt_false("123456789") == "29B1"  # the CRC-16/CCITT-FALSE check value


def test_a_corrupted_payload_is_refused():
    payload = KNOWN_GOOD[1][0]
    with pytest.raises(VietQRError, match="CRC"):
        parse_payload(payload.replace("40123", "90123"))
    with pytest.raises(VietQRError):
        parse_tlv("0002")  # truncated


def test_notes_are_ascii_short_and_keep_the_reference_first():
    note = ascii_note("DSABCDEFGH Đoàn phí tháng 11/2026 của chi đoàn")
    assert note == "DSABCDEFGH DOAN PHI THANG"  # diacritics stripped, cut at 25 characters
    assert note == note.encode("ascii").decode()
    with pytest.raises(VietQRError):
        build_payload(bin_code="970422", account="1", amount=1, note="Đoàn")


def decode(payload: str) -> list[str]:
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=4, border=4)
    buffer.seek(0)
    return [result.text for result in zxingcpp.read_barcodes(Image.open(buffer))]


@pytest.mark.parametrize(("payload", "arguments"), KNOWN_GOOD)
def test_a_generated_qr_image_decodes_back_to_its_payload(payload, arguments):
    assert decode(payload) == [payload]


@pytest.fixture
def account(tree):
    return UnitBankAccount.objects.create(
        unit=tree.qa1a, bank=Bank.objects.get(bin="970436"), account_number="1023456789", account_name="DOAN QA1A"
    )


def test_every_payload_the_app_makes_parses_checks_and_decodes(personas, client_for, tree, account):
    payment = Payment.objects.create(unit=tree.qa1a, amount=24000, purpose=Payment.Purpose.DUES)
    api = APIClient()
    api.force_authenticate(personas.editor)
    body = api.get(f"/api/v1/payments/{payment.pk}/vietqr/").json()
    parsed = parse_payload(body["payload"])
    assert (parsed.bin_code, parsed.account, parsed.amount, parsed.dynamic) == ("970436", "1023456789", 24000, True)
    assert parsed.note.startswith(payment.reference)
    assert body["svg"].startswith("<svg") and decode(body["payload"]) == [body["payload"]]
    page = client_for(personas.editor).get(reverse("activities:payment_qr", args=[payment.pk]))
    assert page.context["payload"] == body["payload"]
    poster = client_for(personas.viewer).get(reverse("activities:vietqr_poster", args=[tree.qa1a.code]))
    static = parse_payload(poster.context["payload"])
    assert (
        static.dynamic is False
        and static.amount is None
        and decode(poster.context["payload"]) == [poster.context["payload"]]
    )


@pytest.mark.parametrize(
    ("persona", "status"), [("editor", 200), ("viewer", 200), ("reviewer", 200), ("outsider", 404)]
)
def test_qr_pages_and_api_follow_the_unit(personas, client_for, tree, account, persona, status):
    payment = Payment.objects.create(unit=tree.qa1a, amount=5000)
    user = getattr(personas, persona)
    assert client_for(user).get(reverse("activities:payment_qr", args=[payment.pk])).status_code == status
    assert client_for(user).get(reverse("activities:vietqr_poster", args=[tree.qa1a.code])).status_code == status
    api = APIClient()
    api.force_authenticate(user)
    assert api.get(f"/api/v1/payments/{payment.pk}/vietqr/").status_code == status


def test_an_amount_of_more_than_13_digits_never_becomes_a_payload():
    assert parse_payload(build_payload(bin_code="970436", account="1023456789", amount=9_999_999_999_999)).amount == (
        9_999_999_999_999
    )
    with pytest.raises(VietQRError, match="13 digits"):
        build_payload(bin_code="970436", account="1023456789", amount=10_000_000_000_000)
