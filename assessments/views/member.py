"""The anonymous member survey, opened by link or QR code on a phone, without an account."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from doanso.lib.http import ratelimit_key

from .. import services
from ..answers import shown
from ..models import Assignment, FrameworkKind, Question
from ..survey import answers_from_post, build_sections, member_claim, member_claim_release, member_done_key


def _context(
    assignment: Assignment, *, posted: QueryDict | None = None, errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    framework = assignment.campaign.framework
    questions = services.framework_questions(framework.pk)
    target_group = posted.get("target_group", "") if posted is not None else ""
    chosen: dict[int, Any] = {}
    if posted is not None:
        for q in questions:
            if (q.has_options or q.type == Question.Type.YES_NO) and posted.getlist(q.code):
                chosen[q.pk] = posted.getlist(q.code)
    visible: dict[int, bool] = {}
    for q in questions:
        # Group-specific questions appear once the member has said who they are.
        visible[q.pk] = shown(q, chosen, visible, target_group) and (bool(target_group) or not q.target_groups)
    codes = {q.code for q in questions} if posted is not None else None
    sections = build_sections(None, questions, {}, visible, [], posted=posted, posted_codes=codes, errors=errors)
    return {
        "assignment": assignment,
        "unit": assignment.unit,
        "campaign": assignment.campaign,
        "framework": framework,
        "target_groups": list(framework.target_groups.all()),
        "chosen_group": target_group,
        "sections": sections,
        "errors": errors or {},
    }


@never_cache
@require_http_methods(["GET", "POST"])
def member_survey(request: HttpRequest, token: str) -> HttpResponse:
    assignment = (
        Assignment.objects.select_related("unit", "campaign__framework")
        .filter(member_token=token, campaign__framework__kind=FrameworkKind.MEMBER)
        .first()
    )
    if assignment is None:
        raise Http404
    if request.session.get(member_done_key(assignment)):
        return render(request, "assessments/member_done.html", {"unit": assignment.unit, "already": True})
    if not assignment.accepts_answers():
        return render(
            request, "assessments/member_closed.html", {"unit": assignment.unit, "campaign": assignment.campaign}
        )
    if request.method == "GET":
        return render(request, "assessments/member_survey.html", _context(assignment))

    if is_ratelimited(
        request,
        group="member-survey",
        key=ratelimit_key,
        rate=settings.MEMBER_SURVEY_RATE,
        method="POST",
        increment=True,
    ):
        return render(request, "assessments/member_throttled.html", {"unit": assignment.unit}, status=429)
    if not member_claim(request, assignment):  # the same browser, sending at the same moment
        return render(request, "assessments/member_done.html", {"unit": assignment.unit, "already": True})
    questions = services.framework_questions(assignment.campaign.framework_id)
    try:
        services.member_response_submit(
            assignment=assignment,
            target_group=request.POST.get("target_group", ""),
            answers=answers_from_post(questions, request.POST),
        )
    except services.NotEditable:
        member_claim_release(request, assignment)
        return render(
            request, "assessments/member_closed.html", {"unit": assignment.unit, "campaign": assignment.campaign}
        )
    except ValidationError as exc:
        member_claim_release(request, assignment)
        ctx = _context(assignment, posted=request.POST, errors=exc.message_dict)
        ctx["problem"] = _("Some answers are missing or not valid; they are marked below.")
        return render(request, "assessments/member_survey.html", ctx, status=422)
    request.session[member_done_key(assignment)] = True
    return redirect("assessments:member_done", token=token)


@never_cache
def member_done(request: HttpRequest, token: str) -> HttpResponse:
    assignment = Assignment.objects.select_related("unit").filter(member_token=token).first()
    if assignment is None:
        raise Http404
    return render(request, "assessments/member_done.html", {"unit": assignment.unit, "already": False})
