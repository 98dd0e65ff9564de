"""The audit trail (django-simple-history): who changed which answer, response, unit, role,
payment or framework, and when — recorded by the services that work in bulk or by compare-and-swap
as well as by ordinary saves, and shown to reviewers and admins on the object's own page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from activities import services as activity_services
from activities.models import Payment
from assessments import services
from assessments.models import Answer, Framework, Response
from tests.assessments.conftest import make_campaign, spec
from units.models import Unit, UnitRole


@pytest.fixture
def unit_framework(db) -> Framework:
    return services.framework_import(data=spec(), publish=True)


@pytest.fixture
def draft(tree, personas, unit_framework) -> Response:
    campaign = make_campaign(unit_framework, tree.city, levels=["branch"])
    return Response.objects.get(assignment__campaign=campaign, assignment__unit=tree.qa1a)


def save(response: Response, by, **values) -> Response:
    answers = [services.AnswerInput(code, value) for code, value in values.items()]
    return services.response_save_answers(response=response, version=response.version, answers=answers, by=by)


def test_every_answer_change_is_recorded_with_who_and_what(draft, personas):
    draft = save(draft, personas.editor, A1="2", A2="yes", A5=["0", "2"])
    draft = save(draft, personas.editor, A1="0", A2="")  # A1 changed, A2 cleared
    history = Answer.history.filter(response_id=draft.pk)
    a1 = [(h.history_type, h.option.code) for h in history.filter(question__code="A1").order_by("history_id")]
    assert a1 == [("+", "2"), ("~", "0")]
    a2 = list(history.filter(question__code="A2").order_by("history_id").values_list("history_type", "value_bool"))
    assert a2 == [("+", True), ("-", True)]
    assert history.get(question__code="A5").options_text == "0, 2"
    assert set(history.values_list("history_user__username", flat=True)) == {"editor"}


def test_saving_a_section_again_records_only_what_changed(draft, personas):
    draft = save(draft, personas.editor, A1="2", A2="yes", A3="3", A5=["0", "2"])
    save(draft, personas.editor, A1="2", A2="yes", A3="3.00", A5=["2", "0"])  # autosave, nothing new
    assert Answer.history.filter(response_id=draft.pk).count() == 4
    save(draft.__class__.objects.get(pk=draft.pk), personas.editor, A1="2", A2="no", A3="3", A5=["0", "2"])
    assert list(
        Answer.history.filter(response_id=draft.pk, history_type="~").values_list("question__code", flat=True)
    ) == ["A2"]


def test_admin_history_is_read_only(personas, client_for, reference_data):
    payment = activity_services.payment_create(unit=personas.editor.unit_roles.get().unit, by=None, amount=24000)
    pending = Payment.history.filter(id=payment.pk).get()
    activity_services.payment_confirm(payment=payment, by=personas.editor)
    admin = client_for(personas.admin)
    url = reverse("admin:activities_payment_simple_history", args=[payment.pk, pending.history_id])
    assert admin.get(url).status_code == 200  # an old version can be read …
    assert admin.post(url, {"status": "pending", "amount": 24000}).status_code == 403  # … not restored
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED


def test_a_conflicting_save_records_nothing(draft, personas):
    save(draft, personas.editor, A1="2")
    with pytest.raises(services.VersionConflict):
        save(draft, personas.editor, A1="1")  # the same (stale) version
    assert Answer.history.filter(response_id=draft.pk).count() == 1


def test_status_changes_are_recorded_with_the_reviewers_comment(draft, personas):
    response = save(
        draft,
        personas.editor,
        A1="2",
        A2="yes",
        A3="3",
        A4="1",
        A5=["0"],
        B1={"numerator": 10, "denominator": 20},
        B2="50",
    )
    services.evidence_add(
        response=response,
        indicator=response.assignment.campaign.framework.domains.get(code="A").indicators.get(code="A.2"),
        by=personas.editor,
        url="https://drive.example.vn/bb",
    )
    response = services.response_submit(response=response, by=personas.editor)
    comment = "Thiếu biên bản họp chi đoàn tháng 10; " * 8  # longer than a short text column
    services.response_return(response=response, by=personas.reviewer, comment=comment)
    rows = list(Response.history.filter(id=draft.pk).order_by("history_id"))
    assert [(r.status, r.history_user.username, r.history_change_reason or "") for r in rows] == [
        ("submitted", "editor", ""),
        ("returned", "reviewer", comment.strip()),
    ]


def test_payments_units_roles_and_frameworks_keep_their_history(tree, personas, reference_data, unit_framework):
    payment = activity_services.payment_create(unit=tree.qa1a, by=personas.editor, amount=24000, purpose="dues")
    activity_services.payment_confirm(payment=payment, by=personas.editor)
    assert list(Payment.history.filter(id=payment.pk).order_by("history_id").values_list("history_type", "status")) == [
        ("+", "pending"),
        ("~", "confirmed"),
    ]
    tree.qa1a.name = "Chi đoàn A1a (mới)"
    tree.qa1a.save()
    assert Unit.history.filter(id=tree.qa1a.pk).latest("history_id").name == "Chi đoàn A1a (mới)"
    role = UnitRole.objects.get(user=personas.viewer)
    role_id = role.pk
    role.delete()
    assert UnitRole.history.filter(id=role_id).latest("history_id").history_type == "-"
    clone = services.framework_clone(framework=unit_framework)
    clone.name = "Bộ chỉ số 2027"
    clone.save()
    assert Framework.history.filter(id=clone.pk).latest("history_id").name == "Bộ chỉ số 2027"


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("editor", False), ("viewer", False), ("reviewer", True), ("city_staff", True), ("admin", True)],
)
def test_the_trail_is_on_each_objects_page_for_reviewers_and_admins(
    draft, personas, client_for, reference_data, persona, shown
):
    save(draft, personas.editor, A1="2")
    payment = activity_services.payment_create(unit=draft.assignment.unit, by=personas.editor, amount=5000)
    client = client_for(getattr(personas, persona))
    pages = {
        "response": (reverse("assessments:response", args=[draft.pk]), "Mức 2"),
        "unit": (reverse("units:detail", args=["QA-1-a"]), "editor"),
        "payment": (reverse("activities:payment_qr", args=[payment.pk]), "5000"),
    }
    for name, (url, trace) in pages.items():
        body = client.get(url).content.decode()
        assert ("audit-trail" in body) is shown, (name, persona)
        if shown:
            trail = body[body.index("audit-trail") :]
            assert trace in trail, (name, trace)


def test_imports_closings_and_publishing_are_in_the_trail_too(db, unit_framework):
    from tests.units.test_import import VALID, table
    from units.services import unit_close, units_import

    units_import(table=table(VALID))
    created = sorted(Unit.history.filter(history_type="+").values_list("code", flat=True))
    assert created == ["T", "T-A", "T-A-1", "T-A-1-a", "T-A-1-b", "T-B", "T-B-1"]  # each once
    granted = UnitRole.history.filter(history_type="+", history_change_reason="import")
    assert set(granted.values_list("user__username", "unit__code")) == {
        ("bt.ankhanh", "T-A"),
        ("bt.to1", "T-A-1-a"),
        ("bt.to1", "T-B-1"),
    }
    units_import(table=table(VALID))  # the same file again: nothing changes, nothing is recorded
    assert Unit.history.count() == 7 and granted.count() == 3
    moved = VALID.replace("T-A-1-b,Chi đoàn Tổ 2,T-A-1,", "T-A-1-b,Chi đoàn Tổ 2,T-B-1,")
    units_import(table=table(moved))
    assert Unit.history.filter(code="T-A-1-b").latest("history_id").path.startswith(Unit.objects.get(code="T-B-1").path)
    unit_close(unit=Unit.objects.get(code="T-A"))
    closings = Unit.history.filter(history_change_reason="closed")
    assert set(closings.values_list("code", "is_active")) == {("T-A", False), ("T-A-1", False), ("T-A-1-a", False)}
    assert Framework.history.filter(id=unit_framework.pk).latest("history_id").status == "published"
