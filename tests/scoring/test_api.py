"""GET /api/v1/scores/ and POST /api/v1/campaigns/<id>/recompute/ with the personas."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from assessments.models import Response, ScoreDirty
from tests.assessments.conftest import make_campaign

from .conftest import ANSWERS_A, answer, attach_evidence, score_now, submit


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def scored_campaign(tree, example_framework):
    campaign = make_campaign(example_framework, tree.city, levels=["grassroots", "branch"])
    response = Response.objects.get(assignment__campaign=campaign, assignment__unit=tree.qa1a)
    answer(response, ANSWERS_A)
    attach_evidence(response, "I2")
    submit(response)
    score_now(campaign.pk)
    return campaign


@pytest.mark.parametrize(
    ("persona", "status"), [("editor", 200), ("viewer", 200), ("reviewer", 200), ("city_staff", 200), ("outsider", 404)]
)
def test_scores_of_a_unit_follow_visibility(personas, scored_campaign, persona, status):
    response = api_for(getattr(personas, persona)).get(
        "/api/v1/scores/", {"campaign": scored_campaign.pk, "unit": "QA-1-a"}
    )
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["response"] == {"overall": 60.94, "level": "Hình thành", "domains": {"D1": 65.0, "D2": 48.75}}
        assert body["subtree"]["responded"] == 1 and body["subtree"]["expected"] == 1
        assert body["members"] is None
        assert body["rank"] == 1 and body["computed_at"] and body["stale"] is False


def test_the_shape_of_a_subtree_payload(personas, scored_campaign):
    body = api_for(personas.city_staff).get("/api/v1/scores/", {"campaign": scored_campaign.pk, "unit": "QA"}).json()
    assert set(body) == {"unit", "campaign", "response", "subtree", "members", "delta", "rank", "computed_at", "stale"}
    assert body["response"] is None  # QA is not expected to answer itself (levels: grassroots, branch)
    assert body["subtree"] == {
        "overall": 60.94,
        "level": "Hình thành",
        "domains": {"D1": 65.0, "D2": 48.75},
        "responded": 1,
        "expected": 3,
    }


def test_children_are_listed_with_the_same_shape(personas, scored_campaign, django_assert_max_num_queries):
    client = api_for(personas.city_staff)
    with django_assert_max_num_queries(14):
        body = client.get("/api/v1/scores/", {"campaign": scored_campaign.pk, "parent": "CITY"}).json()
    assert [row["unit"] for row in body["results"]] == ["QA", "QB"]  # by name
    by_unit = {row["unit"]: row for row in body["results"]}
    assert by_unit["QA"]["subtree"]["overall"] == 60.94
    assert by_unit["QB"]["subtree"] == {
        "overall": None,
        "level": None,
        "domains": {"D1": None, "D2": None},
        "responded": 0,
        "expected": 2,
    }
    assert (
        api_for(personas.reviewer)
        .get("/api/v1/scores/", {"campaign": scored_campaign.pk, "parent": "CITY"})
        .status_code
        == 404
    )


def test_bad_requests_are_explained(personas, scored_campaign):
    client = api_for(personas.city_staff)
    assert client.get("/api/v1/scores/", {"unit": "QA"}).status_code == 400
    assert client.get("/api/v1/scores/", {"campaign": scored_campaign.pk}).status_code == 400
    assert client.get("/api/v1/scores/", {"campaign": 999999, "unit": "QA"}).status_code == 404


def test_a_district_campaign_is_invisible_elsewhere(personas, tree, example_framework):
    campaign = make_campaign(example_framework, tree.qa, levels=["branch"], name="Quận A")
    assert (
        api_for(personas.outsider).get("/api/v1/scores/", {"campaign": campaign.pk, "unit": "QB-1-a"}).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("persona", "status"), [("city_staff", 202), ("admin", 202), ("reviewer", 403), ("editor", 403), ("viewer", 403)]
)
def test_recompute_is_for_managers_of_the_scope(personas, scored_campaign, persona, status):
    response = api_for(getattr(personas, persona)).post(f"/api/v1/campaigns/{scored_campaign.pk}/recompute/")
    assert response.status_code == status
    queued = ScoreDirty.objects.filter(campaign=scored_campaign, response__isnull=True, unit__isnull=True)
    assert queued.exists() == (status == 202)
    if status == 202:
        score_now(scored_campaign.pk)  # what the worker does with it
        assert ScoreDirty.objects.count() == 0


def test_schema_documents_scores(db):
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    params = {p["name"] for p in schema["paths"]["/api/v1/scores/"]["get"]["parameters"]}
    assert {"campaign", "unit", "parent"} <= params
    payload = schema["components"]["schemas"]["UnitScorePayload"]["properties"]
    assert {"response", "subtree", "members", "delta", "rank", "computed_at"} <= set(payload)
    assert "202" in schema["paths"]["/api/v1/campaigns/{id}/recompute/"]["post"]["responses"]
