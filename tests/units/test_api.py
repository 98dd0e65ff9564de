"""GET /api/v1/units/ and /api/v1/units/<code>/ with the personas, filters and token auth."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

LIST = "/api/v1/units/"


def api_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def codes(response):
    return [row["code"] for row in response.json()["results"]]


def test_anonymous_callers_are_refused(tree):
    response = APIClient().get(LIST)
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


def test_list_is_scoped_to_what_the_caller_sees(personas):
    assert codes(api_for(personas.editor).get(LIST)) == ["QA-1-a"]
    assert codes(api_for(personas.viewer).get(LIST)) == ["QA-1-a"]
    assert codes(api_for(personas.outsider).get(LIST)) == ["QB-1-a"]
    assert set(codes(api_for(personas.reviewer).get(LIST))) == {"QA", "QA-1", "QA-1-a", "QA-1-b"}
    assert api_for(personas.city_staff).get(LIST).json()["count"] == 8


def test_list_is_paginated_with_count_next_previous(personas):
    body = api_for(personas.city_staff).get(LIST).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["results"][0] == {
        "code": "CITY",
        "name": "Thành Đoàn",
        "level": "city",
        "sector": "agency",
        "parent": None,
        "depth": 1,
        "children_count": 2,
        "member_count": 0,
        "subtree_member_count": 90,
        "is_active": True,
        "closed_at": None,
        "merged_into": None,
    }


def test_filter_by_parent_lists_children(personas):
    client = api_for(personas.city_staff)
    assert codes(client.get(LIST, {"parent": "QA-1"})) == ["QA-1-a", "QA-1-b"]
    assert [r["parent"] for r in client.get(LIST, {"parent": "QA-1"}).json()["results"]] == ["QA-1", "QA-1"]


def test_filter_by_an_invisible_parent_lists_nothing(personas):
    assert codes(api_for(personas.outsider).get(LIST, {"parent": "QA-1"})) == []


def test_filters_by_level_sector_and_query(personas):
    client = api_for(personas.city_staff)
    assert set(codes(client.get(LIST, {"level": "upper_grassroots"}))) == {"QA", "QB"}
    assert set(codes(client.get(LIST, {"sector": "university"}))) == {"QB", "QB-1", "QB-1-a"}
    assert set(codes(client.get(LIST, {"q": "chi doan a1"}))) == {"QA-1-a", "QA-1-b"}
    assert client.get(LIST, {"level": "galaxy"}).status_code == 400


@pytest.mark.parametrize(
    ("persona", "status"), [("editor", 200), ("viewer", 200), ("reviewer", 200), ("outsider", 404), ("admin", 200)]
)
def test_detail_follows_visibility(personas, persona, status):
    response = api_for(getattr(personas, persona)).get("/api/v1/units/QA-1-a/")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["code"] == "QA-1-a"
        assert body["parent"] == "QA-1"
        assert body["ancestors"] == [
            {"code": "CITY", "name": "Thành Đoàn"},
            {"code": "QA", "name": "Đoàn phường A"},
            {"code": "QA-1", "name": "Đoàn cơ sở A1"},
        ]
    else:
        assert "detail" in response.json()


def test_token_authentication_works_end_to_end(personas, password):
    response = APIClient().post(reverse("api-auth-token"), {"username": "editor", "password": password}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=personas.editor).key == token
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert codes(client.get(LIST)) == ["QA-1-a"]


def test_token_with_a_wrong_password_is_refused(personas):
    response = APIClient().post(reverse("api-auth-token"), {"username": "editor", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert Token.objects.count() == 0


def test_list_uses_a_bounded_number_of_queries(personas, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert api_for(personas.city_staff).get(LIST).status_code == 200


def test_schema_documents_the_unit_endpoints(db):
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/units/", "/api/v1/units/{code}/", "/api/v1/auth/token/"} <= set(paths)
    params = {p["name"] for p in paths["/api/v1/units/"]["get"]["parameters"]}
    assert {"parent", "level", "sector", "q", "page"} <= params
