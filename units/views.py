from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.invitations import invitation_send, invitation_url
from doanso.lib.tabular import TabularError, read_table
from doanso.lib.uploads import discard_upload, load_upload, stash_upload

from . import selectors
from .exports import holders_response
from .forms import HandoverForm, RoleFilterForm, UnitImportForm, UnitSearchForm
from .importing import COLUMNS, ImportPlan, plan_unit_import
from .models import Unit
from .permissions import (
    can_import_units,
    can_invite,
    can_manage_unit,
    can_review_unit,
    can_view_unit,
    unit_get_for_user,
    unitrole_get_for_user,
)
from .services import ImportRejected, unit_secretary_handover, unitrole_end, units_import

CHILDREN_PAGE_SIZE = 50
IMPORT_KIND = "units"


@login_required
def unit_tree(request: HttpRequest) -> HttpResponse:
    form = UnitSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    found = selectors.unit_search(request.user, query) if query else []
    crumbs = selectors.unit_breadcrumbs(found)
    ctx = {
        "form": form,
        "query": query,
        "results": [{"unit": unit, "crumbs": crumbs[unit.pk]} for unit in found],
        "roots": [] if query else list(selectors.unit_tree_roots(request.user).order_by("name")),
        "search_limit": selectors.SEARCH_LIMIT,
    }
    return render(request, "units/unit_tree.html", ctx)


@login_required
def unit_children(request: HttpRequest, code: str) -> HttpResponse:
    """The children of one unit as a tree fragment (loaded by htmx when a node is expanded)."""
    unit = unit_get_for_user(request.user, code)
    children = list(selectors.unit_children(unit)[: CHILDREN_PAGE_SIZE + 1])
    ctx = {"unit": unit, "children": children[:CHILDREN_PAGE_SIZE], "truncated": len(children) > CHILDREN_PAGE_SIZE}
    return render(request, "units/partials/tree_children.html", ctx)


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = unit_get_for_user(request.user, code)
    children = Paginator(selectors.unit_children(unit), CHILDREN_PAGE_SIZE).get_page(request.GET.get("page"))
    ancestors = list(selectors.unit_ancestors(unit))
    # A branch secretary sees the names of the unions above them, but only visible ones are links.
    visible_ancestor_ids = {a.pk for a in ancestors if can_view_unit(request.user, a)}
    can_manage = can_manage_unit(request.user, unit)
    roles = list(selectors.unit_roles(unit))
    ctx = {
        "unit": unit,
        "ancestors": ancestors,
        "visible_ancestor_ids": visible_ancestor_ids,
        "roles": roles,
        "past_roles": selectors.unit_past_roles(unit),
        "invitable": {r.pk for r in roles if can_manage and can_invite(request.user, r.user)},
        "handover_form": HandoverForm() if can_manage and unit.is_active else None,
        "children": children,
        "can_manage": can_manage,
        "merged_into": unit.merged_into if unit.merged_into_id else None,
        # The audit trail of the unit and its roles: for reviewers (editors above it) and admins.
        "history": selectors.unit_history(unit) if can_review_unit(request.user, unit) else None,
    }
    return render(request, "units/unit_detail.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def unit_import(request: HttpRequest) -> HttpResponse:
    """Upload → validate the whole file → show every problem, or a preview to confirm."""
    if not can_import_units(request.user):
        raise PermissionDenied
    form = UnitImportForm(request.POST or None, request.FILES or None)
    ctx: dict[str, object] = {"form": form, "columns": COLUMNS}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"]
        try:
            plan = plan_unit_import(read_table(data))
        except TabularError as exc:
            form.add_error("file", str(exc))
        else:
            ctx["plan"] = plan
            if plan.is_valid:
                ctx["token"] = stash_upload(request, IMPORT_KIND, data)
                ctx["filename"] = getattr(request.FILES.get("file"), "name", "")
    return render(request, "units/unit_import.html", ctx)


@login_required
@require_POST
def unit_import_confirm(request: HttpRequest) -> HttpResponse:
    if not can_import_units(request.user):
        raise PermissionDenied
    data = load_upload(request, IMPORT_KIND, request.POST.get("token", ""))
    if data is None:
        messages.error(request, _("That upload is no longer available. Please upload the file again."))
        return redirect("units:import")
    discard_upload(request, IMPORT_KIND)
    table = read_table(data)  # it was read successfully for the preview
    try:
        plan = units_import(table=table)
    except ImportRejected:
        # The tree changed since the preview and the file no longer fits: show the new problems.
        ctx = {"form": UnitImportForm(), "columns": COLUMNS, "plan": plan_unit_import(table)}
        messages.error(request, _("The units changed since your preview; the file was not imported."))
        return render(request, "units/unit_import.html", ctx, status=409)
    summary = plan.summary
    messages.success(
        request,
        _(
            "Import finished: %(created)d created, %(updated)d updated, %(moved)d moved, %(unchanged)d unchanged; "
            "%(users_created)d new users, %(roles_granted)d secretary roles granted, %(roles_ended)d handed over."
        )
        % summary,
    )
    _report_invitations(request, plan)
    return redirect("units:tree")


def _report_invitations(request: HttpRequest, plan: ImportPlan) -> None:
    """Say what happened to the invitations, exactly: sent, not sent (mail server), or to be printed."""
    if plan.invitations_sent:
        messages.success(
            request,
            _("Invitations e-mailed to: %(names)s.") % {"names": ", ".join(plan.invitations_sent)},
        )
    if plan.invitations_failed:
        messages.error(
            request,
            _(
                "The invitations to %(names)s could not be sent (the mail server did not accept them). "
                "The import is saved; send them again from each unit's page."
            )
            % {"names": ", ".join(plan.invitations_failed)},
        )
    if plan.invitations_without_email:
        messages.warning(
            request,
            _("%(names)s have no e-mail address: print their invitation from their unit's page.")
            % {"names": ", ".join(plan.invitations_without_email)},
        )


@login_required
def unit_mine(request: HttpRequest) -> HttpResponse:
    """Where an invitation lands: the person's own unit (the topmost, if they hold several)."""
    role = selectors.user_roles(request.user).first()
    return redirect("units:detail", role.unit.code) if role else redirect("units:tree")


@login_required
@require_POST
def unit_handover(request: HttpRequest, code: str) -> HttpResponse:
    """Name the unit's new secretary; the previous one's role ends, and a new account is invited."""
    unit = unit_get_for_user(request.user, code, action="manage")
    form = HandoverForm(request.POST, by=request.user)
    if not unit.is_active:
        messages.error(request, _("This unit is closed; its roles can no longer change."))
    elif form.is_valid():
        try:
            handover = unit_secretary_handover(unit=unit, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(name)s is now the secretary of %(unit)s.")
                % {"name": handover.role.user.get_full_name(), "unit": unit.name},
            )
            # The service has committed: the mail goes out only for a handover that is saved.
            if can_invite(request.user, handover.role.user):
                _invite(request, handover.role.user, unit)
    else:
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, _("The new secretary was not named: %(errors)s") % {"errors": " ".join(errors)})
    return redirect("units:detail", unit.code)


def _invite(request: HttpRequest, user: Any, unit: Unit) -> None:
    if not user.email:
        messages.warning(
            request, _("%(name)s has no e-mail address: print the invitation below.") % {"name": user.get_full_name()}
        )
    elif invitation_send(user, unit_name=unit.name):
        messages.success(request, _("Invitation e-mailed to %(email)s.") % {"email": user.email})
    else:
        messages.error(
            request,
            _("The invitation to %(email)s could not be sent (the mail server did not accept it). Try again later.")
            % {"email": user.email},
        )


@login_required
@require_POST
def unitrole_invite(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Send the invitation again (a lost mail, an expired link)."""
    role = unitrole_get_for_user(request.user, code, pk)
    if not can_invite(request.user, role.user):
        raise PermissionDenied
    _invite(request, role.user, role.unit)
    return redirect("units:detail", role.unit.code)


@login_required
def unitrole_invitation(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """The invitation on paper: the one-time link and its QR code, for a person without e-mail."""
    role = unitrole_get_for_user(request.user, code, pk)
    if not can_invite(request.user, role.user):
        raise PermissionDenied
    url = invitation_url(role.user)
    ctx = {
        "role": role,
        "unit": role.unit,
        "invitee": role.user,
        "url": url,
        "qr_svg": segno.make(url, error="m").svg_inline(scale=5, border=2, dark="#0b2a55"),
        "days": settings.INVITATION_TIMEOUT_DAYS,
    }
    return render(request, "units/unitrole_invitation.html", ctx)


ROLES_PAGE_SIZE = 50


@login_required
def unit_subtree_roles(request: HttpRequest, code: str) -> HttpResponse:
    """Who holds which role in the unit and everything under it, current or past, to end or hand over."""
    unit = unit_get_for_user(request.user, code, action="manage")
    form = RoleFilterForm(request.GET or None)
    filters = form.filters()
    roles = selectors.unit_subtree_roles(unit, **filters)
    page = Paginator(roles, ROLES_PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {
        "unit": unit,
        "form": form,
        "page": page,
        "query": urlencode({k: v for k, v in filters.items() if v}),
        "here": request.get_full_path(),
    }
    return render(request, "units/unit_roles.html", ctx)


@login_required
def unit_subtree_roles_export(request: HttpRequest, code: str, fmt: str) -> HttpResponseBase:
    unit = unit_get_for_user(request.user, code, action="manage")
    form = RoleFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(_("Unknown filter value."))
    return holders_response(unit, selectors.unit_subtree_roles(unit, **form.filters()), fmt)


def _back(request: HttpRequest, unit: Unit) -> HttpResponse:
    """Back where the person came from (the roles list), if that is a page of this site."""
    target = _safe_next(request, request.POST.get("next", ""))
    return HttpResponseRedirect(target) if target else redirect("units:detail", unit.code)


def _safe_next(request: HttpRequest, target: str) -> str:
    # A path of this site only: redirect() would take any other word for a view name (NoReverseMatch).
    ok = target.startswith("/") and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if ok else ""


@login_required
@require_http_methods(["GET", "POST"])
def unitrole_end_view(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """GET asks to confirm (ending a role takes away the person's access); POST ends it."""
    role = unitrole_get_for_user(request.user, code, pk)
    if request.method == "GET":
        ctx = {"role": role, "unit": role.unit, "next": _safe_next(request, request.GET.get("next", ""))}
        return render(request, "units/unitrole_end.html", ctx)
    try:
        unitrole_end(role=role, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The role of %(name)s (%(role)s) has ended.")
            % {"name": role.user.get_full_name(), "role": role.get_role_display()},
        )
    return _back(request, role.unit)
