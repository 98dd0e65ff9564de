"""Typed answers: parse a raw value per question type, its normalised score, and show_if.

The same rules serve the survey page (form values), the API (JSON values) and the member survey.
Value shapes (also in the OpenAPI schema):

========== ================================================ ==============================
type       JSON value                                       form fields (name = code)
========== ================================================ ==============================
level      option code                                      ``<code>`` radio
choice     option code                                      ``<code>`` radio
multi      list of option codes                             ``<code>`` checkboxes
yes_no     true / false                                     ``<code>`` = yes / no
number     number ≥ 0                                       ``<code>``
ratio      {"numerator": a, "denominator": b}               ``<code>`` and ``<code>__den``
percent    number 0–100                                     ``<code>``
text       string                                           ``<code>``
metric     — (computed from records, read-only)
file       — (uploaded as evidence of the indicator)
========== ================================================ ==============================

``null`` (or an empty form value) clears an answer; ``na: true`` answers “not applicable”.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Option, Question

T = Question.Type
NOT_ANSWERABLE = frozenset({T.METRIC, T.FILE})
MAX_NUMBER = Decimal("999999999999")
MAX_TEXT = 5000


@dataclass
class ParsedAnswer:
    """A validated answer, ready to store. ``empty`` means: clear the stored answer."""

    question: Question
    is_na: bool = False
    empty: bool = False
    option: Option | None = None
    options: list[Option] = field(default_factory=list)
    value_bool: bool | None = None
    value_number: Decimal | None = None
    value_denominator: Decimal | None = None
    value_text: str = ""


def _number(raw: Any, *, label: str) -> Decimal:
    if isinstance(raw, bool):
        raise ValidationError(_("%(label)s must be a number.") % {"label": label})
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("%(label)s must be a number.") % {"label": label}) from None
    if not value.is_finite():
        raise ValidationError(_("%(label)s must be a number.") % {"label": label})
    if value < 0:
        raise ValidationError(_("%(label)s cannot be negative.") % {"label": label})
    if value > MAX_NUMBER:
        raise ValidationError(_("%(label)s is too large.") % {"label": label})
    return value.quantize(Decimal("0.01"))


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "") or (isinstance(raw, list | dict) and not raw)


def parse_value(
    question: Question, raw: Any, *, na: bool = False, options: Mapping[str, Option] | None = None
) -> ParsedAnswer:
    """Validate ``raw`` for ``question``; raise ``ValidationError`` with a Vietnamese message.

    ``options`` maps option code → Option for the question (pass it to avoid a query).
    """
    qtype = question.type
    if qtype in NOT_ANSWERABLE:
        raise ValidationError(
            _("This question is filled automatically from records.")
            if qtype == T.METRIC
            else _("Answer this question by attaching a file.")
        )
    if na:
        if not question.allows_na:
            raise ValidationError(_("“Not applicable” is not allowed for this question."))
        return ParsedAnswer(question=question, is_na=True)
    if _is_blank(raw):
        return ParsedAnswer(question=question, empty=True)
    parsed = ParsedAnswer(question=question)
    if question.has_options:
        by_code = options if options is not None else {o.code: o for o in question.options.all()}
        codes = raw if isinstance(raw, list) else [raw]
        if qtype != T.MULTI and (isinstance(raw, list) and len(raw) != 1):
            raise ValidationError(_("Choose exactly one answer."))
        chosen = []
        for code in codes:
            option = by_code.get(str(code))
            if option is None:
                shown_code = str(code) if len(str(code)) <= 40 else str(code)[:40] + "…"  # never echo a whole body
                raise ValidationError(
                    _("“%(value)s” is not one of the answers of this question.") % {"value": shown_code}
                )
            if option not in chosen:
                chosen.append(option)
        if qtype == T.MULTI:
            parsed.options = chosen
        else:
            parsed.option = chosen[0]
    elif qtype == T.YES_NO:
        if raw in (True, "yes", "true", "1", 1):
            parsed.value_bool = True
        elif raw in (False, "no", "false", "0", 0):
            parsed.value_bool = False
        else:
            raise ValidationError(_("Answer yes or no."))
    elif qtype == T.NUMBER:
        parsed.value_number = _number(raw, label=_("The answer"))
    elif qtype == T.PERCENT:
        parsed.value_number = _number(raw, label=_("The percentage"))
        if parsed.value_number > 100:
            raise ValidationError(_("A percentage is between 0 and 100."))
    elif qtype == T.RATIO:
        if not isinstance(raw, Mapping):
            raise ValidationError(_("Give both numbers of the ratio."))
        numerator, denominator = raw.get("numerator"), raw.get("denominator")
        if _is_blank(numerator) and _is_blank(denominator):
            return ParsedAnswer(question=question, empty=True)
        if _is_blank(numerator) or _is_blank(denominator):
            raise ValidationError(_("Give both numbers of the ratio."))
        parsed.value_number = _number(numerator, label=question.numerator_label or _("The first number"))
        parsed.value_denominator = _number(denominator, label=question.denominator_label or _("The second number"))
    elif qtype == T.TEXT:
        text = str(raw).strip()
        if len(text) > MAX_TEXT:
            raise ValidationError(_("The text is longer than %(limit)d characters.") % {"limit": MAX_TEXT})
        parsed.value_text = text
    return parsed


def threshold_points(thresholds: Iterable[Mapping[str, Any]], value: Decimal) -> int:
    """Points of the highest threshold whose ``min`` ≤ value (0 below the first)."""
    points = 0
    for row in sorted(thresholds, key=lambda t: Decimal(str(t["min"]))):
        if Decimal(str(row["min"])) <= value:
            points = int(row["points"])
    return points


def answer_score(
    question: Question,
    *,
    is_na: bool,
    option_points: int | None = None,
    options_points: Iterable[int] = (),
    value_bool: bool | None = None,
    value_number: Decimal | None = None,
    value_denominator: Decimal | None = None,
) -> float | None:
    """The normalised score s ∈ [0, 1] of DESIGN.md §3, or None (unscored, N/A, b = 0)."""
    if is_na or not question.is_scored:
        return None
    qtype = question.type
    if qtype in (T.LEVEL, T.CHOICE):
        return None if option_points is None else option_points / 100
    if qtype == T.MULTI:
        return min(100, sum(options_points)) / 100
    if qtype == T.YES_NO:
        return None if value_bool is None else (1.0 if value_bool else 0.0)
    if value_number is None:
        return None
    if qtype == T.NUMBER:
        return threshold_points(question.thresholds, value_number) / 100
    if qtype == T.PERCENT:
        return float(min(max(value_number, Decimal(0)), Decimal(100))) / 100
    if qtype == T.RATIO:
        if value_denominator is None or value_denominator == 0:
            return None
        return min(float(value_number / value_denominator), 1.0)
    return None


def shown(question: Question, answers: Mapping[int, Any], visible: Mapping[int, bool], target_group: str = "") -> bool:
    """Whether ``question`` is shown, given earlier questions' answers and visibility.

    ``answers`` maps question id → the stored answer's comparable value: an option code, a list of
    option codes, or "yes"/"no". ``visible`` holds the visibility already decided for earlier ones.
    """
    if target_group and question.target_groups and target_group not in question.target_groups:
        return False
    source_id = question.show_if_question_id
    if source_id is None:
        return True
    if not visible.get(source_id, False):
        return False
    value = answers.get(source_id)
    if value is None:
        return False
    chosen = value if isinstance(value, list) else [value]
    return any(v in question.show_if_values for v in chosen)


def comparable_value(answer: Any) -> Any:
    """The value of a stored Answer in the shape ``shown`` compares (needs option/options loaded)."""
    if answer.is_na:
        return None
    qtype = answer.question.type
    if qtype in (T.LEVEL, T.CHOICE):
        return answer.option.code if answer.option_id else None
    if qtype == T.MULTI:
        return [o.code for o in answer.options.all()]
    if qtype == T.YES_NO:
        return None if answer.value_bool is None else ("yes" if answer.value_bool else "no")
    return None
