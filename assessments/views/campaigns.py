"""Campaign pages: list, create, detail with completion per child unit, open/close, extend, share."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from doanso.lib.http import AuthenticatedHttpRequest
from units.models import Unit
from units.permissions import can_view_unit, held_roles, is_admin, unit_get_for_user

from .. import services
from ..forms import CampaignForm, ExtendDeadlineForm
from ..models import Assignment, FrameworkKind
from ..permissions import assignment_get_for_user, campaign_get_for_user, can_manage_campaign
from ..selectors import campaign_completion, campaigns_for_user, member_links_for_user


def _can_create_campaigns(user: object) -> bool:
    return is_admin(user) or any(r.is_editor for r in held_roles(user))  # type: ignore[arg-type]


@login_required
def campaign_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    ctx = {"campaigns": campaigns_for_user(request.user)[:100], "can_create": _can_create_campaigns(request.user)}
    return render(request, "assessments/campaign_list.html", ctx)


@login_required
def campaign_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not _can_create_campaigns(request.user):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, _("Campaign created. Open it when you are ready: the expected units are fixed then.")
            )
            return redirect("assessments:campaign", pk=campaign.pk)
    return render(request, "assessments/campaign_form.html", {"form": form})


@login_required
def campaign_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_get_for_user(request.user, pk)
    code = request.GET.get("unit")
    if code:
        unit = unit_get_for_user(request.user, code)
        if not unit.path.startswith(campaign.scope_unit.path):
            raise Http404
    elif can_view_unit(request.user, campaign.scope_unit):
        unit = campaign.scope_unit
    else:  # a role inside the scope: start at the topmost unit of theirs in it
        paths = sorted(r.path for r in held_roles(request.user) if r.path.startswith(campaign.scope_unit.path))
        unit = Unit.objects.get(path=paths[0])
    own, rows = campaign_completion(campaign, unit)
    can_manage = can_manage_campaign(request.user, campaign)
    ctx = {
        "campaign": campaign,
        "unit": unit,
        "own": own,
        "rows": rows,
        "can_manage": can_manage,
        "is_member": campaign.framework.kind == FrameworkKind.MEMBER,
        "member_links": member_links_for_user(request.user, campaign)
        if campaign.framework.kind == FrameworkKind.MEMBER
        else [],
        "own_assignment": Assignment.objects.filter(campaign=campaign, unit=unit).first() if can_manage else None,
        "now": timezone.now(),
    }
    return render(request, "assessments/campaign_detail.html", ctx)


@login_required
@require_POST
def campaign_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_get_for_user(request.user, pk, action="manage")
    try:
        count = services.campaign_open(campaign=campaign)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Campaign opened for %(count)d units.") % {"count": count})
    return redirect("assessments:campaign", pk=pk)


@login_required
@require_POST
def campaign_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_get_for_user(request.user, pk, action="manage")
    try:
        services.campaign_close(campaign=campaign)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Campaign closed. Drafts are locked; you can still extend the deadline of one unit.")
        )
    return redirect("assessments:campaign", pk=pk)


@login_required
@require_POST
def assignment_extend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = assignment_get_for_user(request.user, pk, action="manage")
    form = ExtendDeadlineForm(request.POST)
    if form.is_valid():
        try:
            services.assignment_extend(assignment=assignment, deadline=form.cleaned_data["deadline"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(unit)s may answer until %(date)s.")
                % {
                    "unit": assignment.unit.name,
                    "date": timezone.localtime(assignment.deadline).strftime("%d/%m/%Y %H:%M"),
                },
            )
    else:
        messages.error(request, _("Give a valid date and time."))
    parent = Unit.objects.get_parent(assignment.unit)
    target = f"?unit={parent.code}" if parent and can_view_unit(request.user, parent) else ""
    return redirect(reverse("assessments:campaign", args=[assignment.campaign_id]) + target)


def member_survey_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("assessments:member_survey", args=[token]))


@login_required
def assignment_share(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The member-survey link and QR code of one unit, on a page made for printing."""
    assignment = assignment_get_for_user(request.user, pk, action="share")
    if assignment.campaign.framework.kind != FrameworkKind.MEMBER:
        raise Http404
    url = member_survey_url(request, assignment.member_token)
    qr_svg = segno.make(url, error="m").svg_inline(scale=6, border=2, dark="#0b2a55")
    ctx = {
        "assignment": assignment,
        "unit": assignment.unit,
        "campaign": assignment.campaign,
        "url": url,
        "qr_svg": qr_svg,
    }
    return render(request, "assessments/assignment_share.html", ctx)
