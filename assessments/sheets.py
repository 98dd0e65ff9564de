"""Frameworks as spreadsheets (XLSX), in the XLSForm style Kobo/ODK users know.

One sheet per kind of object, one row per object, the parent's code in a column, the columns named
after the fields of the JSON exchange format (docs/framework-format.md). The reader turns a workbook
into exactly the JSON document ``framework_import`` takes, and remembers where every object came
from, so that the problems found by the one validator (``spec.validate_framework_spec``) are
reported by sheet, row and column. Validation therefore lives in one place.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from doanso.lib.tabular import TabularError, check_workbook_zip, count_read

from .spec import Problem

TEXT, CODE, NUMBER, BOOL, CODES = "text", "code", "number", "bool", "codes"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = False  # an empty cell is a mistake (codes, numbers, booleans of every row)


def _columns(*spec: tuple[str, str] | tuple[str, str, bool]) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in spec)


# Sheet → its columns, in the order written. The first column of a child sheet is its parent's code.
SHEETS: dict[str, tuple[Column, ...]] = {
    "bands": _columns(("min_score", NUMBER, True), ("name", TEXT), ("description", TEXT), ("colour", CODE, True)),
    "target_groups": _columns(("code", CODE, True), ("name", TEXT)),
    "domains": _columns(("code", CODE, True), ("name", TEXT), ("description", TEXT), ("weight", NUMBER, True)),
    "indicators": _columns(
        ("domain", CODE, True),
        ("code", CODE, True),
        ("name", TEXT),
        ("description", TEXT),
        ("guidance", TEXT),
        ("weight", NUMBER, True),
        ("evidence_required", BOOL, True),
    ),
    "questions": _columns(
        ("indicator", CODE, True),
        ("code", CODE, True),
        ("type", CODE, True),
        ("text", TEXT),
        ("help", TEXT),
        ("weight", NUMBER, True),
        ("required", BOOL, True),
        ("allows_na", BOOL, True),
        ("scored", BOOL, True),
        ("show_if_question", CODE),
        ("show_if_values", CODES),
        ("unit_label", TEXT),
        ("numerator_label", TEXT),
        ("denominator_label", TEXT),
        ("metric", CODE),
        ("target_groups", CODES),
    ),
    "options": _columns(
        ("question", CODE, True), ("code", CODE, True), ("label", TEXT), ("description", TEXT), ("points", NUMBER, True)
    ),
    "thresholds": _columns(("question", CODE, True), ("min", NUMBER, True), ("points", NUMBER, True)),
}
OPTIONAL_SHEETS = ("target_groups", "thresholds")  # may be left out of a workbook when empty
SETTINGS_SHEET = "framework"
SETTINGS: dict[str, str] = {
    "format": CODE,
    "code": CODE,
    "version": NUMBER,
    "kind": CODE,
    "name": TEXT,
    "description": TEXT,
}
SHEET_ORDER = (SETTINGS_SHEET, *SHEETS)
MAX_ROWS = 20_000  # per sheet; a framework 100 times the default size still fits
MAX_COLUMNS = 64  # every sheet has fewer columns; more are never read


def _bounded_rows(sheet: Any, max_row: int) -> Any:
    """A sheet's rows as values, never more than ``max_row`` rows or ``MAX_COLUMNS`` cells each, and
    whatever size the sheet declares: a 5 KB file claiming ``A1:XFD1048576`` would otherwise be
    padded out to billions of empty cells."""
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()
    return count_read(sheet.iter_rows(values_only=True, max_row=max_row, max_col=MAX_COLUMNS))


@dataclass(frozen=True)
class CellProblem:
    """A mistake located in the workbook. ``row`` / ``column`` are None when the whole sheet is meant."""

    sheet: str
    row: int | None
    column: str | None
    field: str
    message: str

    @property
    def where(self) -> str:
        if self.row is None:
            return _("Sheet “%(sheet)s”") % {"sheet": self.sheet}
        if self.column is None:
            return _("Sheet “%(sheet)s”, row %(row)d (%(field)s)") % {
                "sheet": self.sheet,
                "row": self.row,
                "field": self.field,
            }
        return _("Sheet “%(sheet)s”, row %(row)d, column %(column)s (%(field)s)") % {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "field": self.field,
        }

    def as_problem(self) -> Problem:
        return (self.where, self.message)

    def sort_key(self) -> tuple[int, int, str, str]:
        column = self.column or ""
        return (SHEET_ORDER.index(self.sheet), self.row or 0, f"{len(column):02d}{column}", self.message)


# --- writing ------------------------------------------------------------------------------------


class WorkbookUnwritable(ValueError):
    """A text holds a control character (a vertical tab pasted from Word …) that XLSX cannot store."""

    def __init__(self, sheet: str, row: int, column: int):
        super().__init__(
            _(
                "Sheet “%(sheet)s”, row %(row)d, column %(column)s: the text contains a control character "
                "that Excel cannot store. Remove it in admin, or export JSON instead."
            )
            % {"sheet": sheet, "row": row, "column": get_column_letter(column)}
        )


def _put(sheet: Any, row: int, column: int, value: Any) -> None:
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        raise WorkbookUnwritable(sheet.title, row, column)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text that starts with “=” stays text: Excel must not evaluate it


def _write_table(book: Workbook, title: str, columns: tuple[Column, ...], rows: Iterable[list[Any]]) -> None:
    sheet = book.create_sheet(title)
    bold = Font(bold=True)
    for c, column in enumerate(columns, start=1):
        _put(sheet, 1, c, column.name)
        sheet.cell(row=1, column=c).font = bold
        sheet.column_dimensions[get_column_letter(c)].width = 40 if column.kind == TEXT else 16
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            _put(sheet, r, c, value)
    sheet.freeze_panes = "A2"


def spec_to_xlsx(data: dict[str, Any]) -> bytes:
    """The workbook of an exchange-format document (``framework_to_spec``).

    Raises ``WorkbookUnwritable`` rather than change a text that a workbook cannot hold.
    """
    book = Workbook()
    settings = book.active
    settings.title = SETTINGS_SHEET
    _put(settings, 1, 1, "field")
    _put(settings, 1, 2, "value")
    settings["A1"].font = settings["B1"].font = Font(bold=True)
    settings.column_dimensions["A"].width = 16
    settings.column_dimensions["B"].width = 60
    for r, key in enumerate(SETTINGS, start=2):
        _put(settings, r, 1, key)
        _put(settings, r, 2, data[key])

    domains = data["domains"]
    indicators = [(d, i) for d in domains for i in d["indicators"]]
    questions = [(i, q) for _d, i in indicators for q in i["questions"]]
    shown = {
        "bands": [[b["min_score"], b["name"], b["description"], b["colour"]] for b in data["bands"]],
        "target_groups": [[g["code"], g["name"]] for g in data["target_groups"]],
        "domains": [[d["code"], d["name"], d["description"], d["weight"]] for d in domains],
        "indicators": [
            [d["code"], i["code"], i["name"], i["description"], i["guidance"], i["weight"], i["evidence_required"]]
            for d, i in indicators
        ],
        "questions": [_question_row(i, q) for i, q in questions],
        "options": [
            [q["code"], o["code"], o["label"], o["description"], o["points"]]
            for _i, q in questions
            for o in q["options"]
        ],
        "thresholds": [[q["code"], t["min"], t["points"]] for _i, q in questions for t in q["thresholds"]],
    }
    for title, columns in SHEETS.items():
        _write_table(book, title, columns, shown[title])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _question_row(indicator: dict[str, Any], q: dict[str, Any]) -> list[Any]:
    show_if = q["show_if"]
    return [
        indicator["code"],
        q["code"],
        q["type"],
        q["text"],
        q["help"],
        q["weight"],
        q["required"],
        q["allows_na"],
        q["scored"],
        show_if["question"] if show_if else "",
        " ".join(show_if["values"]) if show_if else "",
        q["unit_label"],
        q["numerator_label"],
        q["denominator_label"],
        q["metric"],
        " ".join(q["target_groups"]),
    ]


# --- reading ------------------------------------------------------------------------------------


class _Invalid(Exception):
    pass


_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_TRUE = {"true", "yes", "có", "1", "x"}
_FALSE = {"false", "no", "không", "0"}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _convert(value: Any, kind: str) -> Any:
    """A cell's value as the JSON format wants it; raises ``_Invalid`` with the reason."""
    if isinstance(value, bool):
        if kind == BOOL:
            return value
        if kind == TEXT:
            return "TRUE" if value else "FALSE"
        raise _Invalid(_("a TRUE/FALSE cell where a %(kind)s is expected") % {"kind": _kind_name(kind)})
    if isinstance(value, int | float):
        number = Decimal(str(value))
        if kind == NUMBER:
            return _number(number)
        if kind == BOOL:
            if number in (0, 1):
                return bool(number)
            raise _Invalid(_("%(value)s is not TRUE or FALSE") % {"value": value})
        # Excel keeps every number as a float: a code typed as 1 comes back as 1.0.
        text = str(_number(number))
        return [text] if kind == CODES else text
    if not isinstance(value, str):
        raise _Invalid(_("a date or another value where a %(kind)s is expected") % {"kind": _kind_name(kind)})
    if kind == TEXT:
        return value
    stripped = value.strip()
    if kind == CODE:
        return stripped
    if kind == CODES:
        return [part for part in re.split(r"[\s,;]+", stripped) if part]
    if kind == NUMBER:
        if not _DECIMAL.match(stripped):
            raise _Invalid(_("“%(value)s” is not a number (use a dot for decimals)") % {"value": stripped})
        return _number(Decimal(stripped))
    lowered = stripped.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _Invalid(_("“%(value)s” is not TRUE or FALSE") % {"value": stripped})


def _kind_name(kind: str) -> str:
    names = {TEXT: _("text"), CODE: _("code"), NUMBER: _("number"), BOOL: _("TRUE/FALSE"), CODES: _("list of codes")}
    return names[kind]


@dataclass
class Locations:
    """Where every object of the document came from: JSON path → (sheet, row); sheet → field → column."""

    rows: dict[str, tuple[str, int]] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)  # list path ($.domains) → sheet

    def locate(self, problem: Problem) -> CellProblem:
        path, message = problem
        candidates = [p for p in self.rows if path == p or path.startswith((p + ".", p + "["))]
        if not candidates:
            base = re.sub(r"\[\d+\].*$", "", path)
            for list_path, sheet in self.sheets.items():
                if base == list_path:
                    return CellProblem(sheet, None, None, "", message)
            return CellProblem(SETTINGS_SHEET, None, None, "", message)
        owner = max(candidates, key=len)
        sheet, row = self.rows[owner]
        rest = path[len(owner) :].lstrip(".")
        name = re.split(r"[.\[]", rest)[0] if rest else ""
        if name == "show_if":
            name = "show_if_values" if ".values" in rest else "show_if_question"
        if sheet == SETTINGS_SHEET:
            name = owner.removeprefix("$.")
            return CellProblem(sheet, row, self.columns[sheet].get("value"), name, message)
        return CellProblem(sheet, row, self.columns.get(sheet, {}).get(name), name or sheet, message)


@dataclass
class _Reader:
    problems: list[CellProblem] = field(default_factory=list)
    where: Locations = field(default_factory=Locations)

    def add(self, sheet: str, row: int | None, column: str | None, name: str, message: str) -> None:
        self.problems.append(CellProblem(sheet, row, column, name, message))

    def table(self, book: Any, title: str) -> list[tuple[int, dict[str, Any]]]:
        """The data rows of a sheet (blank rows skipped), each cell converted; mistakes noted."""
        columns = SHEETS[title]
        if title not in book.sheetnames:
            if title not in OPTIONAL_SHEETS:
                self.add(title, None, None, title, _("the sheet is missing"))
            return []
        raw = list(_bounded_rows(book[title], MAX_ROWS + 1))
        if len(raw) > MAX_ROWS:
            self.add(title, None, None, title, _("more than %(count)d rows") % {"count": MAX_ROWS})
            return []
        header = [str(h).strip().lower() if not _empty(h) else "" for h in (raw[0] if raw else ())]
        known = {c.name: c for c in columns}
        positions: dict[str, int] = {}
        for index, name in enumerate(header):
            letter = get_column_letter(index + 1)
            if not name:
                continue
            if name not in known:
                self.add(title, 1, letter, name, _("unknown column “%(name)s”") % {"name": name})
            elif name in positions:
                self.add(title, 1, letter, name, _("column “%(name)s” appears twice") % {"name": name})
            else:
                positions[name] = index
        missing = [c.name for c in columns if c.name not in positions]
        if missing:
            self.add(title, 1, None, title, _("missing column(s): %(names)s") % {"names": ", ".join(missing)})
            return []
        self.where.columns[title] = {name: get_column_letter(i + 1) for name, i in positions.items()}
        rows: list[tuple[int, dict[str, Any]]] = []
        for number, cells in enumerate(raw[1:], start=2):
            if all(_empty(v) for v in cells):
                continue  # blank rows are not data
            values: dict[str, Any] = {}
            for name, index in positions.items():
                column = known[name]
                value = cells[index] if index < len(cells) else None
                values[name] = self.cell(title, number, column, value)
            rows.append((number, values))
        return rows

    def cell(self, title: str, number: int, column: Column, value: Any) -> Any:
        letter = self.where.columns[title]["value" if title == SETTINGS_SHEET else column.name]
        if _empty(value):
            if column.required:
                self.add(title, number, letter, column.name, _("must not be empty"))
                return None
            return [] if column.kind == CODES else ""
        try:
            return _convert(value, column.kind)
        except _Invalid as exc:
            self.add(title, number, letter, column.name, str(exc))
            return None

    def settings(self, book: Any) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if SETTINGS_SHEET not in book.sheetnames:
            self.add(SETTINGS_SHEET, None, None, SETTINGS_SHEET, _("the sheet is missing"))
            return data
        self.where.columns[SETTINGS_SHEET] = {"field": "A", "value": "B"}
        rows = list(_bounded_rows(book[SETTINGS_SHEET], 100))
        for number, cells in enumerate(rows[1:], start=2):
            if all(_empty(v) for v in cells):
                continue
            key = str(cells[0]).strip() if cells and not _empty(cells[0]) else ""
            value = cells[1] if len(cells) > 1 else None
            if key not in SETTINGS:
                self.add(SETTINGS_SHEET, number, "A", key, _("unknown field “%(name)s”") % {"name": key})
                continue
            if key in data:
                self.add(SETTINGS_SHEET, number, "A", key, _("field “%(name)s” appears twice") % {"name": key})
                continue
            self.where.rows[f"$.{key}"] = (SETTINGS_SHEET, number)
            column = Column(key, SETTINGS[key], required=SETTINGS[key] != TEXT)
            data[key] = self.cell(SETTINGS_SHEET, number, column, value)
        return data

    def parent(self, title: str, number: int, name: str, code: Any, index: dict[Any, Any], rows: set[Any]) -> Any:
        """The parent with ``code``; None (noted once) when there is none.

        ``rows`` holds every code of the parent sheet, also of rows left out for their own mistakes:
        their children are skipped quietly instead of repeating the parent's problem.
        """
        if code is None:
            return None  # already reported as empty or malformed
        if code not in index:
            if code not in rows:
                letter = self.where.columns[title][name]
                message = _("there is no %(parent)s “%(code)s”") % {"parent": name, "code": code}
                self.add(title, number, letter, name, message)
            return None
        return index[code]


def _question(values: dict[str, Any]) -> dict[str, Any]:
    show_question, show_values = values["show_if_question"], values["show_if_values"]
    return {
        "code": values["code"],
        "text": values["text"],
        "help": values["help"],
        "type": values["type"],
        "weight": values["weight"],
        "required": values["required"],
        "allows_na": values["allows_na"],
        "scored": values["scored"],
        "show_if": {"question": show_question, "values": show_values} if show_question or show_values else None,
        "options": [],
        "thresholds": [],
        "unit_label": values["unit_label"],
        "numerator_label": values["numerator_label"],
        "denominator_label": values["denominator_label"],
        "metric": values["metric"],
        "target_groups": values["target_groups"],
    }


def _build(reader: _Reader, book: Any) -> dict[str, Any]:
    data = reader.settings(book)
    where = reader.where
    tables = {title: reader.table(book, title) for title in SHEETS}
    data["bands"], data["target_groups"], data["domains"] = [], [], []
    where.sheets.update({"$.bands": "bands", "$.target_groups": "target_groups", "$.domains": "domains"})
    for n, (number, v) in enumerate(tables["bands"]):
        data["bands"].append({k: v[k] for k in ("min_score", "name", "description", "colour")})
        where.rows[f"$.bands[{n}]"] = ("bands", number)
    for n, (number, v) in enumerate(tables["target_groups"]):
        data["target_groups"].append({"code": v["code"], "name": v["name"]})
        where.rows[f"$.target_groups[{n}]"] = ("target_groups", number)

    # Children are attached to the first parent with their code; the validator reports duplicates.
    domains: dict[Any, tuple[str, dict[str, Any]]] = {}
    for n, (number, v) in enumerate(tables["domains"]):
        domain = {k: v[k] for k in ("code", "name", "description", "weight")} | {"indicators": []}
        data["domains"].append(domain)
        where.rows[f"$.domains[{n}]"] = ("domains", number)
        domains.setdefault(v["code"], (f"$.domains[{n}]", domain))
    indicators: dict[Any, tuple[str, dict[str, Any]]] = {}
    indicator_rows = {v["code"] for _n, v in tables["indicators"]}
    question_rows = {v["code"] for _n, v in tables["questions"]}
    for number, v in tables["indicators"]:
        found = reader.parent("indicators", number, "domain", v["domain"], domains, set(domains))
        if found is None:
            continue
        dpath, domain = found
        keys = ("code", "name", "description", "guidance", "weight", "evidence_required")
        indicator = {k: v[k] for k in keys} | {"questions": []}
        path = f"{dpath}.indicators[{len(domain['indicators'])}]"
        domain["indicators"].append(indicator)
        where.rows[path] = ("indicators", number)
        indicators.setdefault(v["code"], (path, indicator))
    questions: dict[Any, tuple[str, dict[str, Any]]] = {}
    for number, v in tables["questions"]:
        found = reader.parent("questions", number, "indicator", v["indicator"], indicators, indicator_rows)
        if found is None:
            continue
        ipath, indicator = found
        question = _question(v)
        path = f"{ipath}.questions[{len(indicator['questions'])}]"
        indicator["questions"].append(question)
        where.rows[path] = ("questions", number)
        questions.setdefault(v["code"], (path, question))
    for title, key, fields in (
        ("options", "options", ("code", "label", "description", "points")),
        ("thresholds", "thresholds", ("min", "points")),
    ):
        for number, v in tables[title]:
            found = reader.parent(title, number, "question", v["question"], questions, question_rows)
            if found is None:
                continue
            qpath, question = found
            where.rows[f"{qpath}.{key}[{len(question[key])}]"] = (title, number)
            question[key].append({k: v[k] for k in fields})
    return data


def read_xlsx(file: IO[bytes] | bytes) -> tuple[dict[str, Any], list[CellProblem], Locations]:
    """The exchange-format document of a workbook, the mistakes met while reading, and where things are.

    A file that is not a readable workbook gives one problem and an empty document.
    """
    reader = _Reader()
    raw = file if isinstance(file, bytes) else file.read()
    try:
        if zipfile.is_zipfile(io.BytesIO(raw)):
            check_workbook_zip(raw)
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    except TabularError as exc:
        reader.add(SETTINGS_SHEET, None, None, "", str(exc))
        return {}, reader.problems, reader.where
    except Exception:  # zip, XML and openpyxl errors alike: the file is not a readable workbook
        reader.add(SETTINGS_SHEET, None, None, "", _("the file is not an Excel workbook (.xlsx) that can be read"))
        return {}, reader.problems, reader.where
    try:
        data = _build(reader, book)
    except Exception:  # a chart sheet where a sheet of rows was expected, and the like
        reader.add(SETTINGS_SHEET, None, None, "", _("the file is not an Excel workbook (.xlsx) that can be read"))
        return {}, reader.problems, reader.where
    finally:
        book.close()
    return data, reader.problems, reader.where


def located(problems: list[Problem], where: Locations, already: list[CellProblem]) -> list[CellProblem]:
    """The validator's problems by sheet/row/column, after the reader's own, without repeating a cell."""
    taken = {(p.sheet, p.row, p.column) for p in already if p.row is not None and p.column is not None}
    found = list(already)
    for problem in problems:
        cell = where.locate(problem)
        if (cell.sheet, cell.row, cell.column) not in taken and cell not in found:
            found.append(cell)
    return sorted(found, key=CellProblem.sort_key)
