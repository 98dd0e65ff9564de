"""VietQR (NAPAS 247, EMVCo merchant-presented mode) payloads: build, parse, check.

Layout (domain-facts §6): TLV objects ``id(2) length(2) value``; ``00`` first, ``63`` (CRC) last::

    00 payload format "01"
    01 point of initiation "11" static (reusable) | "12" dynamic (one payment)
    38 merchant account: 00 GUID "A000000727"; 01 beneficiary (00 bank BIN, 01 account); 02 service
    53 currency "704"
    54 amount (integer VND; only in dynamic QR)
    58 country "VN"
    62 additional data: 08 purpose (the transfer note)
    63 CRC-16/CCITT-FALSE over everything before it including "6304", 4 upper-case hex digits

A QR only pre-fills a transfer; a payment is confirmed by matching the bank statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import segno

from doanso.lib.text import ascii_fold

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
SERVICE_TO_CARD = "QRIBFTTC"
CURRENCY_VND = "704"
COUNTRY = "VN"
MAX_NOTE = 25
MAX_AMOUNT_DIGITS = 13


class VietQRError(ValueError):
    pass


def crc16_ccitt_false(data: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection), 4 upper-case hex digits."""
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"


def tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise VietQRError(f"value of {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def ascii_note(text: str) -> str:
    """A transfer note banks accept: ASCII letters, digits and spaces, at most 25 characters."""
    folded = ascii_fold(text).upper()
    cleaned = re.sub(r"[^A-Z0-9 ]+", " ", folded)
    return " ".join(cleaned.split())[:MAX_NOTE].strip()


def build_payload(
    *, bin_code: str, account: str, amount: int | None = None, note: str = "", service: str = SERVICE_TO_ACCOUNT
) -> str:
    """The VietQR string: dynamic (one payment) when ``amount`` is given, else static (a poster)."""
    if not re.fullmatch(r"\d{6}", bin_code):
        raise VietQRError("the bank BIN has 6 digits")
    if not re.fullmatch(r"[0-9A-Za-z]{1,19}", account):
        raise VietQRError("the account number has 1 to 19 letters or digits")
    if amount is not None and amount <= 0:
        raise VietQRError("the amount must be a positive number of VND")
    if amount is not None and len(str(int(amount))) > MAX_AMOUNT_DIGITS:
        raise VietQRError("the amount has more than 13 digits (field 54)")
    beneficiary = tlv("00", bin_code) + tlv("01", account)
    merchant = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", service)
    parts = [
        tlv("00", "01"),
        tlv("01", "12" if amount is not None else "11"),
        tlv("38", merchant),
        tlv("53", CURRENCY_VND),
    ]
    if amount is not None:
        parts.append(tlv("54", str(int(amount))))
    parts.append(tlv("58", COUNTRY))
    if note:
        if note != note.encode("ascii", "ignore").decode():
            raise VietQRError("the note must be ASCII")
        parts.append(tlv("62", tlv("08", note)))
    body = "".join(parts) + "6304"
    return body + crc16_ccitt_false(body)


def parse_tlv(data: str) -> list[tuple[str, str]]:
    """Split a TLV string into (id, value) pairs; raise if the lengths do not add up."""
    items, i = [], 0
    while i < len(data):
        if i + 4 > len(data):
            raise VietQRError(f"truncated TLV header at position {i}")
        tag, length = data[i : i + 2], data[i + 2 : i + 4]
        if not (tag.isdigit() and length.isdigit()):
            raise VietQRError(f"bad TLV header {data[i : i + 4]!r} at position {i}")
        end = i + 4 + int(length)
        if end > len(data):
            raise VietQRError(f"value of {tag} runs past the end")
        items.append((tag, data[i + 4 : end]))
        i = end
    return items


@dataclass(frozen=True)
class ParsedPayload:
    dynamic: bool
    bin_code: str
    account: str
    service: str
    currency: str
    amount: int | None
    country: str
    note: str
    crc: str


def parse_payload(payload: str) -> ParsedPayload:
    """Parse and check a VietQR string (CRC included); raise VietQRError if anything is off."""
    fields = parse_tlv(payload)
    tags = [t for t, _ in fields]
    if not tags or tags[0] != "00" or tags[-1] != "63":
        raise VietQRError("payload must start with 00 and end with 63")
    values = dict(fields)
    expected = crc16_ccitt_false(payload[:-4])
    if values["63"] != expected:
        raise VietQRError(f"CRC {values['63']} does not match {expected}")
    merchant = dict(parse_tlv(values.get("38", "")))
    if merchant.get("00") != NAPAS_GUID:
        raise VietQRError("not a NAPAS VietQR (GUID A000000727 missing)")
    beneficiary = dict(parse_tlv(merchant.get("01", "")))
    additional = dict(parse_tlv(values.get("62", "")))
    return ParsedPayload(
        dynamic=values.get("01") == "12",
        bin_code=beneficiary.get("00", ""),
        account=beneficiary.get("01", ""),
        service=merchant.get("02", ""),
        currency=values.get("53", ""),
        amount=int(values["54"]) if "54" in values else None,
        country=values.get("58", ""),
        note=additional.get("08", ""),
        crc=values["63"],
    )


def qr_svg(payload: str, *, scale: int = 5, responsive: bool = False) -> str:
    """An inline SVG QR code (error correction M, as bank apps scan it).

    ``responsive`` drops width/height for a viewBox, so CSS can size it on any screen.
    """
    return segno.make(payload, error="m", micro=False).svg_inline(scale=scale, border=4, omitsize=responsive)
