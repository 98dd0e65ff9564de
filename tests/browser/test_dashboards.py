"""City staff read the dashboard as a new user would: filter by sector, drill down to a district
and a branch, open "explain the score", download the XLSX and find in it what the page shows.
A district secretary cannot reach another district. Screenshots at desktop and phone widths;
axe-core finds no serious or critical accessibility problem on the dashboard pages."""

from __future__ import annotations

import re

from openpyxl import load_workbook
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, assert_accessible, log_in, screenshot


def number(text: str) -> float | None:
    """A score as the Vietnamese page prints it ("50,9", "—") → 50.9 / None."""
    text = text.strip()
    return None if text in ("", "—") else float(text.replace(".", "").replace(",", "."))


def test_city_staff_filter_drill_down_explain_and_download(
    tree, personas, milestones, member_campaign_scored, chromium, live_server, password, tmp_path
):
    context = chromium.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "citystaff", password)

    page.get_by_role("link", name="Bảng điều khiển").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bảng điều khiển chuyển đổi số")
    expect(page.locator("[data-kpi=overall] .kpi-value")).to_contain_text("50,9")
    expect(page.locator("[data-kpi=delta] .kpi-value")).to_have_text("+10,0")
    expect(page.locator("table[data-table=units] tbody tr")).to_have_count(2)
    expect(page.locator("canvas[data-chart=domains]")).to_be_visible()
    screenshot(page, "dashboard-city-desktop")
    assert_accessible(page, "city dashboard, desktop")

    # Filter by sector: only the university union remains, with no score yet.
    page.get_by_label("Khối", exact=True).select_option("university")
    expect(page).to_have_url(re.compile(r"sector=university"))
    expect(page.locator("table[data-table=units] tbody tr")).to_have_count(1)
    expect(page.locator("table[data-table=units] tbody tr th")).to_contain_text("Đoàn trường B")
    page.get_by_label("Khối", exact=True).select_option("")

    # Drill down: the district, then its grassroots union, then a branch's page.
    page.locator("table[data-table=units]").get_by_role("link", name="Đoàn phường A").click()
    expect(page.locator(".breadcrumb")).to_contain_text("Đoàn phường A")
    page.locator("table[data-table=units]").get_by_role("link", name="Đoàn cơ sở A1").click()
    expect(page.locator(".breadcrumb [aria-current=page]")).to_have_text("Đoàn cơ sở A1")

    # The heat map's XLSX holds the rows the page shows.
    shown = []
    for row in page.locator("table[data-table=units] tbody tr").all():
        code = row.get_attribute("data-unit")
        cells = row.locator("td.score-cell").all_inner_texts()
        shown.append([code, *[number(c) for c in cells]])
    assert [r[0] for r in shown] == ["QA-1-a", "QA-1-b"]
    with page.expect_download() as download:
        page.locator("[data-export=units-xlsx]").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    sheet = load_workbook(path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    domain_count = len(shown[0]) - 2
    in_file = [[r[0], r[3], *r[5 : 5 + domain_count]] for r in data]
    assert header[0] == "Mã" and in_file == shown

    page.locator("table[data-table=units]").get_by_role("link", name="Chi đoàn A1a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chi đoàn A1a")
    expect(page.locator("[data-kpi=own] .kpi-value")).to_contain_text("60,9")
    page.get_by_role("heading", name="Giải thích điểm").scroll_into_view_if_needed()
    domain = page.locator("details.explain-domain[data-domain=D1]")
    domain.locator("summary").click()
    expect(domain.get_by_role("cell", name="Câu hỏi Q5")).to_be_visible()
    expect(domain.get_by_text("minh-chung.example.vn")).to_be_visible()
    expect(page.locator("ol[data-table=suggestions] li").first).to_contain_text("sinh hoạt trực tuyến mỗi quý")
    screenshot(page, "dashboard-unit-desktop")
    assert_accessible(page, "unit page with an explained domain, desktop")
    context.close()


def test_dashboards_at_phone_width_are_readable_and_accessible(
    tree, personas, milestones, member_campaign_scored, phone_page, live_server, password
):
    page = phone_page
    log_in(page, live_server, "citystaff", password)
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("[data-kpi=overall] .kpi-value")).to_contain_text("50,9")
    # Nothing spills sideways except inside the scrollable tables.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "dashboard-city-phone")
    assert_accessible(page, "city dashboard, phone")

    page.goto(f"{live_server.url}/dashboard/units/QA-1-a/")
    page.locator("details.explain-domain summary").first.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "dashboard-unit-phone")
    assert_accessible(page, "unit page, phone")


def test_a_district_secretary_cannot_reach_another_district(
    tree, personas, milestones, phone_page, live_server, password
):
    page = phone_page
    log_in(page, live_server, "reviewer", password)
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator(".breadcrumb [aria-current=page]")).to_have_text("Đoàn phường A")
    expect(page.locator("table[data-table=units]")).not_to_contain_text("Đoàn trường B")
    for url in ("/dashboard/?unit=QB", "/dashboard/?unit=CITY", "/dashboard/units/QB-1-a/", "/dashboard/units/QB/"):
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None and response.status == 404, url
