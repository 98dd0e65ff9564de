"""Typed answers: parsing per question type, the per-answer score of DESIGN.md §3, show_if."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assessments.answers import answer_score, parse_value, shown, threshold_points
from assessments.models import Question
from assessments.services import framework_questions


@pytest.fixture
def questions(unit_framework):
    return {q.code: q for q in framework_questions(unit_framework.pk)}


def test_options_are_chosen_by_code(questions):
    assert parse_value(questions["A1"], "2").option.points == 100
    assert [o.code for o in parse_value(questions["A5"], ["0", "2", "0"]).options] == ["0", "2"]
    with pytest.raises(ValidationError, match="9"):
        parse_value(questions["A1"], "9")
    with pytest.raises(ValidationError):
        parse_value(questions["A1"], ["0", "1"])  # one answer only


@pytest.mark.parametrize(("raw", "expected"), [(True, True), ("yes", True), (False, False), ("no", False)])
def test_yes_no_accepts_json_and_form_values(questions, raw, expected):
    assert parse_value(questions["A2"], raw).value_bool is expected


def test_numbers_are_checked(questions):
    assert parse_value(questions["A3"], "3,5").value_number == Decimal("3.50")
    for bad in ("-1", "abc", True, "nan", "1e30"):
        with pytest.raises(ValidationError):
            parse_value(questions["A3"], bad)
    with pytest.raises(ValidationError, match="100"):
        parse_value(questions["B2"], 101)


def test_ratio_needs_both_numbers(questions):
    parsed = parse_value(questions["B1"], {"numerator": 18, "denominator": "24"})
    assert (parsed.value_number, parsed.value_denominator) == (Decimal("18.00"), Decimal("24.00"))
    assert parse_value(questions["B1"], {"numerator": "", "denominator": ""}).empty
    with pytest.raises(ValidationError):
        parse_value(questions["B1"], {"numerator": 3, "denominator": ""})
    with pytest.raises(ValidationError):
        parse_value(questions["B1"], 3)


def test_blank_clears_and_na_only_where_allowed(questions):
    assert parse_value(questions["A3"], "").empty
    assert parse_value(questions["A3"], None).empty
    assert parse_value(questions["B2"], None, na=True).is_na
    with pytest.raises(ValidationError):
        parse_value(questions["A3"], None, na=True)


def test_metric_and_file_questions_are_not_answered_by_value(questions):
    with pytest.raises(ValidationError):
        parse_value(questions["B3"], 50)
    with pytest.raises(ValidationError):
        parse_value(questions["A6"], "x.pdf")


def score(question: Question, raw, **kw):
    p = parse_value(question, raw, **kw)
    return answer_score(
        question,
        is_na=p.is_na,
        option_points=p.option.points if p.option else None,
        options_points=[o.points for o in p.options],
        value_bool=p.value_bool,
        value_number=p.value_number,
        value_denominator=p.value_denominator,
    )


def test_scores_follow_the_table_of_design_section_3(questions):
    assert score(questions["A1"], "1") == 0.5  # level: points / 100
    assert score(questions["A4"], "1") == 1.0  # choice
    assert score(questions["A5"], ["0", "1"]) == 0.8  # multi: 40 + 40
    assert score(questions["A5"], ["0", "1", "2"]) == 1.0  # multi: min(100, 120)
    assert score(questions["A2"], True) == 1.0
    assert score(questions["A2"], False) == 0.0
    assert score(questions["A3"], 0) == 0.0  # number: highest threshold ≤ value
    assert score(questions["A3"], 3) == 0.5
    assert score(questions["A3"], 4) == 1.0
    assert score(questions["B1"], {"numerator": 18, "denominator": 24}) == 0.75  # ratio
    assert score(questions["B1"], {"numerator": 30, "denominator": 24}) == 1.0  # min(a / b, 1)
    assert score(questions["B1"], {"numerator": 3, "denominator": 0}) is None  # b = 0 → None
    assert score(questions["B2"], 60) == 0.6  # percent
    assert score(questions["B2"], None, na=True) is None  # N/A → None
    assert score(questions["B4"], "khó khăn") is None  # text: unscored


def test_threshold_below_the_first_row_scores_zero():
    assert threshold_points([{"min": 2, "points": 50}, {"min": 5, "points": 100}], Decimal(1)) == 0
    assert threshold_points([{"min": 2, "points": 50}, {"min": 5, "points": 100}], Decimal(5)) == 100


def test_show_if_follows_chains_and_target_groups(questions):
    a2, a4 = questions["A2"], questions["A4"]
    visible = {a2.pk: True}
    assert shown(a4, {a2.pk: "yes"}, visible)
    assert not shown(a4, {a2.pk: "no"}, visible)
    assert not shown(a4, {}, visible)
    assert not shown(a4, {a2.pk: "yes"}, {a2.pk: False})  # its source is hidden → hidden too
    a4.target_groups = ["student"]
    assert not shown(a4, {a2.pk: "yes"}, visible, target_group="worker")
    assert shown(a4, {a2.pk: "yes"}, visible, target_group="student")
