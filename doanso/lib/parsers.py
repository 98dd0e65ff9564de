"""The API's JSON parser: limits checked before parsing, duplicate keys refused.

Python's ``json`` recurses once per nesting level, so ``[`` × 5,000 ends in a RecursionError (a
500) before any serializer sees it; and ``{"a": 1, "a": 2}`` silently keeps the last value. Every
request body of the API goes through this parser instead (``DEFAULT_PARSER_CLASSES``): a body
nested deeper than ``API_JSON_MAX_DEPTH``, larger than ``API_JSON_MAX_BYTES`` or naming a key twice
is a 400 with a clear message, and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class DuplicateKey(ValueError):
    pass


def nesting_depth(text: str) -> int:
    """The deepest ``[``/``{`` nesting of a JSON text, ignoring brackets inside strings (no parsing)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(key)
        result[key] = value
    return result


def loads_strict(text: str) -> Any:
    """``json.loads`` within the limits, refusing duplicate keys; raises ParseError (400)."""
    if len(text) > settings.API_JSON_MAX_BYTES:
        raise ParseError(
            _("The request body is too large (at most %(limit)d bytes).") % {"limit": settings.API_JSON_MAX_BYTES}
        )
    if nesting_depth(text) > settings.API_JSON_MAX_DEPTH:
        raise ParseError(
            _("The JSON is nested too deeply (at most %(limit)d levels).") % {"limit": settings.API_JSON_MAX_DEPTH}
        )
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
        # "\ud800" parses into a lone surrogate that no database or UTF-8 answer can hold.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
        return data
    except UnicodeEncodeError:
        raise ParseError(_("The JSON holds a lone surrogate escape (such as \\ud800), which is not text.")) from None
    except DuplicateKey as exc:
        raise ParseError(_("The key “%(key)s” appears twice in the same object.") % {"key": str(exc)[:100]}) from None
    except ValueError as exc:  # JSONDecodeError, and NaN-like numbers too large for a float
        raise ParseError(_("The request body is not valid JSON: %(error)s") % {"error": str(exc)[:200]}) from None


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            raw = stream.read(settings.API_JSON_MAX_BYTES + 1) if stream is not None else b""
            text = raw.decode(encoding)
        except (UnicodeError, LookupError):
            raise ParseError(_("The request body is not valid UTF-8 text.")) from None
        if not text.strip():
            raise ParseError(_("The request body is empty; send a JSON object."))
        return loads_strict(text)
