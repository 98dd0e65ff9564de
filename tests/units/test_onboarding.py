"""Onboarding (invitations) and handover of secretary roles (issue 11, part 2)."""

from __future__ import annotations

import re
import smtplib
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts.invitations import invitation_path, invitation_token_generator
from assessments.selectors import unit_editor_roles
from tests.factories import UnitRoleFactory
from tests.units.test_import import HEADER, table, upload
from units.models import Unit, UnitRole
from units.permissions import can_edit_unit_data, can_manage_unit, held_roles
from units.selectors import user_roles
from units.services import unit_secretary_handover, units_import

FIRST = HEADER + (
    "H,Thành Đoàn H,,city,agency,0,,,\n"
    "H-A,Đoàn phường H,H,upper_grassroots,residential,0,,,\n"
    "H-A-1,Chi đoàn H1,H-A,branch,residential,30,bt.cu,Nguyễn Văn Cũ,cu@example.vn\n"
    "H-A-2,Chi đoàn H2,H-A,branch,residential,20,bt.khac,Lê Thị Khác,khac@example.vn\n"
)
# A year later the branch H1 elected a new secretary.
SECOND = FIRST.replace("bt.cu,Nguyễn Văn Cũ,cu@example.vn", "bt.moi,Trần Thị Mới,moi@example.vn")


@pytest.fixture
def tree_admin(db):  # type: ignore[no-untyped-def]
    """City staff allowed to import units (the permissions of the upload page)."""
    user = get_user_model().objects.create_user("tree-admin", password="pw-long-enough-1", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["add_unit", "change_unit", "add_unitrole"], content_type__app_label="units"
        )
    )
    return get_user_model().objects.get(pk=user.pk)


class DownBackend(BaseEmailBackend):
    """A mail server that is not there."""

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPServerDisconnected("connection refused")


def link_in(message) -> str:  # type: ignore[no-untyped-def]
    return re.search(r"https?://[^/\s]+(/accounts/invitation/\S+/)", message.body).group(1)


def import_text(text: str, capture) -> object:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return units_import(table=table(text))


# --- Invitations -------------------------------------------------------------------------------


def test_an_imported_secretary_gets_an_invitation_after_commit(db, django_capture_on_commit_callbacks):
    plan = import_text(FIRST, django_capture_on_commit_callbacks)
    assert plan.invitations_done and plan.invitations_sent == ["bt.cu", "bt.khac"]
    assert sorted(m.to[0] for m in mail.outbox) == ["cu@example.vn", "khac@example.vn"]
    message = next(m for m in mail.outbox if m.to == ["cu@example.vn"])
    assert "Chi đoàn H1" in message.body and "bt.cu" in message.body
    assert link_in(message).startswith("/accounts/invitation/")


def test_no_mail_leaves_before_the_import_commits(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        units_import(table=table(FIRST))
    assert mail.outbox == [] and len(callbacks) >= 1


def test_the_invitation_sets_a_password_logs_in_and_lands_on_the_unit(db, client, django_capture_on_commit_callbacks):
    import_text(FIRST, django_capture_on_commit_callbacks)
    link = link_in(next(m for m in mail.outbox if m.to == ["cu@example.vn"]))
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    assert "bt.cu" in form_page.content.decode()
    weak = client.post(form_page.redirect_chain[-1][0], {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200 and weak.context["form"].errors  # the password validators apply
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Bi-thu-chi-doan-2026", "new_password2": "Bi-thu-chi-doan-2026"},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == reverse("units:detail", args=["H-A-1"])
    assert done.context["user"].username == "bt.cu"
    assert get_user_model().objects.get(username="bt.cu").check_password("Bi-thu-chi-doan-2026")
    assert client.get(reverse("units:detail", args=["H-A-2"])).status_code == 404


def test_a_used_invitation_shows_a_clear_page(db, client, django_capture_on_commit_callbacks):
    import_text(FIRST, django_capture_on_commit_callbacks)
    link = link_in(next(m for m in mail.outbox if m.to == ["cu@example.vn"]))
    page = client.get(link, follow=True)
    client.post(page.redirect_chain[-1][0], {"new_password1": "Bi-thu-2026-xyz", "new_password2": "Bi-thu-2026-xyz"})
    client.logout()
    again = client.get(link, follow=True)
    assert again.status_code == 200 and not again.context["validlink"]
    assert "Lời mời này không còn dùng được" in again.content.decode()


def test_an_invitation_expires_after_the_configured_days(db, client, django_capture_on_commit_callbacks):
    import_text(FIRST, django_capture_on_commit_callbacks)
    user = get_user_model().objects.get(username="bt.cu")
    token = invitation_token_generator.make_token(user)
    # The token generator counts in naive local time (datetime.now()), as Django's does.
    later = datetime.now() + timedelta(days=7, hours=1)
    with mock.patch.object(type(invitation_token_generator), "_now", return_value=later):
        assert not invitation_token_generator.check_token(user, token)
    with (
        override_settings(INVITATION_TIMEOUT_DAYS=8),
        mock.patch.object(type(invitation_token_generator), "_now", return_value=later),
    ):
        assert invitation_token_generator.check_token(user, token)
    # A password-reset token is no invitation, and the other way round.
    from django.contrib.auth.tokens import default_token_generator

    assert not default_token_generator.check_token(user, token)


def test_an_invitation_for_a_switched_off_account_does_not_open(db, client, django_capture_on_commit_callbacks):
    import_text(FIRST, django_capture_on_commit_callbacks)
    user = get_user_model().objects.get(username="bt.cu")
    path = invitation_path(user)
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    page = client.get(path, follow=True)
    assert not page.context["validlink"]


# Transactional: the import really commits inside the request, as in production, so the page can
# tell what happened to the mails sent after that commit.
@pytest.mark.django_db(transaction=True)
@override_settings(EMAIL_BACKEND="tests.units.test_onboarding.DownBackend")
def test_with_the_mail_server_down_the_import_is_saved_and_the_page_says_not_sent(tree_admin, client_for):
    client = client_for(tree_admin)
    preview = upload(client, FIRST)
    done = client.post(reverse("units:import_confirm"), {"token": preview.context["token"]}, follow=True)
    assert Unit.objects.filter(code="H-A-1").exists()
    texts = [str(m) for m in done.context["messages"]]
    assert any("không gửi được" in t and "bt.cu" in t for t in texts), texts
    assert not any("Đã gửi thư mời" in t for t in texts), texts


@pytest.mark.django_db(transaction=True)
def test_the_upload_page_says_who_was_invited(tree_admin, client_for):
    client = client_for(tree_admin)
    preview = upload(client, FIRST.replace(",cu@example.vn", ","))
    done = client.post(reverse("units:import_confirm"), {"token": preview.context["token"]}, follow=True)
    texts = [str(m) for m in done.context["messages"]]
    assert any("Đã gửi thư mời" in t and "bt.khac" in t for t in texts), texts
    assert any("bt.cu" in t and "in thư mời" in t for t in texts), texts
    assert [m.to for m in mail.outbox] == [["khac@example.vn"]]


def test_the_reset_form_mails_a_user_who_never_had_a_password(db, client, django_capture_on_commit_callbacks):
    import_text(FIRST, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    response = client.post(reverse("accounts:password_reset"), {"email": "CU@example.vn"})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["cu@example.vn"]]


def test_the_reset_form_sends_nothing_to_an_inactive_account(db, client, django_capture_on_commit_callbacks):
    import_text(FIRST, django_capture_on_commit_callbacks)
    get_user_model().objects.filter(username="bt.cu").update(is_active=False)
    mail.outbox.clear()
    response = client.post(reverse("accounts:password_reset"), {"email": "cu@example.vn"})
    assert response.status_code == 302 and mail.outbox == []


# --- Handover by import ------------------------------------------------------------------------


def test_an_import_naming_a_new_secretary_ends_the_previous_role(
    db, client_for, django_capture_on_commit_callbacks, personas
):
    import_text(FIRST, django_capture_on_commit_callbacks)
    plan = units_import(table=table(SECOND), dry_run=True)
    assert plan.summary["roles_ended"] == 1 and plan.summary["roles_granted"] == 1
    import_text(SECOND, django_capture_on_commit_callbacks)
    old = UnitRole.objects.get(user__username="bt.cu", unit__code="H-A-1")
    new = UnitRole.objects.get(user__username="bt.moi", unit__code="H-A-1")
    assert old.ended_at is not None and new.ended_at is None
    assert UnitRole.objects.get(user__username="bt.khac").ended_at is None  # H2 named the same person

    page = client_for(personas.admin).get(reverse("units:detail", args=["H-A-1"]))
    html = page.content.decode()
    assert [r.user.username for r in page.context["roles"]] == ["bt.moi"]
    assert [r.user.username for r in page.context["past_roles"]] == ["bt.cu"]
    assert "Trần Thị Mới" in html and "Nguyễn Văn Cũ" in html and "Người giữ trước đây" in html
    with translation.override("vi"):
        assert date_format(timezone.localdate(old.ended_at), "SHORT_DATE_FORMAT") in html
        assert date_format(timezone.localdate(old.created_at), "SHORT_DATE_FORMAT") in html

    # The ended holder sees nothing any more.
    former = get_user_model().objects.get(username="bt.cu")
    former.set_password("Mat-khau-cu-2026")
    former.save()
    assert client_for(former).get(reverse("units:detail", args=["H-A-1"])).status_code == 404


def test_importing_the_handover_file_twice_changes_nothing(db, django_capture_on_commit_callbacks):
    import_text(FIRST, django_capture_on_commit_callbacks)
    import_text(SECOND, django_capture_on_commit_callbacks)
    before = list(UnitRole.objects.order_by("pk").values_list("pk", "user__username", "ended_at"))
    history = UnitRole.history.count()
    mail.outbox.clear()
    plan = import_text(SECOND, django_capture_on_commit_callbacks)
    assert not plan.changes_anything
    assert list(UnitRole.objects.order_by("pk").values_list("pk", "user__username", "ended_at")) == before
    assert UnitRole.history.count() == history and mail.outbox == []


def test_a_former_secretary_can_be_named_again_later(db, django_capture_on_commit_callbacks):
    import_text(FIRST, django_capture_on_commit_callbacks)
    import_text(SECOND, django_capture_on_commit_callbacks)
    import_text(FIRST, django_capture_on_commit_callbacks)
    held = UnitRole.objects.filter(unit__code="H-A-1").order_by("pk")
    assert [(r.user.username, r.ended_at is None) for r in held] == [
        ("bt.cu", False),
        ("bt.moi", False),
        ("bt.cu", True),
    ]


def test_an_ended_role_grants_nothing_anywhere(db, tree, personas):
    role = personas.editor.unit_roles.get()
    UnitRole.objects.filter(pk=role.pk).update(ended_at=timezone.now())
    editor = get_user_model().objects.get(pk=personas.editor.pk)
    assert held_roles(editor) == ()
    assert not Unit.objects.visible_to(editor).exists()
    assert not can_edit_unit_data(editor, tree.qa1a) and not can_manage_unit(editor, tree.qa1a)
    assert list(user_roles(editor)) == []
    assert editor.pk not in {r.user_id for r in unit_editor_roles(tree.qa1a)}


def test_an_ended_role_cannot_use_its_api_token(db, tree, personas):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=personas.editor)
    personas.editor.unit_roles.update(ended_at=timezone.now())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/units/QA-1-a/").status_code == 401  # the token ended with the last role


# --- Handover, ending, re-sending and printing on the unit page ---------------------------------


def test_a_manager_hands_over_to_a_new_person_who_is_invited(tree, personas, client_for):
    client = client_for(personas.reviewer)  # secretary of QA, manages QA-1-a
    response = client.post(
        reverse("units:handover", args=["QA-1-a"]),
        {"username": "bt.a1a.2027", "full_name": "Hồ Thị Kế", "email": "ke@example.vn"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("units:detail", args=["QA-1-a"])
    assert [r.user.username for r in response.context["roles"] if r.role == "secretary"] == ["bt.a1a.2027"]
    assert "editor" in [r.user.username for r in response.context["past_roles"]]
    assert [m.to for m in mail.outbox] == [["ke@example.vn"]]
    texts = [str(m) for m in response.context["messages"]]
    assert any("ke@example.vn" in t for t in texts)
    latest = UnitRole.history.filter(user_id=personas.editor.pk).latest("history_id")
    assert latest.ended_at is not None and latest.history_user_id == personas.reviewer.pk


def test_handover_to_an_unknown_name_without_full_name_changes_nothing(tree, personas, client_for):
    before = list(UnitRole.objects.values_list("pk", "ended_at"))
    response = client_for(personas.reviewer).post(
        reverse("units:handover", args=["QA-1-a"]), {"username": "nobody.yet"}, follow=True
    )
    assert response.status_code == 200
    assert any("họ tên" in str(m) for m in response.context["messages"])
    assert list(UnitRole.objects.values_list("pk", "ended_at")) == before
    assert not get_user_model().objects.filter(username="nobody.yet").exists()


@pytest.mark.parametrize(
    ("persona", "status"), [("viewer", 403), ("outsider", 404), ("editor", 302), ("reviewer", 302)]
)
def test_handover_personas(tree, personas, client_for, persona, status):
    response = client_for(getattr(personas, persona)).post(
        reverse("units:handover", args=["QA-1-a"]), {"username": "viewer"}
    )
    assert response.status_code == status
    viewer_is_secretary = UnitRole.objects.current().filter(user=personas.viewer, role="secretary").exists()
    assert viewer_is_secretary == (status == 302)


def test_new_pages_send_anonymous_visitors_to_login(tree, personas, client):
    role = personas.editor.unit_roles.get()
    for name, kwargs, method in [
        ("units:handover", {"code": "QA-1-a"}, "post"),
        ("units:role_end", {"code": "QA-1-a", "pk": role.pk}, "post"),
        ("units:role_invite", {"code": "QA-1-a", "pk": role.pk}, "post"),
        ("units:role_invitation", {"code": "QA-1-a", "pk": role.pk}, "get"),
        ("units:mine", {}, "get"),
    ]:
        response = getattr(client, method)(reverse(name, kwargs=kwargs))
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"], name


@pytest.fixture
def invitee(tree):  # type: ignore[no-untyped-def]
    """A new secretary of QA-1-a who has not opened their invitation yet."""
    role = UnitRoleFactory(user__username="chua.dang.nhap", unit=tree.qa1a, role=UnitRole.Role.DEPUTY)
    role.user.set_unusable_password()
    role.user.save()
    return role


@pytest.mark.parametrize(
    ("persona", "status"),
    [("viewer", 403), ("outsider", 404), ("editor", 200), ("reviewer", 200), ("city_staff", 200)],
)
def test_printable_invitation_personas(personas, invitee, client_for, persona, status):
    response = client_for(getattr(personas, persona)).get(reverse("units:role_invitation", args=["QA-1-a", invitee.pk]))
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert "<svg" in html and "/accounts/invitation/" in html and "chua.dang.nhap" in html
        assert "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_the_printed_link_works_once(personas, invitee, client_for, client):
    page = client_for(personas.editor).get(reverse("units:role_invitation", args=["QA-1-a", invitee.pk]))
    link = re.search(r"https?://[^/\s<]+(/accounts/invitation/[^\s<]+/)", page.content.decode()).group(1)
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": "Pho-bi-thu-2026", "new_password2": "Pho-bi-thu-2026"})
    invitee.user.refresh_from_db()
    assert invitee.user.check_password("Pho-bi-thu-2026")
    # Once a password is chosen, no invitation can be printed again (it would reset the password).
    again = client_for(personas.editor).get(reverse("units:role_invitation", args=["QA-1-a", invitee.pk]))
    assert again.status_code == 403


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("outsider", 404), ("editor", 302)])
def test_resending_an_invitation_personas(personas, invitee, client_for, persona, status):
    response = client_for(getattr(personas, persona)).post(reverse("units:role_invite", args=["QA-1-a", invitee.pk]))
    assert response.status_code == status
    assert [m.to for m in mail.outbox] == ([[invitee.user.email]] if status == 302 else [])


def test_no_invitation_for_someone_with_a_role_the_inviter_does_not_manage(personas, invitee, tree, client_for):
    UnitRoleFactory(user=invitee.user, unit=tree.qb1a, role=UnitRole.Role.VIEWER)
    response = client_for(personas.editor).post(reverse("units:role_invite", args=["QA-1-a", invitee.pk]))
    assert response.status_code == 403 and mail.outbox == []


@override_settings(EMAIL_BACKEND="tests.units.test_onboarding.DownBackend")
def test_resending_with_the_mail_server_down_says_it_was_not_sent(personas, invitee, client_for):
    response = client_for(personas.editor).post(reverse("units:role_invite", args=["QA-1-a", invitee.pk]), follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert any("không gửi được" in t for t in texts), texts


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("outsider", 404), ("reviewer", 302)])
def test_ending_a_role_personas(personas, invitee, client_for, persona, status):
    response = client_for(getattr(personas, persona)).post(reverse("units:role_end", args=["QA-1-a", invitee.pk]))
    assert response.status_code == status
    invitee.refresh_from_db()
    assert (invitee.ended_at is not None) == (status == 302)


def test_an_ended_role_cannot_be_ended_again(personas, invitee, client_for):
    client = client_for(personas.reviewer)
    client.post(reverse("units:role_end", args=["QA-1-a", invitee.pk]))
    again = client.post(reverse("units:role_end", args=["QA-1-a", invitee.pk]))
    assert again.status_code == 404  # no longer a current role


def test_the_admin_action_invites_only_people_without_a_password(personas, invitee, client_for):
    response = client_for(personas.admin).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "send_invitations", "_selected_action": [invitee.user.pk, personas.editor.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert [m.to for m in mail.outbox] == [[invitee.user.email]]


def test_the_service_keeps_the_same_holder_when_named_again(tree, personas):
    result = unit_secretary_handover(unit=tree.qa1a, by=personas.reviewer, username="editor")
    assert result.ended == [] and not result.user_created
    assert UnitRole.objects.current().filter(unit=tree.qa1a, role="secretary").count() == 1


# --- Roles per subtree: list, filters, export ---------------------------------------------------


@pytest.fixture
def many_roles(tree, personas):  # type: ignore[no-untyped-def]
    """120 branches' worth of past and current secretaries under QA-1 (more than two pages)."""
    from tests.factories import UnitFactory, UserFactory

    for n in range(60):
        branch = UnitFactory(code=f"QA-1-x{n:02d}", name=f"Chi đoàn X{n:02d}", level=Unit.Level.BRANCH, parent=tree.qa1)
        UnitRole.objects.create(user=UserFactory(username=f"cu.{n:02d}"), unit=branch, role="secretary")
        unit_secretary_handover(unit=branch, by=personas.reviewer, username=f"moi.{n:02d}", full_name=f"Người {n}")
    return tree


@pytest.mark.parametrize(
    ("persona", "status"),
    [("viewer", 403), ("outsider", 404), ("editor", 200), ("reviewer", 200), ("city_staff", 200)],
)
def test_roles_page_personas(tree, personas, client_for, persona, status):
    response = client_for(getattr(personas, persona)).get(reverse("units:roles", args=["QA-1-a"]))
    assert response.status_code == status
    if status == 200:
        assert {r.user.username for r in response.context["page"]} == {"editor", "viewer"}


def test_roles_page_filters_and_pages_with_a_bounded_number_of_queries(
    many_roles, personas, client_for, django_assert_max_num_queries
):
    client = client_for(personas.reviewer)
    url = reverse("units:roles", args=["QA"])
    with django_assert_max_num_queries(10):
        current = client.get(url, {"level": "branch", "role": "secretary"})
    assert current.context["page"].paginator.count == 61  # 60 new secretaries + the editor
    assert len(current.context["page"].object_list) == 50
    assert "level=branch" in current.content.decode() and "page=2" in current.content.decode()
    with django_assert_max_num_queries(10):
        ended = client.get(url, {"level": "branch", "role": "secretary", "state": "ended", "page": 2})
    assert ended.context["page"].paginator.count == 60
    assert {r.user.username for r in ended.context["page"]} <= {f"cu.{n:02d}" for n in range(60)}
    assert all(r.ended_at for r in ended.context["page"])
    everyone = client.get(url, {"state": "all"})
    assert everyone.context["page"].paginator.count == 60 + 60 + 2 + 1  # + editor, viewer, reviewer


def test_a_bad_filter_value_is_an_error_not_a_silent_default(tree, personas, client_for):
    client = client_for(personas.reviewer)
    page = client.get(reverse("units:roles", args=["QA"]), {"role": "king"})
    assert page.status_code == 200 and page.context["form"].errors["role"]
    export = client.get(reverse("units:roles_export", args=["QA", "csv"]), {"role": "king"})
    assert export.status_code == 400


def test_ending_from_the_roles_page_returns_to_it(tree, personas, client_for):
    client = client_for(personas.reviewer)
    back = reverse("units:roles", args=["QA"]) + "?role=viewer"
    role = personas.viewer.unit_roles.get()
    response = client.post(reverse("units:role_end", args=["QA-1-a", role.pk]), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    elsewhere = client.post(reverse("units:role_end", args=["QA-1-a", role.pk]), {"next": "https://evil.example/"})
    assert elsewhere.status_code == 404  # already ended; and an outside address is never followed


def test_the_export_lists_holders_and_neutralises_formulas(tree, personas, client_for):
    UnitRole.objects.filter(user=personas.viewer).update(ended_at=timezone.now())
    get_user_model().objects.filter(pk=personas.editor.pk).update(full_name='=HYPERLINK("http://x","y")')
    client = client_for(personas.reviewer)
    response = client.get(reverse("units:roles_export", args=["QA", "csv"]), {"state": "all"})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("Mã đơn vị,")
    editor_line = next(line for line in lines if ",editor," in line)
    assert "'=HYPERLINK" in editor_line and ",=HYPERLINK" not in editor_line
    viewer_line = next(line for line in lines if ",viewer," in line)
    assert viewer_line.endswith(timezone.localdate().strftime("%Y-%m-%d"))  # the end date

    import io

    import openpyxl

    xlsx = client.get(reverse("units:roles_export", args=["QA", "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    # XLSX keeps the exact text, stored as a string cell (never a formula): doanso/lib/sheets.py.
    assert '=HYPERLINK("http://x","y")' in cells
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert "viewer" not in cells  # current holders only by default


def test_handover_to_an_existing_account_with_another_e_mail_is_refused(tree, personas, client_for):
    response = client_for(personas.reviewer).post(
        reverse("units:handover", args=["QA-1-a"]), {"username": "viewer", "email": "khac@example.vn"}, follow=True
    )
    assert any("địa chỉ e-mail khác" in str(m) for m in response.context["messages"])
    assert not UnitRole.objects.current().filter(user=personas.viewer, role="secretary").exists()
    personas.viewer.refresh_from_db()
    assert personas.viewer.email == "viewer@example.vn"


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("outsider", 404), ("reviewer", 200)])
def test_ending_a_role_asks_to_confirm_first(personas, invitee, client_for, persona, status):
    response = client_for(getattr(personas, persona)).get(
        reverse("units:role_end", args=["QA-1-a", invitee.pk]), {"next": "https://evil.example/"}
    )
    assert response.status_code == status
    invitee.refresh_from_db()
    assert invitee.ended_at is None  # looking at the question changes nothing
    if status == 200:
        assert response.context["next"] == "" and "https://evil.example" not in response.content.decode()
