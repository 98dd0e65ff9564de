"""The unit survey journey on a phone, as a secretary and a reviewer would make it (issue 3)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assessments.demo import load_default_frameworks
from assessments.models import Evidence, Response
from tests.assessments.conftest import make_campaign

from .conftest import log_in, screenshot

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def wait_saved(page: Page) -> None:
    """Until every autosave sent by the last changes has come back."""
    page.wait_for_load_state("networkidle")
    # (not wait_for_function: evaluating a string is what the Content-Security-Policy forbids)
    expect(page.locator("#survey-form")).not_to_have_class(re.compile(r"\bhtmx-request\b"))
    expect(page.locator("#save-status")).to_contain_text("Đã lưu")


def answer_visible_questions(page: Page) -> int:
    """Answer every visible, unanswered question of the section like a user would. Returns how many."""
    answered = 0
    for _ in range(3):  # answering "yes" may reveal more questions (show_if)
        fieldsets = page.locator("fieldset[data-question]:not([hidden])")
        for i in range(fieldsets.count()):
            fs = fieldsets.nth(i)
            radios = fs.locator("input[type=radio]")
            boxes = fs.locator("input[type=checkbox]:not(.js-na)")
            numbers = fs.locator("input[type=number]")
            if radios.count() and not fs.locator("input[type=radio]:checked").count():
                yes = fs.locator('input[value="yes"]')
                (yes if yes.count() else radios.last).check()
            elif boxes.count() and not fs.locator("input[type=checkbox]:checked").count():
                boxes.last.check()
            elif numbers.count() == 2 and not numbers.first.input_value():
                numbers.first.fill("18")
                numbers.last.fill("24")
                numbers.last.blur()
            elif numbers.count() == 1 and not numbers.first.input_value():
                numbers.first.fill("60")
                numbers.first.blur()
            else:
                continue
            answered += 1
    return answered


@pytest.fixture
def demo_campaign(tree, personas):
    load_default_frameworks()
    from assessments.models import Framework

    return make_campaign(Framework.objects.get(code="unit-maturity"), tree.city, levels=["branch"])


def test_secretary_fills_submits_gets_returned_corrects_and_is_approved(
    demo_campaign, personas, phone_page, chromium, live_server, password, tree, settings, tmp_path
):
    settings.PRIVATE_UPLOAD_ROOT = tmp_path / "private"
    response = Response.objects.get(assignment__campaign=demo_campaign, assignment__unit=tree.qa1a)
    page = phone_page
    log_in(page, live_server, "editor", password)
    page.get_by_role("link", name=demo_campaign.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(demo_campaign.name)

    # Half the survey: the first four sections, saved as we go.
    sections = ["NT", "HH", "HD", "DL"]
    for code in sections:
        page.goto(f"{live_server.url}/responses/{response.pk}/?section={code}")
        assert answer_visible_questions(page) > 0
        wait_saved(page)
    screenshot(page, "survey-half-filled-phone")

    # Reload: what was answered is still there, on any device.
    page.goto(f"{live_server.url}/responses/{response.pk}/?section=NT")
    expect(page.locator('input[name="NT.1.a"][value="yes"]')).to_be_checked()
    expect(page.locator("fieldset[data-question='NT.1.b']")).to_be_visible()  # shown because NT.1.a = yes
    saved_half = Response.objects.get(pk=response.pk)
    assert saved_half.answers.count() >= 20

    # The rest, section by section with "Save and continue".
    for code in ["VB", "TT", "TTS", "VH"]:
        page.goto(f"{live_server.url}/responses/{response.pk}/?section={code}")
        answer_visible_questions(page)
        wait_saved(page)

    # Evidence for an indicator that requires it: a PDF from the phone.
    page.goto(f"{live_server.url}/responses/{response.pk}/?section=NT")
    pdf = tmp_path / "ke-hoach-chuyen-doi-so.pdf"
    pdf.write_bytes(PDF)
    block = page.locator("#evidence-NT\\.1")
    block.locator('input[type="file"]').set_input_files(str(pdf))
    block.get_by_role("button", name="Đính kèm").click()
    expect(page.locator("#evidence-NT\\.1")).to_contain_text("ke-hoach-chuyen-doi-so.pdf")
    assert Evidence.objects.filter(response=response, indicator__code="NT.1").exists()

    # Submit.
    page.get_by_role("link", name="Kiểm tra và nộp").click()
    expect(page.get_by_text("Tất cả câu hỏi bắt buộc đã được trả lời")).to_be_visible()
    page.get_by_role("button", name="Nộp phiếu").click()
    expect(page.locator(".badge.status-submitted")).to_be_visible()
    assert not page.locator('input[name="NT.1.a"]:not([disabled])').count()
    screenshot(page, "survey-submitted-phone")

    # The reviewer (district secretary) returns it with a comment.
    reviewer_context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    reviewer = reviewer_context.new_page()
    log_in(reviewer, live_server, "reviewer", password)
    reviewer.get_by_role("link", name="Chi đoàn A1a").first.click()
    reviewer.get_by_label("Nhận xét (bắt buộc khi trả lại)").fill("Đề nghị cập nhật số cuộc họp trực tuyến (HH).")
    reviewer.get_by_role("button", name="Trả lại để sửa").click()
    expect(reviewer.locator(".badge.status-returned")).to_be_visible()

    # The secretary sees the comment, corrects, resubmits.
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name=demo_campaign.name).click()
    expect(page.locator(".returned-comment")).to_have_text("Đề nghị cập nhật số cuộc họp trực tuyến (HH).")
    screenshot(page, "survey-returned-phone")
    page.goto(f"{live_server.url}/responses/{response.pk}/?section=HH")
    number = page.locator("fieldset[data-question] input[type=number]").first
    number.fill("12")
    number.blur()
    wait_saved(page)
    page.get_by_role("link", name="Kiểm tra và nộp").click()
    page.get_by_role("button", name="Nộp phiếu").click()
    expect(page.locator(".badge.status-submitted")).to_be_visible()

    # The reviewer approves; the response is read-only for everyone.
    reviewer.goto(f"{live_server.url}/responses/{response.pk}/")
    reviewer.get_by_role("button", name="Phê duyệt").click()
    expect(reviewer.locator(".badge.status-approved")).to_be_visible()
    reviewer_context.close()
    page.reload()
    expect(page.locator(".badge.status-approved")).to_be_visible()
    assert page.locator("#survey-form input:not([type=hidden]):not([disabled])").count() == 0
    assert page.get_by_role("button", name="Lưu lại").count() == 0
    final = Response.objects.get(pk=response.pk)
    assert final.status == "approved"
    assert list(final.transitions.values_list("to_status", flat=True)) == [
        "submitted",
        "returned",
        "submitted",
        "approved",
    ]
    assert Path(Evidence.objects.get(response=response).file.path).is_relative_to(tmp_path / "private")
