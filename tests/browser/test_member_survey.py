"""A member answers the competency survey on a phone, by link, without an account."""

from __future__ import annotations

from django.core.cache import cache
from playwright.sync_api import expect

from assessments.demo import load_default_frameworks
from assessments.models import Assignment, Framework, Response
from tests.assessments.conftest import make_campaign

from .conftest import PHONE, screenshot


def test_member_answers_anonymously_by_link_on_a_phone_and_a_flood_is_throttled(tree, chromium, live_server, settings):
    cache.clear()
    load_default_frameworks()
    campaign = make_campaign(Framework.objects.get(code="member-digcomp"), tree.city, levels=["branch"])
    assignment = Assignment.objects.get(campaign=campaign, unit=tree.qa1a)
    url = f"{live_server.url}/s/{assignment.member_token}/"

    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Khung năng lực số của đoàn viên")
    page.get_by_label("Sinh viên").check()
    screenshot(page, "member-survey-phone")
    fieldsets = page.locator("fieldset[data-question]:not([hidden])")
    for i in range(fieldsets.count()):
        fieldsets.nth(i).locator("input[type=radio]").nth(2).check()
    page.get_by_role("button", name="Gửi câu trả lời").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cảm ơn bạn!")
    stored = Response.objects.get(assignment=assignment, kind="member")
    assert stored.target_group == "student" and stored.answers.count() >= 24

    # The same browser cannot answer twice.
    page.goto(url)
    expect(page.get_by_text("Bạn đã trả lời khảo sát này")).to_be_visible()
    context.close()

    # A script flooding from one address gets the throttle page. The limit counts in fixed one-minute
    # windows: of three quick tries at most one window boundary falls between them, so at least one
    # try is over the limit whatever the clock says.
    settings.MEMBER_SURVEY_RATE = "1/m"
    statuses = []
    for _ in range(3):
        flood = chromium.new_context(viewport=PHONE)
        flood_page = flood.new_page()
        flood_page.goto(url)
        flood_page.get_by_label("Công nhân lao động").check()
        fieldsets = flood_page.locator("fieldset[data-question]:not([hidden])")
        for i in range(fieldsets.count()):
            fieldsets.nth(i).locator("input[type=radio]").first.check()
        with flood_page.expect_navigation() as navigation:
            flood_page.get_by_role("button", name="Gửi câu trả lời").click()
        statuses.append(navigation.value.status if navigation.value else None)
        flood.close()
    assert 429 in statuses and set(statuses) <= {200, 429}
    accepted = statuses.count(200)
    assert Response.objects.filter(assignment=assignment, kind="member").count() == 1 + accepted
    cache.clear()
