"""Framework administration: editing a draft one level per page, preview, publish, clone, retire,
and frameworks as XLSX workbooks.

The framework page holds the framework, its bands, target groups and domain rows; a domain's page its
indicator rows; an indicator's page its questions with their options. No page therefore grows with
the framework (the whole tree on one page posted ~5,000 fields, past DATA_UPLOAD_MAX_NUMBER_FIELDS).
A published (or retired) version opens read-only on every one of these pages, and its rows refuse
to be saved anyway.
"""

from __future__ import annotations

from typing import Any, cast

import nested_admin
import nested_admin.formsets
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from doanso.lib.history import ReadOnlyHistoryAdmin

from . import services, sheets
from .forms import FrameworkXlsxImportForm
from .models import (
    Assignment,
    Campaign,
    Domain,
    Framework,
    Indicator,
    LevelBand,
    Option,
    Question,
    Response,
    TargetGroup,
)
from .selectors import framework_outline
from .survey import build_sections

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


FRAMEWORK_PART_LOOKUPS = {
    "framework": "pk",
    "domain": "domains__pk",
    "indicator": "domains__indicators__pk",
}


def _framework_from_request(request: HttpRequest) -> Framework | None:
    """The framework whose page (framework, domain or indicator) this request is for, looked up once."""
    if hasattr(request, "_doanso_framework"):
        return cast(Framework | None, request._doanso_framework)
    match = request.resolver_match
    object_id = str(match.kwargs.get("object_id", "")) if match else ""
    model_name = (match.url_name or "").removeprefix("assessments_").rsplit("_", 1)[0] if match else ""
    lookup = FRAMEWORK_PART_LOOKUPS.get(model_name)
    framework = Framework.objects.filter(**{lookup: object_id}).first() if lookup and object_id.isdigit() else None
    request._doanso_framework = framework  # type: ignore[attr-defined]
    return framework


def framework_of(obj: Framework | Domain | Indicator) -> Framework:
    if isinstance(obj, Indicator):
        return obj.domain.framework
    if isinstance(obj, Domain):
        return obj.framework
    return obj


class DraftOnlyInlineMixin:
    """Inlines are editable only while the framework is a draft."""

    def _editable(self, request: HttpRequest) -> bool:
        framework = _framework_from_request(request)
        return framework is None or framework.is_draft

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request) and super().has_add_permission(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class _RowOfThisFormSet(forms.ModelChoiceField):
    """The hidden id of an inline row, looked up among the rows the formset already loaded.

    Django's own field fetches each row again by id, and nested formsets are cleaned more than
    once: four queries per option on an indicator's page. A row of another parent is refused.
    """

    def __init__(self, rows: dict[str, Any], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.rows = rows

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        row = self.rows.get(str(value))
        if row is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return row


class KnownRowsFormSet(nested_admin.formsets.NestedInlineFormSet):  # type: ignore[misc]
    def add_fields(self, form: Any, index: int | None) -> None:
        super().add_fields(form, index)
        name = self.model._meta.pk.name
        field = form.fields.get(name)
        if form.is_bound and isinstance(field, forms.ModelChoiceField) and not isinstance(field, _RowOfThisFormSet):
            if not hasattr(self, "_rows_by_pk"):
                self._rows_by_pk = {str(row.pk): row for row in self.get_queryset()}
            form.fields[name] = _RowOfThisFormSet(
                self._rows_by_pk, field.queryset, initial=field.initial, required=False, widget=field.widget
            )


class OptionInline(DraftOnlyInlineMixin, nested_admin.NestedTabularInline):
    model = Option
    formset = KnownRowsFormSet
    extra = 0
    fields = ("order", "code", "label", "description", "points")
    sortable_field_name = "order"


class QuestionInline(DraftOnlyInlineMixin, nested_admin.NestedStackedInline):
    """The questions of one indicator (its own page), each with its options."""

    model = Question
    formset = KnownRowsFormSet
    fk_name = "indicator"
    extra = 0
    sortable_field_name = "order"
    inlines = [OptionInline]
    fieldsets = (
        (None, {"fields": (("order", "code", "type"), "text", "help", ("weight", "required", "allows_na", "scored"))}),
        (_("Show only if"), {"classes": ("collapse",), "fields": (("show_if_question", "show_if_values"),)}),
        (
            _("Numbers, ratios, metrics, target groups"),
            {
                "classes": ("collapse",),
                "fields": (
                    "thresholds",
                    ("unit_label", "numerator_label", "denominator_label"),
                    "metric",
                    "target_groups",
                ),
            },
        ),
    )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "show_if_question":
            framework = _framework_from_request(request)
            kwargs["queryset"] = (
                Question.objects.filter(framework=framework).order_by(
                    "indicator__domain__order", "indicator__order", "order"
                )
                if framework
                else Question.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class IndicatorInline(DraftOnlyInlineMixin, nested_admin.NestedTabularInline):
    """The indicators of one domain as short rows; each opens its own page with its questions."""

    model = Indicator
    formset = KnownRowsFormSet
    extra = 0
    sortable_field_name = "order"
    show_change_link = True
    fields = ("order", "code", "name", "weight", "evidence_required")


class DomainInline(DraftOnlyInlineMixin, nested_admin.NestedTabularInline):
    """The domains of the framework as short rows; each opens its own page with its indicators."""

    model = Domain
    formset = KnownRowsFormSet
    extra = 0
    sortable_field_name = "order"
    show_change_link = True
    fields = ("order", "code", "name", "weight")


class BandInline(DraftOnlyInlineMixin, nested_admin.NestedTabularInline):
    model = LevelBand
    extra = 0
    fields = ("min_score", "name", "description", "colour")


class TargetGroupInline(DraftOnlyInlineMixin, nested_admin.NestedTabularInline):
    model = TargetGroup
    extra = 0
    sortable_field_name = "order"
    fields = ("order", "code", "name")


def _trail(framework: Framework, domain: Domain | None = None) -> list[tuple[str, str]]:
    """Breadcrumbs from the framework list down to the page's parent: (url, label)."""
    trail = [
        (reverse("admin:assessments_framework_changelist"), str(Framework._meta.verbose_name_plural).capitalize()),
        (reverse("admin:assessments_framework_change", args=[framework.pk]), str(framework)),
    ]
    if domain is not None:
        trail.append((reverse("admin:assessments_domain_change", args=[domain.pk]), str(domain)))
    return trail


class FrameworkPartAdmin(ReadOnlyHistoryAdmin, nested_admin.NestedModelAdmin):
    """A domain's or an indicator's own page, reached from its framework's page.

    Not listed on the admin index (a list of every domain of every version would only confuse);
    rows are added on the parent's page, so there is no separate "add" page either. Published and
    retired versions open read-only, like the framework itself.
    """

    class Media:
        css = {"all": ["css/admin-framework.css"]}

    editable_fields: tuple[str, ...] = ()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (obj is None or framework_of(obj).is_draft) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (obj is None or framework_of(obj).is_draft) and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        parent = ("framework",) if self.model is Domain else ("domain",)
        if obj is not None and not framework_of(obj).is_draft:
            return parent + self.editable_fields
        return parent

    def breadcrumbs(self, obj: Any) -> list[tuple[str, str]]:
        raise NotImplementedError

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        ctx = {**(extra_context or {}), "trail": self.breadcrumbs(obj) if obj is not None else []}
        return super().change_view(request, object_id, form_url, ctx)

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        # "Save" goes back to the parent page (where the admin came from), not to a list of all rows.
        response = super().response_change(request, obj)
        if "_continue" in request.POST or "_addanother" in request.POST or "_saveasnew" in request.POST:
            return response
        return HttpResponseRedirect(self.breadcrumbs(obj)[-1][0])


@admin.register(Domain)
class DomainAdmin(FrameworkPartAdmin):
    list_display = ("__str__", "framework")
    list_select_related = ("framework",)
    search_fields = ("code", "name")
    fields = ("framework", ("order", "code", "weight"), "name", "description")
    editable_fields = ("order", "code", "weight", "name", "description")
    inlines = [IndicatorInline]
    change_form_template = "admin/assessments/framework_part_change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Domain]:
        return super().get_queryset(request).select_related("framework")

    def breadcrumbs(self, obj: Domain) -> list[tuple[str, str]]:
        return _trail(obj.framework)


@admin.register(Indicator)
class IndicatorAdmin(FrameworkPartAdmin):
    list_display = ("__str__", "domain")
    list_select_related = ("domain__framework",)
    search_fields = ("code", "name")
    fields = ("domain", ("order", "code", "weight", "evidence_required"), "name", "description", "guidance")
    editable_fields = ("order", "code", "weight", "evidence_required", "name", "description", "guidance")
    inlines = [QuestionInline]
    change_form_template = "admin/assessments/framework_part_change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Indicator]:
        return super().get_queryset(request).select_related("domain__framework")

    def breadcrumbs(self, obj: Indicator) -> list[tuple[str, str]]:
        return _trail(obj.domain.framework, obj.domain)


@admin.register(Framework)
class FrameworkAdmin(ReadOnlyHistoryAdmin, nested_admin.NestedModelAdmin):
    list_display = ("name", "code", "version", "kind", "status", "published_at")
    list_filter = ("kind", "status")
    search_fields = ("code", "name")
    inlines = [BandInline, TargetGroupInline, DomainInline]
    change_list_template = "admin/assessments/framework/change_list.html"
    actions = ["publish_selected", "clone_selected", "retire_selected"]

    class Media:
        css = {"all": ["css/admin-framework.css"]}

    change_form_template = "admin/assessments/framework/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Framework | None = None) -> Any:
        if obj is not None and not obj.is_draft:
            return ("code", "version", "kind", "name", "description", "status", "published_at")
        return ("status", "published_at")

    def has_change_permission(self, request: HttpRequest, obj: Framework | None = None) -> bool:
        # A published version opens as a read-only page (view permission) and refuses POSTs.
        return (obj is None or obj.is_draft) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Framework | None = None) -> bool:
        return (obj is None or obj.is_draft) and super().has_delete_permission(request, obj)

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "<int:pk>/preview/", self.admin_site.admin_view(self.preview_view), name="assessments_framework_preview"
            ),
            path(
                "<int:pk>/publish/", self.admin_site.admin_view(self.publish_view), name="assessments_framework_publish"
            ),
            path("<int:pk>/clone/", self.admin_site.admin_view(self.clone_view), name="assessments_framework_clone"),
            path(
                "<int:pk>/export-xlsx/",
                self.admin_site.admin_view(self.export_xlsx_view),
                name="assessments_framework_export_xlsx",
            ),
            path(
                "import-xlsx/",
                self.admin_site.admin_view(self.import_xlsx_view),
                name="assessments_framework_import_xlsx",
            ),
        ]
        return own + super().get_urls()

    # --- one framework -------------------------------------------------------------------------

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        ctx = {**(extra_context or {}), "outline": framework_outline(object_id) if object_id.isdigit() else []}
        return super().change_view(request, object_id, form_url, ctx)

    def export_xlsx_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The framework as a workbook (docs/framework-format.md), to edit in Excel and import as a draft."""
        framework = get_object_or_404(Framework, pk=pk)
        if not self.has_view_permission(request, framework):
            raise PermissionDenied
        try:
            workbook = services.framework_to_xlsx(framework)
        except sheets.WorkbookUnwritable as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:assessments_framework_change", args=[pk]))
        response = HttpResponse(workbook, content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{framework.code}-v{framework.version}.xlsx"'
        return response

    def import_xlsx_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a workbook; a valid one becomes a new draft, a faulty one lists every mistake."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = FrameworkXlsxImportForm(request.POST or None, request.FILES or None)
        cells: list[Any] = []
        if request.method == "POST" and form.is_valid():
            try:
                framework = services.framework_import_xlsx(
                    file=form.cleaned_data["file"], dry_run=form.cleaned_data["dry_run"]
                )
            except services.FrameworkSheetRejected as exc:
                cells = exc.cells
            else:
                if framework is None:
                    self.message_user(request, _("The workbook is valid (nothing was imported)."), messages.SUCCESS)
                    return HttpResponseRedirect(request.path)
                self.message_user(
                    request,
                    _("%(name)s version %(version)d was imported as a draft.")
                    % {"name": framework.name, "version": framework.version},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:assessments_framework_change", args=[framework.pk]))
        ctx = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "cells": cells,
            "title": _("Import a framework from a spreadsheet"),
        }
        return render(request, "admin/assessments/framework/import_xlsx.html", ctx)

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The survey exactly as a secretary sees it (nothing is saved)."""
        framework = get_object_or_404(Framework, pk=pk)
        if not self.has_view_permission(request, framework):
            raise PermissionDenied
        questions = services.framework_questions(framework.pk)
        visible = {q.pk: not q.show_if_question_id and not q.target_groups for q in questions}
        ctx = {
            **self.admin_site.each_context(request),
            "framework": framework,
            "sections": build_sections(None, questions, {}, visible, []),
            "target_groups": list(framework.target_groups.all()),
            "title": _("Preview"),
        }
        return render(request, "assessments/framework_preview.html", ctx)

    def _post_only(self, request: HttpRequest, framework: Framework) -> None:
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied

    def publish_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        framework = get_object_or_404(Framework, pk=pk)
        self._post_only(request, framework)
        self._publish(request, framework)
        return HttpResponseRedirect(reverse("admin:assessments_framework_change", args=[pk]))

    def clone_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        framework = get_object_or_404(Framework, pk=pk)
        self._post_only(request, framework)
        if not self.has_add_permission(request):
            raise PermissionDenied
        clone = self._clone(request, framework)
        return HttpResponseRedirect(reverse("admin:assessments_framework_change", args=[clone.pk if clone else pk]))

    def _publish(self, request: HttpRequest, framework: Framework) -> None:
        try:
            services.framework_publish(framework=framework)
        except services.FrameworkRejected as exc:
            self.message_user(
                request,
                _("%(name)s was not published; fix these problems first: %(problems)s")
                % {"name": framework, "problems": "; ".join(f"{p}: {m}" for p, m in exc.problems[:30])},
                messages.ERROR,
            )
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            framework.refresh_from_db()  # its name shows the status: "published", not the draft it was
            self.message_user(
                request, _("%(name)s is published and read-only from now on.") % {"name": framework}, messages.SUCCESS
            )

    def _clone(self, request: HttpRequest, framework: Framework) -> Framework | None:
        try:
            clone = services.framework_clone(framework=framework)
        except services.FrameworkRejected as exc:
            self.message_user(request, "; ".join(f"{p}: {m}" for p, m in exc.problems[:30]), messages.ERROR)
            return None
        self.message_user(
            request, _("Draft version %(version)d created.") % {"version": clone.version}, messages.SUCCESS
        )
        return clone

    # --- list actions --------------------------------------------------------------------------

    @admin.action(description=_("Publish the selected drafts"), permissions=["change"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Framework]) -> None:
        for framework in queryset:
            self._publish(request, framework)

    @admin.action(description=_("Clone to a new draft version"), permissions=["add"])
    def clone_selected(self, request: HttpRequest, queryset: QuerySet[Framework]) -> None:
        for framework in queryset:
            self._clone(request, framework)

    @admin.action(description=_("Retire the selected versions"), permissions=["change"])
    def retire_selected(self, request: HttpRequest, queryset: QuerySet[Framework]) -> None:
        for framework in queryset:
            try:
                services.framework_retire(framework=framework)
            except ValidationError as exc:
                self.message_user(request, f"{framework}: {' '.join(exc.messages)}", messages.ERROR)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "milestone", "framework", "scope_unit", "status", "opens_at", "closes_at")
    list_filter = ("status", "framework__kind")
    search_fields = ("name", "milestone", "scope_unit__code")
    readonly_fields = ("status", "opened_at", "closed_at", "created_by", "created_at")
    autocomplete_fields = ["scope_unit", "follows"]

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "follows" in form.changed_data and obj.status != Campaign.Status.DRAFT:
            # Deltas are measured against another campaign now: recompute them (through the outbox).
            from .scoring.services import scores_request_rebuild

            scores_request_rebuild(campaign_id=obj.pk)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("campaign", "unit", "deadline")
    list_filter = ("campaign",)
    search_fields = ("unit__code", "unit__name")
    readonly_fields = ("campaign", "unit", "member_token", "created_at")


@admin.register(Response)
class ResponseAdmin(ReadOnlyHistoryAdmin):
    list_display = ("assignment", "kind", "status", "version", "target_group", "updated_at")
    list_filter = ("kind", "status", "assignment__campaign")
    search_fields = ("assignment__unit__code", "assignment__unit__name")
    readonly_fields = (
        "assignment",
        "kind",
        "status",
        "version",
        "target_group",
        "created_at",
        "updated_at",
        "submitted_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
