"""Who may see, edit, review and manage what — the one place where DESIGN.md §2's rules live.

Every HTML view, API endpoint and export calls these functions; nothing else decides access.

* see unit U (and its data): any role at U or at an ancestor of U;
* edit U's own data (survey response, activities, payments): an editor role at U itself;
* review U's response: an editor role at a strict ancestor of U;
* manage campaigns scoped to U: an editor role at U or an ancestor.

Superusers (admins) may do everything. Roles are read once per request and cached on the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from .models import Unit, UnitRole

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

    AnyUser = User | AnonymousUser

_CACHE_ATTR = "_doanso_unit_roles"


@dataclass(frozen=True)
class HeldRole:
    unit_id: int
    path: str
    role: str

    @property
    def is_editor(self) -> bool:
        return self.role in UnitRole.EDITOR_ROLES


def held_roles(user: AnyUser) -> tuple[HeldRole, ...]:
    """The user's current roles (ended ones grant nothing) with their units' paths, read once per user object."""
    if not user.is_authenticated:
        return ()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        rows = UnitRole.objects.current().filter(user=user).values_list("unit_id", "unit__path", "role")
        cached = tuple(HeldRole(unit_id, path, role) for unit_id, path, role in rows)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_roles(user: Any) -> None:
    """Drop the per-request cache (after granting or revoking a role in the same request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def _topmost(paths: set[str]) -> list[str]:
    """Drop paths that lie under another path of the set (their subtree is already covered)."""
    kept: list[str] = []
    for path in sorted(paths):
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return kept


def visible_root_paths(user: AnyUser) -> list[str]:
    """Paths of the topmost units whose subtrees the user may see."""
    return _topmost({r.path for r in held_roles(user)})


def visible_units_q(user: AnyUser, prefix: str = "") -> Q:
    """Filter for units visible to the user; ``prefix`` names the relation to Unit (e.g. ``"unit__"``)."""
    if is_admin(user):
        return Q()
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    paths = visible_root_paths(user)
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for path in paths:
        q |= Q(**{f"{prefix}path__startswith": path})
    return q


def can_view_unit(user: AnyUser, unit: Unit) -> bool:
    if is_admin(user):
        return True
    if not user.is_active:
        return False
    return any(unit.path.startswith(r.path) for r in held_roles(user))


def can_edit_unit_data(user: AnyUser, unit: Unit) -> bool:
    """Edit the unit's own survey response, activities and payments — while the unit is open: a
    closed (or merged) unit's records are history, readable and no longer written to."""
    if is_admin(user):
        return True
    if not user.is_active or not unit.is_active:
        return False
    return any(r.is_editor and r.unit_id == unit.pk for r in held_roles(user))


def can_review_unit(user: AnyUser, unit: Unit) -> bool:
    """Approve or return the unit's survey response: an editor at a strict ancestor."""
    if is_admin(user):
        return True
    if not user.is_active:
        return False
    return any(r.is_editor and unit.path.startswith(r.path) and r.path != unit.path for r in held_roles(user))


def can_manage_unit(user: AnyUser, unit: Unit) -> bool:
    """Manage campaigns scoped to the unit and see its people's contact details."""
    if is_admin(user):
        return True
    if not user.is_active:
        return False
    return any(r.is_editor and unit.path.startswith(r.path) for r in held_roles(user))


def can_import_units(user: AnyUser) -> bool:
    """Unit-tree administration (the import creates and moves units anywhere in the tree)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.has_perm("units.add_unit")
        and user.has_perm("units.change_unit")
        and user.has_perm("units.add_unitrole")
    )


def unit_get_for_user(user: AnyUser, code: str, *, action: str = "view") -> Unit:
    """The unit with ``code`` if the user may see it (else 404) and may do ``action`` (else 403).

    ``action`` is one of ``view``, ``edit``, ``review``, ``manage``.
    """
    if "\x00" in code:  # no code has one, and PostgreSQL refuses the query
        raise Http404
    try:
        unit = Unit.objects.get(code=code)
    except Unit.DoesNotExist:
        raise Http404 from None
    if not can_view_unit(user, unit):
        raise Http404
    check = {"view": can_view_unit, "edit": can_edit_unit_data, "review": can_review_unit, "manage": can_manage_unit}
    if not check[action](user, unit):
        raise PermissionDenied
    return unit


def unitrole_get_for_user(user: AnyUser, code: str, pk: int) -> UnitRole:
    """A current role at the unit, for the people who manage the unit (invisible → 404, else 403)."""
    unit = unit_get_for_user(user, code, action="manage")
    try:
        return UnitRole.objects.current().select_related("user", "unit").get(pk=pk, unit=unit)
    except UnitRole.DoesNotExist:
        raise Http404 from None


def is_privileged(account: Any) -> bool:
    """Staff or superuser, or with permissions or groups of its own: an account only an admin handles."""
    return bool(
        account.is_staff or account.is_superuser or account.groups.exists() or account.user_permissions.exists()
    )


def can_invite(user: AnyUser, invitee: Any) -> bool:
    """Send or print an invitation for ``invitee``: only someone who never chose a password, and
    only by a person who manages every unit where the invitee holds a role (at least one) — the
    link sets the password, so it must never open a door the inviter does not hold: not to units
    the inviter does not manage, and never to an account with admin rights (admins only)."""
    from accounts.invitations import can_be_invited

    if not can_be_invited(invitee):
        return False
    if is_admin(user):
        return True
    if is_privileged(invitee):
        return False
    units = list(Unit.objects.filter(pk__in=UnitRole.objects.current().filter(user=invitee).values("unit_id")))
    return bool(units) and all(can_manage_unit(user, unit) for unit in units)


def can_name_holder(user: AnyUser, account: Any) -> bool:
    """Name an existing ``account`` as a unit's new holder: admins anyone; a manager only an ordinary
    account that holds or held a role in a unit the manager manages (a deputy stepping up, a former
    secretary elected again) — never someone else's account, whose e-mail the roles list would show."""
    if is_admin(user):
        return True
    if is_privileged(account):
        return False
    units = Unit.objects.filter(pk__in=UnitRole.objects.filter(user=account).values("unit_id"))
    return any(can_manage_unit(user, unit) for unit in units)
