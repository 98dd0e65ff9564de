"""A branch secretary on a phone: logs in, sees their own unit, and nothing of other units."""

from playwright.sync_api import expect

from .conftest import log_in, screenshot


def test_branch_secretary_logs_in_on_a_phone_and_sees_their_unit(personas, phone_page, live_server, password):
    page = phone_page
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    screenshot(page, "login-phone")

    log_in(page, live_server, "editor", password)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xin chào")
    page.get_by_role("link", name="Chi đoàn A1a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chi đoàn A1a")
    expect(page.get_by_text("Bí thư").first).to_be_visible()
    screenshot(page, "unit-page-branch-secretary-phone")

    # The tree browser starts at their branch and shows nothing above or beside it.
    page.goto(f"{live_server.url}/units/")
    expect(page.locator(".unit-tree")).to_contain_text("Chi đoàn A1a")
    expect(page.locator(".unit-tree")).not_to_contain_text("Chi đoàn A1b")

    # Another unit's page and API answer 404.
    for url in ("/units/QB-1-a/", "/units/QA-1-b/", "/api/v1/units/QB-1-a/"):
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 404, url


def test_city_staff_expands_the_tree_on_a_desktop(personas, desktop_page, live_server, password):
    page = desktop_page
    log_in(page, live_server, "citystaff", password)
    page.goto(f"{live_server.url}/units/")
    page.get_by_role("button", name="Các đơn vị trực thuộc Thành Đoàn").click()
    expect(page.locator(".unit-tree")).to_contain_text("Đoàn phường A")  # loaded by htmx on expand
    page.get_by_role("button", name="Các đơn vị trực thuộc Đoàn phường A").click()
    expect(page.locator(".unit-tree")).to_contain_text("Đoàn cơ sở A1")
    screenshot(page, "unit-tree-city-staff-desktop")

    page.get_by_label("Tìm đơn vị").fill("chi doan b1a")
    page.get_by_role("button", name="Tìm").click()
    expect(page.get_by_role("link", name="Chi đoàn B1a")).to_be_visible()
