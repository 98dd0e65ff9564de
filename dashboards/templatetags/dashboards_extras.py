"""Formatting of scores on the dashboards: one decimal, localised; a dash when there is none."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()

NONE = "—"


@register.filter
def score(value: Any) -> str:
    """72.46 → "72,5" (vi) / "72.5" (en); None → "—"."""
    if value is None or value == "":
        return NONE
    return str(floatformat(value, 1))


@register.filter
def signed(value: Any) -> str:
    """A change: "+3,2", "−1,0", "0,0"; None → "—"."""
    if value is None or value == "":
        return NONE
    number = float(value)
    text = str(floatformat(abs(number), 1))
    if number > 0:
        return f"+{text}"
    if number < 0:
        return f"−{text}"
    return text
