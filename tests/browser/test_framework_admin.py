"""An admin edits a draft framework of real size in Django admin, page by page (issue 11)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from assessments import services
from assessments.demo import load_default_frameworks
from assessments.models import Domain, Framework, Indicator, Question
from tests.assessments.admin_pages import generated_spec

from .conftest import screenshot
from .test_csp import watch

MAX_POSTED_FIELDS = 500


def named_controls(page: Page, form_id: str) -> int:
    return page.locator(f"#{form_id}").locator("input[name], select[name], textarea[name]").count()


@pytest.fixture(params=["default-unit", "generated-200"])
def published(request, db) -> Framework:  # type: ignore[no-untyped-def]
    if request.param == "default-unit":
        return next(f for f in load_default_frameworks() if f.kind == Framework.Kind.UNIT)
    framework = services.framework_import(data=generated_spec(), publish=True)
    assert framework is not None
    return framework


def test_an_admin_clones_a_framework_and_edits_a_question_and_an_option_on_their_pages(
    desktop_page, live_server, password, personas, published
):
    page: Page = desktop_page
    problems = watch(page)
    questions = Question.objects.filter(framework=published).count()
    assert questions in (67, 200)

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill(password)
    page.locator("#login-form [type=submit]").click()
    page.goto(f"{live_server.url}/admin/assessments/framework/")
    page.get_by_role("link", name=published.name).click()
    expect(page.locator("#framework_form")).to_be_visible()
    page.locator(f"form[action$='/framework/{published.pk}/clone/'] button").click()
    expect(page.locator(".messagelist .success")).to_contain_text(f"{published.version + 1}")

    draft = Framework.objects.get(code=published.code, version=published.version + 1)
    assert draft.status == Framework.Status.DRAFT
    assert page.url.endswith(f"/framework/{draft.pk}/change/")
    assert named_controls(page, "framework_form") < MAX_POSTED_FIELDS

    domain = Domain.objects.filter(framework=draft).order_by("order").first()
    assert domain is not None
    page.locator(f"#framework-outline a[href$='/domain/{domain.pk}/change/']").click()
    expect(page.locator(".breadcrumbs")).to_contain_text(draft.name)
    assert named_controls(page, "domain_form") < MAX_POSTED_FIELDS
    indicator = Indicator.objects.filter(domain=domain).order_by("order").first()
    assert indicator is not None
    page.locator(f"#domain_form a[href$='/indicator/{indicator.pk}/change/']").first.click()
    expect(page.locator("#indicator_form")).to_be_visible()
    assert named_controls(page, "indicator_form") < MAX_POSTED_FIELDS
    screenshot(page, f"framework-admin-indicator-{published.code}")

    question = Question.objects.filter(indicator=indicator, type__in=("level", "choice", "multi")).first()
    assert question is not None
    text = page.locator("textarea[name$='-text']").filter(has_text=question.text[:40])
    prefix = (text.get_attribute("name") or "").removesuffix("-text")
    text.fill("Câu hỏi đã được biên tập lại trong bản nháp")
    page.locator(f"input[name='{prefix}-options-1-points']").fill("45")
    page.locator("#indicator_form input[name='_save']").click()

    expect(page.locator(".messagelist .success")).to_be_visible()
    assert page.url.endswith(f"/domain/{domain.pk}/change/")  # back where the admin came from
    out = io.StringIO()
    call_command("export_framework", draft.code, str(draft.version), stdout=out)
    exported = json.loads(out.getvalue())
    edited = next(
        q for d in exported["domains"] for i in d["indicators"] for q in i["questions"] if q["code"] == question.code
    )
    assert edited["text"] == "Câu hỏi đã được biên tập lại trong bản nháp"
    assert edited["options"][1]["points"] == 45
    # Nothing else moved: the rest of the draft is the published version's content.
    original = services.framework_to_spec(published)
    edited_original = next(
        q for d in original["domains"] for i in d["indicators"] for q in i["questions"] if q["code"] == question.code
    )
    edited_original["text"] = edited["text"]
    edited_original["options"][1]["points"] = 45
    assert exported == {**original, "version": draft.version}
    assert not problems, "Blocked by the Content-Security-Policy or broken:\n" + "\n".join(problems)
