"""Responses: saving with optimistic locking, show_if on the server, submit, return, approve,
evidence (private, checked by content), reminders."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Answer, Evidence, Response, ResponseTransition
from assessments.notifications import send_deadline_reminders
from assessments.services import AnswerInput

from .conftest import FULL_ANSWERS, make_campaign

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def inputs(items):
    return [AnswerInput(question=a["question"], value=a.get("value"), na=a.get("na", False)) for a in items]


def save(response, items, *, version=None, by=None):
    return services.response_save_answers(
        response=response, version=response.version if version is None else version, answers=inputs(items), by=by
    )


def test_saving_increments_the_version_and_stores_typed_answers(editor_response, personas):
    response = save(editor_response, FULL_ANSWERS, by=personas.editor)
    assert response.version == 1
    answers = {
        a.question.code: a for a in Answer.objects.filter(response=response).select_related("question", "option")
    }
    assert answers["A1"].option.code == "1" and answers["A1"].score == 0.5
    assert answers["A2"].value_bool is True
    assert answers["A5"].score == 0.8 and set(answers["A5"].options.values_list("code", flat=True)) == {"0", "2"}
    assert answers["B1"].score == 0.75


def test_two_saves_from_the_same_version_one_wins_the_other_conflicts_and_nothing_is_lost(editor_response, personas):
    first = save(editor_response, [{"question": "A1", "value": "2"}], version=0, by=personas.editor)
    with pytest.raises(services.VersionConflict) as caught:
        save(
            editor_response,
            [{"question": "A1", "value": "0"}, {"question": "A3", "value": 1}],
            version=0,
            by=personas.editor,
        )
    assert caught.value.current_version == first.version == 1
    stored = {
        a.question.code: a for a in Answer.objects.filter(response=editor_response).select_related("question", "option")
    }
    assert stored["A1"].option.code == "2"  # the winner's answer is intact
    assert "A3" not in stored  # nothing of the loser was written
    assert Response.objects.get(pk=editor_response.pk).version == 1


def test_invalid_values_are_reported_by_question_and_nothing_is_written(editor_response):
    with pytest.raises(ValidationError) as caught:
        save(
            editor_response,
            [{"question": "A1", "value": "2"}, {"question": "A3", "value": -4}, {"question": "ZZ", "value": 1}],
        )
    assert set(caught.value.message_dict) == {"A3", "ZZ"}
    assert not Answer.objects.filter(response=editor_response).exists()
    assert Response.objects.get(pk=editor_response.pk).version == 0


def test_clearing_an_answer_deletes_it(editor_response):
    response = save(editor_response, [{"question": "A3", "value": 2}])
    response = save(response, [{"question": "A3", "value": None}])
    assert not Answer.objects.filter(response=response, question__code="A3").exists()


def test_show_if_is_enforced_on_the_server(editor_response):
    response = save(editor_response, [{"question": "A2", "value": False}, {"question": "A4", "value": "1"}])
    a4 = Answer.objects.get(response=response, question__code="A4")
    assert a4.is_hidden  # A4 only shows when A2 = yes: kept but not counted
    missing = {q.code for q in services.response_missing(response)}
    assert "A4" not in missing  # a hidden required question does not block submitting
    response = save(response, [{"question": "A2", "value": True}])
    assert not Answer.objects.get(pk=a4.pk).is_hidden


def test_submit_needs_every_required_visible_answer(editor_response, personas):
    response = save(editor_response, FULL_ANSWERS[:3])
    with pytest.raises(ValidationError) as caught:
        services.response_submit(response=response, by=personas.editor)
    assert set(caught.value.message_dict) == {"A4", "A5", "B1", "B2"}
    response = save(response, FULL_ANSWERS[3:])
    response = services.response_submit(response=response, by=personas.editor)
    assert response.status == Response.Status.SUBMITTED and response.submitted_at is not None


def test_a_submitted_response_is_read_only(editor_response, personas):
    response = services.response_submit(response=save(editor_response, FULL_ANSWERS), by=personas.editor)
    with pytest.raises(services.NotEditable):
        save(response, [{"question": "A1", "value": "0"}])
    with pytest.raises(services.NotEditable):
        services.evidence_add(
            response=response,
            indicator=Answer.objects.filter(response=response).first().question.indicator,
            by=None,
            url="https://x.vn",
        )


def test_return_with_a_comment_mails_the_unit_and_reopens_it(
    editor_response, personas, django_capture_on_commit_callbacks
):
    response = services.response_submit(response=save(editor_response, FULL_ANSWERS), by=personas.editor)
    with pytest.raises(ValidationError):
        services.response_return(response=response, by=personas.reviewer, comment="  ")
    with django_capture_on_commit_callbacks(execute=True):
        response = services.response_return(response=response, by=personas.reviewer, comment="Thiếu minh chứng A.2")
    assert response.status == Response.Status.RETURNED
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert personas.editor.email in message.to
    assert personas.viewer.email not in message.to  # viewers do not fill surveys
    assert "Thiếu minh chứng A.2" in message.body
    assert f"/responses/{response.pk}/" in message.body
    response = save(response, [{"question": "A3", "value": 5}])  # editable again
    response = services.response_submit(response=response, by=personas.editor)
    response = services.response_approve(response=response, by=personas.reviewer)
    assert response.status == Response.Status.APPROVED
    history = list(
        ResponseTransition.objects.filter(response=response).values_list("to_status", "by__username", "comment")
    )
    assert history == [
        ("submitted", "editor", ""),
        ("returned", "reviewer", "Thiếu minh chứng A.2"),
        ("submitted", "editor", ""),
        ("approved", "reviewer", ""),
    ]
    with pytest.raises(ValidationError):
        services.response_return(response=response, by=personas.reviewer, comment="Quá muộn")


# --- Evidence -----------------------------------------------------------------------------------


@pytest.fixture
def private_root(settings, tmp_path: Path) -> Path:
    settings.PRIVATE_UPLOAD_ROOT = tmp_path / "private"
    return settings.PRIVATE_UPLOAD_ROOT


def upload(client, response, indicator: str, name: str, content: bytes, **extra):
    return client.post(
        reverse("assessments:evidence_add", args=[response.pk, indicator]),
        {"file": SimpleUploadedFile(name, content), **extra},
    )


def test_evidence_is_stored_privately_under_a_random_name(personas, client_for, editor_response, private_root):
    response = upload(client_for(personas.editor), editor_response, "A.2", "Biên bản họp.pdf", PDF, note="Số 12/BB")
    assert response.status_code == 302
    evidence = Evidence.objects.get(response=editor_response)
    assert evidence.original_name == "Biên bản họp.pdf" and evidence.content_type == "application/pdf"
    stored = Path(evidence.file.path)
    assert stored.is_relative_to(private_root)
    assert "Biên bản" not in stored.name and stored.suffix == ".pdf"
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT)) and not stored.is_relative_to(
        Path(settings.STATIC_ROOT)
    )


def test_evidence_type_is_checked_by_content_not_name(personas, client_for, editor_response, private_root):
    client = client_for(personas.editor)
    upload(client, editor_response, "A.2", "not-really.pdf", b"MZ\x90\x00 this is an exe")
    upload(client, editor_response, "A.2", "script.pdf", b"<script>alert(1)</script>")
    assert not Evidence.objects.exists()
    upload(client, editor_response, "A.2", "anh-chup.jpg", PNG)  # a PNG named .jpg is still an image
    assert Evidence.objects.get().content_type == "image/png"


def test_a_polyglot_named_html_downloads_under_the_extension_of_its_real_type(
    personas, client_for, editor_response, private_root
):
    polyglot = PDF + b"<html><script>alert(document.cookie)</script></html>"
    upload(client_for(personas.editor), editor_response, "A.2", "Biên bản.html", polyglot)
    evidence = Evidence.objects.get()
    response = client_for(personas.viewer).get(reverse("assessments:evidence", args=[evidence.pk]))
    disposition = response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf" and "attachment" in disposition
    assert ".html" not in disposition and ".pdf" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"


def test_evidence_size_is_limited(personas, client_for, editor_response, private_root, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024
    upload(client_for(personas.editor), editor_response, "A.2", "big.pdf", PDF + b"0" * 2048)
    assert not Evidence.objects.exists()


def test_a_link_is_evidence_too_and_removing_it_works(personas, client_for, editor_response, private_root):
    client = client_for(personas.editor)
    client.post(
        reverse("assessments:evidence_add", args=[editor_response.pk, "A.2"]),
        {"url": "https://drive.example.vn/bien-ban"},
    )
    evidence = Evidence.objects.get()
    assert evidence.url == "https://drive.example.vn/bien-ban"
    client.post(reverse("assessments:evidence_delete", args=[evidence.pk]))
    assert not Evidence.objects.exists()


def test_a_file_question_is_answered_by_its_upload(personas, client_for, editor_response, private_root):
    response = save(editor_response, FULL_ANSWERS)
    assert "A6" not in {q.code for q in services.response_missing(response)}  # optional here
    upload(client_for(personas.editor), response, "A.2", "ke-hoach.pdf", PDF, question="A6")
    assert Evidence.objects.get().question.code == "A6"


@pytest.mark.parametrize(
    ("persona", "status"), [("editor", 200), ("viewer", 200), ("reviewer", 200), ("city_staff", 200), ("outsider", 404)]
)
def test_evidence_download_follows_the_response(personas, client_for, editor_response, private_root, persona, status):
    upload(client_for(personas.editor), editor_response, "A.2", "bien-ban.pdf", PDF)
    evidence = Evidence.objects.get()
    response = client_for(getattr(personas, persona)).get(reverse("assessments:evidence", args=[evidence.pk]))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF
        assert "attachment" in response["Content-Disposition"]


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("reviewer", 403), ("outsider", 404)])
def test_only_the_units_editors_attach_or_remove_evidence(
    personas, client_for, editor_response, private_root, persona, status
):
    assert upload(client_for(getattr(personas, persona)), editor_response, "A.2", "x.pdf", PDF).status_code == status
    upload(client_for(personas.editor), editor_response, "A.2", "x.pdf", PDF)
    evidence = Evidence.objects.get()
    assert (
        client_for(getattr(personas, persona))
        .post(reverse("assessments:evidence_delete", args=[evidence.pk]))
        .status_code
        == status
    )
    assert Evidence.objects.count() == 1


# --- Reminders ----------------------------------------------------------------------------------


def test_reminders_go_once_per_step_to_units_that_have_not_submitted(tree, unit_framework, personas, settings):
    settings.SURVEY_REMINDER_DAYS = [7, 2]
    now = timezone.now()
    campaign = make_campaign(
        unit_framework,
        tree.city,
        levels=["branch"],
        opens_at=now - timedelta(days=5),
        closes_at=now + timedelta(days=6),
    )
    done = Response.objects.get(assignment__campaign=campaign, assignment__unit=tree.qb1a)
    services.response_submit(response=save(done, FULL_ANSWERS), by=None)
    assert send_deadline_reminders(now=now) == 1  # QA-1-a only: QA-1-b has no editor, QB-1-a submitted
    assert mail.outbox[-1].to == [personas.editor.email]
    assert send_deadline_reminders(now=now + timedelta(hours=5)) == 0  # same step: not again
    assert send_deadline_reminders(now=now + timedelta(days=4, hours=12)) == 1  # the 2-day step
    assert send_deadline_reminders(now=now + timedelta(days=5)) == 0
    assert len(mail.outbox) == 2


def test_evidence_form_rejects_both_or_neither(personas, client_for, editor_response, private_root):
    client = client_for(personas.editor)
    client.post(reverse("assessments:evidence_add", args=[editor_response.pk, "A.2"]), {})
    client.post(
        reverse("assessments:evidence_add", args=[editor_response.pk, "A.2"]),
        {"file": SimpleUploadedFile("a.pdf", PDF), "url": "https://x.vn"},
    )
    assert not Evidence.objects.exists()
