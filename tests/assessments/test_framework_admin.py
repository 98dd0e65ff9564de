"""Framework editing in Django admin at real size: one page per framework, domain and indicator."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import Domain, Framework, Indicator, Option, Question

from .admin_pages import as_post_data, form_fields, generated_spec
from .conftest import spec

MAX_POSTED_FIELDS = 500


def pages(framework: Framework) -> list[tuple[str, str, str]]:
    """(url, form id, a text field to change) of every change page of the framework."""
    domain = Domain.objects.filter(framework=framework).order_by("order").first()
    indicator = Indicator.objects.filter(domain__framework=framework).order_by("domain__order", "order").first()
    assert domain and indicator
    return [
        (reverse("admin:assessments_framework_change", args=[framework.pk]), "framework_form", "name"),
        (reverse("admin:assessments_domain_change", args=[domain.pk]), "domain_form", "name"),
        (reverse("admin:assessments_indicator_change", args=[indicator.pk]), "indicator_form", "name"),
    ]


def test_every_change_page_of_a_200_question_framework_stays_small(personas, client_for, django_assert_max_num_queries):
    draft = services.framework_import(data=generated_spec())
    assert Question.objects.filter(framework=draft).count() == 200
    client = client_for(personas.admin)
    for url, form_id, field in pages(draft):
        with django_assert_max_num_queries(30):
            page = client.get(url)
        assert page.status_code == 200, url
        fields, named = form_fields(page.content.decode(), form_id)
        assert named < MAX_POSTED_FIELDS, f"{url} has {named} form fields"
        # nested_admin re-reads every saved row of the page (two queries each): the cost follows the
        # rows on this page (at most 5 questions and 20 options here), never the framework's size.
        with django_assert_max_num_queries(160):
            saved = client.post(url, as_post_data(fields, **{field: "Tên đã sửa"}))
        assert saved.status_code == 302, (url, saved.content.decode()[:3000])
    assert Framework.objects.get(pk=draft.pk).name == "Tên đã sửa"
    assert Domain.objects.get(framework=draft, code="D0").name == "Tên đã sửa"
    assert Indicator.objects.get(domain__framework=draft, code="D0.0").name == "Tên đã sửa"
    assert Question.objects.filter(framework=draft).count() == 200  # nothing lost on the way


def test_the_framework_page_links_to_every_domain_and_indicator_page_and_they_lead_back(personas, client_for, db):
    draft = services.framework_import(data=spec())
    client = client_for(personas.admin)
    body = client.get(reverse("admin:assessments_framework_change", args=[draft.pk])).content.decode()
    framework_url = reverse("admin:assessments_framework_change", args=[draft.pk])
    for domain in Domain.objects.filter(framework=draft):
        domain_url = reverse("admin:assessments_domain_change", args=[domain.pk])
        assert domain_url in body
        domain_page = client.get(domain_url).content.decode()
        assert framework_url in domain_page.split('class="breadcrumbs"')[1].split("</div>")[0]
        for indicator in domain.indicators.all():
            indicator_url = reverse("admin:assessments_indicator_change", args=[indicator.pk])
            assert indicator_url in body and indicator_url in domain_page
            crumbs = client.get(indicator_url).content.decode().split('class="breadcrumbs"')[1].split("</div>")[0]
            assert framework_url in crumbs and domain_url in crumbs


def test_the_admin_index_lists_frameworks_but_not_their_domains_and_indicators(personas, client_for, db):
    body = client_for(personas.admin).get(reverse("admin:index")).content.decode()
    assert reverse("admin:assessments_framework_changelist") in body
    assert reverse("admin:assessments_domain_changelist") not in body
    assert reverse("admin:assessments_indicator_changelist") not in body


def test_an_option_points_change_on_the_indicator_page_is_saved(personas, client_for, db):
    draft = services.framework_import(data=spec())
    indicator = Indicator.objects.get(domain__framework=draft, code="A.1")
    url = reverse("admin:assessments_indicator_change", args=[indicator.pk])
    client = client_for(personas.admin)
    fields, _named = form_fields(client.get(url).content.decode(), "indicator_form")
    names = dict(fields)
    text_field = next(n for n, v in fields if n.endswith("-text") and v == "Câu hỏi A1")
    points_field = next(n for n in names if n.startswith(text_field.removesuffix("-text")) and n.endswith("-points"))
    response = client.post(url, as_post_data(fields, **{text_field: "Câu hỏi A1 đã sửa", points_field: "35"}))
    assert response.status_code == 302
    assert Question.objects.get(framework=draft, code="A1").text == "Câu hỏi A1 đã sửa"
    first = Option.objects.filter(question__framework=draft, question__code="A1").order_by("order").first()
    assert first is not None and first.points == 35


def test_points_above_100_are_refused_on_the_indicator_page_and_nothing_changes(personas, client_for, db):
    draft = services.framework_import(data=spec())
    indicator = Indicator.objects.get(domain__framework=draft, code="A.1")
    url = reverse("admin:assessments_indicator_change", args=[indicator.pk])
    client = client_for(personas.admin)
    fields, _named = form_fields(client.get(url).content.decode(), "indicator_form")
    text_field = next(n for n, v in fields if n.endswith("-text") and v == "Câu hỏi A1")
    prefix = text_field.removesuffix("-text")
    points_field = next(n for n, _v in fields if n.startswith(prefix) and n.endswith("-points"))
    response = client.post(url, as_post_data(fields, **{text_field: "Đổi", points_field: "120"}))
    assert response.status_code == 200  # the page again, with the error
    assert "errorlist" in response.content.decode()
    assert Question.objects.get(framework=draft, code="A1").text == "Câu hỏi A1"


@pytest.mark.parametrize("status", ["published", "retired"])
def test_domain_and_indicator_pages_of_a_published_version_are_read_only(personas, client_for, db, status):
    framework = services.framework_import(data=spec(), publish=True)
    if status == "retired":
        services.framework_retire(framework=framework)
    before = json.dumps(services.framework_to_spec(framework), sort_keys=True)
    client = client_for(personas.admin)
    domain = Domain.objects.get(framework=framework, code="A")
    indicator = Indicator.objects.get(domain=domain, code="A.1")
    for url, form_id in (
        (reverse("admin:assessments_domain_change", args=[domain.pk]), "domain_form"),
        (reverse("admin:assessments_indicator_change", args=[indicator.pk]), "indicator_form"),
    ):
        page = client.get(url)
        assert page.status_code == 200
        body = page.content.decode()
        assert "Câu hỏi A1" in body or "Họp trực tuyến" in body  # the content is shown …
        fields, _named = form_fields(body, form_id)
        hidden_keys = ("TOTAL_FORMS", "INITIAL_FORMS", "_NUM_FORMS", "-id", "-domain", "-indicator", "-question")
        editable = [n for n, _v in fields if not n.endswith(hidden_keys)]
        assert editable == ["csrfmiddlewaretoken"], editable  # … with nothing to edit
        response = client.post(url, {"name": "Đổi tên", "code": "Z"})
        assert response.status_code == 403
        assert client.post(url.replace("/change/", "/delete/"), {"post": "yes"}).status_code == 403
    assert json.dumps(services.framework_to_spec(framework), sort_keys=True) == before


def test_show_if_offers_only_questions_of_the_same_framework(personas, client_for, db):
    draft = services.framework_import(data=spec())
    other = services.framework_import(data=spec(code="other-unit"))
    indicator = Indicator.objects.get(domain__framework=draft, code="A.1")
    body = client_for(personas.admin).get(reverse("admin:assessments_indicator_change", args=[indicator.pk])).content
    html = body.decode()
    select = html.split('name="questions-0-show_if_question"')[1].split("</select>")[0]
    ours = Question.objects.filter(framework=draft).values_list("pk", flat=True)
    theirs = Question.objects.filter(framework=other).values_list("pk", flat=True)
    assert all(f'value="{pk}"' in select for pk in ours)
    assert not any(f'value="{pk}"' in select for pk in theirs)


def test_a_question_code_used_elsewhere_in_the_framework_is_refused_with_a_message(personas, client_for, db):
    draft = services.framework_import(data=spec())
    indicator = Indicator.objects.get(domain__framework=draft, code="A.1")
    url = reverse("admin:assessments_indicator_change", args=[indicator.pk])
    client = client_for(personas.admin)
    fields, _named = form_fields(client.get(url).content.decode(), "indicator_form")
    code_field = next(n for n, v in fields if n.endswith("-code") and v == "A1")
    response = client.post(url, as_post_data(fields, **{code_field: "B1"}))  # B1 is in another domain
    assert response.status_code == 200
    assert "B1" in response.content.decode().split('class="errorlist')[1][:300]
    assert Question.objects.filter(framework=draft, code="A1").exists()


@pytest.mark.parametrize("name", ["unit-maturity-v1.json", "member-digcomp-v1.json"])
def test_no_page_of_a_default_framework_has_more_than_500_form_fields(personas, client_for, db, name):
    from assessments.demo import FRAMEWORK_DIR

    draft = services.framework_import(data=json.loads((FRAMEWORK_DIR / name).read_text(encoding="utf-8")))
    client = client_for(personas.admin)
    sizes = {}
    urls = [("framework_form", reverse("admin:assessments_framework_change", args=[draft.pk]))]
    urls += [
        ("domain_form", reverse("admin:assessments_domain_change", args=[pk]))
        for pk in Domain.objects.filter(framework=draft).values_list("pk", flat=True)
    ]
    urls += [
        ("indicator_form", reverse("admin:assessments_indicator_change", args=[pk]))
        for pk in Indicator.objects.filter(domain__framework=draft).values_list("pk", flat=True)
    ]
    for form_id, url in urls:
        _fields, sizes[url] = form_fields(client.get(url).content.decode(), form_id)
    assert max(sizes.values()) < MAX_POSTED_FIELDS, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]


def test_the_publish_message_names_the_version_as_published(personas, client_for, db):
    draft = services.framework_import(data=spec(code="ban-hanh"))
    client = client_for(personas.admin)
    page = client.post(reverse("admin:assessments_framework_publish", args=[draft.pk]), follow=True)
    shown = [str(m) for m in page.context["messages"]]
    assert any("Đã ban hành" in m and "Bản nháp" not in m for m in shown), shown
