"""The small-group rule itself (assessments/scoring/disclosure.py), on the example of docs/privacy.md,
and the deltas and ranks it withholds in the scores API."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from assessments import services
from assessments.scoring.disclosure import OVERALL, protect, relations_of
from assessments.scoring.selectors import score_payloads
from tests.assessments.conftest import SMALL_MEMBER_SPEC, make_campaign, spec

from .conftest import score_now

W, A, B = 1, 2, 3
COLUMNS = [OVERALL, "g:student", "g:worker"]


def cells(**by_unit: tuple[int, int]) -> dict[tuple[int, str], int]:
    ids = {"W": W, "A": A, "B": B}
    counts = {}
    for name, (students, workers) in by_unit.items():
        unit = ids[name]
        counts[(unit, OVERALL)] = students + workers
        counts[(unit, "g:student")] = students
        counts[(unit, "g:worker")] = workers
    return counts


def hidden_for(counts: dict[tuple[int, str], int], parents: dict[int, int]) -> set[tuple[int, str]]:
    return protect(counts, relations_of(counts, parents, COLUMNS))


def test_the_example_of_the_privacy_page_leaves_only_the_ward_overall():
    """A: 5 students + 1 worker; B: 2 + 2; ward W = A + B (10 responses, 7 students, 3 workers)."""
    counts = cells(W=(7, 3), A=(5, 1), B=(2, 2))
    hidden = hidden_for(counts, {A: W, B: W})
    assert set(counts) - hidden == {(W, OVERALL)}


def test_with_five_in_every_group_everything_is_shown():
    counts = cells(W=(10, 10), A=(5, 5), B=(5, 5))
    assert hidden_for(counts, {A: W, B: W}) == set()


def test_one_small_group_takes_the_smallest_other_group_with_it_and_nothing_else():
    counts = cells(W=(12, 3), A=(6, 3), B=(6, 0))
    hidden = hidden_for(counts, {A: W, B: W})
    # A's 3 workers are small; A's students (6) are withheld with them, so A's 9 stay shown. At W,
    # the 3 workers are small too, and W's students go with them; B (6 students) shows.
    assert hidden == {(A, "g:worker"), (A, "g:student"), (W, "g:worker"), (W, "g:student")}


def test_a_parents_own_small_part_is_protected_from_the_shown_child():
    """W's own responses (3) are never shown, but W (13) − A (10) would give them."""
    counts = {(W, OVERALL): 13, (A, OVERALL): 10}
    hidden = protect(counts, relations_of(counts, {A: W}, [OVERALL]))
    assert hidden == {(A, OVERALL)}


def test_a_withheld_total_is_never_the_plain_sum_of_shown_parts():
    counts = {(W, OVERALL): 10, (A, OVERALL): 5, (B, OVERALL): 5}
    hidden = protect(counts, relations_of(counts, {A: W, B: W}, [OVERALL]), also_hidden=[(W, OVERALL)])
    assert (W, OVERALL) in hidden and len(hidden & {(A, OVERALL), (B, OVERALL)}) == 1


def test_the_api_gives_no_delta_against_a_withheld_earlier_value(tree, db):
    framework = services.framework_import(data=spec(SMALL_MEMBER_SPEC, code="member-delta"), publish=True)
    now = timezone.now()
    earlier = make_campaign(
        framework, tree.city, levels=["branch"], opens_at=now - timedelta(days=100), closes_at=now + timedelta(days=1)
    )
    later = make_campaign(framework, tree.city, levels=["branch"], opens_at=now - timedelta(days=2))
    for campaign, people in ((earlier, 4), (later, 5)):  # QA-1-b: 4 people before (withheld), 5 now
        assignment = campaign.assignments.get(unit=tree.qa1b)
        for _ in range(people):
            services.member_response_submit(
                assignment=assignment, target_group="worker", answers=[services.AnswerInput("C1.1", "2")]
            )
        assignment = campaign.assignments.get(unit=tree.qa1a)
        for _ in range(5):
            services.member_response_submit(
                assignment=assignment, target_group="worker", answers=[services.AnswerInput("C1.1", "4")]
            )
        score_now(campaign.pk, full=True)
    by_unit = {p["unit"]: p for p in score_payloads(later, [tree.qa1a, tree.qa1b, tree.qa1])}
    assert by_unit["QA-1-b"]["members"]["overall"] == 50.0  # shown now …
    assert by_unit["QA-1-b"]["delta"] is None  # … but the earlier 4 are withheld: no difference to give them away
    # QA-1-a was withheld before as the complement of QA-1-b (QA-1's 9 − QA-1-a's 5 = the 4): no delta.
    assert by_unit["QA-1-a"]["members"]["overall"] == 100.0 and by_unit["QA-1-a"]["delta"] is None
    # QA-1 is shown in both: (5 × 100 + 5 × 50) / 10 − (5 × 100 + 4 × 50) / 9.
    assert by_unit["QA-1"]["delta"] == round(75 - 700 / 9, 2)
    assert by_unit["QA-1-b"]["rank"] is not None
    earlier_payload = score_payloads(earlier, [tree.qa1b])[0]
    assert earlier_payload["members"]["suppressed"] and earlier_payload["rank"] is None
