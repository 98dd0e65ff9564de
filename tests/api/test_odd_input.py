"""Odd input that used to end in a 500 (issue 12, item 5), each pinned: a 400 with a clear message,
and nothing written. Run with DEBUG off, as in production, so that no debug page hides a 500."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from assessments.models import Answer, Assignment, Response
from doanso.lib.http import parse_id
from doanso.lib.parsers import nesting_depth
from tests.assessments.conftest import member_campaign, member_framework  # noqa: F401 - fixtures

DEEP = "[" * 5000 + "]" * 5000


@pytest.fixture(autouse=True)
def production_like(settings):
    settings.DEBUG = False
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def member_link(member_campaign, tree):  # noqa: F811
    assignment = Assignment.objects.get(campaign=member_campaign, unit=tree.qa1a)
    return assignment, f"/api/v1/member-surveys/{assignment.member_token}/"


def _post_raw(client, url: str, body: str, method: str = "post"):
    return getattr(client, method)(url, data=body, content_type="application/json")


def test_deeply_nested_json_is_a_400_on_every_json_endpoint(personas, editor_response, member_link):
    _assignment, member_url = member_link
    editor = APIClient()
    editor.force_authenticate(personas.editor)
    cases = [
        (APIClient(), "/api/v1/auth/token/", "post"),
        (APIClient(), member_url, "post"),
        (editor, f"/api/v1/responses/{editor_response.pk}/answers/", "put"),
    ]
    for client, url, method in cases:
        response = _post_raw(client, url, DEEP, method)
        assert response.status_code == 400, url
        assert "lồng nhau quá sâu" in response.json()["detail"], url
    nested_value = '{"version": 0, "answers": [{"question": "A3", "value": ' + DEEP + "}]}"
    response = _post_raw(editor, f"/api/v1/responses/{editor_response.pk}/answers/", nested_value, "put")
    assert response.status_code == 400
    assert not Answer.objects.filter(response=editor_response).exists()


def test_a_key_twice_in_one_object_is_refused(personas, editor_response):
    editor = APIClient()
    editor.force_authenticate(personas.editor)
    body = '{"version": 0, "version": 5, "answers": []}'
    response = _post_raw(editor, f"/api/v1/responses/{editor_response.pk}/answers/", body, "put")
    assert response.status_code == 400 and "version" in response.json()["detail"]
    editor_response.refresh_from_db()
    assert editor_response.version == 0


def test_a_too_large_body_is_refused(personas, editor_response, settings):
    settings.API_JSON_MAX_BYTES = 1000
    editor = APIClient()
    editor.force_authenticate(personas.editor)
    body = '{"version": 0, "answers": [{"question": "B4", "value": "' + "x" * 2000 + '"}]}'
    response = _post_raw(editor, f"/api/v1/responses/{editor_response.pk}/answers/", body, "put")
    assert response.status_code == 400 and "1000" in response.json()["detail"]


def test_the_same_question_twice_is_a_400_not_a_database_error(member_link, personas, editor_response):
    assignment, url = member_link
    twice = [{"question": "C1.1", "value": "1"}, {"question": "C1.1", "value": "2"}, {"question": "C1.2", "value": "0"}]
    response = APIClient().post(url, {"target_group": "student", "answers": twice}, format="json")
    assert response.status_code == 400
    assert "hai lần" in str(response.json()["answers"]["C1.1"])
    assert not Response.objects.filter(assignment=assignment, kind="member").exists()
    editor = APIClient()
    editor.force_authenticate(personas.editor)
    unit_twice = [{"question": "A3", "value": 1}, {"question": "A3", "value": 2}]
    response = editor.put(
        f"/api/v1/responses/{editor_response.pk}/answers/", {"version": 0, "answers": unit_twice}, format="json"
    )
    assert response.status_code == 400
    assert not Answer.objects.filter(response=editor_response).exists()


@pytest.mark.parametrize("value", ["²", "١٢", "12abc", "-3", "9" * 30, " "])
def test_a_campaign_parameter_that_is_not_an_ascii_number_is_no_campaign(client_for, personas, unit_campaign, value):
    client = client_for(personas.city_staff)
    for url in [
        reverse("dashboards:city"),
        reverse("dashboards:unit", kwargs={"code": "QA"}),
        reverse("dashboards:city_export", kwargs={"table": "units", "fmt": "csv"}),
        reverse("dashboards:unit_export", kwargs={"code": "QA", "table": "trend", "fmt": "xlsx"}),
    ]:
        response = client.get(url, {"campaign": value})
        assert response.status_code in (200, 404), (url, value, response.status_code)
    api = APIClient()
    api.force_authenticate(personas.city_staff)
    response = api.get("/api/v1/scores/", {"campaign": value, "unit": "QA"})
    assert response.status_code == 400 and response.json()["campaign"]


def test_parse_id_reads_ascii_digits_only():
    assert [parse_id(v) for v in ("12", " 7 ", "²", "١٢", "", None, "1e3", "9" * 19)] == [12, 7] + [None] * 6


def test_a_survey_submit_with_a_version_that_is_not_a_number_is_no_500(client_for, personas, editor_response):
    response = client_for(personas.editor).post(
        reverse("assessments:response_submit", kwargs={"pk": editor_response.pk}), {"version": "abc"}
    )
    assert response.status_code in (302, 409, 422)  # a page with a message, never a 500
    editor_response.refresh_from_db()
    assert editor_response.status == Response.Status.DRAFT


@pytest.mark.parametrize("forwarded", ["", "203.0.113.9, 198.51.100.7", "not an address", ",,"])
def test_member_survey_behind_a_proxy_with_odd_forwarded_headers_is_no_500(member_link, settings, forwarded):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"
    assignment, api_url = member_link
    payload = {"target_group": "worker", "answers": [{"question": "C1.1", "value": "1"}]}
    response = APIClient().post(api_url, payload, format="json", HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 201
    page = reverse("assessments:member_survey", args=[assignment.member_token])
    form = Client().post(page, {"target_group": "worker", "C1.1": "1"}, HTTP_X_FORWARDED_FOR=forwarded)
    assert form.status_code in (200, 302)
    assert Response.objects.filter(assignment=assignment, kind="member").count() == 2


def test_nesting_depth_ignores_brackets_inside_strings():
    assert nesting_depth('{"a": "[[[[", "b": [1, [2]]}') == 3
    assert nesting_depth('["\\"[[["]') == 1


def test_a_huge_value_is_not_echoed_back_in_the_error(personas, editor_response):
    editor = APIClient()
    editor.force_authenticate(personas.editor)
    huge = "x" * 1_000_000
    for answers in ([{"question": "A3", "value": huge}], [{"question": huge, "value": 1}]):
        response = editor.put(
            f"/api/v1/responses/{editor_response.pk}/answers/", {"version": 0, "answers": answers}, format="json"
        )
        assert response.status_code == 400
        assert len(response.content) < 2000


def test_a_nul_in_a_form_or_a_query_is_a_400_page(client_for, personas, member_link):
    assignment, _api_url = member_link
    page = reverse("assessments:member_survey", args=[assignment.member_token])
    response = Client().post(page, {"target_group": "\x00", "C1.1": "1"})
    assert response.status_code == 400 and "NUL" in response.content.decode()
    assert not Response.objects.filter(assignment=assignment, kind="member").exists()
    response = client_for(personas.city_staff).get(reverse("dashboards:city"), {"unit": "Q\x00A"})
    assert response.status_code == 400
    assert APIClient().get("/api/v1/units/", {"q": "\x00"}).status_code == 400


def test_too_many_form_fields_is_a_400_page_in_vietnamese(client_for, personas, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = client_for(personas.editor).post(reverse("accounts:password_change"), {f"f{i}": "x" for i in range(20)})
    assert response.status_code == 400
    assert "Yêu cầu không được chấp nhận" in response.content.decode()


# --- What the first red-team pass found after the fixes above ---------------------------------


def test_a_charset_that_is_not_a_text_encoding_is_a_400_not_a_500(db):
    """Django builds its request before any middleware and fails decoding with such a charset, so the
    production WSGI application (doanso/wsgi.py) is called here, as gunicorn calls it."""
    from django.test.client import RequestFactory

    from doanso.wsgi import application

    statuses = []
    for charset in ("rot13", "base64", "zlib", "utf-8", "no-such-codec"):
        environ = RequestFactory()._base_environ(
            PATH_INFO="/accounts/login/", QUERY_STRING="next=%2F", CONTENT_TYPE=f"text/plain; charset={charset}"
        )
        got: list[str] = []
        body = b"".join(application(environ, lambda status, headers, exc_info=None, got=got: got.append(status)))
        statuses.append(got[0].split()[0])
        if charset == "rot13":
            assert "UTF-8" in body.decode()
    assert statuses == ["400", "400", "400", "200", "200"]


def test_a_nul_in_the_session_cookie_is_ignored(db):
    client = Client()
    client.cookies["sessionid"] = "\x00abcdefghij"
    assert client.get("/accounts/login/").status_code == 200


def test_a_lone_surrogate_in_json_is_a_400_and_nothing_is_written(member_link, personas, editor_response):
    assignment, url = member_link
    body = '{"target_group": "worker", "answers": [{"question": "C1.1", "value": "\\ud800"}]}'
    response = APIClient().post(url, data=body, content_type="application/json")
    assert response.status_code == 400 and "ud800" in response.json()["detail"]
    assert not Response.objects.filter(assignment=assignment, kind="member").exists()
    editor = APIClient()
    editor.force_authenticate(personas.editor)
    body = '{"version": 0, "answers": [{"question": "B4", "value": "a\\ud800b"}]}'
    response = editor.put(
        f"/api/v1/responses/{editor_response.pk}/answers/", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert not Answer.objects.filter(response=editor_response).exists()
    pair = '{"target_group": "worker", "answers": [{"question": "C1.1", "value": "\\ud83d\\ude00"}]}'
    assert APIClient().post(url, data=pair, content_type="application/json").status_code == 400  # not an option


def test_a_member_page_answer_sent_twice_is_refused_and_nothing_is_written(member_link):
    assignment, _api_url = member_link
    page = reverse("assessments:member_survey", args=[assignment.member_token])
    response = Client().post(page, {"target_group": "worker", "C1.1": ["2", "3"]})
    assert response.status_code == 422 and "hai lần" in response.content.decode()
    assert not Response.objects.filter(assignment=assignment, kind="member").exists()


def test_one_browser_claims_a_member_survey_once_at_a_time(member_link, rf):
    from django.contrib.sessions.backends.cache import SessionStore

    from assessments.survey import member_claim, member_claim_release

    assignment, _api_url = member_link
    request = rf.post("/")
    request.session = SessionStore()
    request.session.save()
    assert member_claim(request, assignment) is True
    assert member_claim(request, assignment) is False  # a second send at the same moment
    member_claim_release(request, assignment)  # the first was refused (missing answers): try again
    assert member_claim(request, assignment) is True
