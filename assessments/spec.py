"""The framework exchange format (docs/framework-format.md): schema and semantic validation.

``validate_framework_spec(data)`` returns every problem as ``(json_path, message)``; it is used by
import (before anything is written) and by publish (on the export of the draft), so the two can
never disagree about what a valid framework is.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

FORMAT = "doanso.framework/1"

QUESTION_TYPES = ("level", "choice", "multi", "yes_no", "number", "ratio", "percent", "metric", "text", "file")
OPTION_TYPES = ("level", "choice", "multi")
UNSCORED_TYPES = ("text", "file")
SHOW_IF_TYPES = ("level", "choice", "multi", "yes_no")
METRIC_KEYS = (
    "activities.online_share",
    "activities.digital_registration_share",
    "payments.cashless_share_amount",
    "payments.cashless_share_count",
)

CODE = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$"}
SLUG = {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]{0,49}$"}
TEXT = {"type": "string"}
WEIGHT = {"type": "number", "exclusiveMinimum": 0, "maximum": 1000, "multipleOf": 0.01}
POINTS = {"type": "integer", "minimum": 0, "maximum": 100}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required if required is not None else list(properties),
        "additionalProperties": False,
    }


OPTION = _object(
    {"code": CODE, "label": {"type": "string", "minLength": 1, "maxLength": 500}, "description": TEXT, "points": POINTS}
)
THRESHOLD = _object({"min": {"type": "number", "minimum": 0}, "points": POINTS})
QUESTION = _object(
    {
        "code": CODE,
        "text": {"type": "string", "minLength": 1, "maxLength": 1000},
        "help": TEXT,
        "type": {"enum": list(QUESTION_TYPES)},
        "weight": WEIGHT,
        "required": {"type": "boolean"},
        "allows_na": {"type": "boolean"},
        "scored": {"type": "boolean"},
        "show_if": {
            "oneOf": [
                {"type": "null"},
                _object({"question": CODE, "values": {"type": "array", "items": {"type": "string"}, "minItems": 1}}),
            ]
        },
        "options": {"type": "array", "items": OPTION},
        "thresholds": {"type": "array", "items": THRESHOLD},
        "unit_label": {"type": "string", "maxLength": 50},
        "numerator_label": {"type": "string", "maxLength": 200},
        "denominator_label": {"type": "string", "maxLength": 200},
        "metric": {"enum": ["", *METRIC_KEYS]},
        "target_groups": {"type": "array", "items": SLUG},
    }
)
INDICATOR = _object(
    {
        "code": CODE,
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": TEXT,
        "guidance": TEXT,
        "weight": WEIGHT,
        "evidence_required": {"type": "boolean"},
        "questions": {"type": "array", "items": QUESTION, "minItems": 1},
    }
)
DOMAIN = _object(
    {
        "code": CODE,
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": TEXT,
        "weight": WEIGHT,
        "indicators": {"type": "array", "items": INDICATOR, "minItems": 1},
    }
)
BAND = _object(
    {
        "min_score": {"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01},
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "description": TEXT,
        "colour": {"type": "string", "pattern": r"^#[0-9a-fA-F]{6}$"},
    }
)
SCHEMA = _object(
    {
        "format": {"const": FORMAT},
        "code": SLUG,
        "version": {"type": "integer", "minimum": 1},
        "kind": {"enum": ["unit", "member"]},
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": TEXT,
        "bands": {"type": "array", "items": BAND, "minItems": 1},
        "target_groups": {
            "type": "array",
            "items": _object({"code": SLUG, "name": {"type": "string", "minLength": 1, "maxLength": 100}}),
        },
        "domains": {"type": "array", "items": DOMAIN, "minItems": 1},
    }
)

Problem = tuple[str, str]


def _schema_message(error: SchemaError) -> str:
    """Vietnamese-first wording for the schema errors people actually make."""
    v = error.validator
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return _("the field “%(field)s” is missing") % {"field": missing}
    if v == "additionalProperties":
        return _("unknown field: %(detail)s") % {"detail": error.message.split("(")[-1].rstrip(")")}
    if v == "type":
        return _("%(value)r should be of type %(type)s") % {"value": error.instance, "type": error.validator_value}
    if v in ("enum", "const"):
        allowed = error.validator_value if v == "enum" else [error.validator_value]
        return _("%(value)r is not one of: %(allowed)s") % {
            "value": error.instance,
            "allowed": ", ".join(repr(a) for a in allowed),
        }
    if v in ("minimum", "exclusiveMinimum"):
        return _("%(value)s is too small (minimum %(limit)s%(strict)s)") % {
            "value": error.instance,
            "limit": error.validator_value,
            "strict": _(", not included") if v == "exclusiveMinimum" else "",
        }
    if v == "maximum":
        return _("%(value)s is greater than the maximum of %(limit)s") % {
            "value": error.instance,
            "limit": error.validator_value,
        }
    if v == "minItems":
        return _("needs at least %(count)d item(s)") % {"count": error.validator_value}
    if v in ("minLength",):
        return _("must not be empty")
    if v == "maxLength":
        return _("is longer than %(limit)d characters") % {"limit": error.validator_value}
    if v == "pattern":
        if str(error.validator_value).startswith("^#"):
            return _("%(value)r is not a colour like #1e6fd9") % {"value": error.instance}
        return _("%(value)r has characters that are not allowed in a code") % {"value": error.instance}
    if v == "multipleOf":
        return _("%(value)s has more than two decimals") % {"value": error.instance}
    return error.message


def _schema_problems(data: Any) -> list[Problem]:
    validator = Draft202012Validator(SCHEMA)
    problems: list[Problem] = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        if error.validator == "oneOf" and isinstance(error.instance, dict):
            # show_if: report what is wrong inside the object, not “is not valid under any schema”.
            inner = Draft202012Validator(QUESTION["properties"]["show_if"]["oneOf"][1])
            for sub in inner.iter_errors(error.instance):
                path = error.json_path + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in sub.absolute_path)
                problems.append((path, _schema_message(sub)))
            continue
        problems.append((error.json_path, _schema_message(error)))
    return problems


def _dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """The well-formed items of a list (the schema reports the malformed ones)."""
    return [(i, item) for i, item in enumerate(value)] if isinstance(value, list) else []


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _semantic_problems(data: dict[str, Any]) -> list[Problem]:
    """Checks the schema cannot express. Tolerates malformed parts, which the schema reports."""
    problems: list[Problem] = []
    add = problems.append

    mins = []
    for i, band in _dicts(data.get("bands")):
        if isinstance(band, dict) and isinstance(band.get("min_score"), int | float):
            value = Decimal(str(band["min_score"]))
            if value in mins:
                add((f"$.bands[{i}].min_score", _("another band already starts at %(score)s") % {"score": value}))
            mins.append(value)
    if isinstance(data.get("bands"), list) and data["bands"] and Decimal(0) not in mins:
        add(("$.bands", _("bands must cover 0–100: one band needs min_score 0")))

    groups = [g.get("code") for _i, g in _dicts(data.get("target_groups")) if isinstance(g, dict)]
    for i, code in enumerate(groups):
        if code in groups[:i]:
            add((f"$.target_groups[{i}].code", _("duplicate target group “%(code)s”") % {"code": code}))
    if data.get("kind") == "member" and not groups:
        add(("$.target_groups", _("a member framework needs at least one target group")))
    if data.get("kind") == "unit" and groups:
        add(("$.target_groups", _("target groups are only for member frameworks")))

    seen: dict[str, dict[str, str]] = {"domain": {}, "indicator": {}, "question": {}}
    earlier: dict[str, dict[str, Any]] = {}  # code → question, in order

    def check_code(kind: str, item: dict[str, Any], path: str) -> None:
        code = item.get("code")
        if not isinstance(code, str):
            return
        if code in seen[kind]:
            add(
                (
                    f"{path}.code",
                    _("duplicate code “%(code)s” (also at %(other)s)") % {"code": code, "other": seen[kind][code]},
                )
            )
        seen[kind].setdefault(code, path)

    for d, domain in _dicts(data.get("domains")):
        if not isinstance(domain, dict):
            continue
        dpath = f"$.domains[{d}]"
        check_code("domain", domain, dpath)
        for i, indicator in _dicts(domain.get("indicators")):
            if not isinstance(indicator, dict):
                continue
            ipath = f"{dpath}.indicators[{i}]"
            check_code("indicator", indicator, ipath)
            for q, question in _dicts(indicator.get("questions")):
                if not isinstance(question, dict):
                    continue
                qpath = f"{ipath}.questions[{q}]"
                check_code("question", question, qpath)
                problems.extend(_question_problems(question, qpath, earlier, groups))
                if isinstance(question.get("code"), str):
                    earlier.setdefault(question["code"], question)
    return problems


def _question_problems(
    question: dict[str, Any], qpath: str, earlier: dict[str, dict[str, Any]], groups: list[Any]
) -> list[Problem]:
    problems: list[Problem] = []
    add = problems.append
    qtype = question.get("type")
    options = [o for _i, o in _dicts(question.get("options")) if isinstance(o, dict)]
    thresholds = [t for _i, t in _dicts(question.get("thresholds")) if isinstance(t, dict)]
    if qtype in OPTION_TYPES:
        if len(options) < 2:
            add((f"{qpath}.options", _("a “%(type)s” question needs at least two options") % {"type": qtype}))
        codes = [o.get("code") for o in options]
        for o, code in enumerate(codes):
            if code in codes[:o]:
                add((f"{qpath}.options[{o}].code", _("duplicate option “%(code)s”") % {"code": code}))
    elif options:
        add((f"{qpath}.options", _("only level, choice and multi questions have options")))
    if qtype == "number":
        if not thresholds:
            add((f"{qpath}.thresholds", _("a number question needs a threshold table")))
        mins = [t.get("min") for t in thresholds]
        numeric = [m for m in mins if isinstance(m, int | float)]
        if len(numeric) == len(mins) and (numeric != sorted(numeric) or len(set(numeric)) != len(numeric)):
            add((f"{qpath}.thresholds", _("thresholds must be in increasing order of “min”, each once")))
    elif thresholds:
        add((f"{qpath}.thresholds", _("only number questions have thresholds")))
    if qtype == "metric" and not question.get("metric"):
        add((f"{qpath}.metric", _("a metric question needs a metric key")))
    if qtype != "metric" and question.get("metric"):
        add((f"{qpath}.metric", _("only metric questions have a metric key")))
    if qtype in UNSCORED_TYPES and question.get("scored") is True:
        add((f"{qpath}.scored", _("%(type)s questions cannot be scored; set scored to false") % {"type": qtype}))
    if qtype == "metric" and question.get("required") is True:
        add((f"{qpath}.required", _("a metric question is computed, not answered; it cannot be required")))
    for g, code in enumerate(_list(question.get("target_groups"))):
        if code not in groups:
            add((f"{qpath}.target_groups[{g}]", _("unknown target group “%(code)s”") % {"code": code}))
    show_if = question.get("show_if")
    if isinstance(show_if, dict) and isinstance(show_if.get("question"), str):
        source = earlier.get(show_if["question"])
        if source is None:
            add(
                (
                    f"{qpath}.show_if.question",
                    _("“%(code)s” is not an earlier question") % {"code": show_if["question"]},
                )
            )
        elif source.get("type") not in SHOW_IF_TYPES:
            add((f"{qpath}.show_if.question", _("show_if can only test level, choice, multi or yes/no questions")))
        else:
            allowed = (
                ["yes", "no"]
                if source["type"] == "yes_no"
                else [o.get("code") for _i, o in _dicts(source.get("options")) if isinstance(o, dict)]
            )
            for v, value in enumerate(_list(show_if.get("values"))):
                if value not in allowed:
                    add(
                        (
                            f"{qpath}.show_if.values[{v}]",
                            _("“%(value)s” is not an answer of “%(code)s”")
                            % {"value": value, "code": show_if["question"]},
                        )
                    )
    return problems


def validate_framework_spec(data: Any) -> list[Problem]:
    """Every problem of ``data`` as (JSON path, message); empty when the framework is valid."""
    problems = _schema_problems(data)
    if isinstance(data, dict):
        problems += _semantic_problems(data)
    return sorted(set(problems), key=_path_key)


def _path_key(problem: Problem) -> tuple[int, ...]:
    """Sort problems in document order: fields in schema order, list items by index."""
    key: list[int] = []
    schema: dict[str, Any] = SCHEMA
    for index, name in re.findall(r"\[(\d+)\]|\.([A-Za-z_]+)", problem[0]):
        if index:
            key.append(int(index))
            schema = schema.get("items", {})
            continue
        if "oneOf" in schema:  # show_if: the object variant
            schema = next((s for s in schema["oneOf"] if s.get("type") == "object"), {})
        properties = list(schema.get("properties", {}))
        key.append(properties.index(name) if name in properties else len(properties))
        schema = schema.get("properties", {}).get(name, {})
    return tuple(key)
