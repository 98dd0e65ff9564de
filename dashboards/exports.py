"""Dashboard tables as rows, and the writers that stream them as CSV or XLSX.

The page and the export read the same :class:`Table`, so a downloaded file holds exactly what
the page shows. CSV is generated row by row into the response; XLSX goes through openpyxl's
write-only mode into a temporary file on disk that is then streamed — neither is built in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from assessments.models import Campaign
from doanso.lib import sheets
from units.models import Unit

from .selectors import Explanation, MemberCard, Overview, TrendPoint, subtree_units


@dataclass
class Table:
    name: str  # file name stem
    title: str  # sheet title and first line
    columns: list[str]
    rows: Iterable[list[Any]]


def _stamp(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _level(scored: Any) -> str:
    return scored.level.name if scored is not None and scored.level else ""


def children_table(ov: Overview) -> Table:
    """The heat map: child units × domains, with coverage, delta and rank."""
    columns = [
        _("Code"),
        _("Unit"),
        _("Sector"),
        _("Overall"),
        pgettext("maturity", "Level"),
        *[d.name for d in ov.domains],
        _("Responded"),
        _("Expected"),
        _("Coverage (%)"),
        pgettext("score", "Change"),
        _("Rank in sector"),
        _("Computed at"),
    ]
    rows = (
        [
            r.unit.code,
            r.unit.name,
            r.unit.get_sector_display(),
            r.overall.value,
            _level(r.overall),
            *[d.value for d in r.domains],
            r.responded,
            r.expected,
            r.coverage,
            r.delta,
            r.rank,
            _stamp(r.computed_at),
        ]
        for r in ov.children
    )
    return Table(f"units-{ov.unit.code}", _("Units below %(unit)s") % {"unit": ov.unit.name}, columns, rows)


def completion_table(ov: Overview) -> Table:
    columns = [
        _("Code"),
        _("Unit"),
        _("Expected"),
        _("Not started"),
        _("Draft"),
        _("Submitted"),
        _("Returned"),
        _("Approved"),
        _("Overdue"),
        _("Done (%)"),
    ]
    own = [ov.completion_own] if ov.completion_own else []
    rows = (
        [
            r.unit.code,
            r.unit.name,
            r.expected,
            r.not_started,
            r.draft,
            r.submitted,
            r.returned,
            r.approved,
            r.overdue,
            r.percent,
        ]
        for r in [*own, *ov.completion]
    )
    return Table(f"completion-{ov.unit.code}", _("Completion in %(unit)s") % {"unit": ov.unit.name}, columns, rows)


def distribution_table(ov: Overview) -> Table:
    rows = [[level.name, count] for level, count in ov.distribution.counts]
    rows.append([_("No score"), ov.distribution.unscored])
    return Table(
        f"levels-{ov.unit.code}",
        _("Maturity levels of the responses in %(unit)s") % {"unit": ov.unit.name},
        [pgettext("maturity", "Level"), _("Responses")],
        rows,
    )


def domains_table(ov: Overview) -> Table:
    return Table(
        f"domains-{ov.unit.code}",
        _("Domains of %(unit)s") % {"unit": ov.unit.name},
        [_("Domain"), _("Score"), pgettext("maturity", "Level")],
        ([d.domain.name, d.score.value, _level(d.score)] for d in ov.radar),
    )


def members_table(card: MemberCard, unit: Unit) -> Table:
    """The member card as rows: the subtree's overall first, then each target group; a withheld
    figure is an empty cell marked as such (never its score, never its count)."""
    rows: list[list[Any]] = [
        [_("All members"), card.responses, card.overall.value, _("suppressed") if card.suppressed else ""]
    ]
    rows += [
        [g.name, g.responses, None if g.overall is None else g.overall.value, _("suppressed") if g.suppressed else ""]
        for g in card.groups
    ]

    return Table(
        f"members-{unit.code}",
        _("Member digital competency in %(unit)s") % {"unit": unit.name},
        [_("Target group"), _("Responses"), _("Score"), _("Note")],
        rows,
    )


def units_table(campaign: Campaign, unit: Unit, sector: str = "") -> Table:
    """Every unit of the subtree with its stored scores (large: used by the background export)."""
    levels = dict(Unit.Level.choices)
    sectors = dict(Unit.Sector.choices)
    rows = (
        [
            s.unit.code,
            s.unit.name,
            str(levels.get(s.unit.level, s.unit.level)),
            str(sectors.get(s.unit.sector, s.unit.sector)),
            None if s.overall is None else round(s.overall, 1),
            s.responded,
            s.expected,
            None if s.delta is None else round(s.delta, 1),
            s.rank,
            _stamp(s.computed_at),
        ]
        for s in subtree_units(campaign, unit, sector).iterator(chunk_size=2000)
    )
    columns = [
        _("Code"),
        _("Unit"),
        _("Level"),
        _("Sector"),
        _("Subtree score"),
        _("Responded"),
        _("Expected"),
        pgettext("score", "Change"),
        _("Rank in sector"),
        _("Computed at"),
    ]
    return Table(f"all-units-{unit.code}", _("All units in %(unit)s") % {"unit": unit.name}, columns, rows)


def trend_table(points: list[TrendPoint], unit: Unit) -> Table:
    return Table(
        f"trend-{unit.code}",
        _("%(unit)s across milestones") % {"unit": unit.name},
        [_("Milestone"), _("Campaign"), _("Own score"), _("Subtree score"), _("Responded"), _("Expected")],
        (
            [
                p.campaign.milestone,
                p.campaign.name,
                None if p.own is None else p.own.value,
                p.subtree.value,
                p.responded,
                p.expected,
            ]
            for p in points
        ),
    )


def explain_table(explanation: Explanation, unit: Unit) -> Table:
    def rows() -> Iterator[list[Any]]:
        for d in explanation.domains:
            for i in d.indicators:
                for a in i.answers:
                    yield [
                        d.domain.name,
                        d.own.value,
                        i.indicator.code,
                        i.indicator.name,
                        i.score.value,
                        a.question.code,
                        a.question.text,
                        a.shown if a.metric is None else a.metric.label,
                        a.points,
                        _("counts 0: evidence missing") if a.counted_as_zero else "",
                    ]

    return Table(
        f"explain-{unit.code}",
        _("Score of %(unit)s explained") % {"unit": unit.name},
        [
            _("Domain"),
            _("Domain score"),
            _("Indicator code"),
            _("Indicator"),
            _("Indicator score"),
            _("Question code"),
            _("Question"),
            _("Answer"),
            _("Points"),
            _("Note"),
        ],
        rows(),
    )


# --- Writers (doanso.lib.sheets: streamed, and no cell ever runs as a formula) -------------------


def csv_lines(table: Table) -> Iterator[str]:
    return sheets.csv_lines(table.columns, table.rows)


def write_xlsx(table: Table, out: IO[bytes]) -> int:
    """Write the table into ``out`` (write-only mode: rows go to disk as they come). Returns the row count."""
    return sheets.write_xlsx(out, sheet_title=slugify(table.title)[:31], columns=table.columns, rows=table.rows)


def write_csv(table: Table, out: IO[bytes]) -> int:
    count = -1  # the header line
    for line in csv_lines(table):
        out.write(line.encode("utf-8"))
        count += 1 if line != "\ufeff" else 0
    return count


WRITERS: dict[str, Callable[[Table, IO[bytes]], int]] = {"xlsx": write_xlsx, "csv": write_csv}
CONTENT_TYPES = sheets.CONTENT_TYPES


def file_name(table: Table, fmt: str) -> str:
    return f"{slugify(table.name) or 'export'}-{timezone.localdate():%Y%m%d}.{fmt}"


def table_response(table: Table, fmt: str) -> StreamingHttpResponse | FileResponse:
    return sheets.download(
        file_name(table, fmt), fmt, sheet_title=slugify(table.title)[:31], columns=table.columns, rows=table.rows
    )
