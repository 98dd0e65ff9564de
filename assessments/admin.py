"""Framework administration: nested editing of a draft, preview, publish, clone, retire.

A published (or retired) version opens read-only here, and its rows refuse to be saved anyway.
"""

from __future__ import annotations

from typing import Any

import nested_admin
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from doanso.lib.history import ReadOnlyHistoryAdmin

from . import services
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
from .survey import build_sections


def _framework_from_request(request: HttpRequest) -> Framework | None:
    match = request.resolver_match
    object_id = match.kwargs.get("object_id") if match else None
    return Framework.objects.filter(pk=object_id).first() if object_id else None


class DraftOnlyInlineMixin:
    """Inlines are editable only while the framework is a draft."""

    def _editable(self, obj: Framework | None) -> bool:
        return obj is None or obj.is_draft

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(_framework_from_request(request)) and super().has_add_permission(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(_framework_from_request(request)) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(_framework_from_request(request)) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class OptionInline(DraftOnlyInlineMixin, nested_admin.NestedTabularInline):
    model = Option
    extra = 0
    fields = ("order", "code", "label", "description", "points")
    sortable_field_name = "order"


class QuestionInline(DraftOnlyInlineMixin, nested_admin.NestedStackedInline):
    model = Question
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
            kwargs["queryset"] = Question.objects.filter(framework=framework) if framework else Question.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class IndicatorInline(DraftOnlyInlineMixin, nested_admin.NestedStackedInline):
    model = Indicator
    extra = 0
    sortable_field_name = "order"
    inlines = [QuestionInline]
    fields = (("order", "code", "weight", "evidence_required"), "name", "description", "guidance")


class DomainInline(DraftOnlyInlineMixin, nested_admin.NestedStackedInline):
    model = Domain
    extra = 0
    sortable_field_name = "order"
    inlines = [IndicatorInline]
    fields = (("order", "code", "weight"), "name", "description")


class BandInline(DraftOnlyInlineMixin, nested_admin.NestedTabularInline):
    model = LevelBand
    extra = 0
    fields = ("min_score", "name", "description", "colour")


class TargetGroupInline(DraftOnlyInlineMixin, nested_admin.NestedTabularInline):
    model = TargetGroup
    extra = 0
    sortable_field_name = "order"
    fields = ("order", "code", "name")


@admin.register(Framework)
class FrameworkAdmin(ReadOnlyHistoryAdmin, nested_admin.NestedModelAdmin):
    list_display = ("name", "code", "version", "kind", "status", "published_at")
    list_filter = ("kind", "status")
    search_fields = ("code", "name")
    inlines = [BandInline, TargetGroupInline, DomainInline]
    actions = ["publish_selected", "clone_selected", "retire_selected"]
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
        ]
        return own + super().get_urls()

    # --- one framework -------------------------------------------------------------------------

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

    @admin.action(description=_("Publish the selected drafts"))
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Framework]) -> None:
        for framework in queryset:
            self._publish(request, framework)

    @admin.action(description=_("Clone to a new draft version"))
    def clone_selected(self, request: HttpRequest, queryset: QuerySet[Framework]) -> None:
        for framework in queryset:
            self._clone(request, framework)

    @admin.action(description=_("Retire the selected versions"))
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
