"""Deterministic city-scale data for the scoring benchmark (``manage.py bench_seed``).

At ``--scale city``: 36,121 units (1 city, 120 upper-grassroots, 6,000 grassroots, 30,000
branches); a unit campaign on the default unit framework with one submitted response of 50 answers
per non-branch unit (6,121 responses), and a member campaign on the default member framework with
100,000 submitted member responses of 24 answers each — about 2.7 million answers.

Rows are written in bulk (COPY on PostgreSQL, executemany on SQLite) with the same stored shape the
services produce (each answer's score computed by ``assessments.answers.answer_score``).
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from assessments import services
from assessments.answers import answer_score
from assessments.demo import load_default_frameworks
from assessments.models import (
    Answer,
    Assignment,
    Campaign,
    Evidence,
    Framework,
    Question,
    ReminderLog,
    Response,
    ResponseDomainScore,
    ResponseIndicatorScore,
    ResponseScore,
    ResponseTransition,
    ScoreDirty,
    UnitDomainScore,
    UnitGroupScore,
    UnitScore,
)
from units.models import Unit, UnitRole


@dataclass(frozen=True)
class Scale:
    uppers: int
    grassroots_per_upper: int
    branches_per_grassroots: int
    member_responses: int
    unit_answers: int = 50
    drafts: int = 20  # unit responses left as drafts, for the incremental measurement

    @property
    def units(self) -> int:
        g = self.uppers * self.grassroots_per_upper
        return 1 + self.uppers + g + g * self.branches_per_grassroots


SCALES = {
    "city": Scale(uppers=120, grassroots_per_upper=50, branches_per_grassroots=5, member_responses=100_000),
    "district": Scale(uppers=12, grassroots_per_upper=50, branches_per_grassroots=5, member_responses=10_000),
    "tiny": Scale(uppers=3, grassroots_per_upper=4, branches_per_grassroots=3, member_responses=200, drafts=2),
}
SECTORS = [s.value for s in Unit.Sector]
TARGET_GROUPS = ["pupil", "student", "worker", "civil_servant", "armed_forces", "residential", "other"]
UNIT_CAMPAIGN = "Bench — khảo sát đơn vị"
MEMBER_CAMPAIGN = "Bench — năng lực số đoàn viên"


def _copy_rows(model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]], batch: int = 200_000) -> int:
    """Bulk insert raw rows: COPY on PostgreSQL, executemany on SQLite."""
    table = model._meta.db_table
    count = 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg2 cursor, for copy_expert
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(r"\N" if v is None else str(v) for v in row))
                buffer.write("\n")
                count += 1
                if count % batch == 0:
                    buffer.seek(0)
                    raw.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
                    buffer = io.StringIO()
            buffer.seek(0)
            raw.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
        return count

    def adapt(row: Sequence[Any]) -> list[Any]:  # datetimes as Django stores them on SQLite (UTC text)
        return [connection.ops.adapt_datetimefield_value(v) if isinstance(v, datetime) else v for v in row]

    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        chunk: list[Sequence[Any]] = []
        for row in rows:
            chunk.append(adapt(row))
            if len(chunk) >= 50_000:
                cursor.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            count += len(chunk)
    return count


def _reset() -> None:
    for model in (
        ScoreDirty,
        ReminderLog,
        Evidence,
        UnitGroupScore,
        UnitDomainScore,
        UnitScore,
        ResponseIndicatorScore,
        ResponseDomainScore,
        ResponseScore,
        ResponseTransition,
        Answer.options.through,
        Answer,
        Response,
        Assignment,
        Campaign,
        UnitRole,
    ):
        model.objects.all()._raw_delete(model.objects.db)  # type: ignore[attr-defined]
    Unit.objects.all()._raw_delete(Unit.objects.db)  # type: ignore[attr-defined]


def _unit_rows(scale: Scale, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """(path, depth, numchild, code, name, level, sector, member_count) in tree order."""
    path = Unit._get_path  # treebeard's own path arithmetic
    g, b = scale.grassroots_per_upper, scale.branches_per_grassroots
    root = path(None, 1, 1)
    yield (root, 1, scale.uppers, "B", "Thành Đoàn (bench)", "city", "agency", 0)
    for u in range(scale.uppers):
        sector = SECTORS[u % len(SECTORS)]
        upath = path(root, 2, u + 1)
        ucode = f"B-{u + 1:03d}"
        yield (upath, 2, g, ucode, f"Đoàn cấp trên {u + 1}", "upper_grassroots", sector, 0)
        for gi in range(g):
            gpath = path(upath, 3, gi + 1)
            gcode = f"{ucode}-{gi + 1:02d}"
            yield (gpath, 3, b, gcode, f"Đoàn cơ sở {u + 1}.{gi + 1}", "grassroots", sector, rng.randint(0, 5))
            for bi in range(b):
                yield (
                    path(gpath, 4, bi + 1),
                    4,
                    0,
                    f"{gcode}-{bi + 1}",
                    f"Chi đoàn {u + 1}.{gi + 1}.{bi + 1}",
                    "branch",
                    sector,
                    rng.randint(10, 60),
                )


def _answer_value(rng: random.Random, question: Question, quality: float) -> dict[str, Any]:
    """Column values of one answer (the stored shape), with its score."""
    T = Question.Type
    options = list(question.options.all())
    row: dict[str, Any] = {
        "option_id": None,
        "value_bool": None,
        "value_number": None,
        "value_denominator": None,
        "value_text": "",
    }
    option_points: int | None = None
    if question.type in (T.LEVEL, T.CHOICE, T.MULTI):
        ordered = sorted(options, key=lambda o: o.points)
        option = ordered[min(len(ordered) - 1, max(0, round(rng.gauss(quality * (len(ordered) - 1), 0.9))))]
        row["option_id"], option_points = option.pk, option.points
    elif question.type == T.YES_NO:
        row["value_bool"] = rng.random() < quality + 0.1
    elif question.type == T.NUMBER:
        row["value_number"] = rng.randint(0, 12)
    elif question.type == T.PERCENT:
        row["value_number"] = rng.randint(0, 100)
    elif question.type == T.RATIO:
        denominator = rng.randint(10, 60)
        row["value_number"], row["value_denominator"] = rng.randint(0, denominator), denominator
    row["score"] = answer_score(
        question,
        is_na=False,
        option_points=option_points,
        options_points=[option_points] if question.type == T.MULTI and option_points is not None else [],
        value_bool=row["value_bool"],
        value_number=None if row["value_number"] is None else Decimal(row["value_number"]),
        value_denominator=None if row["value_denominator"] is None else Decimal(row["value_denominator"]),
    )
    return row


ANSWER_COLUMNS = [
    "response_id",
    "question_id",
    "is_na",
    "option_id",
    "value_bool",
    "value_number",
    "value_denominator",
    "value_text",
    "options_text",
    "score",
    "is_hidden",
    "updated_at",
]


def _answers(
    rng: random.Random, response_ids: Sequence[int], questions: Sequence[Question], per_response: int, now: Any
) -> Iterator[tuple[Any, ...]]:
    for response_id in response_ids:
        quality = rng.betavariate(2.2, 2.0)
        for question in questions[:per_response]:
            v = _answer_value(rng, question, quality)
            yield (
                response_id,
                question.pk,
                False,
                v["option_id"],
                v["value_bool"],
                v["value_number"],
                v["value_denominator"],
                "",
                "",
                v["score"],
                False,
                now,
            )


def seed(scale_name: str = "city", *, seed: int = 20261127, log: Any = print) -> dict[str, Any]:
    """Replace the database's units, campaigns and responses with the benchmark dataset."""
    scale = SCALES[scale_name]
    rng = random.Random(seed)
    started = time.perf_counter()
    now = timezone.now()
    with transaction.atomic():
        _reset()
        unit_framework, member_framework = load_default_frameworks()
        _copy_rows(
            Unit,
            [
                "path",
                "depth",
                "numchild",
                "code",
                "name",
                "level",
                "sector",
                "member_count",
                "subtree_member_count",
                "search_text",
                "is_active",
            ],
            ((*r, 0, r[3].lower(), True) for r in _unit_rows(scale, rng)),
        )
        log(f"units: {Unit.objects.count():,} ({time.perf_counter() - started:.1f} s)")
        root = Unit.objects.get(depth=1)
        window = {
            "period_start": (now - timedelta(days=180)).date(),
            "period_end": now.date(),
            "opens_at": now - timedelta(days=10),
            "closes_at": now + timedelta(days=20),
        }
        unit_campaign = Campaign.objects.create(
            framework=unit_framework,
            name=UNIT_CAMPAIGN,
            milestone="Bench",
            scope_unit=root,
            levels=["city", "upper_grassroots", "grassroots"],
            status=Campaign.Status.OPEN,
            opened_at=now,
            **window,
        )
        member_campaign = Campaign.objects.create(
            framework=member_framework,
            name=MEMBER_CAMPAIGN,
            milestone="Bench",
            scope_unit=root,
            levels=["branch"],
            status=Campaign.Status.OPEN,
            opened_at=now,
            **window,
        )
        for campaign in (unit_campaign, member_campaign):
            units = Unit.objects.filter(level__in=campaign.levels).order_by("path").values_list("pk", flat=True)
            _copy_rows(
                Assignment,
                ["campaign_id", "unit_id", "member_token", "created_at"],
                ((campaign.pk, uid, f"b{campaign.pk}x{uid}", now) for uid in units.iterator()),
            )
        log(f"assignments: {Assignment.objects.count():,} ({time.perf_counter() - started:.1f} s)")

        # Unit survey: one response per non-branch unit; a few stay drafts for the incremental run.
        assignment_ids = list(
            Assignment.objects.filter(campaign=unit_campaign).order_by("pk").values_list("pk", flat=True)
        )
        drafts = set(rng.sample(assignment_ids, min(scale.drafts, len(assignment_ids))))
        _copy_rows(
            Response,
            ["assignment_id", "kind", "status", "version", "target_group", "created_at", "updated_at", "submitted_at"],
            (
                (
                    a,
                    "unit",
                    "draft" if a in drafts else "submitted",
                    0 if a in drafts else 1,
                    "",
                    now,
                    now,
                    None if a in drafts else now,
                )
                for a in assignment_ids
            ),
        )
        unit_questions = [
            q
            for q in services.framework_questions(unit_framework.pk)
            if q.is_scored and q.type != Question.Type.METRIC and not q.show_if_question_id
        ]
        unit_response_ids = list(
            Response.objects.filter(assignment__campaign=unit_campaign, status="submitted")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        _copy_rows(Answer, ANSWER_COLUMNS, _answers(rng, unit_response_ids, unit_questions, scale.unit_answers, now))
        elapsed = time.perf_counter() - started
        log(f"unit responses: {len(unit_response_ids):,} submitted, {len(drafts)} drafts ({elapsed:.1f} s)")

        # Member survey: responses spread over branches, 24 answers each.
        branch_assignments = list(
            Assignment.objects.filter(campaign=member_campaign).order_by("pk").values_list("pk", flat=True)
        )
        _copy_rows(
            Response,
            ["assignment_id", "kind", "status", "version", "target_group", "created_at", "updated_at", "submitted_at"],
            (
                (rng.choice(branch_assignments), "member", "submitted", 1, rng.choice(TARGET_GROUPS), now, now, now)
                for _ in range(scale.member_responses)
            ),
        )
        member_questions = [
            q
            for q in services.framework_questions(member_framework.pk)
            if q.type == Question.Type.LEVEL and not q.target_groups
        ]
        member_response_ids = list(
            Response.objects.filter(assignment__campaign=member_campaign).order_by("pk").values_list("pk", flat=True)
        )
        _copy_rows(Answer, ANSWER_COLUMNS, _answers(rng, member_response_ids, member_questions, 24, now))
        log(f"member responses: {len(member_response_ids):,} ({time.perf_counter() - started:.1f} s)")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    summary = {
        "scale": scale_name,
        "units": Unit.objects.count(),
        "unit_responses": len(unit_response_ids),
        "member_responses": len(member_response_ids),
        "answers": Answer.objects.count(),
        "unit_campaign": unit_campaign.pk,
        "member_campaign": member_campaign.pk,
        "seconds": round(time.perf_counter() - started, 1),
    }
    log(f"done: {summary}")
    return summary


def framework_of(campaign_id: int) -> Framework:
    return Campaign.objects.get(pk=campaign_id).framework
