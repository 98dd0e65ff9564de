"""Money in Vietnamese style: 1.200.000 đ."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def vnd(value: object) -> str:
    try:
        amount = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "—"
    return f"{amount:,}".replace(",", ".") + " đ"
