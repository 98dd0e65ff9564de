"""Access to campaigns, responses and evidence — built on the unit rules of units.permissions.

* a campaign is visible to whoever sees its scope unit, and to whoever holds a role inside the
  scope (they see their own part of it); it is managed by editors at the scope unit or above;
* a unit response is visible to whoever sees its unit, editable by the unit's editors, reviewable
  by editors strictly above; member responses are anonymous and never shown one by one;
* evidence follows its response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from units.models import Unit
from units.permissions import (
    can_edit_unit_data,
    can_manage_unit,
    can_review_unit,
    can_view_unit,
    held_roles,
    is_admin,
)

from .models import Assignment, Campaign, Evidence, FrameworkKind, Response

if TYPE_CHECKING:
    from units.permissions import AnyUser


def campaigns_visible_q(user: AnyUser) -> Q:
    if is_admin(user):
        return Q()
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    q = Q(pk__in=[])
    for role in held_roles(user):
        q |= Q(scope_unit__path__startswith=role.path)  # scope at or under the role's unit
        ancestors = [role.path[:i] for i in range(Unit.steplen, len(role.path), Unit.steplen)]
        q |= Q(scope_unit__path__in=ancestors)  # scope above the role's unit
    return q


def can_view_campaign(user: AnyUser, campaign: Campaign) -> bool:
    if is_admin(user):
        return True
    if not user.is_active:
        return False
    scope = campaign.scope_unit.path
    return any(scope.startswith(r.path) or r.path.startswith(scope) for r in held_roles(user))


def can_manage_campaign(user: AnyUser, campaign: Campaign) -> bool:
    return can_manage_unit(user, campaign.scope_unit)


def campaign_get_for_user(user: AnyUser, pk: int, *, action: str = "view") -> Campaign:
    campaign = Campaign.objects.select_related("framework", "scope_unit").filter(pk=pk).first()
    if campaign is None or not can_view_campaign(user, campaign):
        raise Http404
    if action == "manage" and not can_manage_campaign(user, campaign):
        raise PermissionDenied
    return campaign


def response_get_for_user(user: AnyUser, pk: int, *, action: str = "view") -> Response:
    """404 when invisible (or a member response), 403 when the role does not allow ``action``
    (``view``, ``edit`` or ``review``). Whether the response's state allows a change is the
    services' business (NotEditable)."""
    response = (
        Response.objects.select_related(
            "assignment__unit", "assignment__campaign__framework", "assignment__campaign__scope_unit"
        )
        .filter(pk=pk, kind=FrameworkKind.UNIT)
        .first()
    )
    if response is None or not can_view_unit(user, response.assignment.unit):
        raise Http404
    unit = response.assignment.unit
    if action == "edit" and not can_edit_unit_data(user, unit):
        raise PermissionDenied
    if action == "review" and not can_review_unit(user, unit):
        raise PermissionDenied
    return response


def evidence_get_for_user(user: AnyUser, pk: int, *, action: str = "view") -> Evidence:
    evidence = Evidence.objects.select_related("response").filter(pk=pk).first()
    if evidence is None:
        raise Http404
    response_get_for_user(user, evidence.response_id, action=action)
    return evidence


def assignment_get_for_user(user: AnyUser, pk: int, *, action: str = "view") -> Assignment:
    """``share`` (the member-survey link): editors of the unit and managers above it."""
    assignment = (
        Assignment.objects.select_related("unit", "campaign__framework", "campaign__scope_unit").filter(pk=pk).first()
    )
    if assignment is None or not can_view_unit(user, assignment.unit):
        raise Http404
    if action in ("share", "manage") and not can_manage_unit(user, assignment.unit):
        raise PermissionDenied
    if action == "manage" and not can_manage_campaign(user, assignment.campaign):
        raise PermissionDenied
    return assignment
