"""Writes to the unit tree and roles. Views, admin, commands and tasks all come through here."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.invitations import can_be_invited, invitation_send
from doanso.lib.history import record_history
from doanso.lib.tabular import Table
from doanso.lib.tasks import enqueue_on_commit

from .importing import ImportPlan, RowError, UnitRow, plan_unit_import
from .models import Unit, UnitRole, unit_search_text
from .permissions import can_name_holder

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


class ImportRejected(ValidationError):
    """The import plan has errors; nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__([str(e) for e in errors])
        self.row_errors = errors


# --- Member totals ------------------------------------------------------------------------------


def subtree_member_totals() -> dict[str, int]:
    """Σ member_count over each unit's subtree, keyed by path.

    Path-prefix grouping: one aggregate query per tree depth, whatever the number of units.
    """
    max_depth = Unit.objects.aggregate(d=Max("depth"))["d"] or 0
    totals: dict[str, int] = {}
    for depth in range(1, max_depth + 1):
        rows = (
            Unit.objects.filter(depth__gte=depth)
            .annotate(prefix=Substr("path", 1, Unit.steplen * depth))
            .order_by()
            .values("prefix")
            .annotate(total=Sum("member_count"))
            .values_list("prefix", "total")
        )
        totals.update(rows)
    return totals


def unit_recompute_member_totals() -> int:
    """Store subtree member totals on every unit; write only rows that changed. Idempotent."""
    totals = subtree_member_totals()
    changed = []
    for unit in Unit.objects.only("pk", "path", "subtree_member_count").order_by():
        total = totals.get(unit.path, 0)
        if unit.subtree_member_count != total:
            unit.subtree_member_count = total
            changed.append(unit)
    Unit.objects.bulk_update(changed, ["subtree_member_count"], batch_size=1000)
    return len(changed)


def unit_schedule_member_totals() -> None:
    """Recompute subtree member totals in the background once the current transaction commits."""
    from .tasks import recompute_member_totals

    enqueue_on_commit(recompute_member_totals)


# --- Roles --------------------------------------------------------------------------------------


@transaction.atomic
def unitrole_grant(*, user: User, unit: Unit, role: str, by: Any = None) -> UnitRole:
    """Give ``user`` the role at ``unit`` (nothing happens if they hold it already)."""
    if role not in UnitRole.Role.values:
        raise ValidationError(_("Unknown role “%(role)s”.") % {"role": role})
    granted, _created = UnitRole.objects.get_or_create(user=user, unit=unit, role=role, ended_at__isnull=True)
    if _created and by is not None:
        record_history([granted], by=by, reason="granted", created=True)
    return granted


@transaction.atomic
def unitrole_end(*, role: UnitRole, by: Any, reason: str = "ended") -> UnitRole:
    """End a current role today. The row stays (who held it when); it no longer grants anything."""
    ended = UnitRole.objects.current().filter(pk=role.pk).update(ended_at=timezone.now())
    if not ended:
        raise ValidationError(_("This role has already ended."))
    role.refresh_from_db()
    record_history([role], by=by, reason=reason)
    return role


@dataclass
class Handover:
    role: UnitRole  # the new holder's role
    ended: list[UnitRole]  # the previous holders' roles, now ended
    user_created: bool


@transaction.atomic
def unit_secretary_handover(
    *, unit: Unit, by: Any, username: str, full_name: str = "", email: str = "", role: str = UnitRole.Role.SECRETARY
) -> Handover:
    """Name the new holder of ``role`` at ``unit``: the previous holders' roles end, the new one starts.

    ``username`` names an existing account, or a new one that is created with ``full_name`` and
    ``email`` and no password (they get an invitation once this commits; see the caller).
    """
    UserModel = get_user_model()
    user = UserModel.objects.filter(username=username).first()
    if user is not None and by is not None and not can_name_holder(by, user):
        # The same answer as for a name nobody has taken in the manager's units: no account is revealed.
        raise ValidationError(
            _("There is no account “%(username)s” in the units you manage; choose another user name.")
            % {"username": username}
        )
    created = user is None
    if user is None:
        user = UserModel(username=username, full_name=full_name, email=email)
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
    elif not user.is_active:
        raise ValidationError(_("The account “%(username)s” is switched off.") % {"username": username})
    previous = list(UnitRole.objects.current().select_for_update().filter(unit=unit, role=role).exclude(user=user))
    now = timezone.now()
    UnitRole.objects.filter(pk__in=[r.pk for r in previous]).update(ended_at=now)
    for r in previous:
        r.ended_at = now
    record_history(previous, by=by, reason="handover")
    granted = unitrole_grant(user=user, unit=unit, role=role, by=by)
    return Handover(role=granted, ended=previous, user_created=created)


# --- Closing and merging ------------------------------------------------------------------------


@transaction.atomic
def unit_close(*, unit: Unit, merged_into: Unit | None = None) -> Unit:
    """Close a unit (and its subtree), keeping every row of history."""
    if merged_into is not None and (merged_into.pk == unit.pk or merged_into.path.startswith(unit.path)):
        raise ValidationError(_("A unit cannot be merged into itself or into a unit under it."))
    if merged_into is not None and not merged_into.is_active:
        raise ValidationError(_("A unit cannot be merged into a closed unit."))
    now = timezone.now()
    Unit.objects.filter(path__startswith=unit.path, is_active=True).update(is_active=False, closed_at=now)
    if merged_into is not None:
        Unit.objects.filter(pk=unit.pk).update(merged_into=merged_into)
    unit.refresh_from_db()
    closed = list(Unit.objects.filter(path__startswith=unit.path, closed_at=now))
    record_history(closed, by=None, reason=f"merged into {merged_into.code}" if merged_into else "closed")
    unit_schedule_member_totals()
    return unit


# --- Import -------------------------------------------------------------------------------------


def _unit_fields(r: UnitRow) -> dict[str, Any]:
    return {
        "code": r.code,
        "name": r.name,
        "level": r.level,
        "sector": r.sector or Unit.Sector.OTHER,
        "member_count": r.member_count or 0,
        "search_text": unit_search_text(r.code, r.name),
    }


def _create_new_units(plan: ImportPlan) -> None:
    """Create new units as whole subtrees: one bulk insert per subtree under an existing parent."""
    new = {r.code: r for r in plan.rows if r.action == "create"}
    children: dict[str, list[UnitRow]] = defaultdict(list)
    for r in plan.rows:  # plan.rows is parents-first, so children lists keep file order
        if r.code in new and r.parent_code in new:
            children[r.parent_code].append(r)

    def subtree(r: UnitRow) -> dict[str, Any]:
        return {"data": _unit_fields(r), "children": [subtree(c) for c in children[r.code]]}

    forests: dict[str, list[dict[str, Any]]] = defaultdict(list)  # existing parent code ("" = top) → subtrees
    for r in plan.rows:
        if r.code in new and r.parent_code not in new:
            forests[r.parent_code].append(subtree(r))
    for parent_code, forest in forests.items():
        parent = Unit.objects.get(code=parent_code) if parent_code else None
        Unit.objects.load_bulk(forest, parent=parent, bulk_create=True)


def _update_and_move_existing(plan: ImportPlan) -> None:
    rows = [r for r in plan.rows if r.action in ("update", "move", "update_move")]
    units = Unit.objects.in_bulk([r.code for r in rows], field_name="code")
    changed = []
    for r in rows:
        if r.action in ("update", "update_move"):
            unit = units[r.code]
            unit.name, unit.level = r.name, r.level
            if r.sector is not None:
                unit.sector = r.sector
            if r.member_count is not None:
                unit.member_count = r.member_count
            unit.search_text = unit_search_text(unit.code, unit.name)
            changed.append(unit)
    Unit.objects.bulk_update(changed, ["name", "level", "sector", "member_count", "search_text"], batch_size=1000)
    # Moves in parents-first order of the final tree: every target already sits where it belongs.
    for r in rows:
        if r.action not in ("move", "update_move"):
            continue
        node = Unit.objects.get(code=r.code)  # paths shift with every move: always re-read
        if r.parent_code:
            Unit.objects.move(node, Unit.objects.get(code=r.parent_code), "last-child")
        else:
            Unit.objects.move(node, Unit.objects.get_last_root_node(), "last-sibling")


def _grant_secretaries(plan: ImportPlan) -> None:
    User = get_user_model()
    secretary_rows = [r for r in plan.rows if r.secretary_username]
    if not secretary_rows:
        return
    new_users = []
    for username in plan.users_to_create:
        first = next(r for r in secretary_rows if r.secretary_username == username)
        same_person = [r for r in secretary_rows if r.secretary_username == username]
        user = User(
            username=username,
            full_name=next((r.secretary_full_name for r in same_person if r.secretary_full_name), ""),
            email=next((r.secretary_email for r in same_person if r.secretary_email), first.secretary_email),
        )
        user.set_unusable_password()  # they choose one through the invitation
        new_users.append(user)
    User.objects.bulk_create(new_users)
    users = User.objects.in_bulk({r.secretary_username for r in secretary_rows}, field_name="username")
    units = Unit.objects.in_bulk([r.code for r in secretary_rows], field_name="code")
    holder_of = {units[r.code].pk: users[r.secretary_username].pk for r in secretary_rows}
    current = list(
        UnitRole.objects.current().select_for_update().filter(role=UnitRole.Role.SECRETARY, unit_id__in=holder_of)
    )
    held = {(role.user_id, role.unit_id) for role in current}
    handed_over = [role for role in current if role.user_id != holder_of[role.unit_id]]
    if handed_over:
        now = timezone.now()
        UnitRole.objects.filter(pk__in=[role.pk for role in handed_over]).update(ended_at=now)
        for role in handed_over:
            role.ended_at = now
        record_history(handed_over, by=None, reason="import: handover")
    UnitRole.objects.bulk_create(
        [
            UnitRole(user=users[r.secretary_username], unit=units[r.code], role=UnitRole.Role.SECRETARY)
            for r in secretary_rows
            if (users[r.secretary_username].pk, units[r.code].pk) not in held
        ],
        ignore_conflicts=True,
    )
    # Everyone who just became secretary and never chose a password gets an invitation.
    for r in secretary_rows:
        user = users[r.secretary_username]
        if (user.pk, units[r.code].pk) not in held and can_be_invited(user):
            plan.invitees.setdefault(user.pk, units[r.code].name)


def invitations_send(invitees: dict[int, str]) -> tuple[list[str], list[str], list[str]]:
    """Send the invitations; (sent, failed, without e-mail) user names. A mail server that is down
    fails the mails, never the import that came before them."""
    sent: list[str] = []
    failed: list[str] = []
    without_email: list[str] = []
    for user in get_user_model().objects.filter(pk__in=invitees).order_by("username"):
        if not user.email:
            without_email.append(user.username)
        elif invitation_send(user, unit_name=invitees[user.pk]):
            sent.append(user.username)
        else:
            failed.append(user.username)
    return sent, failed, without_email


def _send_import_invitations(plan: ImportPlan) -> None:
    plan.invitations_sent, plan.invitations_failed, plan.invitations_without_email = invitations_send(plan.invitees)
    plan.invitations_done = True


def _record_import_history(plan: ImportPlan) -> None:
    """The audit trail of what the bulk import wrote: each created, updated or moved unit as it now
    is, and each role it granted (one bulk insert each; the rows imported unchanged get none)."""
    touched = [r.code for r in plan.rows if r.action != "unchanged"]
    created = {r.code for r in plan.rows if r.action == "create"}
    units = list(Unit.objects.filter(code__in=touched))
    # treebeard saves some new nodes one by one (a new root): those already have their row.
    saved = set(Unit.history.filter(id__in=[u.pk for u in units if u.code in created]).values_list("id", flat=True))
    record_history(
        [u for u in units if u.code in created and u.pk not in saved], by=None, reason="import", created=True
    )
    record_history([u for u in units if u.code not in created], by=None, reason="import")
    pairs = {(r.secretary_username, r.code) for r in plan.rows if r.secretary_username}
    if pairs:
        roles = (
            UnitRole.objects.current()
            .filter(
                role=UnitRole.Role.SECRETARY,
                user__username__in={p[0] for p in pairs},
                unit__code__in={p[1] for p in pairs},
            )
            .select_related("user", "unit")
        )
        audited = set(UnitRole.history.filter(id__in=[r.pk for r in roles]).values_list("id", flat=True))
        granted = [r for r in roles if (r.user.username, r.unit.code) in pairs and r.pk not in audited]
        record_history(granted, by=None, reason="import", created=True)


@transaction.atomic
def units_import(*, table: Table, dry_run: bool = False) -> ImportPlan:
    """Validate the whole table, then create, update and move units, create secretaries, grant roles.

    Raises :class:`ImportRejected` (writing nothing) if any row has a problem. Planning happens
    inside the transaction, so the plan applied is the plan validated. Importing the same file
    twice changes nothing the second time.
    """
    plan = plan_unit_import(table)
    if not plan.is_valid:
        raise ImportRejected(plan.errors)
    if dry_run:
        return plan
    _create_new_units(plan)
    _update_and_move_existing(plan)
    _grant_secretaries(plan)
    _record_import_history(plan)
    transaction.on_commit(lambda: _send_import_invitations(plan))
    if plan.changes_anything:
        unit_schedule_member_totals()
    logger.info("Unit import applied: %s", plan.summary)
    return plan
