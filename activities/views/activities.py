"""Activity pages: list with filters (and the subtree for upper units), record, edit, import."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from doanso.lib.http import AuthenticatedHttpRequest
from doanso.lib.tabular import TabularError, read_table
from doanso.lib.uploads import discard_upload, load_upload, stash_upload
from units.permissions import can_edit_unit_data, held_roles, is_admin, unit_get_for_user

from .. import services
from ..forms import ActivityFilterForm, ActivityForm, UploadForm
from ..importing import COLUMNS, activities_import
from ..permissions import activity_get_for_user
from ..selectors import activities_in

PAGE_SIZE = 50
IMPORT_KIND = "activities"


@login_required
def unit_activities(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    unit = unit_get_for_user(request.user, code)
    form = ActivityFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    activities = activities_in(
        unit,
        subtree=bool(filters.get("subtree")),
        start=filters.get("start"),
        end=filters.get("end"),
        mode=filters.get("mode", ""),
        category=filters.get("category", ""),
    )
    ctx = {
        "unit": unit,
        "form": form,
        "page": Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page")),
        "can_edit": can_edit_unit_data(request.user, unit),
        "has_children": unit.numchild > 0,
        "query": request.GET.urlencode(),
    }
    return render(request, "activities/activity_list.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    unit = unit_get_for_user(request.user, code, action="edit")
    form = ActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.activity_create(unit=unit, by=request.user, **fields)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Activity recorded."))
            return redirect("activities:unit_activities", code=unit.code)
    return render(request, "activities/activity_form.html", {"unit": unit, "form": form, "activity": None})


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    activity = activity_get_for_user(request.user, pk, action="edit")
    form = ActivityForm(request.POST or None, instance=activity if request.method == "GET" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.activity_update(activity=activity, version=form.cleaned_data.get("version") or 0, **fields)
        except services.RecordConflict:
            status = 409
            form.add_error(
                None,
                _(
                    "Someone else changed this activity while you were editing. "
                    "Your changes are shown below and NOT saved; reload to see theirs."
                ),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Activity saved."))
            return redirect("activities:unit_activities", code=activity.unit.code)
    return render(
        request,
        "activities/activity_form.html",
        {"unit": activity.unit, "form": form, "activity": activity},
        status=status,
    )


@login_required
@require_POST
def activity_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    activity = activity_get_for_user(request.user, pk, action="edit")
    code = activity.unit.code
    services.activity_delete(activity=activity)
    messages.success(request, _("Activity deleted."))
    return redirect("activities:unit_activities", code=code)


def _form_errors(form: ActivityForm, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _can_import(request: AuthenticatedHttpRequest) -> bool:
    return is_admin(request.user) or any(r.is_editor for r in held_roles(request.user))


@login_required
@require_http_methods(["GET", "POST"])
def activity_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload → check every row → the problems, or a preview to confirm (like the unit import)."""
    if not _can_import(request):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    ctx: dict[str, object] = {"form": form, "columns": COLUMNS}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"]
        try:
            plan = activities_import(table=read_table(data), user=request.user, dry_run=True)
        except TabularError as exc:
            form.add_error("file", str(exc))
        else:
            ctx["plan"] = plan
            if plan.is_valid:
                ctx["token"] = stash_upload(request, IMPORT_KIND, data)
    return render(request, "activities/activity_import.html", ctx)


@login_required
@require_POST
def activity_import_confirm(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not _can_import(request):
        raise PermissionDenied
    data = load_upload(request, IMPORT_KIND, request.POST.get("token", ""))
    discard_upload(request, IMPORT_KIND)
    if data is None:
        messages.error(request, _("That upload is no longer available. Please upload the file again."))
        return redirect("activities:import")
    plan = activities_import(table=read_table(data), user=request.user)
    if not plan.is_valid:
        return render(
            request,
            "activities/activity_import.html",
            {"form": UploadForm(), "columns": COLUMNS, "plan": plan},
            status=409,
        )
    messages.success(
        request,
        _("Import finished: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
        % {"created": plan.created, "updated": plan.updated, "unchanged": plan.unchanged},
    )
    return redirect("home")
