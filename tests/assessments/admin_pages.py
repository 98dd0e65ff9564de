"""What a browser would post from an admin page, and a generated framework of any size."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from .conftest import opts, q

LEVEL_LABELS = ("Chưa có", "Bắt đầu", "Thường xuyên", "Toàn diện")


def generated_spec(*, domains: int = 10, indicators: int = 4, questions: int = 5) -> dict[str, Any]:
    """A unit framework of domains × indicators × questions level questions (4 options each)."""
    return {
        "format": "doanso.framework/1",
        "code": "generated",
        "version": 1,
        "kind": "unit",
        "name": "Bộ chỉ số sinh tự động",
        "description": "",
        "bands": [
            {"min_score": 0, "name": "Khởi động", "description": "", "colour": "#c0392b"},
            {"min_score": 50, "name": "Hình thành", "description": "", "colour": "#27ae60"},
        ],
        "target_groups": [],
        "domains": [
            {
                "code": f"D{d}",
                "name": f"Lĩnh vực {d}",
                "description": "",
                "weight": 1,
                "indicators": [
                    {
                        "code": f"D{d}.{i}",
                        "name": f"Chỉ số {d}.{i}",
                        "description": "",
                        "guidance": "",
                        "weight": 1,
                        "evidence_required": False,
                        "questions": [
                            q(
                                f"D{d}.{i}.{k}",
                                "level",
                                text=f"Câu hỏi {d}.{i}.{k}: đơn vị đã số hoá việc này đến mức nào?",
                                options=[{**o, "label": LEVEL_LABELS[n]} for n, o in enumerate(opts(0, 30, 70, 100))],
                                show_if={"question": f"D{d}.{i}.0", "values": ["1", "2", "3"]} if k else None,
                            )
                            for k in range(questions)
                        ],
                    }
                    for i in range(indicators)
                ],
            }
            for d in range(domains)
        ],
    }


class _FormFields(HTMLParser):
    """The (name, value) pairs a browser submits from the form with ``form_id``."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.named: list[str] = []  # every named control, sent or not (unchecked boxes too)
        self._select: str | None = None
        self._select_options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            self.named.append(name)
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "select" and name:
            self.named.append(name)
            self._select, self._select_options = name, []
        elif tag == "option" and self._select is not None:
            self._select_options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self.named.append(name)
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._select_options if selected] or [
                v for v, _s in self._select_options[:1]
            ]
            self.fields.extend((self._select, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def form_fields(html: str, form_id: str) -> tuple[list[tuple[str, str]], int]:
    """What the form posts (name, value) and how many named controls it has."""
    parser = _FormFields(form_id)
    parser.feed(html)
    assert parser.named, f"no form #{form_id} with fields on the page"
    return parser.fields, len(parser.named)


def as_post_data(fields: list[tuple[str, str]], **changes: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = [value]
    data["_continue"] = ["1"]
    return data
