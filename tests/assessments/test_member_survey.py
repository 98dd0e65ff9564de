"""The anonymous member survey: by link, no account, no personal data, one per browser, throttled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from assessments.models import Answer, Assignment, Response

from .conftest import make_campaign


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def link(member_campaign, tree):
    assignment = Assignment.objects.get(campaign=member_campaign, unit=tree.qa1a)
    return assignment, reverse("assessments:member_survey", args=[assignment.member_token])


def test_a_member_answers_anonymously_by_link(link):
    assignment, url = link
    client = Client()
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="C1.1"' in page.content.decode()
    response = client.post(url, {"target_group": "student", "C1.1": "3", "C1.2": "2"})
    assert response.status_code == 302
    stored = Response.objects.get(assignment=assignment, kind="member")
    assert (stored.status, stored.target_group) == ("submitted", "student")
    assert stored.transitions.get().by is None
    assert dict(Answer.objects.filter(response=stored).values_list("question__code", "score")) == {
        "C1.1": 0.75,
        "C1.2": 1.0,
    }
    # Nothing personal is stored: the response has no user, IP or agent fields at all.
    assert {f.name for f in Response._meta.get_fields()}.isdisjoint(
        {"user", "ip", "ip_address", "user_agent", "email", "name"}
    )


def test_group_specific_questions_only_count_for_that_group(link):
    assignment, url = link
    Client().post(url, {"target_group": "worker", "C1.1": "1", "C1.2": "2"})  # C1.2 is for students
    stored = Response.objects.get(assignment=assignment, kind="member")
    assert list(Answer.objects.filter(response=stored).values_list("question__code", flat=True)) == ["C1.1"]


def test_missing_answers_are_shown_and_what_was_chosen_is_kept(link):
    _assignment, url = link
    response = Client().post(url, {"target_group": "student", "C1.2": "1"})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="C1.2-1" value="1" checked' in body
    assert "C1.1" in response.context["errors"]
    assert not Response.objects.filter(kind="member").exists()


def test_a_second_submit_from_the_same_browser_is_refused_politely(link):
    assignment, url = link
    client = Client()
    client.post(url, {"target_group": "worker", "C1.1": "1"})
    again = client.post(url, {"target_group": "worker", "C1.1": "4"})
    assert again.status_code == 200
    assert again.context["already"] is True
    assert Response.objects.filter(assignment=assignment, kind="member").count() == 1
    assert Client().post(url, {"target_group": "worker", "C1.1": "2"}).status_code == 302  # another member


def test_a_flood_from_one_client_is_throttled(link, settings):
    settings.MEMBER_SURVEY_RATE = "3/m"
    assignment, url = link
    statuses = [Client().post(url, {"target_group": "worker", "C1.1": "1"}).status_code for _ in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    assert Response.objects.filter(assignment=assignment, kind="member").count() == 3


def test_closed_and_unknown_links(tree, member_framework):
    now = timezone.now()
    campaign = make_campaign(
        member_framework,
        tree.city,
        levels=["branch"],
        opens_at=now - timedelta(days=9),
        closes_at=now - timedelta(days=1),
    )
    assignment = campaign.assignments.first()
    url = reverse("assessments:member_survey", args=[assignment.member_token])
    for response in (Client().get(url), Client().post(url, {"target_group": "worker", "C1.1": "1"})):
        assert response.status_code == 200
        assert "assessments/member_closed.html" in [t.name for t in response.templates]
    assert not Response.objects.filter(kind="member").exists()
    assert Client().get(reverse("assessments:member_survey", args=["no-such-token"])).status_code == 404


def test_unit_survey_tokens_are_not_member_links(unit_campaign):
    assignment = unit_campaign.assignments.first()
    assert Client().get(reverse("assessments:member_survey", args=[assignment.member_token])).status_code == 404


def test_member_submit_through_the_api(link, settings):
    assignment, _url = link
    api = APIClient()
    url = f"/api/v1/member-surveys/{assignment.member_token}/"
    bad = api.post(url, {"target_group": "student", "answers": [{"question": "C1.1", "value": "9"}]}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["answers"]) == {"C1.1", "C1.2"}
    good = api.post(
        url,
        {
            "target_group": "student",
            "answers": [{"question": "C1.1", "value": "1"}, {"question": "C1.2", "value": "0"}],
        },
        format="json",
    )
    assert good.status_code == 201
    assert Response.objects.filter(assignment=assignment, kind="member").count() == 1
    assert (
        api.post("/api/v1/member-surveys/nope/", {"target_group": "x", "answers": []}, format="json").status_code == 404
    )
    payload = {"target_group": "worker", "answers": [{"question": "C1.1", "value": "1"}]}
    again = api.post(url, payload, format="json")  # the same browser (session) as the good one
    assert again.status_code == 409 and "đã gửi" in again.json()["detail"]
    assert Response.objects.filter(assignment=assignment, kind="member").count() == 1
    settings.MEMBER_SURVEY_RATE = "1/m"
    cache.clear()
    assert [APIClient().post(url, payload, format="json").status_code for _ in range(2)] == [201, 429]


@pytest.mark.parametrize(
    ("persona", "status"), [("editor", 200), ("reviewer", 200), ("city_staff", 200), ("viewer", 403), ("outsider", 404)]
)
def test_share_page_with_qr_for_the_units_editors_and_managers(personas, client_for, link, persona, status):
    assignment, _url = link
    response = client_for(getattr(personas, persona)).get(reverse("assessments:assignment_share", args=[assignment.pk]))
    assert response.status_code == status
    if status == 200:
        body = response.content.decode()
        assert "<svg" in body and assignment.member_token in body
