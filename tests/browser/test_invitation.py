"""A secretary created by the unit import opens the invitation on a phone and lands on their unit."""

from __future__ import annotations

import re
from pathlib import Path

from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from tests.units.test_onboarding import FIRST

from .conftest import assert_accessible, screenshot


def test_an_imported_secretary_opens_the_invitation_sets_a_password_and_sees_only_their_unit(
    transactional_db, phone_page, live_server, tmp_path: Path
):
    source = tmp_path / "don-vi.csv"
    source.write_text(FIRST, encoding="utf-8")
    call_command("import_units", str(source))

    invitation = next(m for m in mail.outbox if m.to == ["cu@example.vn"])
    assert "Chi đoàn H1" in invitation.body
    path = re.search(r"https?://[^/\s]+(/accounts/invitation/\S+/)", invitation.body).group(1)

    page = phone_page
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Đặt mật khẩu của bạn")
    expect(page.get_by_text("bt.cu")).to_be_visible()
    assert_accessible(page, "invitation: choose a password")
    screenshot(page, "invitation-set-password-phone")

    page.get_by_label(re.compile(r"^\s*Mật khẩu mới")).fill("Bi-thu-chi-doan-H1")
    page.get_by_label("Xác nhận mật khẩu mới").fill("Bi-thu-chi-doan-H1")
    page.get_by_role("button", name="Lưu mật khẩu và đăng nhập").click()

    # The unit page needs a login: landing on it means the invitation logged them in.
    expect(page).to_have_url(f"{live_server.url}/units/H-A-1/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Chi đoàn H1")
    assert any(c["name"] == "sessionid" for c in page.context.cookies())
    screenshot(page, "invitation-landed-on-unit-phone")

    for url in ("/units/H-A-2/", "/units/H-A/"):
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 404, url

    # The link worked once: opened again, it says so in Vietnamese.
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lời mời này không còn dùng được")
    expect(page.get_by_text("gửi lại lời mời mới")).to_be_visible()


def test_a_manager_hands_the_secretary_role_over_on_a_phone(personas, phone_page, live_server, password):
    from .conftest import log_in

    page = phone_page
    log_in(page, live_server, "reviewer", password)
    page.goto(f"{live_server.url}/units/QA-1-a/")
    page.get_by_text("Ghi nhận Bí thư mới").click()
    page.get_by_label(re.compile(r"^\s*Tên đăng nhập của Bí thư mới")).fill("bt.a1a.moi")
    page.get_by_label(re.compile(r"^\s*Họ tên")).fill("Hồ Thị Kế")
    page.get_by_label(re.compile(r"^\s*E-mail")).fill("ke@example.vn")
    page.get_by_role("button", name="Bàn giao vai trò Bí thư").click()

    expect(page.get_by_text("Hồ Thị Kế hiện là Bí thư của Chi đoàn A1a.")).to_be_visible()
    expect(page.get_by_text("Đã gửi thư mời tới ke@example.vn.")).to_be_visible()
    expect(page.locator(".past-roles")).to_contain_text(personas.editor.full_name)
    assert [m.to for m in mail.outbox] == [["ke@example.vn"]]
    assert_accessible(page, "unit page after a handover")
    screenshot(page, "unit-handover-phone")
