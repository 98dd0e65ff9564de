"""The dates a record of the Đoàn's work can carry: the years 2000–2099.

Anything else is a typing mistake (0112 for 2012), and it would also break what the site shows and
sends: a moment before 1912 has no whole-minute offset in Asia/Ho_Chi_Minh (local mean time,
+07:06:40), which is not a valid ISO 8601 / RFC 3339 date-time, and date arithmetic near year 1 or
9999 overflows. Services check the dates they store with ``validate_plausible``; filters that only
read clamp their bounds with ``clamp_plausible`` (no record lies outside, so the result is the same).
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FIRST_YEAR = 2000
LAST_YEAR = 2099


def validate_plausible(value: date | datetime | None) -> None:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Enter a date from the year %(first)d to the year %(last)d.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
            code="implausible_date",
        )


def plausible_errors(**values: date | datetime | None) -> dict[str, list[str]]:
    """``{field: [message]}`` for each value outside the plausible years (empty if none)."""
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        try:
            validate_plausible(value)
        except ValidationError as exc:
            errors[name] = exc.messages
    return errors


def clamp_plausible(value: date) -> date:
    return min(max(value, date(FIRST_YEAR, 1, 1)), date(LAST_YEAR, 12, 31))
