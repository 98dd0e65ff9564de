"""The unit survey page with the personas: fill, autosave, conflicts, submit, review."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import Answer, Response

from .conftest import FULL_ANSWERS


def form_data(version: int, **values):
    return {"version": str(version), **values}


@pytest.mark.parametrize(
    ("persona", "status", "editable"),
    [
        ("editor", 200, True),
        ("viewer", 200, False),
        ("reviewer", 200, False),
        ("city_staff", 200, False),
        ("outsider", 404, None),
    ],
)
def test_survey_page_by_persona(personas, client_for, editor_response, persona, status, editable):
    response = client_for(getattr(personas, persona)).get(reverse("assessments:response", args=[editor_response.pk]))
    assert response.status_code == status
    if status == 200:
        assert response.context["can_edit"] is editable
        body = response.content.decode()
        assert ('name="A1"' in body) and ((" disabled" in body) is not editable)


def test_every_input_is_named_by_its_question_code_and_labelled(personas, client_for, editor_response):
    body = client_for(personas.editor).get(reverse("assessments:response", args=[editor_response.pk])).content.decode()
    for name in ('name="A1"', 'name="A2"', 'name="A3"', 'name="A4"', 'name="A5"'):
        assert name in body
    assert '<label class="form-check-label" for="A1-0">' in body
    assert '<label class="form-label visually-hidden" for="A3">' in body
    assert 'data-show-if="A2" data-show-values="yes"' in body
    body_b = (
        client_for(personas.editor)
        .get(reverse("assessments:response", args=[editor_response.pk]), {"section": "B"})
        .content.decode()
    )
    assert 'name="B1__den"' in body_b and 'for="B1__den"' in body_b and 'name="B2__na"' in body_b


def test_autosave_returns_a_status_fragment_with_the_new_version(personas, client_for, editor_response):
    client = client_for(personas.editor)
    url = reverse("assessments:response_save", args=[editor_response.pk, "A"])
    response = client.post(url, form_data(0, A1="2", A2="yes", A3="4"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert (
        'id="response-version" hx-swap-oob="true"' in response.content.decode()
        and 'value="1"' in response.content.decode()
    )
    assert Answer.objects.filter(response=editor_response).count() == 3


def test_autosave_conflict_is_409_with_a_clear_message(personas, client_for, editor_response):
    client = client_for(personas.editor)
    url = reverse("assessments:response_save", args=[editor_response.pk, "A"])
    client.post(url, form_data(0, A1="2"), HTTP_HX_REQUEST="true")
    stale = client.post(url, form_data(0, A1="0"), HTTP_HX_REQUEST="true")
    assert stale.status_code == 409
    assert "NOT saved" in stale.content.decode() or "CHƯA" in stale.content.decode().upper()
    assert Answer.objects.get(response=editor_response, question__code="A1").option.code == "2"


def test_explicit_save_conflict_keeps_what_was_typed(personas, client_for, editor_response):
    client = client_for(personas.editor)
    url = reverse("assessments:response_save", args=[editor_response.pk, "A"])
    client.post(url, form_data(0, A1="2"))
    page = client.post(url, form_data(0, A1="0", A3="7"))
    assert page.status_code == 409
    body = page.content.decode()
    assert 'id="A1-0" value="0" checked' in body and 'value="7"' in body  # the typed values are still there
    assert page.context["save_problem"]


def test_explicit_save_with_errors_is_422_and_names_the_question(personas, client_for, editor_response):
    page = client_for(personas.editor).post(
        reverse("assessments:response_save", args=[editor_response.pk, "A"]), form_data(0, A3="-2")
    )
    assert page.status_code == 422
    assert 'class="question mb-4 has-error"' in page.content.decode()
    assert Response.objects.get(pk=editor_response.pk).version == 0


def test_save_and_continue_goes_to_the_next_section(personas, client_for, editor_response):
    response = client_for(personas.editor).post(
        reverse("assessments:response_save", args=[editor_response.pk, "A"]), form_data(0, A1="1", go="B")
    )
    assert response.status_code == 302 and response["Location"].endswith("?section=B")


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("reviewer", 403), ("outsider", 404)])
def test_only_the_units_editors_can_save(personas, client_for, editor_response, persona, status):
    response = client_for(getattr(personas, persona)).post(
        reverse("assessments:response_save", args=[editor_response.pk, "A"]), form_data(0, A1="1")
    )
    assert response.status_code == status
    assert not Answer.objects.filter(response=editor_response).exists()


def test_submit_page_lists_what_is_missing_then_submits(personas, client_for, editor_response):
    client = client_for(personas.editor)
    url = reverse("assessments:response_submit", args=[editor_response.pk])
    page = client.get(url)
    assert [q.code for q in page.context["missing"]] == ["A1", "A2", "A3", "A5", "B1", "B2"]
    services.response_save_answers(
        response=editor_response,
        version=0,
        answers=[services.AnswerInput(a["question"], a["value"]) for a in FULL_ANSWERS],
        by=None,
    )
    page = client.get(url)
    assert page.context["missing"] == [] and [i.code for i in page.context["unproven"]] == ["A.2"]
    response = client.post(url, {"version": "1"})
    assert response.status_code == 302
    assert Response.objects.get(pk=editor_response.pk).status == "submitted"


def test_review_panel_and_decisions(personas, client_for, editor_response):
    services.response_save_answers(
        response=editor_response,
        version=0,
        answers=[services.AnswerInput(a["question"], a["value"]) for a in FULL_ANSWERS],
        by=None,
    )
    services.response_submit(response=Response.objects.get(pk=editor_response.pk), by=personas.editor)
    url = reverse("assessments:response", args=[editor_response.pk])
    assert client_for(personas.reviewer).get(url).context["can_review"] is True
    assert client_for(personas.editor).get(url).context["can_review"] is False
    review = reverse("assessments:response_review", args=[editor_response.pk])
    assert client_for(personas.editor).post(review, {"decision": "approve"}).status_code == 403
    assert client_for(personas.viewer).post(review, {"decision": "approve"}).status_code == 403
    assert client_for(personas.outsider).post(review, {"decision": "approve"}).status_code == 404
    client_for(personas.reviewer).post(review, {"decision": "return", "comment": "Sửa câu A3"})
    page = client_for(personas.editor).get(url)
    assert "Sửa câu A3" in page.content.decode() and page.context["can_edit"] is True


def test_survey_page_query_count_is_bounded(personas, client_for, editor_response, django_assert_max_num_queries):
    services.response_save_answers(
        response=editor_response,
        version=0,
        answers=[services.AnswerInput(a["question"], a["value"]) for a in FULL_ANSWERS],
        by=None,
    )
    client = client_for(personas.editor)
    client.get(reverse("assessments:response", args=[editor_response.pk]))  # warm the framework cache
    with django_assert_max_num_queries(22):
        assert client.get(reverse("assessments:response", args=[editor_response.pk])).status_code == 200


def test_home_lists_surveys_to_fill_and_to_review(personas, client_for, editor_response, django_assert_max_num_queries):
    client = client_for(personas.editor)
    with django_assert_max_num_queries(10):
        home = client.get(reverse("home"))
    assert [r.pk for r in home.context["to_fill"]] == [editor_response.pk]
    services.response_save_answers(
        response=editor_response,
        version=0,
        answers=[services.AnswerInput(a["question"], a["value"]) for a in FULL_ANSWERS],
        by=None,
    )
    services.response_submit(response=Response.objects.get(pk=editor_response.pk), by=personas.editor)
    assert editor_response.pk in [r.pk for r in client_for(personas.reviewer).get(reverse("home")).context["to_review"]]
    assert list(client_for(personas.outsider).get(reverse("home")).context["to_review"]) == []


def assert_post_forms_carry_csrf(html: str) -> int:
    """Every POST form of the page has its CSRF token (the test client does not check them)."""
    forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, flags=re.S | re.I)
    for body in forms:
        assert 'name="csrfmiddlewaretoken"' in body
    return len(forms)


def test_every_post_form_on_survey_pages_carries_its_csrf_token(
    personas, client_for, editor_response, settings, tmp_path
):
    settings.PRIVATE_UPLOAD_ROOT = tmp_path
    editor = client_for(personas.editor)
    url = reverse("assessments:response", args=[editor_response.pk])
    assert assert_post_forms_carry_csrf(editor.get(url).content.decode()) >= 2  # survey + evidence
    editor.post(
        reverse("assessments:evidence_add", args=[editor_response.pk, "A.2"]), {"url": "https://x.example.vn/a"}
    )
    assert assert_post_forms_carry_csrf(editor.get(url).content.decode()) >= 3  # + remove evidence
    services.response_save_answers(
        response=Response.objects.get(pk=editor_response.pk),
        version=0,  # evidence does not change the version
        answers=[services.AnswerInput(a["question"], a["value"]) for a in FULL_ANSWERS],
        by=None,
    )
    services.response_submit(response=Response.objects.get(pk=editor_response.pk), by=personas.editor)
    assert assert_post_forms_carry_csrf(client_for(personas.reviewer).get(url).content.decode()) >= 1  # review
    campaign_page = client_for(personas.city_staff).get(
        reverse("assessments:campaign", args=[editor_response.assignment.campaign_id])
    )
    assert assert_post_forms_carry_csrf(campaign_page.content.decode()) >= 1
