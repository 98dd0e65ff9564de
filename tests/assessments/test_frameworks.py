"""Frameworks: exchange format, import validation with JSON paths, publish, read-only, clone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessments import services
from assessments.demo import FRAMEWORK_DIR
from assessments.models import Domain, Framework, Indicator, LevelBand, Option, Question

from .conftest import spec


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Framework, Domain, Indicator, Question, Option, LevelBand))


@pytest.mark.parametrize("name", ["unit-maturity-v1.json", "member-digcomp-v1.json"])
def test_default_frameworks_import_publish_and_export_back_identically(db, name):
    data = json.loads((FRAMEWORK_DIR / name).read_text(encoding="utf-8"))
    framework = services.framework_import(data=data, publish=True)
    assert framework.status == Framework.Status.PUBLISHED
    assert services.framework_to_spec(framework) == data


def test_default_unit_framework_has_the_promised_content(db):
    data = json.loads((FRAMEWORK_DIR / "unit-maturity-v1.json").read_text(encoding="utf-8"))
    questions = [q for d in data["domains"] for i in d["indicators"] for q in i["questions"]]
    assert [d["code"] for d in data["domains"]] == ["NT", "HH", "HD", "DL", "VB", "TT", "TTS", "VH"]
    assert sum(len(d["indicators"]) for d in data["domains"]) >= 30
    assert len(questions) >= 45
    assert {q["type"] for q in questions} == {
        "level",
        "choice",
        "multi",
        "yes_no",
        "number",
        "ratio",
        "percent",
        "metric",
        "text",
        "file",
    }
    assert any(i["evidence_required"] for d in data["domains"] for i in d["indicators"])
    assert len(data["bands"]) == 5
    metrics = {
        q["metric"]: d["code"] for d in data["domains"] for i in d["indicators"] for q in i["questions"] if q["metric"]
    }
    assert metrics == {
        "activities.online_share": "HD",
        "activities.digital_registration_share": "HD",
        "payments.cashless_share_amount": "TT",
        "payments.cashless_share_count": "TT",
    }


def test_default_member_framework_has_24_competences_in_6_domains(db):
    data = json.loads((FRAMEWORK_DIR / "member-digcomp-v1.json").read_text(encoding="utf-8"))
    assert len(data["domains"]) == 6
    indicators = [i for d in data["domains"] for i in d["indicators"]]
    assert len(indicators) == 24
    for indicator in indicators:  # one self-rating item with level statements per competence
        rated = [q for q in indicator["questions"] if q["type"] == "level" and not q["target_groups"]]
        assert len(rated) == 1
        assert len(rated[0]["options"]) >= 4
    assert [b["name"] for b in data["bands"]] == ["Cơ bản", "Trung cấp", "Nâng cao", "Chuyên sâu"]


def test_import_reports_every_mistake_with_its_json_path_and_writes_nothing(db):
    data = spec()
    data["version"] = 0  # schema: below the minimum
    data["bands"][1]["colour"] = "green"  # schema: pattern
    questions = data["domains"][0]["indicators"][0]["questions"]
    questions[0]["options"][2]["points"] = 120  # schema: maximum
    questions[2]["type"] = "dial"  # schema: enum
    questions[3]["show_if"] = {"question": "B1", "values": ["yes"]}  # semantic: not an earlier question
    data["domains"][1]["indicators"][0]["questions"][0]["code"] = "A1"  # semantic: duplicate code
    data["domains"][1]["weight"] = 0  # schema: exclusive minimum
    before = counts()
    with pytest.raises(services.FrameworkRejected) as caught:
        services.framework_import(data=data)
    paths = [path for path, _message in caught.value.problems]
    assert paths == [
        "$.version",
        "$.bands[1].colour",
        "$.domains[0].indicators[0].questions[0].options[2].points",
        "$.domains[0].indicators[0].questions[2].type",
        "$.domains[0].indicators[0].questions[2].thresholds",  # a "dial" cannot have thresholds
        "$.domains[0].indicators[0].questions[3].show_if.question",
        "$.domains[1].weight",
        "$.domains[1].indicators[0].questions[0].code",
    ]
    messages = dict(caught.value.problems)
    assert "120" in messages["$.domains[0].indicators[0].questions[0].options[2].points"]
    assert "A1" in messages["$.domains[1].indicators[0].questions[0].code"]
    assert counts() == before


def test_import_command_lists_problems_and_exports_back(db, tmp_path: Path, capsys):
    bad = spec()
    bad["bands"] = [{"min_score": 10, "name": "Một", "description": "", "colour": "#000000"}]  # does not cover 0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_framework", str(path))
    assert "$.bands" in capsys.readouterr().err
    assert Framework.objects.count() == 0

    good = tmp_path / "good.json"
    good.write_text(json.dumps(spec(), ensure_ascii=False), encoding="utf-8")
    call_command("import_framework", str(good), "--publish")
    out = tmp_path / "out.json"
    call_command("export_framework", "test-unit", "1", "-o", str(out))
    assert json.loads(out.read_text(encoding="utf-8")) == spec()


def test_import_refuses_broken_json_and_an_existing_version(db, tmp_path: Path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": ', encoding="utf-8")
    with pytest.raises(CommandError, match=r"(dòng|line) 1"):
        call_command("import_framework", str(broken))
    services.framework_import(data=spec())
    with pytest.raises(services.FrameworkRejected) as caught:
        services.framework_import(data=spec())
    assert caught.value.problems[0][0] == "$.version"


def test_publish_refuses_a_draft_that_would_not_score(db):
    framework = services.framework_import(data=spec())
    Option.objects.filter(question__code="A1").delete()  # a level question without options
    LevelBand.objects.filter(framework=framework, min_score=0).delete()  # bands no longer cover 0
    with pytest.raises(services.FrameworkRejected) as caught:
        services.framework_publish(framework=framework)
    paths = {p for p, _m in caught.value.problems}
    assert "$.bands" in paths
    assert "$.domains[0].indicators[0].questions[0].options" in paths
    framework.refresh_from_db()
    assert framework.status == Framework.Status.DRAFT


def test_show_if_must_point_to_an_earlier_question(db):
    data = spec()
    first = data["domains"][0]["indicators"][0]["questions"]
    first[0]["show_if"] = {"question": "A2", "values": ["yes"]}  # A2 comes later
    with pytest.raises(services.FrameworkRejected) as caught:
        services.framework_import(data=data)
    assert caught.value.problems == [
        ("$.domains[0].indicators[0].questions[0].show_if.question", caught.value.problems[0][1])
    ]


def test_text_and_file_questions_must_be_explicitly_unscored(db):
    data = spec()
    data["domains"][1]["indicators"][0]["questions"][3]["scored"] = True
    with pytest.raises(services.FrameworkRejected) as caught:
        services.framework_import(data=data)
    assert [p for p, _m in caught.value.problems] == ["$.domains[1].indicators[0].questions[3].scored"]


def test_a_published_framework_cannot_be_changed_by_services_or_the_orm(unit_framework):
    question = Question.objects.get(framework=unit_framework, code="A1")
    question.text = "Sửa lén"
    with pytest.raises(ValidationError):
        question.save()
    with pytest.raises(ValidationError):
        Option.objects.filter(question=question).first().delete()
    unit_framework.name = "Tên mới"
    with pytest.raises(ValidationError):
        unit_framework.save()
    with pytest.raises(ValidationError):
        Domain.objects.create(framework=unit_framework, code="Z", name="Mới")
    with pytest.raises(ValidationError):
        services.framework_publish(framework=unit_framework)
    with pytest.raises(ValidationError):
        unit_framework.delete()
    assert Question.objects.get(pk=question.pk).text == "Câu hỏi A1"


def test_retiring_is_the_only_change_a_published_version_accepts(unit_framework):
    services.framework_retire(framework=unit_framework)
    unit_framework.refresh_from_db()
    assert unit_framework.status == Framework.Status.RETIRED


def test_clone_makes_the_next_draft_version_with_the_same_content(unit_framework):
    clone = services.framework_clone(framework=unit_framework)
    assert (clone.code, clone.version, clone.status) == ("test-unit", 2, Framework.Status.DRAFT)
    original, copied = services.framework_to_spec(unit_framework), services.framework_to_spec(clone)
    assert copied == {**original, "version": 2}
    # The draft is editable; the original is not.
    question = Question.objects.get(framework=clone, code="A1")
    question.text = "Câu hỏi đã sửa"
    question.save()
    assert Question.objects.get(framework=unit_framework, code="A1").text == "Câu hỏi A1"


# --- Admin --------------------------------------------------------------------------------------


def test_admin_shows_a_published_framework_read_only(personas, client_for, unit_framework):
    client = client_for(personas.admin)
    url = reverse("admin:assessments_framework_change", args=[unit_framework.pk])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="name"' not in body  # no editable inputs for the framework itself
    assert "Họp trực tuyến" in body  # its outline, down to the indicators
    response = client.post(url, {"name": "Đổi tên", "code": "x", "version": 9, "kind": "unit"})
    assert response.status_code == 403
    unit_framework.refresh_from_db()
    assert unit_framework.name == "Bộ chỉ số thử nghiệm"


def test_admin_edits_a_draft_one_level_per_page(personas, client_for, db):
    draft = services.framework_import(data=spec())
    client = client_for(personas.admin)
    body = client.get(reverse("admin:assessments_framework_change", args=[draft.pk])).content.decode()
    assert 'name="name"' in body and 'name="domains-0-weight"' in body
    assert "domains-0-indicators-0" not in body  # indicators live on the domain's page …
    indicator = Indicator.objects.get(domain__framework=draft, code="A.1")
    page = client.get(reverse("admin:assessments_indicator_change", args=[indicator.pk])).content.decode()
    assert 'name="questions-0-options-0-points"' in page  # … questions and options on the indicator's


def test_admin_publish_and_clone_buttons(personas, client_for, db):
    client = client_for(personas.admin)
    draft = services.framework_import(data=spec())
    client.post(reverse("admin:assessments_framework_publish", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Framework.Status.PUBLISHED
    response = client.post(reverse("admin:assessments_framework_clone", args=[draft.pk]))
    clone = Framework.objects.get(code="test-unit", version=2)
    assert response["Location"] == reverse("admin:assessments_framework_change", args=[clone.pk])
    assert client.get(reverse("admin:assessments_framework_publish", args=[clone.pk])).status_code == 403  # POST only


def test_admin_refuses_to_publish_an_invalid_draft_and_says_why(personas, client_for, db):
    draft = services.framework_import(data=spec())
    LevelBand.objects.filter(framework=draft, min_score=0).delete()
    response = client_for(personas.admin).post(
        reverse("admin:assessments_framework_publish", args=[draft.pk]), follow=True
    )
    assert "$.bands" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Framework.Status.DRAFT


def test_admin_preview_shows_the_survey_as_respondents_see_it(personas, client_for, unit_framework):
    response = client_for(personas.admin).get(reverse("admin:assessments_framework_preview", args=[unit_framework.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="A1"' in body and 'name="B1__den"' in body
    assert 'data-show-if="A2"' in body


@pytest.mark.parametrize("persona", ["editor", "viewer", "outsider", "city_staff"])
def test_framework_admin_is_for_admins_only(personas, client_for, unit_framework, persona):
    response = client_for(getattr(personas, persona)).get(
        reverse("admin:assessments_framework_preview", args=[unit_framework.pk])
    )
    assert response.status_code == 302  # to the admin login
