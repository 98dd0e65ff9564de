"""axe-core finds no serious or critical accessibility problem on the pages people use most.

Each page is checked on a phone and on a desktop (the layout, and so the contrast and landmarks
axe sees, differ), as it loads and again after the interactions that change the DOM: questions
revealed by an answer, the autosave status, the section list opened, validation errors.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from assessments.demo import load_default_frameworks
from assessments.models import Assignment, Framework, Response
from tests.assessments.conftest import make_campaign

from .conftest import assert_accessible, log_in, screenshot
from .test_unit_survey import answer_visible_questions, wait_saved


@pytest.fixture(params=["phone", "desktop"])
def viewport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def page(viewport: str, request: pytest.FixtureRequest) -> Page:
    return request.getfixturevalue(f"{viewport}_page")


def test_login_page_is_accessible_before_and_after_a_failed_attempt(page, viewport, live_server, personas):
    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page, f"login page, {viewport}")
    screenshot(page, f"a11y-login-{viewport}")

    page.get_by_label("Tên đăng nhập").fill("editor")
    page.get_by_label("Mật khẩu").fill("not-the-password")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator(".alert-danger, .invalid-feedback").first).to_be_visible()
    assert_accessible(page, f"login page with an error, {viewport}")


@pytest.fixture
def unit_response(tree, personas) -> Response:
    load_default_frameworks()
    campaign = make_campaign(Framework.objects.get(code="unit-maturity"), tree.city, levels=["branch"])
    return Response.objects.get(assignment__campaign=campaign, assignment__unit=tree.qa1a)


def test_unit_survey_draft_is_accessible_as_loaded_and_while_answering(
    page, viewport, live_server, password, unit_response
):
    log_in(page, live_server, "editor", password)
    page.goto(f"{live_server.url}/responses/{unit_response.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(unit_response.assignment.campaign.name)
    assert_accessible(page, f"unit survey, first section as loaded, {viewport}")
    screenshot(page, f"a11y-unit-survey-{viewport}")

    # The section list opened, every question answered ("yes" reveals follow-up questions), the
    # autosave status shown.
    page.locator("details.section-nav summary").click()
    expect(page.locator("details.section-nav ol")).to_be_visible()
    assert answer_visible_questions(page) > 0
    wait_saved(page)
    assert_accessible(page, f"unit survey, first section answered, {viewport}")
    screenshot(page, f"a11y-unit-survey-answered-{viewport}")

    # The section with computed metrics and ratio questions, which the first one lacks.
    page.goto(f"{live_server.url}/responses/{unit_response.pk}/?section=HD")
    assert answer_visible_questions(page) > 0
    wait_saved(page)
    assert_accessible(page, f"unit survey, section HD answered, {viewport}")
    screenshot(page, f"a11y-unit-survey-metrics-{viewport}")


def test_member_survey_is_accessible_as_loaded_answered_and_with_errors(page, viewport, tree, live_server):
    cache.clear()  # the member survey throttle counts per address
    load_default_frameworks()
    campaign = make_campaign(Framework.objects.get(code="member-digcomp"), tree.city, levels=["branch"])
    assignment = Assignment.objects.get(campaign=campaign, unit=tree.qa1a)
    page.goto(f"{live_server.url}/s/{assignment.member_token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Khung năng lực số của đoàn viên")
    assert_accessible(page, f"member survey as loaded, {viewport}")

    # Sent empty: the form comes back with an error on every required question.
    page.get_by_role("button", name="Gửi câu trả lời").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    assert_accessible(page, f"member survey with errors, {viewport}")

    # Choosing a group reveals the group's questions; one of them answered.
    page.get_by_label("Sinh viên").check()
    visible = page.locator("fieldset[data-question]:not([hidden])")
    expect(visible.first).to_be_visible()
    visible.first.locator("input[type=radio]").nth(2).check()
    assert_accessible(page, f"member survey answered, {viewport}")
    screenshot(page, f"a11y-member-survey-{viewport}")
    cache.clear()


def test_unit_tree_is_accessible_with_nodes_expanded(page, viewport, live_server, password, personas):
    log_in(page, live_server, "citystaff", password)
    page.goto(f"{live_server.url}/units/")
    city = page.get_by_role("button", name="Các đơn vị trực thuộc Thành Đoàn")
    expect(city).to_have_attribute("aria-expanded", "false")
    assert_accessible(page, f"unit tree as loaded, {viewport}")

    city.click()
    expect(city).to_have_attribute("aria-expanded", "true")
    page.get_by_role("button", name="Các đơn vị trực thuộc Đoàn phường A").click()
    expect(page.get_by_role("link", name="Đoàn cơ sở A1")).to_be_visible()  # loaded by htmx
    assert_accessible(page, f"unit tree expanded, {viewport}")
    screenshot(page, f"a11y-unit-tree-{viewport}")

    city.click()  # and closed again
    expect(page.get_by_role("link", name="Đoàn phường A")).to_be_hidden()
    expect(city).to_have_attribute("aria-expanded", "false")
