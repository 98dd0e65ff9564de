"""Properties of the formula, checked with hypothesis on the real SQL pipeline.

Each example builds its framework, campaign and answers inside a transaction that is rolled back,
so examples do not see each other.
"""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import services
from assessments.models import (
    Response,
    ResponseDomainScore,
    ResponseIndicatorScore,
    ResponseScore,
    UnitDomainScore,
    UnitScore,
)
from tests.assessments.conftest import make_campaign

from .conftest import EXAMPLE_SPEC, answer, attach_evidence, score_now, submit

PROPERTY_SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

weights = st.integers(min_value=1, max_value=20)
answers = st.fixed_dictionaries(
    {
        "Q1": st.sampled_from(["0", "1", "2"]),
        "Q2": st.booleans(),
        "Q3": st.integers(min_value=0, max_value=9),
        "Q4": st.sampled_from(["0", "1"]),
        "Q5": st.lists(st.sampled_from(["0", "1", "2"]), min_size=1, max_size=3, unique=True),
        "Q7": st.tuples(st.integers(min_value=0, max_value=50), st.integers(min_value=0, max_value=50)),
        "Q8": st.one_of(st.none(), st.integers(min_value=0, max_value=100)),
        "Q10": st.integers(min_value=0, max_value=100),
    }
)


class Rollback(Exception):
    pass


def as_items(values: dict[str, Any]) -> list[dict[str, Any]]:
    items = [{"question": code, "value": value} for code, value in values.items() if code not in ("Q7", "Q8")]
    items.append({"question": "Q7", "value": {"numerator": values["Q7"][0], "denominator": values["Q7"][1]}})
    items.append(
        {"question": "Q8", "value": None, "na": True}
        if values["Q8"] is None
        else {"question": "Q8", "value": values["Q8"]}
    )
    return items


def scores_for(
    tree: Any, spec_data: dict[str, Any], items: list[dict[str, Any]], *, evidence: bool, returned: bool = False
) -> dict[str, Any]:
    """Score one response of branch QA-1-a; return its scores and its unit's roll-up."""
    framework = services.framework_import(data=spec_data, publish=True)
    campaign = make_campaign(framework, tree.qa1a, levels=["branch"])
    response = Response.objects.get(assignment__campaign=campaign)
    answer(response, items)
    if evidence:
        attach_evidence(response, "I2")
    submit(response)
    if returned:
        services.response_return(response=Response.objects.get(pk=response.pk), by=None, comment="Sửa")
    score_now(campaign.pk)
    rscore = ResponseScore.objects.filter(response=response).first()
    unit = UnitScore.objects.get(campaign=campaign, unit=tree.qa1a)
    return {
        "overall": rscore.overall if rscore else None,
        "domains": dict(ResponseDomainScore.objects.filter(response=response).values_list("domain__code", "score")),
        "indicators": dict(
            ResponseIndicatorScore.objects.filter(response=response).values_list("indicator__code", "score")
        ),
        "unit_overall": unit.overall,
        "unit_domains": dict(
            UnitDomainScore.objects.filter(campaign=campaign, unit=tree.qa1a).values_list("domain__code", "score")
        ),
        "unit_responded": unit.responded,
    }


def run_isolated(fn: Any) -> Any:
    result: dict[str, Any] = {}
    try:
        with transaction.atomic():
            result["value"] = fn()
            raise Rollback
    except Rollback:
        pass
    return result["value"]


def close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    return abs(a - b) < 1e-9


def scaled(level: str, factor: int, spec_data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(spec_data)
    data["code"] = f"{data['code']}-x{factor}"
    for domain in data["domains"]:
        if level == "domains":
            domain["weight"] *= factor
        for indicator in domain["indicators"]:
            if level == "indicators":
                indicator["weight"] *= factor
            for question in indicator["questions"]:
                if level == "questions":
                    question["weight"] *= factor
    return data


@PROPERTY_SETTINGS
@given(
    values=answers,
    factor=st.integers(min_value=2, max_value=7),
    level=st.sampled_from(["questions", "indicators", "domains"]),
)
def test_scaling_all_weights_of_a_level_leaves_scores_unchanged(tree, values, factor, level):
    items = as_items(values)
    base = run_isolated(lambda: scores_for(tree, EXAMPLE_SPEC, items, evidence=True))
    bigger = run_isolated(lambda: scores_for(tree, scaled(level, factor, EXAMPLE_SPEC), items, evidence=True))
    assert close(base, bigger)


@PROPERTY_SETTINGS
@given(values=answers, evidence=st.booleans())
def test_not_applicable_never_changes_a_score(tree, values, evidence):
    optional_q8 = copy.deepcopy(EXAMPLE_SPEC)
    optional_q8["domains"][1]["indicators"][0]["questions"][1]["required"] = False  # so it may stay unanswered
    items = [i for i in as_items(values) if i["question"] != "Q8"]
    without = run_isolated(lambda: scores_for(tree, optional_q8, items, evidence=evidence))
    with_na = run_isolated(
        lambda: scores_for(
            tree, optional_q8, [*items, {"question": "Q8", "value": None, "na": True}], evidence=evidence
        )
    )
    assert close(without, with_na)


@PROPERTY_SETTINGS
@given(values=answers, evidence=st.booleans())
def test_every_score_stays_within_0_and_100(tree, values, evidence):
    result = run_isolated(lambda: scores_for(tree, EXAMPLE_SPEC, as_items(values), evidence=evidence))
    numbers = [result["overall"], *result["domains"].values(), *result["indicators"].values()]
    assert all(n is None or 0 <= n <= 100 for n in numbers)
    assert result["overall"] is not None  # Q1, Q2, Q10 always answered


@PROPERTY_SETTINGS
@given(values=answers, evidence=st.booleans())
def test_a_subtree_of_one_unit_rolls_up_to_its_own_score(tree, values, evidence):
    result = run_isolated(lambda: scores_for(tree, EXAMPLE_SPEC, as_items(values), evidence=evidence))
    assert close(result["unit_overall"], result["overall"])
    assert close(result["unit_domains"], result["domains"])
    assert result["unit_responded"] == 1


@PROPERTY_SETTINGS
@given(values=answers)
def test_a_returned_response_is_not_counted(tree, values):
    result = run_isolated(lambda: scores_for(tree, EXAMPLE_SPEC, as_items(values), evidence=True, returned=True))
    assert result["overall"] is None and result["domains"] == {} and result["indicators"] == {}
    assert result["unit_overall"] is None and result["unit_responded"] == 0
