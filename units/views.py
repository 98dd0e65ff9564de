from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from doanso.lib.tabular import TabularError, read_table
from doanso.lib.uploads import discard_upload, load_upload, stash_upload

from . import selectors
from .forms import UnitImportForm, UnitSearchForm
from .importing import COLUMNS, plan_unit_import
from .permissions import can_import_units, can_manage_unit, can_review_unit, can_view_unit, unit_get_for_user
from .services import ImportRejected, units_import

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
    ctx = {
        "unit": unit,
        "ancestors": ancestors,
        "visible_ancestor_ids": visible_ancestor_ids,
        "roles": selectors.unit_roles(unit),
        "children": children,
        "can_manage": can_manage_unit(request.user, unit),
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
            "%(users_created)d new users, %(roles_granted)d secretary roles granted."
        )
        % summary,
    )
    return redirect("units:tree")
