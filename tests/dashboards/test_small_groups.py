"""Issue 12, item 3: small groups of members cannot be recovered by subtraction — not from the
member cards (city dashboard, unit page), not from the scores API, not from the member exports.

Branch QA-1-a: 6 responses, 5 students and 1 worker. Branch QA-1-b: 4 responses (2 + 2). The real
member framework (assessments/frameworks/member-digcomp-v1.json, 25 questions) is answered in full.
For every surface the test gathers the numbers it shows, then tries the subtractions an attacker
would (total × n − shown part × m …) and, more generally, solves the linear system of every sum it
knows the surface's figures obey; no cell of fewer than 5 people may come out.
"""

from __future__ import annotations

import csv
import io
import json
import re
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from assessments import services
from assessments.models import Campaign, Framework, TargetGroup, UnitGroupScore, UnitScore
from tests.assessments.conftest import make_campaign
from tests.scoring.conftest import score_now
from units.models import Unit

FRAMEWORK_FILE = Path(__file__).resolve().parents[2] / "assessments" / "frameworks" / "member-digcomp-v1.json"
UNITS = ("CITY", "QA", "QA-1", "QA-1-a", "QA-1-b")
Cell = tuple[str, str]  # (unit code or "sector:<parent>:<sector>", column: "*" or a group code)


def _answers(framework: Framework, group: str, person: int) -> list[services.AnswerInput]:
    data = json.loads(FRAMEWORK_FILE.read_text(encoding="utf-8"))
    answers = []
    for d, domain in enumerate(data["domains"]):
        for indicator in domain["indicators"]:
            for i, question in enumerate(indicator["questions"]):
                if question.get("target_groups") and group not in question["target_groups"]:
                    continue
                codes = [o["code"] for o in question["options"]]
                answers.append(services.AnswerInput(question["code"], codes[(person * 3 + d + i) % len(codes)]))
    return answers


@pytest.fixture
def small_groups(tree, milestones) -> Campaign:
    """The member survey of the issue, on the real framework, through the real services."""
    data = json.loads(FRAMEWORK_FILE.read_text(encoding="utf-8"))
    framework = services.framework_import(data=data, publish=True)
    campaign = make_campaign(framework, tree.city, levels=["branch"], name="Khảo sát năng lực số")
    people = {tree.qa1a: ["student"] * 5 + ["worker"], tree.qa1b: ["student", "student", "worker", "worker"]}
    person = 0
    for unit, groups in people.items():
        assignment = campaign.assignments.get(unit=unit)
        for group in groups:
            person += 1
            services.member_response_submit(
                assignment=assignment, target_group=group, answers=_answers(framework, group, person)
            )
    score_now(campaign.pk, full=True)
    return campaign


# --- What is really there (the database): the cells of fewer than 5 people -------------------


def true_counts(campaign: Campaign) -> dict[Cell, int]:
    counts: dict[Cell, int] = {}
    for s in UnitScore.objects.filter(campaign=campaign).select_related("unit"):
        counts[(s.unit.code, "*")] = s.responses
    for g in UnitGroupScore.objects.filter(campaign=campaign).select_related("unit"):
        counts[(g.unit.code, g.target_group)] = g.responses
    return counts


def true_sums(campaign: Campaign) -> dict[Cell, float]:
    sums: dict[Cell, float] = {}
    for s in UnitScore.objects.filter(campaign=campaign).select_related("unit"):
        sums[(s.unit.code, "*")] = s.overall_sum or 0
    for g in UnitGroupScore.objects.filter(campaign=campaign).select_related("unit"):
        sums[(g.unit.code, g.target_group)] = g.overall_sum or 0
    return sums


# --- The attacker ----------------------------------------------------------------------------


def subtract(known: dict[Cell, tuple[float, int]], total: Cell, parts: list[Cell]) -> tuple[float, int] | None:
    """total × n − Σ part × m, and n − Σ m: the remainder's sum and count, or None when a number
    that the subtraction needs is not shown."""
    if total not in known or any(p not in known for p in parts):
        return None
    mean, n = known[total]
    return mean * n - sum(known[p][0] * known[p][1] for p in parts), n - sum(known[p][1] for p in parts)


def _rank(rows: list[dict[str, Fraction]]) -> int:
    rows = [dict(r) for r in rows if r]
    rank = 0
    while rows:
        pivot_row = rows.pop()
        if not pivot_row:
            continue
        var, coef = next(iter(pivot_row.items()))
        rank += 1
        new_rows = []
        for r in rows:
            if var in r:
                factor = r[var] / coef
                for k, v in pivot_row.items():
                    r[k] = r.get(k, Fraction(0)) - factor * v
                    if r[k] == 0:
                        del r[k]
            if r:
                new_rows.append(r)
        rows = new_rows
    return rank


def derivable(equations: list[dict[str, int]], known: set[str], target: str) -> bool:
    """Does the linear system (each equation: Σ coef × var = 0), with the ``known`` variables given,
    determine ``target``? (Yes iff the unit vector of ``target`` lies in the row space of the
    unknowns' coefficients.)"""
    if target in known:
        return True
    rows = [{k: Fraction(v) for k, v in eq.items() if k not in known and v} for eq in equations]
    rows = [r for r in rows if r]
    return _rank([*rows, {target: Fraction(1)}]) == _rank(rows)


def system(groups: list[str], sectors: dict[str, list[str]]) -> list[dict[str, int]]:
    """Every sum the figures obey: the tree (a unit = its own part + its children), the groups (an
    overall = its groups), and each sector combination shown (= its units)."""
    children = {"CITY": ["QA", "QB"], "QA": ["QA-1"], "QA-1": ["QA-1-a", "QA-1-b"], "QB": ["QB-1"], "QB-1": ["QB-1-a"]}
    units = ["CITY", "QA", "QA-1", "QA-1-a", "QA-1-b", "QB", "QB-1", "QB-1-a"]
    columns = ["*", *groups]
    equations: list[dict[str, int]] = []
    for kind in ("sum", "count"):
        for u in units:
            for c in columns:
                eq = {f"{kind}|{u}|{c}": 1, f"{kind}|own:{u}|{c}": -1}
                for k in children.get(u, []):
                    eq[f"{kind}|{k}|{c}"] = -1
                equations.append(eq)
            for prefix in ("", "own:"):
                eq = {f"{kind}|{prefix}{u}|*": 1}
                for g in groups:
                    eq[f"{kind}|{prefix}{u}|{g}"] = -1
                equations.append(eq)
        for name, members in sectors.items():
            for c in columns:
                eq = {f"{kind}|{name}|{c}": 1}
                for m in members:
                    eq[f"{kind}|{m}|{c}"] = -1
                equations.append(eq)
    return equations


def small_cells(counts: dict[Cell, int], groups: list[str]) -> list[str]:
    """Cells (and own parts) behind which 1 to 4 people stand: none of them may be recovered."""
    children = {"CITY": ["QA", "QB"], "QA": ["QA-1"], "QA-1": ["QA-1-a", "QA-1-b"], "QB": ["QB-1"], "QB-1": ["QB-1-a"]}
    small = [f"{u}|{c}" for (u, c), n in counts.items() if 0 < n < 5]
    for u in UNITS:
        for c in ["*", *groups]:
            own = counts.get((u, c), 0) - sum(counts.get((k, c), 0) for k in children.get(u, []))
            if 0 < own < 5:
                small.append(f"own:{u}|{c}")
    return small


def assert_nothing_small_can_be_recovered(
    known: dict[Cell, tuple[float, int]], counts_shown: set[Cell], campaign: Campaign, sectors: dict[str, list[str]]
) -> None:
    groups = list(TargetGroup.objects.filter(framework=campaign.framework).values_list("code", flat=True))
    equations = system(groups, sectors)
    known_vars = {f"sum|{u}|{c}" for (u, c) in known} | {f"count|{u}|{c}" for (u, c) in counts_shown}
    known_vars |= {f"count|{u}|{c}" for (u, c) in known}
    for cell in small_cells(true_counts(campaign), groups):
        recovered = derivable(equations, known_vars, f"sum|{cell}") and derivable(
            equations, known_vars, f"count|{cell}"
        )
        assert not recovered, f"{cell} can be computed from what is shown"


def assert_the_named_subtractions_fail(known: dict[Cell, tuple[float, int]]) -> None:
    # The issue's own example: the branch overall × 6 − the students × 5 = the one worker.
    assert subtract(known, ("QA-1-a", "*"), [("QA-1-a", "student")]) is None
    # The parent minus the shown branch gives the branch of 4.
    assert subtract(known, ("QA-1", "*"), [("QA-1-a", "*")]) is None
    assert subtract(known, ("QA", "*"), [("QA-1-a", "*")]) is None
    # A parent's groups minus the branch's groups.
    for group in ("student", "worker"):
        assert subtract(known, ("QA-1", group), [("QA-1-a", group)]) is None
    # The parent's overall minus its students gives its 3 workers.
    assert subtract(known, ("QA-1", "*"), [("QA-1", "student")]) is None
    # The small cells themselves are not shown.
    for cell in (("QA-1-a", "worker"), ("QA-1-b", "*"), ("QA-1-b", "student"), ("QA-1-b", "worker")):
        assert cell not in known


# --- Reading each surface --------------------------------------------------------------------


def _number(text: str) -> float | None:
    found = re.search(r"-?\d+(?:[.,]\d+)?", text.replace("\xa0", " "))
    return float(found.group().replace(",", ".")) if found else None


class MemberCardParser(HTMLParser):
    """The member card of a page: its header (count and overall) and each group's row."""

    def __init__(self) -> None:
        super().__init__()
        self.header = ""
        self.rows: dict[str, dict[str, str]] = {}
        self._in: str | None = None
        self._group: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if "data-members-overall" in names:
            self._in = "header"
        elif "data-group" in names:
            self._group = names["data-group"] or ""
            self.rows[self._group] = {"responses": "", "score": ""}
        elif self._group is not None and "data-responses" in names:
            self._in = "responses"
        elif self._group is not None and "data-score" in names:
            self._in = "score"

    def handle_endtag(self, tag: str) -> None:
        if (tag == "p" and self._in == "header") or (tag == "td" and self._in in ("responses", "score")):
            self._in = None
        if tag == "tr":
            self._group = None

    def handle_data(self, data: str) -> None:
        if self._in == "header":
            self.header += data
        elif self._in in ("responses", "score") and self._group is not None:
            self.rows[self._group][self._in] += data


def read_card(html: str, cell_unit: str, names: dict[str, str]) -> tuple[dict[Cell, tuple[float, int]], set[Cell]]:
    parser = MemberCardParser()
    parser.feed(html)
    assert parser.header, "the page has a member card"
    known: dict[Cell, tuple[float, int]] = {}
    counts: set[Cell] = set()
    count = re.search(r"(\d+) phiếu", parser.header)
    strong = re.search(r"điểm tổng hợp\s+([\d.,]+)", parser.header)
    if count:
        counts.add((cell_unit, "*"))
        if strong:
            known[(cell_unit, "*")] = (float(strong.group(1).replace(",", ".")), int(count.group(1)))
    for name, row in parser.rows.items():
        code = names[name]
        n, mean = _number(row["responses"]), _number(row["score"])
        if n is not None:
            counts.add((cell_unit, code))
            if mean is not None:
                known[(cell_unit, code)] = (mean, int(n))
    return known, counts


def read_table(rows: list[list[Any]], cell_unit: str, names: dict[str, str]):
    known: dict[Cell, tuple[float, int]] = {}
    counts: set[Cell] = set()
    for name, responses, score, _note in rows[1:]:
        code = "*" if name == "Tất cả đoàn viên" else names[name]
        if responses not in (None, ""):
            counts.add((cell_unit, code))
            if score not in (None, ""):
                known[(cell_unit, code)] = (float(score), int(responses))
    return known, counts


def merge(into: tuple[dict, set], more: tuple[dict, set]) -> None:
    into[0].update(more[0])
    into[1].update(more[1])


@pytest.fixture
def names(small_groups) -> dict[str, str]:
    return dict(TargetGroup.objects.filter(framework=small_groups.framework).values_list("name", "code"))


def sectors_at(tree) -> dict[str, tuple[str, str, list[str]]]:
    """The sector views a city dashboard offers here: name → (unit, sector, the units combined)."""
    views = {}
    for parent in Unit.objects.filter(code__in=UNITS):
        by_sector: dict[str, list[str]] = {}
        for child in Unit.objects.filter(path__startswith=parent.path, depth=parent.depth + 1):
            by_sector.setdefault(child.sector, []).append(child.code)
        for sector, members in by_sector.items():
            views[f"sector:{parent.code}:{sector}"] = (parent.code, sector, members)
    return views


def test_the_attacker_recovers_the_small_groups_from_unprotected_figures(small_groups):
    """The attack is real: with every stored figure and count, the worker and the branch of 4 come out."""
    counts = true_counts(small_groups)
    sums = true_sums(small_groups)
    everything = {cell: (sums[cell] / n, n) for cell, n in counts.items() if n}
    assert subtract(everything, ("QA-1-a", "*"), [("QA-1-a", "student")])[1] == 1  # one worker …
    worker_sum, _n = subtract(everything, ("QA-1-a", "*"), [("QA-1-a", "student")])
    assert worker_sum == pytest.approx(sums[("QA-1-a", "worker")])  # … and exactly their score
    with pytest.raises(AssertionError):
        assert_nothing_small_can_be_recovered(everything, set(everything), small_groups, {})


def test_member_cards_on_the_city_dashboard_let_no_small_group_be_computed(
    small_groups, personas, client_for, names, tree
):
    client = client_for(personas.city_staff)
    gathered: tuple[dict, set] = ({}, set())
    for code in UNITS:
        merge(gathered, read_card(client.get(reverse("dashboards:city"), {"unit": code}).content.decode(), code, names))
    sectors = sectors_at(tree)
    for name, (parent, sector, _members) in sectors.items():
        html = client.get(reverse("dashboards:city"), {"unit": parent, "sector": sector}).content.decode()
        merge(gathered, read_card(html, name, names))
    known, counts = gathered
    # Not everything is withheld: the figures of 10 people are there for QA-1 and above.
    assert known[("QA-1", "*")][1] == 10 and known[("CITY", "*")][1] == 10
    assert_the_named_subtractions_fail(known)
    assert_nothing_small_can_be_recovered(known, counts, small_groups, {n: m for n, (_p, _s, m) in sectors.items()})


def test_member_cards_on_unit_pages_let_no_small_group_be_computed(small_groups, personas, client_for, names):
    client = client_for(personas.city_staff)
    gathered: tuple[dict, set] = ({}, set())
    for code in UNITS:
        page = client.get(reverse("dashboards:unit", kwargs={"code": code}))
        assert page.status_code == 200
        merge(gathered, read_card(page.content.decode(), code, names))
    known, counts = gathered
    assert known[("QA-1", "*")][1] == 10
    # Not even the branch's count of 4, nor its groups' (only groups nobody answered say 0).
    assert not {("QA-1-b", "*"), ("QA-1-b", "student"), ("QA-1-b", "worker")} & counts
    assert_the_named_subtractions_fail(known)
    assert_nothing_small_can_be_recovered(known, counts, small_groups, {})


def test_the_scores_api_lets_no_small_group_be_computed(small_groups, personas):
    client = APIClient()
    client.force_authenticate(personas.city_staff)
    payloads = [client.get("/api/v1/scores/", {"campaign": small_groups.pk, "unit": code}).json() for code in UNITS]
    for parent in ("CITY", "QA", "QA-1"):
        listing = client.get("/api/v1/scores/", {"campaign": small_groups.pk, "parent": parent}).json()
        payloads += listing["results"]
    known: dict[Cell, tuple[float, int]] = {}
    counts: set[Cell] = set()
    for p in payloads:
        members = p["members"]
        if members["responses"] is not None:
            counts.add((p["unit"], "*"))
            if members["overall"] is not None:
                known[(p["unit"], "*")] = (members["overall"], members["responses"])
        if p["subtree"]["overall"] is not None:  # the subtree block is the same mean: also known
            assert members["overall"] == p["subtree"]["overall"]
        for code, g in members["by_target_group"].items():
            if g["responses"] is not None:
                counts.add((p["unit"], code))
                if g["overall"] is not None:
                    known[(p["unit"], code)] = (g["overall"], g["responses"])
    by_unit = {p["unit"]: p for p in payloads}
    assert by_unit["QA-1-b"]["members"] == {
        "overall": None,
        "responses": None,
        "suppressed": True,
        "by_target_group": {
            code: {"responses": None if code in ("student", "worker") else 0, "overall": None, "suppressed": True}
            for code in by_unit["QA-1-b"]["members"]["by_target_group"]
        },
    }
    assert by_unit["QA-1-b"]["subtree"]["overall"] is None
    assert all(v is None for v in by_unit["QA-1-b"]["subtree"]["domains"].values())
    assert by_unit["QA-1-a"]["rank"] is None and by_unit["QA-1-b"]["rank"] is None
    assert known[("QA-1", "*")][1] == 10
    assert_the_named_subtractions_fail(known)
    assert_nothing_small_can_be_recovered(known, counts, small_groups, {})
    # The campaign's completion page tells how many members of each unit answered; even with every
    # count known, no small group's sum (so no score) comes out.
    assert_nothing_small_can_be_recovered(known, set(true_counts(small_groups)), small_groups, {})


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_member_exports_let_no_small_group_be_computed(small_groups, personas, client_for, names, tree, fmt):
    client = client_for(personas.city_staff)
    url = reverse("dashboards:city_export", kwargs={"table": "members", "fmt": fmt})
    views = [(code, {"unit": code}) for code in UNITS]
    sectors = sectors_at(tree)
    views += [(name, {"unit": parent, "sector": sector}) for name, (parent, sector, _m) in sectors.items()]
    gathered: tuple[dict, set] = ({}, set())
    for cell_unit, params in views:
        response = client.get(url, params)
        assert response.status_code == 200
        content = b"".join(response.streaming_content) if response.streaming else response.content
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        else:
            rows = [
                list(r) for r in load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True)
            ]
        assert rows[0][:3] == ["Nhóm đối tượng", "Số phiếu", "Điểm"]
        merge(gathered, read_table(rows, cell_unit, names))
    known, counts = gathered
    assert known[("CITY", "*")][1] == 10
    assert_the_named_subtractions_fail(known)
    assert_nothing_small_can_be_recovered(known, counts, small_groups, {n: m for n, (_p, _s, m) in sectors.items()})
