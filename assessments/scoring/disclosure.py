"""Small-group protection of member aggregates (statistical disclosure control), in one place.

Every surface that shows a member survey's figures — the dashboards' member card, the scores API,
the exports — asks :func:`member_protection` which cells it may show and shows nothing else:
neither the mean nor the number of responses of a withheld cell. The rule is explained, with a
worked example, in docs/privacy.md.

A *cell* is one figure of one unit's subtree: its overall (column ``"*"``), one target group
(``"g:<code>"``) or one domain (``"d:<domain id>"``), with the number of responses behind it.
Shown means with their counts are sums (mean × count), so every *relation* between cells is a sum:

* tree: a unit's cell = its own responses' part (never shown) + the same cell of each child;
* groups: a unit's overall = the sum of its target groups (+ responses without a group).

The rule, applied until nothing changes:

* primary — a cell with fewer than ``K`` responses (or fewer than ``K`` values behind its mean)
  is withheld;
* complementary, total shown — what a shown total leaves unexplained after its shown parts (its
  hidden parts and the never-shown own part) must be nobody or at least ``K`` responses;
  otherwise the smallest shown part is withheld too (the total itself when no part is left);
* complementary, total withheld — a withheld total must not be the plain sum of shown parts; if it
  is, its smallest shown part is withheld too;
* domains — a unit's domains are shown all or none, and none when its overall is withheld
  (an overall is a weighted mean of the domains: one missing domain could be solved for).

Stored partial sums are untouched (the roll-up needs them); this module only decides what is read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Max, Sum

from units.models import Unit

from ..models import Campaign, FrameworkKind, UnitDomainScore, UnitGroupScore, UnitScore

K = UnitGroupScore.SUPPRESS_BELOW
OVERALL = "*"

Cell = tuple[int, str]  # (unit id, column)


def group_column(code: str) -> str:
    return f"g:{code}"


def domain_column(domain_id: int) -> str:
    return f"d:{domain_id}"


@dataclass(frozen=True)
class Relation:
    total: Cell
    parts: tuple[Cell, ...]
    unshown: int  # responses in the total that no shown cell covers (a unit's own part, no group)


@dataclass
class Protection:
    """Which cells of one member campaign are withheld. ``counts`` are the responses behind each cell."""

    counts: dict[Cell, int]
    hidden: frozenset[Cell]
    parents: dict[int, int] = field(default_factory=dict)

    def shows(self, unit_id: int, column: str = OVERALL) -> bool:
        return (unit_id, column) not in self.hidden

    def count(self, unit_id: int, column: str = OVERALL) -> int:
        return self.counts.get((unit_id, column), 0)

    def combination_hidden(self, parent_id: int, members: Sequence[int], columns: Iterable[str]) -> set[str]:
        """Columns withheld for the combination of ``members`` (some children of ``parent_id``, e.g.
        those of one sector), so that neither the combination, nor the parent minus it, nor the
        combination minus its shown members, isolates fewer than ``K`` responses."""
        inside = set(members)
        columns = list(columns)
        children = [u for u, p in self.parents.items() if p == parent_id]
        hidden: set[str] = set()
        for column in columns:
            count = sum(self.count(u, column) for u in inside)
            hidden_in = sum(self.count(u, column) for u in inside if not self.shows(u, column))
            rest = [u for u in children if u not in inside]
            unshown_parent = self.count(parent_id, column) - sum(self.count(u, column) for u in children)
            hidden_out = max(unshown_parent, 0) + sum(self.count(u, column) for u in rest if not self.shows(u, column))
            if (
                0 < count < K
                or 0 < hidden_in < K
                or (self.shows(parent_id, column) and self.count(parent_id, column) and 0 < hidden_out < K)
            ):
                hidden.add(column)
        domains = [c for c in columns if c.startswith("d:")]
        groups = [c for c in columns if c.startswith("g:")]
        if OVERALL in hidden:
            return set(columns)
        if any(c in hidden for c in domains):
            hidden |= set(domains)
        # The combination's groups add up to its overall: the same remainder rule within it.
        total = sum(self.count(u, OVERALL) for u in inside)
        while True:
            shown_groups = sorted(
                (g for g in groups if g not in hidden and sum(self.count(u, g) for u in inside) > 0),
                key=lambda g: (sum(self.count(u, g) for u in inside), g),
            )
            remainder = total - sum(sum(self.count(u, g) for u in inside) for g in shown_groups)
            if not 0 < remainder < K or not shown_groups:
                break
            hidden.add(shown_groups[0])
        return hidden


def protect(counts: Mapping[Cell, int], relations: Sequence[Relation], also_hidden: Iterable[Cell] = ()) -> set[Cell]:
    """The withheld cells: primary ones (fewer than ``K`` responses), those in ``also_hidden``, and
    the complementary ones the relations call for (see the module's docstring)."""
    hidden = {cell for cell, n in counts.items() if 0 < n < K}
    hidden |= {cell for cell in also_hidden if counts.get(cell, 0) > 0}
    domains_of: dict[int, list[Cell]] = defaultdict(list)
    for cell in counts:
        if cell[1].startswith("d:"):
            domains_of[cell[0]].append(cell)
    involved: dict[Cell, list[int]] = defaultdict(list)
    for i, relation in enumerate(relations):
        for cell in (relation.total, *relation.parts):
            involved[cell].append(i)
    queue = list(range(len(relations)))
    queued = set(queue)

    def hide(cell: Cell) -> None:
        if cell in hidden:
            return
        hidden.add(cell)
        for i in involved.get(cell, []):
            if i not in queued:
                queued.add(i)
                queue.append(i)
        if cell[1] == OVERALL or cell[1].startswith("d:"):
            for domain in domains_of.get(cell[0], []):
                if counts.get(domain, 0) > 0:
                    hide(domain)

    for unit_id, cells in domains_of.items():  # domains: all or none, none without the overall
        if (unit_id, OVERALL) in hidden or any(c in hidden for c in cells):
            for c in cells:
                if counts.get(c, 0) > 0:
                    hide(c)

    while queue:
        i = queue.pop()
        queued.discard(i)
        relation = relations[i]
        live = [p for p in relation.parts if counts.get(p, 0) > 0]
        shown = sorted((p for p in live if p not in hidden), key=lambda p: (counts[p], p))
        if relation.total not in hidden:
            if not counts.get(relation.total, 0):
                continue
            remainder = relation.unshown + sum(counts[p] for p in live if p in hidden)
            if 0 < remainder < K:
                hide(shown[0] if shown else relation.total)
                queued.add(i)
                queue.append(i)
        elif relation.unshown == 0 and shown and not any(p in hidden for p in live):
            hide(shown[0])
    return hidden


def relations_of(counts: Mapping[Cell, int], parents: Mapping[int, int], columns: Sequence[str]) -> list[Relation]:
    """Tree relations (per column) for every unit with children, group relations for every unit."""
    children: dict[int, list[int]] = defaultdict(list)
    for unit_id, parent_id in parents.items():
        children[parent_id].append(unit_id)
    units = {cell[0] for cell in counts}
    relations = []
    for parent_id, kids in children.items():
        for column in columns:
            total = (parent_id, column)
            parts = tuple((k, column) for k in sorted(kids))
            unshown = counts.get(total, 0) - sum(counts.get(p, 0) for p in parts)
            relations.append(Relation(total, parts, max(unshown, 0)))
    groups = [c for c in columns if c.startswith("g:")]
    if groups:
        for unit_id in units:
            total = (unit_id, OVERALL)
            parts = tuple((unit_id, g) for g in groups)
            unshown = counts.get(total, 0) - sum(counts.get(p, 0) for p in parts)
            relations.append(Relation(total, parts, max(unshown, 0)))
    return relations


def _load(campaign: Campaign) -> Protection:
    counts: dict[Cell, int] = {}
    also_hidden: list[Cell] = []
    paths: dict[str, int] = {}
    for unit_id, path, responses, weight in UnitScore.objects.filter(campaign=campaign).values_list(
        "unit_id", "unit__path", "responses", "overall_weight"
    ):
        paths[path] = unit_id
        counts[(unit_id, OVERALL)] = responses
        if weight is not None and 0 < weight < K:  # fewer values than responses behind the mean
            also_hidden.append((unit_id, OVERALL))
    columns = [OVERALL]
    group_codes: set[str] = set()
    for unit_id, code, responses, weight in UnitGroupScore.objects.filter(campaign=campaign).values_list(
        "unit_id", "target_group", "responses", "overall_weight"
    ):
        counts[(unit_id, group_column(code))] = responses
        group_codes.add(code)
        if weight is not None and 0 < weight < K:
            also_hidden.append((unit_id, group_column(code)))
    domain_ids: set[int] = set()
    for unit_id, domain_id, weight in UnitDomainScore.objects.filter(campaign=campaign).values_list(
        "unit_id", "domain_id", "score_weight"
    ):
        # Member responses count once each, so a domain's weight is how many responses score it.
        counts[(unit_id, domain_column(domain_id))] = round(weight or 0)
        domain_ids.add(domain_id)
    columns += [group_column(c) for c in sorted(group_codes)] + [domain_column(d) for d in sorted(domain_ids)]
    parents = {
        unit_id: paths[path[: -Unit.steplen]] for path, unit_id in paths.items() if path[: -Unit.steplen] in paths
    }
    hidden = protect(counts, relations_of(counts, parents, columns), also_hidden)
    return Protection(counts=counts, hidden=frozenset(hidden), parents=parents)


def member_protection(campaign: Campaign) -> Protection:
    """The protection of a member campaign's stored scores, computed once per state of the scores
    (one cache entry per campaign, replaced when a recomputation changes the state). Unit surveys
    have no member cells: nothing is hidden."""
    if campaign.framework.kind != FrameworkKind.MEMBER:
        return Protection(counts={}, hidden=frozenset())
    row = UnitScore.objects.filter(campaign=campaign).aggregate(
        at=Max("computed_at"), n=Count("pk"), r=Sum("responses")
    )
    state = (row["at"].isoformat() if row["at"] else "", row["n"], row["r"])
    key = f"member-protection:{campaign.pk}"
    cached = cache.get(key)
    if isinstance(cached, tuple) and len(cached) == 2 and cached[0] == state and isinstance(cached[1], Protection):
        return cached[1]
    protection = _load(campaign)
    cache.set(key, (state, protection), 24 * 3600)
    return protection


def member_protection_warm(campaign_id: int) -> None:
    """After a recomputation has committed: compute the new protection now, in the worker, so that
    the first page or API call after it does not wait for it (a city-wide campaign takes seconds)."""
    campaign = Campaign.objects.select_related("framework").filter(pk=campaign_id).first()
    if campaign is not None and campaign.framework.kind == FrameworkKind.MEMBER:
        member_protection(campaign)
