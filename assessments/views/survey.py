"""The unit survey: fill (autosave + explicit save), submit, review, evidence."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from doanso.lib.http import AuthenticatedHttpRequest, parse_id
from units.permissions import can_edit_unit_data, can_review_unit

from .. import services
from ..forms import EvidenceForm, ReviewForm, evidence_download_name
from ..models import Indicator, Question, Response
from ..permissions import evidence_get_for_user, response_get_for_user
from ..scoring.metrics import unit_metric_values
from ..selectors import answer_history, response_evidence
from ..survey import answers_from_post, build_sections

S = Response.Status


def _survey_context(
    request: AuthenticatedHttpRequest,
    response: Response,
    *,
    section_code: str | None,
    posted: QueryDict | None = None,
    posted_codes: set[str] | None = None,
    errors: dict[str, list[str]] | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    assignment = response.assignment
    campaign = assignment.campaign
    questions = services.framework_questions(campaign.framework_id)
    answers = services.response_answers(response)
    visible = services.visibility(questions, answers, response.target_group)
    metrics = unit_metric_values(assignment.unit, campaign.period_start, campaign.period_end)
    sections = build_sections(
        response,
        questions,
        answers,
        visible,
        response_evidence(response),
        posted=posted,
        posted_codes=posted_codes,
        errors=errors,
        metrics=metrics,
    )
    if not sections:
        raise Http404
    index = next((i for i, s in enumerate(sections) if s.domain.code == section_code), 0)
    required = sum(s.required for s in sections)
    answered = sum(s.answered for s in sections)
    can_edit = (
        can_edit_unit_data(request.user, assignment.unit)
        and response.is_editable_status
        and assignment.accepts_answers()
    )
    return {
        "response": response,
        "assignment": assignment,
        "campaign": campaign,
        "unit": assignment.unit,
        "sections": sections,
        "section": sections[index],
        "previous_section": sections[index - 1] if index > 0 else None,
        "next_section": sections[index + 1] if index + 1 < len(sections) else None,
        "progress": round(100 * answered / required) if required else 100,
        "answered": answered,
        "required": required,
        "can_edit": can_edit,
        "can_review": response.status == S.SUBMITTED and can_review_unit(request.user, assignment.unit),
        "transitions": response.transitions.select_related("by").order_by("at", "pk"),
        # The answers' audit trail: for reviewers (an editor role above the unit) and admins.
        "answer_history": answer_history(response) if can_review_unit(request.user, assignment.unit) else None,
        "last_return": response.transitions.filter(to_status=S.RETURNED).order_by("-at", "-pk").first()
        if response.status == S.RETURNED
        else None,
        "version": response.version if version is None else version,
        "deadline": assignment.effective_deadline,
    }


@login_required
def response_survey(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    response = response_get_for_user(request.user, pk)
    ctx = _survey_context(request, response, section_code=request.GET.get("section"))
    return render(request, "assessments/response_survey.html", ctx)


@login_required
@require_POST
def response_save_section(request: AuthenticatedHttpRequest, pk: int, section: str) -> HttpResponse:
    """Save one section. Used by htmx autosave (answers with a status fragment) and by the
    explicit "Save" button (redirects). A stale version answers 409 and keeps what was typed."""
    response = response_get_for_user(request.user, pk, action="edit")
    questions = [
        q
        for q in services.framework_questions(response.assignment.campaign.framework_id)
        if q.indicator.domain.code == section
    ]
    if not questions:
        raise Http404
    version = _posted_version(request)
    status, errors, message = 200, {}, ""
    try:
        response = services.response_save_answers(
            response=response, version=version, answers=answers_from_post(questions, request.POST), by=request.user
        )
    except services.VersionConflict as exc:
        status = 409
        message = _(
            "Someone saved this survey on another device or tab in the meantime. Your last changes on this page "
            "are NOT saved yet: note them, reload the page to see the latest answers, and enter them again."
        )
        version = exc.current_version
    except services.NotEditable as exc:
        status, message = 409, " ".join(exc.messages)
    except ValidationError as exc:
        status = 422
        errors = exc.message_dict
        message = _("Some answers could not be saved; see the messages under the questions.")
    if request.htmx:
        ctx = {"status": status, "message": message, "errors": errors, "questions": questions, "response": response}
        return render(request, "assessments/partials/save_status.html", ctx, status=status)
    if status == 200:
        messages.success(request, _("Saved."))
        target = request.POST.get("go") or section
        return redirect(f"{reverse('assessments:response', args=[response.pk])}?section={target}")
    ctx = _survey_context(
        request,
        response,
        section_code=section,
        posted=request.POST,
        posted_codes={q.code for q in questions},
        errors=errors,
        version=response.version if status != 409 else version,
    )
    ctx["save_problem"] = message
    return render(request, "assessments/response_survey.html", ctx, status=status)


@login_required
def response_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: what is still missing; POST: submit (only when nothing required is missing)."""
    response = response_get_for_user(request.user, pk, action="edit" if request.method == "POST" else "view")
    if request.method == "POST":
        try:
            services.response_submit(response=response, by=request.user, version=_posted_version(request))
        except services.VersionConflict:
            messages.error(
                request, _("The survey changed since you opened this page; check it again before submitting.")
            )
        except services.NotEditable as exc:
            messages.error(request, " ".join(exc.messages))
        except ValidationError:
            messages.error(request, _("Some required questions are not answered yet."))
        else:
            messages.success(request, _("Submitted. Your reviewers have been notified; the survey is now read-only."))
            return redirect("assessments:response", pk=response.pk)
    questions = services.framework_questions(response.assignment.campaign.framework_id)
    missing = services.response_missing(response, questions)
    evidence = response_evidence(response)
    with_evidence = {e.indicator_id for e in evidence}
    answers = services.response_answers(response)
    unproven = sorted(
        {
            q.indicator
            for q in questions
            if q.indicator.evidence_required
            and q.pk in answers
            and not answers[q.pk].is_na
            and q.indicator_id not in with_evidence
        },
        key=lambda i: (i.domain.order, i.order),
    )
    ctx = {
        "response": response,
        "unit": response.assignment.unit,
        "campaign": response.assignment.campaign,
        "missing": missing,
        "unproven": unproven,
        "can_edit": can_edit_unit_data(request.user, response.assignment.unit) and response.is_editable_status,
    }
    return render(request, "assessments/response_submit.html", ctx, status=200 if request.method == "GET" else 422)


@login_required
@require_POST
def response_review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    response = response_get_for_user(request.user, pk, action="review")
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or return."))
        return redirect("assessments:response", pk=pk)
    try:
        if form.cleaned_data["decision"] == "approve":
            services.response_approve(response=response, by=request.user, comment=form.cleaned_data["comment"])
            messages.success(request, _("Approved."))
        else:
            services.response_return(response=response, by=request.user, comment=form.cleaned_data["comment"])
            messages.success(request, _("Returned to the unit with your comment; its secretary has been e-mailed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("assessments:response", pk=pk)


@login_required
@require_POST
def evidence_add(request: AuthenticatedHttpRequest, pk: int, indicator: str) -> HttpResponse:
    response = response_get_for_user(request.user, pk, action="edit")
    framework_id = response.assignment.campaign.framework_id
    target = (
        Indicator.objects.filter(domain__framework_id=framework_id, code=indicator).select_related("domain").first()
    )
    if target is None:
        raise Http404
    question = None
    if request.POST.get("question"):
        question = Question.objects.filter(
            framework_id=framework_id, code=request.POST["question"], indicator=target
        ).first()
        if question is None:
            raise Http404
    form = EvidenceForm(request.POST, request.FILES)
    back = f"{reverse('assessments:response', args=[pk])}?section={target.domain.code}#evidence-{target.code}"
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for errors in form.errors.values() for m in errors))
        return redirect(back)
    try:
        services.evidence_add(
            response=response,
            indicator=target,
            question=question,
            by=request.user,
            file=form.cleaned_data.get("file"),
            content_type=form.cleaned_data.get("content_type", ""),
            url=form.cleaned_data.get("url") or "",
            note=form.cleaned_data.get("note") or "",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Evidence attached."))
    return redirect(back)


def _posted_version(request: AuthenticatedHttpRequest) -> int:
    posted = parse_id(request.POST.get("version"))
    return -1 if posted is None else posted  # 0 is a real version; anything unreadable conflicts


@login_required
def evidence_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    evidence = evidence_get_for_user(request.user, pk)
    if not evidence.file:
        raise Http404  # a link is shown as a link; only files are downloaded here
    handle = evidence.file.open("rb")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=evidence_download_name(evidence.original_name, evidence.content_type),
        content_type=evidence.content_type or "application/octet-stream",
    )


@login_required
@require_POST
def evidence_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    evidence = evidence_get_for_user(request.user, pk, action="edit")
    response = evidence.response
    section = evidence.indicator.domain.code
    try:
        services.evidence_delete(evidence=evidence)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Evidence removed."))
    return redirect(f"{reverse('assessments:response', args=[response.pk])}?section={section}")
