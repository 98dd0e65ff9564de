"""Activities and payments: pages and API with the personas, import all-or-nothing, conflicts,
totals and the 2/3 – 1/3 dues remittance."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from activities import services
from activities.importing import activities_import
from activities.models import Activity, Payment
from activities.selectors import dues_remittance, payment_totals, payments_in
from doanso.lib.tabular import read_table


def local(*args: int) -> datetime:
    return timezone.make_aware(datetime(*args), timezone.get_default_timezone())


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def activity(tree):
    return Activity.objects.create(
        unit=tree.qa1a, title="Sinh hoạt tháng 11", starts_at=local(2026, 11, 20, 19, 30), mode=Activity.Mode.HYBRID
    )


@pytest.fixture
def payment(tree):
    return Payment.objects.create(unit=tree.qa1a, amount=24000, purpose=Payment.Purpose.DUES)


# --- Pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"), [("editor", 200), ("viewer", 200), ("reviewer", 200), ("outsider", 404)]
)
def test_activity_and_payment_lists_follow_the_unit(personas, client_for, tree, activity, payment, persona, status):
    client = client_for(getattr(personas, persona))
    assert client.get(reverse("activities:unit_activities", args=["QA-1-a"])).status_code == status
    assert client.get(reverse("activities:unit_payments", args=["QA-1-a"])).status_code == status


@pytest.mark.parametrize(
    ("persona", "status"), [("editor", 200), ("viewer", 403), ("reviewer", 403), ("outsider", 404)]
)
def test_only_the_units_editors_record_or_change(personas, client_for, tree, activity, payment, persona, status):
    client = client_for(getattr(personas, persona))
    for url in (
        reverse("activities:activity_create", args=["QA-1-a"]),
        reverse("activities:activity_edit", args=[activity.pk]),
        reverse("activities:payment_create", args=["QA-1-a"]),
        reverse("activities:payment_edit", args=[payment.pk]),
        reverse("activities:bank_account", args=["QA-1-a"]),
    ):
        assert client.get(url).status_code == status, url
    for url in (
        reverse("activities:payment_confirm", args=[payment.pk]),
        reverse("activities:activity_delete", args=[activity.pk]),
    ):
        assert client.post(url).status_code == (302 if status == 200 else status), url


def test_subtree_view_for_an_upper_unit(personas, client_for, tree, activity):
    Activity.objects.create(
        unit=tree.qa1b, title="Chủ nhật xanh", starts_at=local(2026, 11, 22, 7), mode=Activity.Mode.IN_PERSON
    )
    client = client_for(personas.reviewer)
    own = client.get(reverse("activities:unit_activities", args=["QA-1"])).context["page"].paginator.count
    subtree = (
        client.get(reverse("activities:unit_activities", args=["QA-1"]), {"subtree": "on"})
        .context["page"]
        .paginator.count
    )
    assert (own, subtree) == (0, 2)
    filtered = client.get(reverse("activities:unit_activities", args=["QA-1"]), {"subtree": "on", "mode": "hybrid"})
    assert [a.title for a in filtered.context["page"]] == ["Sinh hoạt tháng 11"]


def test_recording_an_activity_in_the_page(personas, client_for, tree):
    response = client_for(personas.editor).post(
        reverse("activities:activity_create", args=["QA-1-a"]),
        {
            "title": "Học tập Nghị quyết",
            "category": "study",
            "starts_at": "2026-11-25T19:00",
            "mode": "online",
            "platform": "Zoom",
            "participants": "30",
            "digital_registration": "on",
        },
    )
    assert response.status_code == 302
    created = Activity.objects.get()
    assert (created.unit, created.mode, created.participants, created.digital_registration, created.created_by) == (
        tree.qa1a,
        "online",
        30,
        True,
        personas.editor,
    )


def test_editing_with_a_stale_version_is_a_conflict_and_keeps_the_typed_values(personas, client_for, activity):
    client = client_for(personas.editor)
    data = {
        "title": "Tên mới",
        "category": "meeting",
        "starts_at": "2026-11-20T19:30",
        "mode": "online",
        "participants": "10",
        "version": "0",
    }
    services.activity_update(activity=activity, version=0, title="Ai đó đã sửa")
    page = client.post(reverse("activities:activity_edit", args=[activity.pk]), data)
    assert page.status_code == 409
    assert 'value="Tên mới"' in page.content.decode()
    activity.refresh_from_db()
    assert activity.title == "Ai đó đã sửa"


# --- API -----------------------------------------------------------------------------------------


NEW = {
    "unit": "QA-1-a",
    "title": "Tập huấn kỹ năng số",
    "category": "digital",
    "starts_at": "2026-11-28T08:00:00+07:00",
    "mode": "online",
}


@pytest.mark.parametrize(
    ("persona", "status"), [("editor", 201), ("viewer", 403), ("reviewer", 403), ("outsider", 404)]
)
def test_api_create_activity_by_persona(personas, tree, persona, status):
    assert api_for(getattr(personas, persona)).post("/api/v1/activities/", NEW, format="json").status_code == status
    assert Activity.objects.exists() == (status == 201)


@pytest.mark.parametrize(("persona", "status"), [("editor", 200), ("viewer", 200), ("outsider", 404)])
def test_api_read_activity_and_payment_by_persona(personas, activity, payment, persona, status):
    client = api_for(getattr(personas, persona))
    assert client.get(f"/api/v1/activities/{activity.pk}/").status_code == status
    assert client.get(f"/api/v1/payments/{payment.pk}/").status_code == status
    listed = client.get("/api/v1/activities/").json()["results"]
    assert (activity.pk in [a["id"] for a in listed]) == (status == 200)


def test_api_update_needs_the_loaded_version_and_conflicts_are_409(personas, activity):
    client = api_for(personas.editor)
    assert client.patch(f"/api/v1/activities/{activity.pk}/", {"title": "x"}, format="json").status_code == 400
    ok = client.patch(f"/api/v1/activities/{activity.pk}/", {"title": "Đã sửa", "version": 0}, format="json")
    assert ok.status_code == 200 and ok.json()["version"] == 1
    stale = client.patch(f"/api/v1/activities/{activity.pk}/", {"title": "Muộn", "version": 0}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 1
    assert Activity.objects.get(pk=activity.pk).title == "Đã sửa"
    assert api_for(personas.viewer).delete(f"/api/v1/activities/{activity.pk}/").status_code == 403
    assert client.delete(f"/api/v1/activities/{activity.pk}/").status_code == 204


def test_api_filters_activities_by_unit_subtree_period_and_mode(personas, tree, activity):
    Activity.objects.create(unit=tree.qa1b, title="Khác", starts_at=local(2026, 1, 5, 8), mode=Activity.Mode.IN_PERSON)
    client = api_for(personas.city_staff)
    titles = lambda **q: sorted(a["title"] for a in client.get("/api/v1/activities/", q).json()["results"])  # noqa: E731
    assert titles(unit="QA-1", subtree="true") == ["Khác", "Sinh hoạt tháng 11"]
    assert titles(unit="QA-1") == []
    assert titles(unit="QA-1", subtree="true", start="2026-11-01") == ["Sinh hoạt tháng 11"]
    assert titles(unit="QA-1", subtree="true", end="2026-01-05") == ["Khác"]
    assert titles(mode="hybrid") == ["Sinh hoạt tháng 11"]


def test_api_payments_create_confirm_cancel(personas, tree):
    client = api_for(personas.editor)
    created = client.post(
        "/api/v1/payments/", {"unit": "QA-1-a", "purpose": "dues", "amount": 24000, "channel": "vietqr"}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "pending" and body["reference"].startswith("DS") and len(body["reference"]) == 10
    assert client.post("/api/v1/payments/", {"unit": "QA-1-a", "amount": 0}, format="json").status_code == 400
    assert api_for(personas.viewer).post(f"/api/v1/payments/{body['id']}/confirm/").status_code == 403
    assert client.post(f"/api/v1/payments/{body['id']}/confirm/").json()["status"] == "confirmed"
    assert client.post(f"/api/v1/payments/{body['id']}/confirm/").status_code == 409
    assert client.post(f"/api/v1/payments/{body['id']}/cancel/").status_code == 409
    assert client.delete(f"/api/v1/payments/{body['id']}/").status_code == 405


# --- Import --------------------------------------------------------------------------------------


HEADER = (
    "unit_code,title,category,starts_at,mode,platform,participants,digital_registration,digital_checkin,e_document\n"
)
GOOD = (
    HEADER
    + "QA-1-a,Sinh hoạt tháng 10,sinh hoạt,20/10/2026 19:30,trực tuyến,Zoom,25,có,không,\n"
    + "QA-1-a,Chủ nhật xanh,volunteer,2026-10-26 07:00,in_person,,40,,,\n"
)
BAD = (
    HEADER
    + "QB-1-a,Không phải đơn vị của tôi,meeting,20/10/2026 19:30,online,,1,,,\n"  # row 2: not the user's unit
    + "QA-1-a,,meeting,hôm qua,bay,,-3,có lẽ,,\n"  # row 3: title, starts_at, mode, participants, flag
)


def test_import_reports_every_problem_with_its_row_and_writes_nothing(personas, tree):
    plan = activities_import(table=read_table(BAD.encode()), user=personas.editor)
    assert [(e.row, e.column) for e in plan.errors] == [
        (2, "unit_code"),
        (3, "title"),
        (3, "starts_at"),
        (3, "mode"),
        (3, "participants"),
        (3, "digital_registration"),
    ]
    assert not Activity.objects.exists()


def test_import_twice_changes_nothing_the_second_time(personas, tree):
    first = activities_import(table=read_table(GOOD.encode()), user=personas.editor)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    second = activities_import(table=read_table(GOOD.encode()), user=personas.editor)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    online = Activity.objects.get(title="Sinh hoạt tháng 10")
    assert (online.mode, online.category, online.digital_registration, online.participants) == (
        "online",
        "meeting",
        True,
        25,
    )


def test_import_page_preview_then_confirm(personas, client_for, tree):
    client = client_for(personas.editor)
    preview = client.post(reverse("activities:import"), {"file": SimpleUploadedFile("hoat-dong.csv", GOOD.encode())})
    assert preview.context["plan"].created == 2 and not Activity.objects.exists()
    client.post(reverse("activities:import_confirm"), {"token": preview.context["token"]})
    assert Activity.objects.count() == 2
    assert client_for(personas.viewer).get(reverse("activities:import")).status_code == 403


# --- Totals and remittance -----------------------------------------------------------------------


def test_totals_count_confirmed_payments_by_purpose_and_channel(tree):
    for amount, channel, status in (
        (24000, "vietqr", "confirmed"),
        (6000, "cash", "confirmed"),
        (9000, "vietqr", "pending"),
    ):
        Payment.objects.create(
            unit=tree.qa1a, amount=amount, channel=channel, status=status, paid_at=local(2026, 3, 1, 9)
        )
    totals = payment_totals(payments_in(tree.qa1a, start=date(2026, 1, 1), end=date(2026, 12, 31)))
    assert (totals.amount, totals.count, totals.cashless_amount) == (30000, 2, 24000)
    assert {r["key"]: r["amount"] for r in totals.by_channel} == {"cash": 6000, "vietqr": 24000}


def test_dues_remittance_keeps_two_thirds_and_passes_one_third_up_per_level(tree):
    def dues(unit, amount):
        Payment.objects.create(
            unit=unit, amount=amount, purpose="dues", status="confirmed", paid_at=local(2026, 3, 1, 9)
        )

    dues(tree.qa1a, 30000)
    dues(tree.qa1b, 60000)
    dues(tree.qa1, 9000)
    period = (date(2026, 1, 1), date(2026, 12, 31))
    branch = dues_remittance(tree.qa1a, *period)
    assert (branch.collected, branch.received, branch.kept, branch.passed_up) == (30000, 0, 20000, 10000)
    grassroots = dues_remittance(tree.qa1, *period)  # receives 10,000 + 20,000, collected 9,000 itself
    assert (grassroots.collected, grassroots.received, grassroots.kept, grassroots.passed_up) == (
        9000,
        30000,
        26000,
        13000,
    )
    district = dues_remittance(tree.qa, *period)  # receives a third of 39,000
    assert (district.collected, district.received, district.kept, district.passed_up) == (0, 13000, 8667, 4333)
