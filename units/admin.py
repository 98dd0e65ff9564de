from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from doanso.lib.history import ReadOnlyHistoryAdmin

from .models import Unit, UnitRole
from .services import unit_close, unit_schedule_member_totals


class UnitRoleInline(admin.TabularInline):
    model = UnitRole
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Unit)
class UnitAdmin(ReadOnlyHistoryAdmin, TreeAdmin):
    form = movenodeform_factory(Unit, exclude=["search_text", "subtree_member_count"])
    list_display = ("name", "code", "level", "sector", "member_count", "subtree_member_count", "is_active")
    list_filter = ("level", "sector", "is_active")
    search_fields = ("code", "name", "search_text")
    readonly_fields = ("subtree_member_count", "closed_at")
    autocomplete_fields = ["merged_into"]
    inlines = [UnitRoleInline]
    actions = ["close_units"]

    def save_model(self, request: HttpRequest, obj: Unit, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        unit_schedule_member_totals()

    def delete_model(self, request: HttpRequest, obj: Unit) -> None:
        super().delete_model(request, obj)
        unit_schedule_member_totals()

    @admin.action(description=_("Close the selected units (and everything under them)"))
    def close_units(self, request: HttpRequest, queryset: QuerySet[Unit]) -> None:
        for unit in queryset:
            unit_close(unit=unit)
        self.message_user(request, _("%(count)d units closed.") % {"count": queryset.count()}, messages.SUCCESS)


@admin.register(UnitRole)
class UnitRoleAdmin(ReadOnlyHistoryAdmin):
    list_display = ("user", "unit", "role", "created_at", "ended_at")
    list_filter = ("role", "unit__level", ("ended_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "user__full_name", "unit__code", "unit__name")
    autocomplete_fields = ["user", "unit"]
