"""Reads for campaign and survey pages. Lists start from what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from units.models import Unit, UnitRole
from units.permissions import held_roles, is_admin

from .models import Assignment, Campaign, Evidence, FrameworkKind, Response
from .permissions import campaigns_visible_q

if TYPE_CHECKING:
    from units.permissions import AnyUser

S = Response.Status


def campaigns_for_user(user: AnyUser) -> QuerySet[Campaign]:
    return (
        Campaign.objects.filter(campaigns_visible_q(user))
        .select_related("framework", "scope_unit")
        .order_by("-opens_at", "-pk")
    )


@dataclass
class CompletionRow:
    unit: Unit
    expected: int = 0
    not_started: int = 0
    draft: int = 0
    submitted: int = 0
    returned: int = 0
    approved: int = 0
    member_responses: int = 0
    overdue: int = 0

    @property
    def done(self) -> int:
        return self.submitted + self.approved

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.expected) if self.expected else 0


def campaign_completion(
    campaign: Campaign, parent: Unit, now: datetime | None = None
) -> tuple[CompletionRow | None, list[CompletionRow]]:
    """Completion of ``parent``'s own assignment and of each child subtree (two queries).

    Counted by path-prefix grouping over the snapshot of assignments, so the numbers do not move
    when the tree changes after the campaign opened.
    """
    now = now or timezone.now()
    past_close = now > campaign.closes_at
    not_done = ~Q(responses__status__in=Response.COUNTED)
    late = Q(deadline__lt=now) | (Q(deadline__isnull=True) if past_close else Q(pk__in=[]))
    counts: dict[str, Any] = {"expected": Count("pk", distinct=True)}
    if campaign.framework.kind == FrameworkKind.UNIT:
        counts |= {
            "not_started": Count("pk", filter=Q(responses__status=S.DRAFT, responses__version=0)),
            "draft": Count("pk", filter=Q(responses__status=S.DRAFT, responses__version__gt=0)),
            "submitted": Count("pk", filter=Q(responses__status=S.SUBMITTED)),
            "returned": Count("pk", filter=Q(responses__status=S.RETURNED)),
            "approved": Count("pk", filter=Q(responses__status=S.APPROVED)),
            "overdue": Count("pk", filter=not_done & late),
        }
    else:
        counts |= {"member_responses": Count("responses", filter=Q(responses__status=S.SUBMITTED))}
    depth = parent.depth + 1
    base = Assignment.objects.filter(campaign=campaign, unit__path__startswith=parent.path)
    own = base.filter(unit=parent).aggregate(**counts)
    grouped = (
        base.filter(unit__depth__gte=depth)
        .annotate(prefix=Substr("unit__path", 1, Unit.steplen * depth))
        .order_by()
        .values("prefix")
        .annotate(**counts)
    )
    by_prefix: dict[str, dict[str, Any]] = {}
    for row in grouped:
        by_prefix[row["prefix"]] = {k: v for k, v in row.items() if k != "prefix"}
    children = Unit.objects.filter(path__in=list(by_prefix)).order_by("name")
    rows = [CompletionRow(unit=child, **by_prefix[child.path]) for child in children]
    own_row = CompletionRow(unit=parent, **{k: v or 0 for k, v in own.items()}) if own["expected"] else None
    return own_row, rows


def responses_to_fill(user: AnyUser) -> QuerySet[Response]:
    """Unit surveys of campaigns in progress for the units where the user is an editor."""
    unit_ids = [r.unit_id for r in held_roles(user) if r.is_editor]
    return (
        Response.objects.filter(kind=FrameworkKind.UNIT, assignment__unit_id__in=unit_ids)
        .exclude(assignment__campaign__status=Campaign.Status.DRAFT)
        .select_related("assignment__unit", "assignment__campaign")
        .order_by("assignment__campaign__closes_at", "assignment__unit__name")
    )


def responses_to_review(user: AnyUser, limit: int = 50) -> QuerySet[Response]:
    """Submitted unit surveys strictly below the units where the user is an editor."""
    q = Q(pk__in=[])
    if is_admin(user):
        q = Q()
    else:
        for role in held_roles(user):
            if role.is_editor:
                q |= Q(assignment__unit__path__startswith=role.path) & ~Q(assignment__unit__path=role.path)
    return (
        Response.objects.filter(q, kind=FrameworkKind.UNIT, status=S.SUBMITTED)
        .select_related("assignment__unit", "assignment__campaign")
        .order_by("submitted_at")[:limit]
    )


def member_links_for_user(user: AnyUser, campaign: Campaign) -> QuerySet[Assignment]:
    """Assignments of a member campaign whose link the user may share (editors at or above)."""
    q = Q(pk__in=[])
    if is_admin(user):
        q = Q()
    else:
        for role in held_roles(user):
            if role.is_editor:
                q |= Q(unit__path__startswith=role.path)
    return Assignment.objects.filter(q, campaign=campaign).select_related("unit").order_by("unit__path")[:200]


def response_evidence(response: Response) -> list[Evidence]:
    return list(Evidence.objects.filter(response=response).order_by("created_at", "pk"))


def unit_editor_roles(unit: Unit) -> QuerySet[UnitRole]:
    return UnitRole.objects.current().filter(unit=unit, role__in=UnitRole.EDITOR_ROLES).select_related("user")


@dataclass(frozen=True)
class AnswerChange:
    at: datetime
    by: str
    what: str  # the question's code
    kind: str  # "+" added, "~" changed, "-" cleared
    value: str


def answer_history(response: Response, limit: int = 200) -> list[AnswerChange]:
    """The audit trail of a response's answers, newest first (3 queries whatever the length)."""
    from django.utils.translation import gettext as _

    from .models import Answer, Question

    rows = list(
        Answer.history.filter(response_id=response.pk)
        .select_related("history_user", "option")
        .order_by("-history_date", "-history_id")[:limit]
    )
    codes = dict(Question.objects.filter(pk__in={r.question_id for r in rows}).values_list("pk", "code"))
    changes = []
    for r in rows:
        if r.history_type == "-":
            value = ""
        elif r.is_na:
            value = _("Not applicable")
        elif r.option_id:
            value = r.option.label if r.option else str(r.option_id)
        elif r.options_text:
            value = r.options_text
        elif r.value_bool is not None:
            value = _("Yes") if r.value_bool else _("No")
        elif r.value_number is not None:
            value = f"{r.value_number:g}" + (f" / {r.value_denominator:g}" if r.value_denominator is not None else "")
        else:
            value = r.value_text
        who = r.history_user.get_full_name() or r.history_user.username if r.history_user else ""
        changes.append(AnswerChange(r.history_date, who, codes.get(r.question_id, "?"), r.history_type, value))
    return changes


@dataclass(frozen=True)
class OutlineIndicator:
    pk: int
    code: str
    name: str
    questions: int


@dataclass(frozen=True)
class OutlineDomain:
    pk: int
    code: str
    name: str
    indicators: list[OutlineIndicator]


def framework_outline(framework_id: int | str) -> list[OutlineDomain]:
    """Domains and their indicators (with question counts) for the framework's admin page: two queries."""
    from .models import Domain, Indicator

    by_domain: dict[int, list[OutlineIndicator]] = {}
    indicators = (
        Indicator.objects.filter(domain__framework_id=framework_id)
        .annotate(question_count=Count("questions"))
        .order_by("order", "pk")
        .values_list("pk", "domain_id", "code", "name", "question_count")
    )
    for pk, domain_id, code, name, count in indicators:
        by_domain.setdefault(domain_id, []).append(OutlineIndicator(pk, code, name, count))
    domains = Domain.objects.filter(framework_id=framework_id).order_by("order", "pk").values_list("pk", "code", "name")
    return [OutlineDomain(pk, code, name, by_domain.get(pk, [])) for pk, code, name in domains]
