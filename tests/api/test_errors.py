"""What the contract fuzzing (test_contract.py) found, pinned: each of these answered 500, or an HTML
page, before. Errors under /api/ are JSON with a message (DESIGN §6)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from activities.importing import activities_import
from activities.models import Activity, Payment
from assessments.models import Answer, Campaign
from doanso.lib.tabular import read_table
from tests.activities.test_records import HEADER


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/no-such-resource/",
        "/api/v1/campaigns/abc/",  # <int:pk>
        "/api/v1/activities/abc/",  # the router's pk: a word used to reach int() in the view
        "/api/v1/payments/abc/confirm/",
        "/api/v1/units/%00/",  # PostgreSQL refuses NUL in a query
    ],
)
def test_a_url_that_names_nothing_answers_a_json_404(personas, url):
    response = api_for(personas.city_staff).get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_pages_keep_their_html_404(client_for, personas):
    response = client_for(personas.city_staff).get("/units/no/such/page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_member_survey_link_with_a_nul_is_no_survey(db):
    response = APIClient().post("/api/v1/member-surveys/ab%00c/", {}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("parameter", ["unit", "parent"])
def test_scores_of_a_unit_code_with_a_nul_are_refused(personas, unit_campaign, parameter):
    response = api_for(personas.city_staff).get("/api/v1/scores/", {"campaign": unit_campaign.pk, parameter: "\x00"})
    assert response.status_code == 400 and "NUL" in response.json()["detail"]  # doanso/lib/middleware.py


def test_answers_with_a_nul_are_refused_and_nothing_is_written(personas, editor_response):
    response = api_for(personas.editor).put(
        f"/api/v1/responses/{editor_response.pk}/answers/",
        {"version": 0, "answers": [{"question": "B4", "value": "a\x00b"}, {"question": "A3", "value": 2}]},
        format="json",
    )
    assert response.status_code == 400
    assert "value" in response.json()["answers"]["0"]
    assert not Answer.objects.exists()


@pytest.mark.parametrize("query", [{"start": "0001-01-01"}, {"end": "9999-12-31"}, {"start": "1900-01-01"}])
@pytest.mark.parametrize("resource", ["activities", "payments"])
def test_record_filters_take_any_date(personas, resource, query):
    response = api_for(personas.city_staff).get(f"/api/v1/{resource}/", query)
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_an_id_filter_out_of_range_is_a_400(personas):
    response = api_for(personas.city_staff).get("/api/v1/responses/", {"campaign": "99999999999999999999"})
    assert response.status_code == 400
    assert "campaign" in response.json()


# A moment before 1912 in Asia/Ho_Chi_Minh has an offset with seconds (+07:06:40), which is not an
# RFC 3339 date-time: the API sent back what its schema says it never sends. Records carry 2000–2099.


@pytest.mark.parametrize(("starts_at", "status"), [("0112-07-27T10:53:56Z", 400), ("2026-07-27T19:30:00+07:00", 201)])
def test_an_activity_is_dated_between_2000_and_2099(personas, starts_at, status):
    response = api_for(personas.editor).post(
        "/api/v1/activities/", {"unit": "QA-1-a", "title": "Sinh hoạt", "starts_at": starts_at}, format="json"
    )
    assert response.status_code == status
    assert Activity.objects.exists() == (status == 201)
    if status == 400:
        assert list(response.json()) == ["starts_at"]


def test_a_payment_is_dated_between_2000_and_2099(personas):
    response = api_for(personas.editor).post(
        "/api/v1/payments/",
        {"unit": "QA-1-a", "amount": 24000, "paid_at": "1899-12-31T08:00:00+07:00"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["paid_at"]
    assert not Payment.objects.exists()


def test_a_campaign_is_dated_between_2000_and_2099(personas, unit_framework):
    response = api_for(personas.city_staff).post(
        "/api/v1/campaigns/",
        {
            "framework_code": "test-unit",
            "framework_version": 1,
            "name": "Đợt cũ",
            "milestone": "T0",
            "period_start": "0001-01-01",
            "period_end": "2026-06-30",
            "opens_at": "2026-07-01T08:00:00+07:00",
            "closes_at": "9999-07-31T17:00:00+07:00",
            "scope_unit": "QA",
            "levels": ["branch"],
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"period_start", "closes_at"}
    assert not Campaign.objects.exists()


def test_the_activity_import_refuses_dates_outside_2000_to_2099(personas, tree):
    table = read_table((HEADER + "QA-1-a,Sinh hoạt,meeting,20/10/0112 19:30,online,,1,,,\n").encode())
    plan = activities_import(table=table, user=personas.editor)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "starts_at")]
    assert not Activity.objects.exists()


def test_a_payment_is_changed_with_its_version(personas, tree):
    # The version was saved as F("version") + 1, which the payment's history record cannot copy.
    payment = Payment.objects.create(unit=tree.qa1a, amount=24000, purpose=Payment.Purpose.DUES)
    client = api_for(personas.editor)
    response = client.patch(f"/api/v1/payments/{payment.pk}/", {"note": "Nộp hộ", "version": 0}, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert (
        client.patch(f"/api/v1/payments/{payment.pk}/", {"note": "Muộn", "version": 0}, format="json").status_code
        == 409
    )
    payment.refresh_from_db()
    assert (payment.note, payment.version) == ("Nộp hộ", 1)


@pytest.mark.parametrize("participants", ["9" * 30, "1e999", "2147483648", "١٢", "-3"])
def test_the_activity_import_refuses_counts_no_column_can_hold(personas, tree, participants):
    table = read_table((HEADER + f"QA-1-a,Sinh hoạt,meeting,20/10/2026 19:30,online,,{participants},,,\n").encode())
    plan = activities_import(table=table, user=personas.editor)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "participants")]
    assert not Activity.objects.exists()


@pytest.mark.parametrize("count", ["2147483648", "1e18", "9" * 30])
def test_the_unit_import_refuses_member_counts_no_column_can_hold(db, count):
    from tests.units.test_import import HEADER as UNIT_HEADER
    from units.models import Unit
    from units.services import ImportRejected, units_import

    with pytest.raises(ImportRejected) as refused:
        units_import(table=read_table((UNIT_HEADER + f"HCM,Thành Đoàn,,city,agency,{count},,,\n").encode()))
    assert [(e.row, e.column) for e in refused.value.row_errors] == [(2, "member_count")]
    assert not Unit.objects.exists()


def test_a_workbook_without_a_sheet_or_with_broken_xml_is_a_clear_error():
    import io
    import zipfile

    import openpyxl

    from doanso.lib.tabular import TabularError

    book = openpyxl.Workbook()
    book.active.append(["code", "name"])
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    for change in ("drop", "break"):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for name in source.namelist():
                if name == "xl/worksheets/sheet1.xml":
                    if change == "break":
                        target.writestr(name, b"<x")
                    continue
                target.writestr(name, source.read(name))
        with pytest.raises(TabularError):
            read_table(out.getvalue())
    with pytest.raises(TabularError):
        read_table(b"\xff\xfe\x00")


def test_an_xlsx_export_of_a_name_with_a_control_character_is_written(personas, milestones, client_for):
    from units.models import Unit

    Unit.objects.filter(code="QA-1-a").update(name="Chi\x1bđoàn A1a")
    response = client_for(personas.city_staff).get(
        f"/dashboard/export/units.xlsx?campaign={milestones.t1.pk}&unit=QA-1"
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_a_closed_units_records_are_read_but_no_longer_written(personas, tree, client_for):
    from units.services import unit_close

    unit_close(unit=tree.qa1a)
    client = client_for(personas.editor)
    assert client.get(f"/units/{tree.qa1a.code}/activities/").status_code == 200
    assert client.get(f"/units/{tree.qa1a.code}/activities/new/").status_code == 403
    api = api_for(personas.editor)
    created = api.post(
        "/api/v1/activities/",
        {
            "unit": "QA-1-a",
            "title": "Sau khi giải thể",
            "category": "meeting",
            "starts_at": "2026-11-20T19:00:00+07:00",
        },
        format="json",
    )
    assert created.status_code in (403, 404) and not Activity.objects.exists()


# --- What the second red-team pass found -------------------------------------------------------


def test_a_manager_cannot_take_over_an_admin_account_by_handover_or_invitation(personas, tree, client_for):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from units.models import UnitRole
    from units.permissions import can_invite

    sso = get_user_model().objects.create_superuser(username="sso.admin", email="sso@example.vn", password=None)
    assert not sso.has_usable_password()
    client = client_for(personas.reviewer)  # secretary of QA: manages QA-1-a
    page = client.post(reverse("units:handover", args=["QA-1-a"]), {"username": "sso.admin"}, follow=True)
    assert "sso.admin" in page.content.decode() and "quản lý" in page.content.decode()
    assert not UnitRole.objects.filter(user=sso).exists()
    assert can_invite(personas.reviewer, sso) is False
    # Nor someone else's ordinary account (whose e-mail the roles list would show).
    assert client.post(reverse("units:handover", args=["QA-1-a"]), {"username": "outsider"}).status_code == 302
    assert not UnitRole.objects.filter(user=personas.outsider, unit=tree.qa1a).exists()
    # A person who already holds a role in the manager's units can be named (a deputy stepping up).
    client.post(reverse("units:handover", args=["QA-1-a"]), {"username": "viewer"})
    assert UnitRole.objects.current().filter(user=personas.viewer, unit=tree.qa1a, role="secretary").exists()


def test_view_only_staff_cannot_publish_retire_or_clone_frameworks_by_admin_actions(db, client_for):
    from django.contrib.auth.models import Permission
    from django.urls import reverse

    from assessments.models import Framework
    from assessments.services import framework_import
    from tests.assessments.conftest import SMALL_UNIT_SPEC, spec
    from tests.factories import UserFactory

    draft = framework_import(data=spec(SMALL_UNIT_SPEC, code="xem-khung"))
    staff = UserFactory(username="xemkhung", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename="view_framework"))
    client = client_for(staff)
    url = reverse("admin:assessments_framework_changelist")
    for action in ("publish_selected", "retire_selected", "clone_selected"):
        client.post(url, {"action": action, "_selected_action": [draft.pk], "index": 0})
    assert list(Framework.objects.values_list("status", flat=True)) == [Framework.Status.DRAFT]
    assert client.post(reverse("admin:assessments_framework_clone", args=[draft.pk])).status_code == 403


def test_a_workbook_that_unpacks_past_the_cap_is_refused_before_it_is_unpacked(monkeypatch):
    import io
    import zipfile

    import openpyxl

    from doanso.lib import tabular

    monkeypatch.setattr(tabular, "XLSX_MAX_SHARED_STRINGS", 1024 * 1024)
    book = openpyxl.Workbook()
    book.active.append(["code", "name"])
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
        target.writestr("xl/sharedStrings.xml", b"<sst>" + b"<si><t>a</t></si>" * 200_000 + b"</sst>")
    assert len(out.getvalue()) < 100_000
    with pytest.raises(tabular.TabularError, match="MB"):
        tabular.read_table(out.getvalue())


def test_a_chart_sheet_or_a_damaged_xls_is_a_clear_error():
    import io

    import openpyxl

    from doanso.lib.tabular import TabularError

    book = openpyxl.Workbook()
    book.remove(book.active)
    book.create_chartsheet()
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(TabularError):
        read_table(buffer.getvalue())
    with pytest.raises(TabularError):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)


def test_an_amount_with_thousands_of_leading_zeros_is_read_not_a_500(personas, tree):
    from doanso.lib.money import parse_vnd

    assert parse_vnd("0" * 5000 + "24000") == 24000
    response = api_for(personas.editor).post(
        "/api/v1/payments/",
        {"unit": "QA-1-a", "purpose": "dues", "amount": "0" * 5000 + "24000", "channel": "cash"},
        format="json",
    )
    assert response.status_code in (201, 400)
