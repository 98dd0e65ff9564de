"""Assessments API with the personas: frameworks, campaigns, responses, answers (409), transitions."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from assessments.models import Campaign, Response

from .conftest import FULL_ANSWERS, make_campaign


def api_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_frameworks_are_readable_and_read_only(personas, unit_framework):
    client = api_for(personas.editor)
    listed = client.get("/api/v1/frameworks/").json()
    assert [f["code"] for f in listed["results"]] == ["test-unit"]
    detail = client.get("/api/v1/frameworks/test-unit/1/").json()
    assert detail["status"] == "published"
    assert detail["domains"][0]["indicators"][0]["questions"][0]["code"] == "A1"
    for method in ("put", "patch", "delete", "post"):
        assert getattr(client, method)("/api/v1/frameworks/test-unit/1/", {}, format="json").status_code == 405
    assert APIClient().get("/api/v1/frameworks/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("persona", "visible"), [("editor", True), ("viewer", True), ("outsider", False), ("reviewer", True)]
)
def test_campaign_list_and_detail_follow_visibility(personas, tree, unit_framework, persona, visible):
    campaign = make_campaign(unit_framework, tree.qa, levels=["branch"])
    client = api_for(getattr(personas, persona))
    ids = [c["id"] for c in client.get("/api/v1/campaigns/").json()["results"]]
    assert (campaign.pk in ids) == visible
    assert client.get(f"/api/v1/campaigns/{campaign.pk}/").status_code == (200 if visible else 404)


CREATE = {
    "framework_code": "test-unit",
    "framework_version": 1,
    "name": "Đợt API",
    "milestone": "T1",
    "period_start": "2026-01-01",
    "period_end": "2026-06-30",
    "opens_at": "2026-07-01T08:00:00+07:00",
    "closes_at": "2026-07-31T17:00:00+07:00",
    "scope_unit": "QA",
    "levels": ["grassroots", "branch"],
}


@pytest.mark.parametrize(
    ("persona", "status"), [("reviewer", 201), ("city_staff", 201), ("viewer", 404), ("editor", 404), ("outsider", 404)]
)
def test_creating_a_campaign_through_the_api(personas, unit_framework, persona, status):
    response = api_for(getattr(personas, persona)).post("/api/v1/campaigns/", CREATE, format="json")
    assert response.status_code == status
    assert Campaign.objects.filter(name="Đợt API").exists() == (status == 201)
    if status == 201:
        body = response.json()
        assert (body["scope_unit"], body["status"], body["expected"], body["framework"]["code"]) == (
            "QA",
            "draft",
            0,
            "test-unit",
        )


def test_a_viewer_of_the_scope_unit_gets_403(personas, unit_framework):
    response = api_for(personas.viewer).post("/api/v1/campaigns/", {**CREATE, "scope_unit": "QA-1-a"}, format="json")
    assert response.status_code == 403
    assert not Campaign.objects.exists()


def test_campaign_create_validation_errors_are_by_field(personas, unit_framework):
    bad = {**CREATE, "closes_at": "2026-06-01T08:00:00+07:00", "levels": ["galaxy"]}
    response = api_for(personas.city_staff).post("/api/v1/campaigns/", bad, format="json")
    assert response.status_code == 400
    assert "levels" in response.json()


def test_open_and_close_through_the_api(personas, tree, unit_framework):
    campaign = make_campaign(unit_framework, tree.qa, levels=["branch"], open_it=False)
    assert api_for(personas.viewer).post(f"/api/v1/campaigns/{campaign.pk}/open/").status_code == 403
    opened = api_for(personas.reviewer).post(f"/api/v1/campaigns/{campaign.pk}/open/")
    assert opened.status_code == 200 and opened.json()["expected"] == 2
    assert api_for(personas.reviewer).post(f"/api/v1/campaigns/{campaign.pk}/open/").status_code == 409
    assert api_for(personas.reviewer).post(f"/api/v1/campaigns/{campaign.pk}/close/").json()["status"] == "closed"


def test_responses_list_filters_by_campaign_and_unit_and_scope(personas, unit_campaign):
    client = api_for(personas.reviewer)
    rows = client.get("/api/v1/responses/", {"campaign": unit_campaign.pk}).json()["results"]
    assert {r["unit"] for r in rows} == {"QA", "QA-1", "QA-1-a", "QA-1-b"}
    rows = client.get("/api/v1/responses/", {"campaign": unit_campaign.pk, "unit": "QA-1-a"}).json()["results"]
    assert [r["unit"] for r in rows] == ["QA-1-a"]
    assert api_for(personas.outsider).get("/api/v1/responses/", {"unit": "QA-1-a"}).json()["results"] == []


@pytest.mark.parametrize(
    ("persona", "status"), [("editor", 200), ("viewer", 200), ("reviewer", 200), ("outsider", 404)]
)
def test_response_detail_follows_visibility(personas, editor_response, persona, status):
    assert api_for(getattr(personas, persona)).get(f"/api/v1/responses/{editor_response.pk}/").status_code == status


def test_put_answers_round_trips_every_value_shape(personas, editor_response):
    client = api_for(personas.editor)
    response = client.put(
        f"/api/v1/responses/{editor_response.pk}/answers/", {"version": 0, "answers": FULL_ANSWERS}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    values = {a["question"]: a["value"] for a in body["answers"]}
    assert values == {a["question"]: a["value"] for a in FULL_ANSWERS}
    detail = client.get(f"/api/v1/responses/{editor_response.pk}/").json()
    assert {a["question"]: a["value"] for a in detail["answers"]} == values


def test_put_with_a_stale_version_is_409_and_writes_nothing(personas, editor_response):
    client = api_for(personas.editor)
    first = client.put(
        f"/api/v1/responses/{editor_response.pk}/answers/",
        {"version": 0, "answers": [{"question": "A1", "value": "2"}]},
        format="json",
    )
    assert first.status_code == 200
    stale = client.put(
        f"/api/v1/responses/{editor_response.pk}/answers/",
        {"version": 0, "answers": [{"question": "A1", "value": "0"}]},
        format="json",
    )
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 1
    answers = client.get(f"/api/v1/responses/{editor_response.pk}/").json()["answers"]
    assert answers == [{"question": "A1", "value": "2", "na": False, "score": 1.0, "hidden": False}]


def test_put_invalid_values_are_400_by_question_code(personas, editor_response):
    response = api_for(personas.editor).put(
        f"/api/v1/responses/{editor_response.pk}/answers/",
        {"version": 0, "answers": [{"question": "B2", "value": 140}, {"question": "B3", "value": 50}]},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["answers"]) == {"B2", "B3"}


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("reviewer", 403), ("outsider", 404)])
def test_only_the_units_editors_put_answers(personas, editor_response, persona, status):
    response = api_for(getattr(personas, persona)).put(
        f"/api/v1/responses/{editor_response.pk}/answers/", {"version": 0, "answers": FULL_ANSWERS}, format="json"
    )
    assert response.status_code == status
    assert Response.objects.get(pk=editor_response.pk).version == 0


def test_submit_return_approve_through_the_api(personas, editor_response):
    editor, reviewer = api_for(personas.editor), api_for(personas.reviewer)
    url = f"/api/v1/responses/{editor_response.pk}"
    incomplete = editor.post(f"{url}/submit/", {}, format="json")
    assert incomplete.status_code == 400 and "A1" in incomplete.json()["answers"]
    editor.put(f"{url}/answers/", {"version": 0, "answers": FULL_ANSWERS}, format="json")
    assert reviewer.post(f"{url}/submit/", {}, format="json").status_code == 403
    assert editor.post(f"{url}/submit/", {"version": 0}, format="json").status_code == 409  # stale
    assert editor.post(f"{url}/submit/", {"version": 1}, format="json").json()["status"] == "submitted"
    assert editor.post(f"{url}/approve/", {}, format="json").status_code == 403  # not a reviewer of itself
    no_comment = reviewer.post(f"{url}/return/", {"comment": ""}, format="json")
    assert no_comment.status_code == 400 and "comment" in no_comment.json()
    assert reviewer.post(f"{url}/return/", {"comment": "Bổ sung B2"}, format="json").json()["status"] == "returned"
    assert reviewer.post(f"{url}/approve/", {}, format="json").status_code == 409  # not submitted
    editor.post(f"{url}/submit/", {}, format="json")
    assert reviewer.post(f"{url}/approve/", {}, format="json").json()["status"] == "approved"
    locked = editor.put(f"{url}/answers/", {"version": 5, "answers": [{"question": "A1", "value": "0"}]}, format="json")
    assert locked.status_code == 409


def test_schema_documents_answer_value_shapes_and_conflicts(db):
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    put = schema["paths"]["/api/v1/responses/{id}/answers/"]["put"]
    assert "409" in put["responses"]
    value = schema["components"]["schemas"]["AnswerInRequest"]["properties"]["value"]
    assert len(value["oneOf"]) == 5 and "ratio" in value["description"]
    for path in (
        "/api/v1/campaigns/",
        "/api/v1/responses/{id}/submit/",
        "/api/v1/member-surveys/{token}/",
        "/api/v1/frameworks/{code}/{version}/",
    ):
        assert path in schema["paths"]
