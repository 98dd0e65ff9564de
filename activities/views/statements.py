"""Bank statement reconciliation: upload → map columns → preview every row → confirm."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from doanso.lib.http import AuthenticatedHttpRequest
from doanso.lib.tabular import TabularError
from doanso.lib.uploads import discard_upload, load_upload, stash_upload
from units.permissions import can_edit_unit_data, unit_get_for_user

from .. import services
from ..forms import MappingForm, UploadForm
from ..models import BankStatement, StatementLine
from ..permissions import statement_get_for_user
from ..reconciliation import FIELDS, guess_mapping, plan_statement, read_statement

KIND = "statement"


def _kind(code: str) -> str:
    return f"{KIND}-{code}"


@login_required
@require_http_methods(["GET", "POST"])
def unit_statements(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Past statements, and the upload of a new one (editors of the unit)."""
    unit = unit_get_for_user(request.user, code, action="edit" if request.method == "POST" else "view")
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"]
        try:
            table = read_statement(data)
        except TabularError as exc:
            form.add_error("file", str(exc))
        else:
            token = stash_upload(request, _kind(unit.code), data)
            request.session[f"{_kind(unit.code)}-name"] = getattr(request.FILES.get("file"), "name", "statement")
            return redirect(f"{request.path}preview/{token}/?{urlencode(guess_mapping(table.headers))}")
    ctx = {
        "unit": unit,
        "form": form,
        "statements": BankStatement.objects.filter(unit=unit).select_related("uploaded_by")[:50],
        "can_edit": can_edit_unit_data(request.user, unit),
    }
    return render(request, "activities/statement_list.html", ctx)


@login_required
def statement_preview(request: AuthenticatedHttpRequest, code: str, token: str) -> HttpResponse:
    """Every row's outcome with the chosen column mapping; nothing is written."""
    unit = unit_get_for_user(request.user, code, action="edit")
    data = load_upload(request, _kind(unit.code), token)
    if data is None:
        messages.error(request, _("That upload is no longer available. Please upload the file again."))
        return redirect("activities:unit_statements", code=unit.code)
    table = read_statement(data)  # it was read successfully at the upload
    form = MappingForm(request.GET, headers=table.headers)
    mapping = {k: v for k, v in form.data.items() if k in form.fields and v}
    plan = plan_statement(unit, table, mapping)
    previous = BankStatement.objects.filter(unit=unit, content_hash=hashlib.sha256(data).hexdigest()).first()
    ctx = {
        "unit": unit,
        "form": form,
        "plan": plan,
        "token": token,
        "previous": previous,
        "Outcome": StatementLine.Outcome,
        "header_row": table.header_row,
        "encoding_notice": table.encoding_notice,
    }
    return render(request, "activities/statement_preview.html", ctx)


@login_required
@require_POST
def statement_confirm(request: AuthenticatedHttpRequest, code: str, token: str) -> HttpResponse:
    unit = unit_get_for_user(request.user, code, action="edit")
    data = load_upload(request, _kind(unit.code), token)
    if data is None:
        messages.error(request, _("That upload is no longer available. Please upload the file again."))
        return redirect("activities:unit_statements", code=unit.code)
    table = read_statement(data)
    form = MappingForm(request.POST, headers=table.headers)
    mapping = {k: v for k, v in form.data.items() if k in form.fields and v}
    plan = plan_statement(unit, table, mapping)  # decided again now: payments may have changed
    if plan.problems:
        messages.error(request, " ".join(plan.problems))
        # Back to the preview with the columns chosen so far — only those: never the CSRF token in a URL.
        query = urlencode({name: plan.mapping[name] for name in FIELDS if name in plan.mapping})
        return redirect(f"{request.path.rsplit('confirm/', 1)[0]}?{query}")
    statement = services.statement_reconcile(
        unit=unit,
        plan=plan,
        by=request.user,
        original_name=request.session.get(f"{_kind(unit.code)}-name", "statement"),
        content_hash=hashlib.sha256(data).hexdigest(),
    )
    discard_upload(request, _kind(unit.code))
    messages.success(request, _("%(count)d payments confirmed from this statement.") % {"count": statement.confirmed})
    return redirect("activities:statement", pk=statement.pk)


@login_required
def statement_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    statement = statement_get_for_user(request.user, pk)
    lines = statement.lines.select_related("payment").order_by("row")
    return render(
        request, "activities/statement_detail.html", {"statement": statement, "unit": statement.unit, "lines": lines}
    )
