"""Campaigns: creation rights, opening snapshots the expected units, closing, extensions, completion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Assignment, Campaign, Response
from assessments.selectors import campaign_completion
from tests.factories import UnitFactory
from units.services import unit_close

from .conftest import FULL_ANSWERS, make_campaign


def answered(response: Response) -> None:
    services.response_save_answers(
        response=response,
        version=response.version,
        answers=[services.AnswerInput(question=a["question"], value=a["value"]) for a in FULL_ANSWERS],
        by=None,
    )


def test_opening_snapshots_one_assignment_per_expected_unit(unit_campaign, tree):
    codes = set(Assignment.objects.filter(campaign=unit_campaign).values_list("unit__code", flat=True))
    assert codes == {"QA", "QA-1", "QA-1-a", "QA-1-b", "QB", "QB-1", "QB-1-a"}  # not the city: level not included
    assert Response.objects.filter(assignment__campaign=unit_campaign, status="draft", version=0).count() == 7


def test_expected_units_do_not_change_when_the_tree_does(unit_campaign, tree):
    before = set(Assignment.objects.filter(campaign=unit_campaign).values_list("unit_id", flat=True))
    UnitFactory(code="QA-1-c", level="branch", parent=tree.qa1)  # added after opening
    unit_close(unit=tree.qb1a)  # closed after opening
    from units.models import Unit

    Unit.objects.move(tree.qa1b, tree.qb1, "last-child")  # moved after opening
    assert set(Assignment.objects.filter(campaign=unit_campaign).values_list("unit_id", flat=True)) == before


def test_closed_units_are_not_expected_when_a_campaign_opens(tree, unit_framework):
    unit_close(unit=tree.qb1)
    campaign = make_campaign(unit_framework, tree.city, levels=["branch"])
    assert set(campaign.assignments.values_list("unit__code", flat=True)) == {"QA-1-a", "QA-1-b"}


def test_a_campaign_needs_a_published_framework_and_sane_dates(tree, db):
    from tests.assessments.conftest import spec

    draft = services.framework_import(data=spec())
    now = timezone.now()
    with pytest.raises(ValidationError) as caught:
        services.campaign_create(
            by=None,
            framework=draft,
            name="x",
            milestone="T0",
            period_start=now.date(),
            period_end=(now - timedelta(days=1)).date(),
            opens_at=now,
            closes_at=now - timedelta(hours=1),
            scope_unit=tree.city,
            levels=[],
        )
    assert set(caught.value.message_dict) == {"framework", "period_end", "closes_at", "levels"}


def test_opening_twice_is_refused(unit_campaign):
    with pytest.raises(ValidationError):
        services.campaign_open(campaign=unit_campaign)
    assert unit_campaign.assignments.count() == 7


def test_closing_locks_drafts_but_an_extension_reopens_one_unit(unit_campaign, editor_response, tree):
    services.campaign_close(campaign=unit_campaign)
    with pytest.raises(services.NotEditable):
        answered(editor_response)
    assignment = editor_response.assignment
    services.assignment_extend(assignment=assignment, deadline=timezone.now() + timedelta(days=2))
    answered(Response.objects.get(pk=editor_response.pk))  # now accepted
    other = Response.objects.get(assignment__campaign=unit_campaign, assignment__unit=tree.qa1b)
    with pytest.raises(services.NotEditable):
        answered(other)


def test_a_past_deadline_locks_answers_even_while_open(tree, unit_framework):
    now = timezone.now()
    campaign = make_campaign(
        unit_framework,
        tree.city,
        levels=["branch"],
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(minutes=1),
    )
    response = Response.objects.get(assignment__campaign=campaign, assignment__unit=tree.qa1a)
    with pytest.raises(services.NotEditable):
        answered(response)


def test_completion_counts_each_child_subtree_and_flags_overdue(tree, unit_framework):
    now = timezone.now()
    campaign = make_campaign(
        unit_framework,
        tree.city,
        levels=["grassroots", "branch"],
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=3),
    )
    responses = {
        r.assignment.unit.code: r
        for r in Response.objects.filter(assignment__campaign=campaign).select_related("assignment__unit")
    }
    answered(responses["QA-1-a"])
    services.response_submit(response=Response.objects.get(pk=responses["QA-1-a"].pk), by=None)
    answered(responses["QA-1-b"])
    own, rows = campaign_completion(campaign, tree.city)
    assert own is None  # the city itself is not expected
    by_code = {r.unit.code: r for r in rows}
    assert (by_code["QA"].expected, by_code["QA"].submitted, by_code["QA"].draft, by_code["QA"].not_started) == (
        3,
        1,
        1,
        1,
    )
    assert (by_code["QB"].expected, by_code["QB"].not_started, by_code["QB"].overdue) == (2, 2, 0)
    later = now + timedelta(days=4)
    _own, rows = campaign_completion(campaign, tree.city, now=later)
    assert {r.unit.code: r.overdue for r in rows} == {"QA": 2, "QB": 2}


# --- Pages, with personas -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("editor", 200), ("viewer", 200), ("reviewer", 200), ("outsider", 200), ("city_staff", 200), ("admin", 200)],
)
def test_a_city_wide_campaign_page_is_visible_to_everyone_taking_part(
    personas, client_for, unit_campaign, persona, status
):
    assert (
        client_for(getattr(personas, persona)).get(reverse("assessments:campaign", args=[unit_campaign.pk])).status_code
        == status
    )


@pytest.mark.parametrize(
    ("persona", "status"), [("editor", 200), ("viewer", 200), ("reviewer", 200), ("outsider", 404)]
)
def test_a_district_campaign_is_invisible_outside_the_district(
    personas, client_for, tree, unit_framework, persona, status
):
    campaign = make_campaign(unit_framework, tree.qa, levels=["branch"])
    assert (
        client_for(getattr(personas, persona)).get(reverse("assessments:campaign", args=[campaign.pk])).status_code
        == status
    )
    listed = client_for(getattr(personas, persona)).get(reverse("assessments:campaigns")).content.decode()
    assert (campaign.name in listed) == (status == 200)


def test_drill_down_outside_what_the_user_sees_is_404(personas, client_for, unit_campaign):
    url = reverse("assessments:campaign", args=[unit_campaign.pk])
    assert client_for(personas.reviewer).get(url, {"unit": "QA-1"}).status_code == 200
    assert client_for(personas.reviewer).get(url, {"unit": "QB"}).status_code == 404


def test_campaign_page_shows_completion_and_highlights_overdue(personas, client_for, tree, unit_framework):
    now = timezone.now()
    campaign = make_campaign(
        unit_framework,
        tree.city,
        levels=["branch"],
        opens_at=now - timedelta(days=9),
        closes_at=now - timedelta(days=1),
    )
    body = client_for(personas.city_staff).get(reverse("assessments:campaign", args=[campaign.pk])).content.decode()
    assert body.count('class="table-danger overdue"') == 2  # QA and QB subtrees both have overdue branches


@pytest.mark.parametrize(
    ("persona", "status"), [("city_staff", 302), ("reviewer", 302), ("editor", 302), ("viewer", 403), ("outsider", 403)]
)
def test_open_and_close_need_a_manager_of_the_scope(personas, client_for, tree, unit_framework, persona, status):
    campaign = make_campaign(unit_framework, tree.qa1a, levels=["branch"], open_it=False)
    response = client_for(getattr(personas, persona)).post(reverse("assessments:campaign_open", args=[campaign.pk]))
    expected = 404 if persona == "outsider" else status
    assert response.status_code == expected
    campaign.refresh_from_db()
    assert (campaign.status == Campaign.Status.OPEN) == (expected == 302)


def test_creating_a_campaign_in_the_app(personas, client_for, tree, unit_framework):
    client = client_for(personas.reviewer)
    data = {
        "framework": unit_framework.pk,
        "name": "Khảo sát giữa năm",
        "milestone": "Giữa năm 2026",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "opens_at": "2026-07-01T08:00",
        "closes_at": "2026-07-31T17:00",
        "scope_unit": "QB",  # not managed by the reviewer
        "levels": ["branch"],
        "rollup": "members",
    }
    response = client.post(reverse("assessments:campaign_create"), data)
    assert response.status_code == 200
    assert "scope_unit" in response.context["form"].errors
    data["scope_unit"] = "QA"
    response = client.post(reverse("assessments:campaign_create"), data)
    campaign = Campaign.objects.get(name="Khảo sát giữa năm")
    assert response["Location"] == reverse("assessments:campaign", args=[campaign.pk])
    assert (campaign.scope_unit.code, campaign.rollup, campaign.status) == ("QA", "members", "draft")


def test_viewers_cannot_create_campaigns(personas, client_for, tree):
    assert client_for(personas.viewer).get(reverse("assessments:campaign_create")).status_code == 403


def test_extension_form_for_managers(personas, client_for, unit_campaign, editor_response):
    assignment = editor_response.assignment
    deadline = (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    assert (
        client_for(personas.viewer)
        .post(reverse("assessments:assignment_extend", args=[assignment.pk]), {"deadline": deadline})
        .status_code
        == 403
    )
    assert (
        client_for(personas.outsider)
        .post(reverse("assessments:assignment_extend", args=[assignment.pk]), {"deadline": deadline})
        .status_code
        == 404
    )
    response = client_for(personas.city_staff).post(
        reverse("assessments:assignment_extend", args=[assignment.pk]), {"deadline": deadline}
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.deadline is not None


def test_campaign_pages_use_a_bounded_number_of_queries(
    personas, client_for, unit_campaign, django_assert_max_num_queries
):
    client = client_for(personas.city_staff)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("assessments:campaign", args=[unit_campaign.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("assessments:campaigns")).status_code == 200
