"""Response services: save answers (optimistic locking), submit, return, approve, evidence,
and the anonymous member submission."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from doanso.lib.history import delete_with_history, record_history
from doanso.lib.tasks import enqueue_on_commit

from ..answers import ParsedAnswer, answer_score, comparable_value, parse_value, shown
from ..models import (
    Answer,
    Assignment,
    Evidence,
    Framework,
    FrameworkKind,
    Indicator,
    Option,
    Question,
    Response,
    ResponseTransition,
)
from ..scoring.services import scores_mark_stale

if TYPE_CHECKING:
    from accounts.models import User

S = Response.Status


class VersionConflict(Exception):
    """The response was saved by someone else since the caller loaded it (HTTP 409)."""

    def __init__(self, current_version: int):
        super().__init__(
            _("This survey was saved elsewhere in the meantime (now version %(v)d).") % {"v": current_version}
        )
        self.current_version = current_version


class NotEditable(ValidationError):
    """The response cannot be changed now (submitted, approved, or past its deadline)."""


@dataclass(frozen=True)
class AnswerInput:
    question: str  # question code
    value: Any = None
    na: bool = False


# --- Reading a response's questions -------------------------------------------------------------


_PUBLISHED_QUESTIONS: dict[tuple[int, str], list[Question]] = {}


def framework_questions(framework_id: int) -> list[Question]:
    """All questions of a framework in survey order, with options and show_if sources.

    A published framework never changes, so its questions are read once per process (keyed by
    id and publication time, which differ for every framework ever published); drafts are read
    every time (2 queries).
    """
    published_at = (
        Framework.objects.filter(pk=framework_id, status__in=["published", "retired"])
        .values_list("published_at", flat=True)
        .first()
    )
    key = (framework_id, published_at.isoformat() if published_at else "")
    if published_at and key in _PUBLISHED_QUESTIONS:
        return list(_PUBLISHED_QUESTIONS[key])
    questions = list(
        Question.objects.filter(framework_id=framework_id)
        .select_related("indicator", "indicator__domain", "show_if_question")
        .prefetch_related(Prefetch("options", queryset=Option.objects.order_by("order", "pk")))
        .order_by("indicator__domain__order", "indicator__order", "order", "pk")
    )
    if published_at:
        _PUBLISHED_QUESTIONS[key] = questions
    return list(questions)


def response_answers(response: Response) -> dict[int, Answer]:
    """Stored answers by question id, with what scoring and display need (2 queries)."""
    answers = Answer.objects.filter(response=response).select_related("question", "option").prefetch_related("options")
    return {a.question_id: a for a in answers}


def visibility(questions: list[Question], answers: dict[int, Answer], target_group: str = "") -> dict[int, bool]:
    """Which questions are shown, in order, following show_if chains and target groups."""
    values = {qid: comparable_value(a) for qid, a in answers.items()}
    visible: dict[int, bool] = {}
    for question in questions:
        visible[question.pk] = shown(question, values, visible, target_group)
    return visible


def is_answered(question: Question, answer: Answer | None, evidence_question_ids: set[int]) -> bool:
    if question.type == Question.Type.FILE:
        return question.pk in evidence_question_ids
    if answer is None:
        return False
    if answer.is_na:
        return True
    qtype = question.type
    if qtype in (Question.Type.LEVEL, Question.Type.CHOICE):
        return answer.option_id is not None
    if qtype == Question.Type.MULTI:
        return bool(answer.options.all())
    if qtype == Question.Type.YES_NO:
        return answer.value_bool is not None
    if qtype == Question.Type.TEXT:
        return bool(answer.value_text)
    return answer.value_number is not None


def response_missing(response: Response, questions: list[Question] | None = None) -> list[Question]:
    """Required, visible questions still without an answer (what blocks submitting)."""
    questions = questions if questions is not None else framework_questions(response.assignment.campaign.framework_id)
    answers = response_answers(response)
    visible = visibility(questions, answers, response.target_group)
    with_files = set(
        Evidence.objects.filter(response=response, question__isnull=False).values_list("question_id", flat=True)
    )
    return [
        q
        for q in questions
        if q.required
        and visible[q.pk]
        and q.type != Question.Type.METRIC
        and not is_answered(q, answers.get(q.pk), with_files)
    ]


# --- Writing answers ----------------------------------------------------------------------------


def _parse_all(questions: dict[str, Question], inputs: Iterable[AnswerInput]) -> list[ParsedAnswer]:
    parsed, errors = _parse_collect(questions, inputs)
    if errors:
        raise ValidationError(errors)
    return parsed


def _parse_collect(
    questions: dict[str, Question], inputs: Iterable[AnswerInput]
) -> tuple[list[ParsedAnswer], dict[str, list[str]]]:
    """Parse every input; return the valid ones and the problems by question code."""
    errors: dict[str, list[str]] = {}
    parsed: list[ParsedAnswer] = []
    seen: set[str] = set()
    for item in inputs:
        if item.question in seen:  # which of the two would count? Neither is guessed.
            errors.setdefault(item.question, []).append(_("This question is answered twice in the same request."))
            continue
        seen.add(item.question)
        question = questions.get(item.question)
        if question is None:
            errors.setdefault(item.question, []).append(_("There is no question with this code in the survey."))
            continue
        try:
            parsed.append(
                parse_value(question, item.value, na=item.na, options={o.code: o for o in question.options.all()})
            )
        except ValidationError as exc:
            errors.setdefault(item.question, []).extend(exc.messages)
    return parsed, errors


ANSWER_VALUE_FIELDS = [
    "is_na",
    "option",
    "value_bool",
    "value_number",
    "value_denominator",
    "value_text",
    "options_text",
    "score",
]


def _answer_value(answer: Answer) -> tuple[Any, ...]:
    """What an answer says (a multi-choice answer's options are in ``options_text``)."""
    return (
        answer.is_na,
        answer.option_id,
        answer.value_bool,
        answer.value_number,
        answer.value_denominator,
        answer.value_text,
        answer.options_text,
    )


def _write_answers(response: Response, parsed: list[ParsedAnswer], *, by: User | None, audit: bool = True) -> None:
    """Insert, update or delete answers in bulk. The score of an answer depends only on the answer
    and its (immutable) question, so it is stored here; ``is_hidden`` is refreshed afterwards.
    With ``audit`` each inserted, changed or removed answer gets its history row, with ``by``."""
    existing = {
        a.question_id: a for a in Answer.objects.filter(response=response, question__in=[p.question for p in parsed])
    }
    new: list[Answer] = []
    changed: list[Answer] = []
    gone: list[int] = []
    multi: list[tuple[Answer, list[Option]]] = []
    for p in parsed:
        answer = existing.get(p.question.pk)
        if p.empty:
            if answer is not None:
                gone.append(answer.pk)
            continue
        fresh = answer is None
        if fresh:
            answer = Answer(response=response, question=p.question)
        assert answer is not None
        before = _answer_value(answer)
        answer.is_na = p.is_na
        answer.option = p.option
        answer.value_bool = p.value_bool
        answer.value_number = p.value_number
        answer.value_denominator = p.value_denominator
        answer.value_text = p.value_text
        answer.options_text = ", ".join(o.code for o in sorted(p.options, key=lambda o: (o.order, o.pk)))[:500]
        answer.score = answer_score(
            p.question,
            is_na=p.is_na,
            option_points=p.option.points if p.option else None,
            options_points=[o.points for o in p.options],
            value_bool=p.value_bool,
            value_number=p.value_number,
            value_denominator=p.value_denominator,
        )
        if not fresh and _answer_value(answer) == before:
            continue  # autosave sends the whole section: what did not change is neither written nor audited
        (new if fresh else changed).append(answer)
        if p.question.type == Question.Type.MULTI:
            multi.append((answer, p.options))
    if gone:
        if audit:
            delete_with_history(list(Answer.objects.filter(pk__in=gone)), by=by)
        else:
            Answer.objects.filter(pk__in=gone).delete()
    Answer.objects.bulk_create(new)
    Answer.objects.bulk_update(changed, ANSWER_VALUE_FIELDS)
    for answer, options in multi:
        answer.options.set(options)
    if audit:
        record_history(new, by=by, created=True)
        record_history(changed, by=by)


def response_refresh_derived(response: Response, questions: list[Question] | None = None) -> None:
    """Recompute ``is_hidden`` (show_if chains and target groups) for the whole response."""
    questions = questions if questions is not None else framework_questions(response.assignment.campaign.framework_id)
    answers = response_answers(response)
    visible = visibility(questions, answers, response.target_group)
    changed = []
    for question in questions:
        answer = answers.get(question.pk)
        if answer is not None and answer.is_hidden == visible[question.pk]:
            answer.is_hidden = not visible[question.pk]
            changed.append(answer)
    Answer.objects.bulk_update(changed, ["is_hidden"])


def check_editable(response: Response) -> None:
    if response.kind != FrameworkKind.UNIT:
        raise NotEditable(_("Member responses cannot be changed."))
    if not response.is_editable_status:
        raise NotEditable(_("This survey has been submitted and can no longer be changed."))
    if not response.assignment.accepts_answers():
        raise NotEditable(_("The deadline of this survey has passed."))


@transaction.atomic
def response_save_answers(
    *, response: Response, version: int, answers: Iterable[AnswerInput], by: User | None
) -> Response:
    """Save some answers. ``version`` is the one the caller loaded: a stale one raises
    ``VersionConflict`` and nothing is written; invalid values raise ``ValidationError``
    (``{question code: [messages]}``) and nothing is written either."""
    response = Response.objects.select_related("assignment__campaign__framework", "assignment__unit").get(
        pk=response.pk
    )
    check_editable(response)
    questions = framework_questions(response.assignment.campaign.framework_id)
    parsed = _parse_all({q.code: q for q in questions}, answers)
    # Compare-and-swap on the version: of two saves made from the same version, one wins.
    won = Response.objects.filter(pk=response.pk, version=version, status__in=Response.EDITABLE).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    if not won:
        raise VersionConflict(Response.objects.values_list("version", flat=True).get(pk=response.pk))
    _write_answers(response, parsed, by=by)
    response_refresh_derived(response, questions)
    response.refresh_from_db()
    return response


# --- Status transitions -------------------------------------------------------------------------


def _transition(
    response: Response, *, to: str, allowed_from: Iterable[str], by: User | None, comment: str = "", **fields: Any
) -> Response:
    current = response.status
    updated = Response.objects.filter(pk=response.pk, status__in=list(allowed_from), version=response.version).update(
        status=to, version=F("version") + 1, updated_at=timezone.now(), **fields
    )
    if not updated:
        fresh = Response.objects.get(pk=response.pk)
        if fresh.version != response.version:
            raise VersionConflict(fresh.version)
        raise ValidationError(
            _("This survey is %(status)s; that action is not possible now.") % {"status": fresh.get_status_display()}
        )
    ResponseTransition.objects.create(response=response, from_status=current, to_status=to, by=by, comment=comment)
    response.refresh_from_db()
    record_history([response], by=by, reason=comment)
    scores_mark_stale(campaign_id=response.assignment.campaign_id, response_id=response.pk)
    return response


@transaction.atomic
def response_submit(*, response: Response, by: User | None, version: int | None = None) -> Response:
    response = Response.objects.select_related("assignment__campaign").get(pk=response.pk)
    if version is not None and version != response.version:
        raise VersionConflict(response.version)
    check_editable(response)
    missing = response_missing(response)
    if missing:
        raise ValidationError(
            {q.code: [_("This question must be answered before submitting.")] for q in missing},
        )
    return _transition(response, to=S.SUBMITTED, allowed_from=Response.EDITABLE, by=by, submitted_at=timezone.now())


@transaction.atomic
def response_return(*, response: Response, by: User | None, comment: str) -> Response:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": [_("Say what needs to be corrected.")]})
    response = Response.objects.get(pk=response.pk)
    response = _transition(response, to=S.RETURNED, allowed_from=[S.SUBMITTED], by=by, comment=comment)
    from ..tasks import send_returned_email

    enqueue_on_commit(send_returned_email, response.pk)
    return response


@transaction.atomic
def response_approve(*, response: Response, by: User | None, comment: str = "") -> Response:
    response = Response.objects.get(pk=response.pk)
    return _transition(response, to=S.APPROVED, allowed_from=[S.SUBMITTED], by=by, comment=(comment or "").strip())


# --- Evidence -----------------------------------------------------------------------------------


@transaction.atomic
def evidence_add(
    *,
    response: Response,
    indicator: Indicator,
    by: User | None,
    file: UploadedFile | None = None,
    content_type: str = "",
    url: str = "",
    note: str = "",
    question: Question | None = None,
) -> Evidence:
    """Attach a file (already checked by the form) or a link to an indicator of the response."""
    response = Response.objects.select_related("assignment__campaign").get(pk=response.pk)
    check_editable(response)
    if indicator.domain.framework_id != response.assignment.campaign.framework_id:
        raise ValidationError(_("This indicator is not part of the survey."))
    if question is not None and (question.indicator_id != indicator.pk or question.type != Question.Type.FILE):
        raise ValidationError(_("This question does not take a file."))
    if bool(file) == bool(url):
        raise ValidationError(_("Attach either a file or a link."))
    evidence = Evidence(
        response=response, indicator=indicator, question=question, url=url, note=note[:255], uploaded_by=by
    )
    if file:
        evidence.original_name = (file.name or "")[:255]
        evidence.size = file.size or 0
        evidence.content_type = content_type
        evidence.file.save(file.name or "upload", file, save=False)
    evidence.save()
    return evidence


@transaction.atomic
def evidence_delete(*, evidence: Evidence) -> None:
    check_editable(Response.objects.select_related("assignment__campaign").get(pk=evidence.response_id))
    stored = evidence.file.name if evidence.file else ""
    storage = evidence.file.storage if evidence.file else None
    evidence.delete()
    if stored and storage is not None:
        transaction.on_commit(lambda: storage.delete(stored))


# --- Member survey ------------------------------------------------------------------------------


@transaction.atomic
def member_response_submit(*, assignment: Assignment, target_group: str, answers: Iterable[AnswerInput]) -> Response:
    """An anonymous member's complete survey, validated as a whole and stored as submitted."""
    assignment = Assignment.objects.select_related("campaign__framework").get(pk=assignment.pk)
    framework = assignment.campaign.framework
    if framework.kind != FrameworkKind.MEMBER:
        raise ValidationError(_("This link is not a member survey."))
    if not assignment.accepts_answers():
        raise NotEditable(_("This survey is closed."))
    if not framework.target_groups.filter(code=target_group).exists():
        raise ValidationError({"target_group": [_("Choose who you are.")]})
    questions = framework_questions(framework.pk)
    by_code = {q.code: q for q in questions}
    parsed, errors = _parse_collect(by_code, answers)
    parsed = [p for p in parsed if not p.empty]
    # Completeness, with show_if and target groups decided on these very answers.
    chosen: dict[int, Any] = {}
    for p in parsed:
        if p.is_na:
            continue
        if p.option is not None:
            chosen[p.question.pk] = p.option.code
        elif p.options:
            chosen[p.question.pk] = [o.code for o in p.options]
        elif p.value_bool is not None:
            chosen[p.question.pk] = "yes" if p.value_bool else "no"
    visible: dict[int, bool] = {}
    for q in questions:
        visible[q.pk] = shown(q, chosen, visible, target_group)
    answered = {p.question.pk for p in parsed}
    for q in questions:
        if (
            q.required
            and visible[q.pk]
            and q.type not in (Question.Type.METRIC, Question.Type.FILE)
            and q.pk not in answered
        ):
            errors.setdefault(q.code, [_("Please answer this question.")])
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    response = Response(
        assignment=assignment,
        kind=FrameworkKind.MEMBER,
        status=S.SUBMITTED,
        version=1,
        target_group=target_group,
        submitted_at=now,
    )
    response.skip_history_when_saving = True  # type: ignore[attr-defined]  # anonymous, never changed
    response.save()
    _write_answers(response, [p for p in parsed if visible[p.question.pk]], by=None, audit=False)
    response_refresh_derived(response, questions)
    ResponseTransition.objects.create(response=response, from_status=S.DRAFT, to_status=S.SUBMITTED, by=None, at=now)
    scores_mark_stale(campaign_id=assignment.campaign_id, response_id=response.pk)
    return response
