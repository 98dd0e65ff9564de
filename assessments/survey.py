"""The survey page's model: form values ⇄ answers, and what each input shows.

Form fields carry the question code as their ``name`` (``<code>__den`` for a ratio's denominator,
``<code>__na`` for “not applicable”), so the page, the API and tests speak the same language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, QueryDict

from .models import Answer, Domain, Evidence, Indicator, Question, Response
from .scoring.metrics import MetricValue
from .services import AnswerInput
from .services.responses import is_answered

T = Question.Type


def member_done_key(assignment: Any) -> str:
    """The session key that marks a member survey as sent from this browser (page and API alike)."""
    return f"member_survey_done_{assignment.pk}"


def _claim_key(session_key: str, assignment: Any) -> str:
    return f"member-survey-claim:{session_key}:{assignment.pk}"


def member_claim(request: HttpRequest, assignment: Any) -> bool:
    """May this browser send this survey now? Checked and claimed in one atomic step (the cache's
    ``add``), so that five sends at once from one session make one response, not five."""
    if request.session.get(member_done_key(assignment)):
        return False
    key = request.session.session_key
    return key is None or cache.add(_claim_key(key, assignment), 1, timeout=600)


def member_claim_release(request: HttpRequest, assignment: Any) -> None:
    """The send was refused (missing answers, closed): the browser may try again."""
    if request.session.session_key:
        cache.delete(_claim_key(request.session.session_key, assignment))


def answers_from_post(questions: list[Question], post: QueryDict) -> list[AnswerInput]:
    """One AnswerInput per answerable question of the posted section (absent radio = no answer)."""
    inputs: list[AnswerInput] = []
    for q in questions:
        if q.type in (T.METRIC, T.FILE):
            continue
        code = q.code
        na = post.get(f"{code}__na") == "1"
        value: Any
        if q.type == T.MULTI:
            value = post.getlist(code)
        elif q.type == T.RATIO:
            value = {"numerator": post.get(code, ""), "denominator": post.get(f"{code}__den", "")}
        else:
            values = post.getlist(code)
            if len(values) > 1:  # one answer sent twice: both go on, and the service refuses the pair
                inputs.extend(AnswerInput(question=code, value=v, na=na) for v in values)
                continue
            value = values[0] if values else ""
        inputs.append(AnswerInput(question=code, value=value, na=na))
    return inputs


def _plain(number: Decimal | None) -> str:
    if number is None:
        return ""
    return format(number.normalize(), "f") if number == number.to_integral_value() else format(number, "f")


@dataclass
class QuestionView:
    """What one question's inputs display: from the stored answer, or what the user just typed."""

    question: Question
    visible: bool
    chosen: list[str] = field(default_factory=list)  # option codes, or ["yes"] / ["no"]
    value: str = ""
    denominator: str = ""
    is_na: bool = False
    errors: list[str] = field(default_factory=list)
    metric: MetricValue | None = None  # metric questions: the value computed from records

    @property
    def show_if_code(self) -> str:
        source = self.question.show_if_question
        return source.code if source is not None else ""


def question_view(
    question: Question, answer: Answer | None, visible: bool, posted: QueryDict | None = None
) -> QuestionView:
    view = QuestionView(question=question, visible=visible)
    code = question.code
    if posted is not None:  # redisplay exactly what was typed (nothing is lost on an error)
        view.is_na = posted.get(f"{code}__na") == "1"
        view.chosen = posted.getlist(code) if question.type in (T.MULTI, T.LEVEL, T.CHOICE, T.YES_NO) else []
        view.value = posted.get(code, "")
        view.denominator = posted.get(f"{code}__den", "")
        return view
    if answer is None:
        return view
    view.is_na = answer.is_na
    if question.type in (T.LEVEL, T.CHOICE) and answer.option is not None:
        view.chosen = [answer.option.code]
    elif question.type == T.MULTI:
        view.chosen = [o.code for o in answer.options.all()]
    elif question.type == T.YES_NO and answer.value_bool is not None:
        view.chosen = ["yes" if answer.value_bool else "no"]
    view.value = answer.value_text if question.type == T.TEXT else _plain(answer.value_number)
    view.denominator = _plain(answer.value_denominator)
    return view


@dataclass
class IndicatorView:
    indicator: Indicator
    questions: list[QuestionView]
    evidence: list[Evidence]

    @property
    def takes_evidence(self) -> bool:
        return self.indicator.evidence_required or any(q.question.type == T.FILE for q in self.questions)

    @property
    def file_questions(self) -> list[Question]:
        return [q.question for q in self.questions if q.question.type == T.FILE and q.visible]


@dataclass
class SectionView:
    domain: Domain
    indicators: list[IndicatorView]
    required: int = 0
    answered: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.required) if self.required else 100

    @property
    def evidence_indicators(self) -> list[IndicatorView]:
        return [i for i in self.indicators if i.takes_evidence]


def build_sections(
    response: Response | None,
    questions: list[Question],
    answers: dict[int, Answer],
    visible: dict[int, bool],
    evidence: list[Evidence],
    *,
    posted: QueryDict | None = None,
    posted_codes: set[str] | None = None,
    errors: dict[str, list[str]] | None = None,
    metrics: dict[str, MetricValue] | None = None,
) -> list[SectionView]:
    """The survey by domain and indicator with progress per section. ``posted`` values replace
    the stored ones for the questions in ``posted_codes`` (the section the user just sent)."""
    errors = errors or {}
    with_files = {e.question_id for e in evidence if e.question_id}
    sections: dict[int, SectionView] = {}
    indicators: dict[int, IndicatorView] = {}
    for q in questions:
        domain = q.indicator.domain
        section = sections.setdefault(domain.pk, SectionView(domain=domain, indicators=[]))
        if q.indicator_id not in indicators:
            item = IndicatorView(
                indicator=q.indicator, questions=[], evidence=[e for e in evidence if e.indicator_id == q.indicator_id]
            )
            indicators[q.indicator_id] = item
            section.indicators.append(item)
        use_posted = posted if posted_codes and q.code in posted_codes else None
        view = question_view(q, answers.get(q.pk), visible[q.pk], use_posted)
        view.errors = errors.get(q.code, [])
        if q.type == T.METRIC and metrics is not None:
            view.metric = metrics.get(q.metric)
        indicators[q.indicator_id].questions.append(view)
        if q.required and visible[q.pk] and q.type != T.METRIC:
            section.required += 1
            section.answered += is_answered(q, answers.get(q.pk), with_files)
    return list(sections.values())
