"""Framework services: export, import, publish, clone, retire."""

from __future__ import annotations

from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from doanso.lib.history import record_history

from .. import sheets
from ..models import Domain, Framework, Indicator, LevelBand, Option, Question, TargetGroup
from ..spec import FORMAT, Problem, validate_framework_spec


class FrameworkRejected(ValidationError):
    """The framework file (or draft) has problems; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__([f"{path}: {message}" for path, message in problems])
        self.problems = problems


def _num(value: Decimal | float | int) -> int | float:
    """JSON number without noise: 1, 1.5, 37.5."""
    as_decimal = Decimal(str(value))
    return int(as_decimal) if as_decimal == as_decimal.to_integral_value() else float(as_decimal)


def framework_content(framework: Framework) -> Framework:
    """The framework with its whole tree prefetched in a fixed number of queries."""
    options = Prefetch("options", queryset=Option.objects.order_by("order", "pk"))
    questions = Prefetch(
        "questions",
        queryset=Question.objects.select_related("show_if_question").prefetch_related(options).order_by("order", "pk"),
    )
    indicators = Prefetch("indicators", queryset=Indicator.objects.prefetch_related(questions).order_by("order", "pk"))
    domains = Prefetch("domains", queryset=Domain.objects.prefetch_related(indicators).order_by("order", "pk"))
    return Framework.objects.prefetch_related(
        domains,
        Prefetch("bands", queryset=LevelBand.objects.order_by("min_score")),
        Prefetch("target_groups", queryset=TargetGroup.objects.order_by("order", "pk")),
    ).get(pk=framework.pk)


def framework_to_spec(framework: Framework) -> dict[str, Any]:
    """The framework in the exchange format of docs/framework-format.md."""
    fw = framework_content(framework)
    return {
        "format": FORMAT,
        "code": fw.code,
        "version": fw.version,
        "kind": fw.kind,
        "name": fw.name,
        "description": fw.description,
        "bands": [
            {"min_score": _num(b.min_score), "name": b.name, "description": b.description, "colour": b.colour}
            for b in fw.bands.all()
        ],
        "target_groups": [{"code": g.code, "name": g.name} for g in fw.target_groups.all()],
        "domains": [
            {
                "code": d.code,
                "name": d.name,
                "description": d.description,
                "weight": _num(d.weight),
                "indicators": [
                    {
                        "code": i.code,
                        "name": i.name,
                        "description": i.description,
                        "guidance": i.guidance,
                        "weight": _num(i.weight),
                        "evidence_required": i.evidence_required,
                        "questions": [_question_spec(q) for q in i.questions.all()],
                    }
                    for i in d.indicators.all()
                ],
            }
            for d in fw.domains.all()
        ],
    }


def _question_spec(q: Question) -> dict[str, Any]:
    return {
        "code": q.code,
        "text": q.text,
        "help": q.help,
        "type": q.type,
        "weight": _num(q.weight),
        "required": q.required,
        "allows_na": q.allows_na,
        "scored": q.scored,
        "show_if": {"question": q.show_if_question.code, "values": list(q.show_if_values)}
        if q.show_if_question
        else None,
        "options": [
            {"code": o.code, "label": o.label, "description": o.description, "points": o.points}
            for o in q.options.all()
        ],
        "thresholds": [{"min": _num(t["min"]), "points": int(t["points"])} for t in q.thresholds],
        "unit_label": q.unit_label,
        "numerator_label": q.numerator_label,
        "denominator_label": q.denominator_label,
        "metric": q.metric,
        "target_groups": list(q.target_groups),
    }


def _create_content(framework: Framework, data: dict[str, Any]) -> None:
    for band in data["bands"]:
        LevelBand.objects.create(
            framework=framework,
            min_score=Decimal(str(band["min_score"])),
            name=band["name"],
            description=band["description"],
            colour=band["colour"],
        )
    for order, group in enumerate(data["target_groups"]):
        TargetGroup.objects.create(framework=framework, code=group["code"], name=group["name"], order=order)
    questions_by_code: dict[str, Question] = {}
    for d_order, d in enumerate(data["domains"]):
        domain = Domain.objects.create(
            framework=framework,
            code=d["code"],
            name=d["name"],
            description=d["description"],
            weight=Decimal(str(d["weight"])),
            order=d_order,
        )
        for i_order, i in enumerate(d["indicators"]):
            indicator = Indicator.objects.create(
                domain=domain,
                code=i["code"],
                name=i["name"],
                description=i["description"],
                guidance=i["guidance"],
                weight=Decimal(str(i["weight"])),
                evidence_required=i["evidence_required"],
                order=i_order,
            )
            for q_order, q in enumerate(i["questions"]):
                show_if = q["show_if"]
                question = Question.objects.create(
                    indicator=indicator,
                    code=q["code"],
                    text=q["text"],
                    help=q["help"],
                    type=q["type"],
                    weight=Decimal(str(q["weight"])),
                    required=q["required"],
                    allows_na=q["allows_na"],
                    scored=q["scored"],
                    show_if_question=questions_by_code[show_if["question"]] if show_if else None,
                    show_if_values=list(show_if["values"]) if show_if else [],
                    thresholds=[{"min": t["min"], "points": t["points"]} for t in q["thresholds"]],
                    unit_label=q["unit_label"],
                    numerator_label=q["numerator_label"],
                    denominator_label=q["denominator_label"],
                    metric=q["metric"],
                    target_groups=list(q["target_groups"]),
                    order=q_order,
                )
                questions_by_code[question.code] = question
                Option.objects.bulk_create(
                    [
                        Option(
                            question=question,
                            code=o["code"],
                            label=o["label"],
                            description=o["description"],
                            points=o["points"],
                            order=o_order,
                        )
                        for o_order, o in enumerate(q["options"])
                    ]
                )


@transaction.atomic
def framework_import(*, data: Any, publish: bool = False, dry_run: bool = False) -> Framework | None:
    """Create a framework (draft, or published) from an exchange-format document.

    Every problem is reported with its JSON path (``FrameworkRejected``) and nothing is written.
    """
    problems = validate_framework_spec(data)
    if not problems and Framework.objects.filter(code=data["code"], version=data["version"]).exists():
        problems.append(
            (
                "$.version",
                _("framework “%(code)s” version %(version)s already exists; give the file a new version")
                % {"code": data["code"], "version": data["version"]},
            )
        )
    if problems:
        raise FrameworkRejected(problems)
    if dry_run:
        return None
    framework = Framework.objects.create(
        code=data["code"],
        version=data["version"],
        kind=data["kind"],
        name=data["name"],
        description=data["description"],
    )
    _create_content(framework, data)
    if publish:
        framework = framework_publish(framework=framework)
    return framework


@transaction.atomic
def framework_publish(*, framework: Framework) -> Framework:
    """Validate the draft like an import would, then freeze it."""
    locked = Framework.objects.select_for_update().get(pk=framework.pk)
    if not locked.is_draft:
        raise ValidationError(
            _("Only a draft can be published; this version is already %(status)s.")
            % {"status": locked.get_status_display()}
        )
    problems = validate_framework_spec(framework_to_spec(locked))
    if problems:
        raise FrameworkRejected(problems)
    Framework.objects.filter(pk=locked.pk).update(status=Framework.Status.PUBLISHED, published_at=timezone.now())
    locked.refresh_from_db()
    record_history([locked], by=None, reason="published")
    return locked


@transaction.atomic
def framework_retire(*, framework: Framework) -> Framework:
    updated = Framework.objects.filter(pk=framework.pk, status=Framework.Status.PUBLISHED).update(
        status=Framework.Status.RETIRED
    )
    if not updated:
        raise ValidationError(_("Only a published framework can be retired."))
    framework.refresh_from_db()
    record_history([framework], by=None, reason="retired")
    return framework


@transaction.atomic
def framework_clone(*, framework: Framework) -> Framework:
    """A new draft with the next free version number and the same content."""
    data = framework_to_spec(framework)
    problems = validate_framework_spec(data)
    if problems:  # a draft may be half-edited; cloning copies only something that would publish
        raise FrameworkRejected(problems)
    next_version = (Framework.objects.filter(code=framework.code).aggregate(v=Max("version"))["v"] or 0) + 1
    clone = Framework.objects.create(
        code=data["code"], version=next_version, kind=data["kind"], name=data["name"], description=data["description"]
    )
    _create_content(clone, data)
    return clone


class FrameworkSheetRejected(FrameworkRejected):
    """The workbook has problems, each located by sheet, row and column; nothing was written."""

    def __init__(self, cells: list[sheets.CellProblem]):
        super().__init__([cell.as_problem() for cell in cells])
        self.cells = cells


def framework_to_xlsx(framework: Framework) -> bytes:
    """The framework as a workbook (docs/framework-format.md, “Spreadsheets”)."""
    return sheets.spec_to_xlsx(framework_to_spec(framework))


def framework_import_xlsx(*, file: IO[bytes] | bytes, publish: bool = False, dry_run: bool = False) -> Framework | None:
    """``framework_import`` of the document the workbook holds; problems come back located in the workbook."""
    data, read_problems, where = sheets.read_xlsx(file)
    if read_problems:
        # Report what the validator finds in the rest too, so one round of fixes is enough.
        rest = validate_framework_spec(data) if data else []
        raise FrameworkSheetRejected(sheets.located(rest, where, read_problems))
    try:
        return framework_import(data=data, publish=publish, dry_run=dry_run)
    except FrameworkRejected as exc:
        raise FrameworkSheetRejected(sheets.located(exc.problems, where, [])) from exc
