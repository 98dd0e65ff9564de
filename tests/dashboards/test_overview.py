"""The city dashboard's numbers: read from the stored scores, equal to the worked example."""

from __future__ import annotations

import pytest

from dashboards import selectors

EXACT = {"rel": 1e-9}


def test_kpis_of_the_city_are_the_stored_subtree_roll_up(tree, milestones):
    ov = selectors.overview(milestones.t1, tree.city)
    assert ov.kpi.overall.value == pytest.approx(50.9, abs=0.05)  # 50.9375 shown with one decimal
    assert ov.kpi.overall.level.name == "Hình thành"
    assert (ov.kpi.responded, ov.kpi.expected, ov.kpi.responses) == (2, 5, 2)
    assert ov.kpi.coverage == 40
    assert ov.kpi.delta == pytest.approx(10.0)
    assert ov.kpi.previous == milestones.t0
    assert ov.kpi.computed_at is not None


def test_the_level_distribution_counts_counted_responses_by_band(tree, milestones):
    ov = selectors.overview(milestones.t1, tree.city)
    counts = {level.name: n for level, n in ov.distribution.counts}
    assert counts == {"Khởi động": 0, "Hình thành": 2, "Nâng cao": 0}  # A 60.9, B 40.9
    assert ov.distribution.unscored == 0 and ov.distribution.total == 2


def test_domains_and_heat_map_rows_come_from_the_children_subtrees(tree, milestones):
    ov = selectors.overview(milestones.t1, tree.city)
    # A: D1 = (2·57.5 + 80)/3 = 65, D2 48.75; B: D1 = (2·57.5 + 0)/3 = 38.33 (I2 has no evidence),
    # D2 48.75 → subtree means 51.67 and 48.75, shown with one decimal.
    assert [d.score.value for d in ov.radar] == [51.7, 48.8]
    rows = {r.unit.code: r for r in ov.children}
    assert set(rows) == {"QA", "QB"}
    assert rows["QA"].overall.value == pytest.approx(50.9, abs=0.05)
    assert [d.value for d in rows["QA"].domains] == [51.7, 48.8]
    assert (rows["QA"].responded, rows["QA"].expected, rows["QA"].delta, rows["QA"].rank) == (2, 3, 10.0, 1)
    assert rows["QB"].overall.value is None and (rows["QB"].responded, rows["QB"].expected) == (0, 2)
    assert rows["QA"].has_children and rows["QB"].has_children
    assert [r.unit.code for r in ov.children] == ["QA", "QB"]  # best first, unscored last
    assert [r.unit.code for r in ov.most_improved] == ["QA"]


def test_a_sector_filter_combines_the_stored_partial_sums_of_that_sectors_children(tree, milestones):
    residential = selectors.overview(milestones.t1, tree.city, sector=tree.qa.sector)
    assert [r.unit.code for r in residential.children] == ["QA"]
    assert residential.kpi.overall.value == pytest.approx(50.9, abs=0.05)
    assert (residential.kpi.responded, residential.kpi.expected) == (2, 3)
    assert residential.kpi.delta == pytest.approx(10.0)
    assert sum(n for _level, n in residential.distribution.counts) == 2

    university = selectors.overview(milestones.t1, tree.city, sector="university")
    assert [r.unit.code for r in university.children] == ["QB"]
    assert university.kpi.overall.value is None and university.kpi.delta is None
    assert (university.kpi.responded, university.kpi.expected) == (0, 2)
    assert university.distribution.total == 0
    assert [r.unit.code for r in university.completion] == ["QB"]


def test_completion_shows_each_child_by_status(tree, milestones):
    ov = selectors.overview(milestones.t1, tree.qa)
    assert ov.completion_own is None  # QA itself is not asked (grassroots and branches only)
    (qa1,) = ov.completion
    assert (qa1.expected, qa1.submitted, qa1.approved, qa1.returned, qa1.overdue) == (3, 1, 1, 1, 0)


def test_member_card_suppresses_small_groups(tree, member_campaign_scored):
    card = selectors.member_card(member_campaign_scored, tree.qa)
    groups = {g.name: g for g in card.groups}
    # Two workers: withheld, count included. Five students: withheld too, or 7 × overall − 5 × 75
    # would give the workers' sum (complementary suppression, docs/privacy.md).
    assert groups["Công nhân"].responses is None and groups["Công nhân"].suppressed
    assert groups["Công nhân"].overall is None
    assert groups["Sinh viên"].responses is None and groups["Sinh viên"].suppressed
    assert groups["Sinh viên"].overall is None
    assert card.responses == 7 and not card.suppressed
    assert card.overall.value == pytest.approx((5 * 75 + 2 * 25) / 7, abs=0.05)

    # The same through a sector filter at the city: QA's subtree combined from its sums.
    by_sector = selectors.member_card(member_campaign_scored, tree.city, sector=tree.qa.sector)
    assert by_sector.overall.value == card.overall.value
    assert [(g.name, g.responses, g.suppressed) for g in by_sector.groups] == [
        (g.name, g.responses, g.suppressed) for g in card.groups
    ]


def test_the_unit_trend_lists_every_milestone_in_time_order(tree, personas, milestones):
    points = selectors.unit_trend(personas.city_staff, milestones.t1, tree.qa1b)
    assert [p.campaign.milestone for p in points] == ["T0", "T1"]
    assert [p.own.value for p in points] == [40.9, 40.9]
    assert [p.subtree.value for p in points] == [40.9, 40.9]


def test_explain_gives_every_answer_its_points_and_the_weakest_indicators_as_actions(tree, milestones):
    _score, domains = selectors.subtree_scores(milestones.t1, tree.qa1a)
    explanation = selectors.explain(milestones.t1, tree.qa1a, subtree_domains=domains)
    assert explanation.counted and explanation.overall.value == pytest.approx(60.9, abs=0.05)
    lines = {i.indicator.code: i for d in explanation.domains for i in d.indicators}
    assert {code: line.score.value for code, line in lines.items()} == {"I1": 57.5, "I2": 80.0, "I3": 75.0, "I4": 40.0}
    points = {a.question.code: a.points for line in lines.values() for a in line.answers}
    assert points["Q1"] == 40.0 and points["Q2"] == 100.0 and points["Q3"] == 50.0  # level, yes, number ≥ 2
    assert points["Q4"] is None  # hidden: Q2 is "yes"
    assert points["Q5"] == 80.0 and points["Q7"] == 75.0 and points["Q8"] is None  # multi, ratio, N/A
    assert points["Q10"] == 40.0
    shown = {a.question.code: a.shown for line in lines.values() for a in line.answers}
    assert shown["Q7"] == "18 / 24" and shown["Q8"] == "N/A" and shown["Q9"] == "Thiếu máy tính"
    assert lines["I2"].evidence and not lines["I2"].missing_evidence
    assert [s.indicator.code for s in explanation.suggestions] == ["I4", "I1", "I3"]
    assert explanation.suggestions[0].indicator.guidance == "Tổ chức ít nhất một buổi sinh hoạt trực tuyến mỗi quý."


def test_explain_shows_a_claim_without_evidence_counting_zero(tree, milestones):
    explanation = selectors.explain(milestones.t1, tree.qa1b, subtree_domains={})
    i2 = next(i for d in explanation.domains for i in d.indicators if i.indicator.code == "I2")
    assert i2.missing_evidence and i2.score.value == 0.0
    q5 = next(a for a in i2.answers if a.question.code == "Q5")
    assert q5.points == 80.0 and q5.counted_as_zero


def test_explain_of_a_returned_response_is_not_counted(tree, milestones):
    explanation = selectors.explain(milestones.t1, tree.qa1, subtree_domains={})
    assert explanation.response == milestones.responses["C"] and not explanation.counted
    assert explanation.suggestions == [] and explanation.overall is None
