"""Reads of the unit tree for pages and the API. Every list starts from ``visible_to(user)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from doanso.lib.history import Change, field_changes, who
from doanso.lib.text import search_key

from .models import Unit, UnitRole
from .permissions import is_admin, visible_root_paths

if TYPE_CHECKING:
    from .permissions import AnyUser

SEARCH_LIMIT = 50


def unit_tree_roots(user: AnyUser) -> QuerySet[Unit]:
    """The topmost units the user may see: the starting points of their tree browser."""
    if is_admin(user):
        return Unit.objects.filter(depth=1)
    return Unit.objects.filter(path__in=visible_root_paths(user))


def unit_children(unit: Unit, *, include_closed: bool = True) -> QuerySet[Unit]:
    qs = Unit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1)
    if not include_closed:
        qs = qs.filter(is_active=True)
    return qs.order_by("-is_active", "name")


def unit_ancestors(unit: Unit) -> QuerySet[Unit]:
    """Strict ancestors, root first (one query, from the path)."""
    return Unit.objects.filter(path__in=unit.ancestor_paths()).order_by("depth")


def unit_search(user: AnyUser, query: str, *, limit: int = SEARCH_LIMIT) -> list[Unit]:
    """Visible units whose code or name contains the query, accents and case ignored."""
    key = search_key(query)
    if not key:
        return []
    terms = key.split()
    condition = Q()
    for term in terms:
        condition &= Q(search_text__contains=term)
    return list(Unit.objects.visible_to(user).filter(condition).order_by("depth", "name")[:limit])


def unit_breadcrumbs(units: list[Unit]) -> dict[int, list[Unit]]:
    """For each unit, its ancestors root first — one query for the whole list."""
    paths = {p for u in units for p in u.ancestor_paths()}
    by_path = {a.path: a for a in Unit.objects.filter(path__in=paths).only("pk", "path", "code", "name", "depth")}
    return {u.pk: [by_path[p] for p in u.ancestor_paths() if p in by_path] for u in units}


def unit_roles(unit: Unit) -> QuerySet[UnitRole]:
    """The people who hold a role in the unit now."""
    return UnitRole.objects.current().filter(unit=unit).select_related("user").order_by("role", "user__full_name")


def unit_past_roles(unit: Unit, limit: int = 50) -> list[UnitRole]:
    """Who held a role in the unit before, latest first, with the dates they held it."""
    return list(UnitRole.objects.ended().filter(unit=unit).select_related("user").order_by("-ended_at")[:limit])


def unit_subtree_roles(unit: Unit, *, level: str = "", role: str = "", state: str = "current") -> QuerySet[UnitRole]:
    """Roles held in the unit and every unit under it, with their people and units (one query)."""
    qs = UnitRole.objects.filter(unit__path__startswith=unit.path).select_related("user", "unit")
    if level:
        qs = qs.filter(unit__level=level)
    if role:
        qs = qs.filter(role=role)
    if state == "current":
        qs = qs.current()
    elif state == "ended":
        qs = qs.ended()
    return qs.order_by("unit__path", "role", "-created_at", "pk")


def user_roles(user: AnyUser) -> QuerySet[UnitRole]:
    """The user's own current roles with their units, for the home page."""
    if not user.is_authenticated:
        return UnitRole.objects.none()
    return UnitRole.objects.current().filter(user=user).select_related("unit").order_by("unit__path", "role")


UNIT_AUDITED_FIELDS = ("code", "name", "level", "sector", "member_count", "is_active", "closed_at", "path")


def unit_history(unit: Unit, limit: int = 100) -> list[Change]:
    """The audit trail of a unit and of the roles held in it, newest first (2 queries)."""
    records = list(Unit.history.filter(id=unit.pk).select_related("history_user").order_by("-history_id")[:limit])
    rows = field_changes(records, UNIT_AUDITED_FIELDS, unit.code)
    roles = (
        UnitRole.history.filter(unit_id=unit.pk)
        .select_related("history_user", "user")
        .order_by("-history_date", "-history_id")[:limit]
    )
    for r in roles:
        holder = r.user.username if r.user else str(r.user_id)
        rows.append(Change(r.history_date, who(r), r.history_type, holder, r.get_role_display()))
    rows.sort(key=lambda c: c.at, reverse=True)
    return rows[:limit]
