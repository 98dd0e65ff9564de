"""Money in đồng, typed the Vietnamese way or written the way banks export it — one parser for all.

Vietnamese write ``24.000`` or ``1.200.000 đ`` (dot groups thousands); bank exports write
``1,200,000.00`` or ``1.200.000,00``. Django's and DRF's integer fields read ``24.000`` as 24, so a
VietQR for 24 đ was generated. :func:`parse_vnd` reads every unambiguous way of writing an integer
amount and refuses everything else with a message saying why — it never guesses:

* ``24000``, ``24.000``, ``24,000``, ``24 000``, ``1.200.000 đ``, ``1.200.000đ``, ``1.200.000 VND`` → the integer;
* ``1,200,000.00``, ``1.200.000,00``, ``1200000.00`` (a decimal part of zeros, as banks print it) → the integer;
* ``24.5``, ``24,5``, ``1.20.000``, ``1,2``, ``1.200,000`` → refused as ambiguous;
* ``24,50`` (a fraction of a đồng that is not zero), a sign where none is allowed, empty → refused;
* more than 13 digits → refused: VietQR's amount (field 54) holds 13 characters.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_DIGITS = 13  # VietQR field 54
MAX_VND = 10**MAX_DIGITS - 1

_CURRENCY = re.compile(r"(?:vnđ|vnd|đồng|dong|đ|₫)\.?$", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
# Groups of three after one to three digits, with one separator used throughout.
_GROUPED = {
    ".": re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+"),
    ",": re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+"),
    " ": re.compile(r"[0-9]{1,3}(?: [0-9]{3})+"),
}
_DECIMAL = {".": ",", ",": "."}  # with dot groups the decimal mark is a comma, and the other way round


def format_vnd(amount: int) -> str:
    """``1200000`` → ``1.200.000`` (no unit)."""
    return f"{amount:,}".replace(",", ".")


def _refuse(message: str, value: str) -> ValidationError:
    return ValidationError(message, code="invalid_vnd", params={"value": value})


def _plain_digits(text: str) -> bool:
    """ASCII digits only: ``"²".isdigit()`` is true and ``int("١٢")`` reads Arabic-Indic digits."""
    return text.isascii() and text.isdigit()


def _integer_part(text: str, original: str) -> str:
    """The digits of ``text`` (no sign, no currency), or a refusal saying what is wrong."""
    if _plain_digits(text):
        return text
    for sep, pattern in _GROUPED.items():
        if pattern.fullmatch(text):
            return text.replace(sep, "")
    # A decimal part: 1–2 digits after the last separator, the integer part plain or grouped
    # with the other separator. It must be zero: there is no fraction of a đồng.
    match = re.fullmatch(r"(.+)([.,])([0-9]{1,2})", text)
    if match:
        head, mark, fraction = match.groups()
        group = next((g for g, d in _DECIMAL.items() if d == mark), None)
        head_ok = (
            _plain_digits(head)
            or bool(group and _GROUPED[group].fullmatch(head))
            or bool(_GROUPED[" "].fullmatch(head))
        )
        if head_ok:
            if _plain_digits(head) and len(head) <= 3:
                # "24.5", "1,2", "24.00": too close to a mistyped "24.500" or "24.000" to accept.
                raise _refuse(_("“%(value)s” is ambiguous. Write the amount in full, e.g. 24.000 or 24000."), original)
            if int(fraction) != 0:
                raise _refuse(
                    _("“%(value)s” has a fraction of a đồng. Write a whole number of đồng, e.g. 24.000."), original
                )
            return re.sub(r"[^0-9]", "", head)
    raise _refuse(
        _("“%(value)s” is not an amount in đồng. Write it like 24.000 or 1.200.000 (dots between thousands)."),
        original,
    )


def parse_vnd(text: str | int, *, allow_negative: bool = False) -> int:
    """Read an amount in đồng; raise :class:`ValidationError` (a Vietnamese message) if it is not one."""
    if isinstance(text, bool):
        raise _refuse(_("“%(value)s” is not an amount in đồng."), str(text))
    if isinstance(text, int):
        amount = text
    else:
        original = str(text)
        cleaned = _SPACES.sub(" ", original).strip()
        cleaned = _CURRENCY.sub("", cleaned).strip()
        if not cleaned:
            raise ValidationError(_("Enter an amount in đồng."), code="required")
        sign = 1
        if cleaned[0] in "+-−":
            sign = -1 if cleaned[0] in "-−" else 1
            cleaned = cleaned[1:].strip()
        elif cleaned.startswith("(") and cleaned.endswith(")"):  # accountants' negative
            sign, cleaned = -1, cleaned[1:-1].strip()
        digits = _integer_part(cleaned, original).lstrip("0") or "0"  # 5,000 zeros first: no int() of them
        if len(digits) > MAX_DIGITS:
            raise _refuse(
                _("“%(value)s” has more than 13 digits: no payment (and no VietQR code) can carry it."), original
            )
        amount = sign * int(digits)
    if amount < 0 and not allow_negative:
        raise _refuse(_("The amount cannot be negative."), str(text))
    if abs(amount) > MAX_VND:
        raise _refuse(
            _("“%(value)s” has more than 13 digits: no payment (and no VietQR code) can carry it."), str(text)
        )
    return amount


class VNDInput(forms.TextInput):
    """A text box (``type=number`` refuses ``24.000``) with the phone's digit keyboard; static/js/money.js
    shows the amount as read (``24.000 đ``) beside it."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {
            "inputmode": "numeric",
            "autocomplete": "off",
            "data-vnd": "",
            "data-vnd-invalid": gettext_lazy("Not an amount in đồng: write it like 24.000"),
        }
        super().__init__({**defaults, **(attrs or {})})


class VNDField(forms.Field):
    widget = VNDInput
    default_error_messages = {"required": gettext_lazy("Enter an amount in đồng.")}

    def __init__(self, *, min_value: int | None = 1, allow_negative: bool = False, **kwargs: Any) -> None:
        self.min_value, self.allow_negative = min_value, allow_negative
        kwargs.setdefault("help_text", gettext_lazy("In đồng, e.g. 24.000"))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return format_vnd(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        amount = parse_vnd(value, allow_negative=self.allow_negative)
        if self.min_value is not None and amount < self.min_value:
            raise ValidationError(
                _("The amount must be at least %(min)s đ.") % {"min": format_vnd(self.min_value)}, code="min_value"
            )
        return amount


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_VND},
            {"type": "string", "pattern": r"^[0-9., ]{1,24}(đ|VND)?$", "example": "24.000"},
        ],
        "description": "Whole đồng: a JSON integer (24000), or a string the way people write it "
        "(`24.000`, `1.200.000 đ`). `24.5`, `24.000,50` and more than 13 digits are refused (400).",
    }
)
class VNDSerializerField(serializers.Field):  # type: ignore[type-arg]
    default_error_messages = {"required": gettext_lazy("Enter an amount in đồng.")}

    def __init__(self, *, min_value: int = 1, **kwargs: Any) -> None:
        self.min_value = min_value
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, float):
            if not data.is_integer():
                raise serializers.ValidationError(_("%(value)s is not a whole number of đồng.") % {"value": data})
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int | str):
            raise serializers.ValidationError(_("Send the amount as a whole number of đồng, e.g. 24000."))
        try:
            amount = parse_vnd(data)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        if amount < self.min_value:
            raise serializers.ValidationError(
                _("The amount must be at least %(min)s đ.") % {"min": format_vnd(self.min_value)}
            )
        return amount

    def to_representation(self, value: int) -> int:
        return int(value)
