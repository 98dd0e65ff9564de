"""The Content-Security-Policy holds in a real browser: no page the people of Đoàn Số use, Django
admin and the API docs included, needs an inline script or loads anything from elsewhere.

Chromium reports every blocked script, style, image or connection as a console error naming the
Content Security Policy; the test visits the pages, uses what changes them (htmx expand, autosave,
charts, admin's tree), and fails listing every such report.
"""

from __future__ import annotations

from playwright.sync_api import expect

from activities.models import Payment

from .conftest import log_in


def watch(page) -> list[str]:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{page.url}: {m.text}")
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"{page.url}: script error {e}"))
    return problems


def test_no_page_needs_an_inline_script_or_another_origin(
    desktop_page, live_server, password, personas, tree, milestones, member_campaign_scored
):
    page = desktop_page
    problems = watch(page)
    token = member_campaign_scored.assignments.get(unit=tree.qa1a).member_token
    page.goto(f"{live_server.url}/s/{token}/")  # anonymous member survey
    expect(page.locator("form#survey-form")).to_be_visible()
    page.goto(f"{live_server.url}/accounts/login/")
    log_in(page, live_server, "admin", password)

    page.goto(f"{live_server.url}/units/")
    page.get_by_role("button", name="Các đơn vị trực thuộc Thành Đoàn").click()
    expect(page.locator(".unit-tree")).to_contain_text("Đoàn phường A")  # htmx swapped the children in

    draft = milestones.responses["D"]  # QB-1-a's draft: the survey with its autosave
    page.goto(f"{live_server.url}/responses/{draft.pk}/")
    page.locator("form#survey-form input:visible").first.check()
    expect(page.locator("#save-status")).not_to_be_empty()

    t1 = milestones.t1.pk
    for path in (
        f"/dashboard/?campaign={t1}",
        f"/dashboard/units/QA-1-a/?campaign={t1}",
        "/units/QA-1-a/payments/",
        f"/payments/{Payment.objects.create(unit=tree.qa1a, amount=24000).pk}/qr/",
        "/admin/",
        "/admin/units/unit/",
        f"/admin/assessments/framework/{milestones.framework.pk}/change/",
        f"/admin/assessments/framework/{milestones.framework.pk}/preview/",
        "/api/v1/docs/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    expect(page.locator(".swagger-ui")).to_be_visible()  # Swagger UI rendered from its separate script
    assert not problems, "Blocked by the Content-Security-Policy or broken:\n" + "\n".join(problems)
