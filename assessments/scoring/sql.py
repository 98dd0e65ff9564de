"""The scoring formula of DESIGN.md §3 as set-based SQL, portable between PostgreSQL and SQLite.

Every statement works on whole sets — all counted responses of a campaign, or the few a change
touched — and the number of statements never depends on the number of units or responses:
unit-survey response scores take three INSERT … SELECT, member responses two temporary tables,
roll-ups a few statements per tree level (path-prefix joins over treebeard's materialised path),
deltas and ranks one UPDATE each.

The per-answer score ``s`` is stored on Answer when it is saved (it depends only on the answer and
its frozen question); here it becomes the effective score: None when hidden by ``show_if``, 0 for
a scored answer of an indicator that requires evidence and has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection

from units.models import Unit

from ..models import (
    Answer,
    Assignment,
    Campaign,
    Domain,
    Evidence,
    Indicator,
    Question,
    Response,
    ResponseDomainScore,
    ResponseIndicatorScore,
    ResponseScore,
    UnitDomainScore,
    UnitGroupScore,
    UnitScore,
)
from .metrics import sources as metric_sources

COUNTED = "('submitted', 'approved')"
STEP = Unit.steplen


class T:
    """Table names, from the models (never hard-coded)."""

    answer = Answer._meta.db_table
    question = Question._meta.db_table
    indicator = Indicator._meta.db_table
    domain = Domain._meta.db_table
    evidence = Evidence._meta.db_table
    response = Response._meta.db_table
    assignment = Assignment._meta.db_table
    campaign = Campaign._meta.db_table
    unit = Unit._meta.db_table
    rscore = ResponseScore._meta.db_table
    rdscore = ResponseDomainScore._meta.db_table
    riscore = ResponseIndicatorScore._meta.db_table
    uscore = UnitScore._meta.db_table
    udscore = UnitDomainScore._meta.db_table
    ugscore = UnitGroupScore._meta.db_table


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    # Raw SQL gets no field-aware conversion: store and compare datetimes the way Django does
    # (UTC text on SQLite; a comparison with an offset string there would be silently wrong).
    adapted = [connection.ops.adapt_datetimefield_value(p) if isinstance(p, datetime) else p for p in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, adapted)
        return cursor.rowcount


def _in(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


# --- Response level -----------------------------------------------------------------------------


def _counted_responses(campaign_id: int, response_ids: Sequence[int] | None) -> tuple[str, list[Any]]:
    """WHERE fragment (on alias r) selecting the counted responses in scope."""
    sql = f"r.status IN {COUNTED} AND r.assignment_id IN (SELECT id FROM {T.assignment} WHERE campaign_id = %s)"
    params: list[Any] = [campaign_id]
    if response_ids is not None:
        sql += f" AND r.id IN ({_in(response_ids)})"
        params += list(response_ids)
    return sql, params


def _effective_score() -> str:
    """The answer's s as scored: None when hidden or unscored, 0 for a claim without evidence."""
    return f"""CASE
        WHEN a.is_hidden = TRUE OR a.score IS NULL THEN NULL
        WHEN i.evidence_required = TRUE AND NOT EXISTS (
            SELECT 1 FROM {T.evidence} e WHERE e.response_id = a.response_id AND e.indicator_id = i.id
        ) THEN 0.0
        ELSE a.score
    END"""


METRICS = "doanso_tmp_metric"


def build_metric_values(depths: Sequence[int], start: date, end: date) -> None:
    """Metric values (0–100) per unit subtree over the campaign period, from the registered
    sources (activities and payments), into a temporary table keyed by the unit's path."""
    execute(f"DROP TABLE IF EXISTS {METRICS}")
    execute(f"CREATE TEMP TABLE {METRICS} (prefix VARCHAR(255), metric VARCHAR(60), value DOUBLE PRECISION)")
    for source in metric_sources():
        rows, params = source.rows_sql(depths, start, end)
        execute(f"INSERT INTO {METRICS} (prefix, metric, value) {rows}", params)
    execute(f"CREATE INDEX {METRICS}_prefix ON {METRICS} (prefix, metric)")


def _indicator_scores_select(campaign_id: int, response_ids: Sequence[int] | None) -> tuple[str, list[Any]]:
    """SELECT response_id, indicator_id, domain_id, wi, score — one row per answered indicator.

    indicator = 100 · Σ(w_q · s) / Σ(w_q) over questions with s ≠ None (None if none).
    """
    where, params = _counted_responses(campaign_id, response_ids)
    sql = f"""
        SELECT x.response_id, x.indicator_id, x.domain_id, x.wi,
               100.0 * SUM(x.wq * x.s) / SUM(CASE WHEN x.s IS NOT NULL THEN x.wq END) AS score
        FROM (
            SELECT a.response_id, q.indicator_id, i.domain_id,
                   CAST(i.weight AS DOUBLE PRECISION) AS wi,
                   CAST(q.weight AS DOUBLE PRECISION) AS wq,
                   {_effective_score()} AS s
            FROM {T.answer} a
            JOIN {T.response} r ON r.id = a.response_id
            JOIN {T.question} q ON q.id = a.question_id
            JOIN {T.indicator} i ON i.id = q.indicator_id
            WHERE {where}
            UNION ALL
            -- metric questions: computed from the unit's records (not claims: no evidence rule)
            SELECT r.id, q.indicator_id, i.domain_id,
                   CAST(i.weight AS DOUBLE PRECISION), CAST(q.weight AS DOUBLE PRECISION), m.value / 100.0
            FROM {T.response} r
            JOIN {T.assignment} asg ON asg.id = r.assignment_id
            JOIN {T.campaign} c ON c.id = asg.campaign_id
            JOIN {T.unit} au ON au.id = asg.unit_id
            JOIN {T.question} q ON q.framework_id = c.framework_id AND q.type = 'metric' AND q.scored = TRUE
            JOIN {T.indicator} i ON i.id = q.indicator_id
            LEFT JOIN {METRICS} m ON m.prefix = au.path AND m.metric = q.metric
            WHERE {where}
        ) x
        GROUP BY x.response_id, x.indicator_id, x.domain_id, x.wi
    """
    return sql, [*params, *params]


def insert_indicator_scores(campaign_id: int, response_ids: Sequence[int] | None, now: datetime) -> int:
    select, params = _indicator_scores_select(campaign_id, response_ids)
    return execute(
        f"""INSERT INTO {T.riscore} (response_id, campaign_id, indicator_id, score, computed_at)
            SELECT ind.response_id, %s, ind.indicator_id, ind.score, %s FROM ({select}) ind""",
        [campaign_id, now, *params],
    )


def insert_domain_scores(campaign_id: int, response_ids: Sequence[int] | None, now: datetime) -> int:
    """domain = Σ(w_i · indicator) / Σ(w_i) over indicators ≠ None (None if none), from the
    indicator scores just stored."""
    where, params = "ris.campaign_id = %s", [campaign_id]
    if response_ids is not None:
        where += f" AND ris.response_id IN ({_in(response_ids)})"
        params += list(response_ids)
    return execute(
        f"""INSERT INTO {T.rdscore} (response_id, campaign_id, domain_id, score, computed_at)
            SELECT ris.response_id, %s, i.domain_id,
                   SUM(CAST(i.weight AS DOUBLE PRECISION) * ris.score)
                     / SUM(CASE WHEN ris.score IS NOT NULL THEN CAST(i.weight AS DOUBLE PRECISION) END), %s
            FROM {T.riscore} ris
            JOIN {T.indicator} i ON i.id = ris.indicator_id
            WHERE {where}
            GROUP BY ris.response_id, i.domain_id""",
        [campaign_id, now, *params],
    )


def insert_response_scores(campaign_id: int, response_ids: Sequence[int] | None, now: datetime) -> int:
    """overall = Σ(w_d · domain) / Σ(w_d) over domains ≠ None. Every counted response gets a row
    (it counts as responded even when nothing in it is scorable)."""
    where, params = _counted_responses(campaign_id, response_ids)
    return execute(
        f"""INSERT INTO {T.rscore} (response_id, campaign_id, unit_id, target_group, overall, computed_at)
            SELECT r.id, %s, asg.unit_id, r.target_group,
                   SUM(CAST(d.weight AS DOUBLE PRECISION) * rds.score)
                     / SUM(CASE WHEN rds.score IS NOT NULL THEN CAST(d.weight AS DOUBLE PRECISION) END),
                   %s
            FROM {T.response} r
            JOIN {T.assignment} asg ON asg.id = r.assignment_id
            LEFT JOIN {T.rdscore} rds ON rds.response_id = r.id
            LEFT JOIN {T.domain} d ON d.id = rds.domain_id
            WHERE {where}
            GROUP BY r.id, asg.unit_id, r.target_group""",
        [campaign_id, now, *params],
    )


def delete_response_scores(campaign_id: int, response_ids: Sequence[int] | None) -> None:
    for table in (T.riscore, T.rdscore, T.rscore):
        if response_ids is None:
            execute(f"DELETE FROM {table} WHERE campaign_id = %s", [campaign_id])
        else:
            execute(f"DELETE FROM {table} WHERE response_id IN ({_in(response_ids)})", list(response_ids))


# --- Unit level: subtree roll-ups, bottom-up through the tree ------------------------------------
#
# A unit's subtree roll-up is its own responses plus its children's subtrees. Each level keeps the
# partial sums (Σ weight·value and Σ weight over non-null values) its mean is made of, so levels are
# computed from the deepest up, each from the level below: every response is read once, not once
# per ancestor, and an incremental update touches only one unit per level.

OWN_UNIT, OWN_DOMAIN, OWN_GROUP = "doanso_tmp_own_unit", "doanso_tmp_own_domain", "doanso_tmp_own_group"
MEMBER_RESPONSE_DOMAIN, MEMBER_RESPONSE = "doanso_tmp_member_response_domain", "doanso_tmp_member_response"
TEMP_TABLES = (OWN_UNIT, OWN_DOMAIN, OWN_GROUP, MEMBER_RESPONSE_DOMAIN, MEMBER_RESPONSE, METRICS)


def _weight(members: bool) -> str:
    return "CAST(au.member_count AS DOUBLE PRECISION)" if members else "1.0"


def _unit_filter(unit_ids: Sequence[int] | None, column: str) -> tuple[str, list[Any]]:
    if unit_ids is None:
        return "", []
    if not unit_ids:
        return " AND 1 = 0", []
    return f" AND {column} IN ({_in(unit_ids)})", list(unit_ids)


def build_member_response_scores(
    campaign_id: int, *, one_question_per_indicator: bool, unit_ids: Sequence[int] | None
) -> None:
    """Member surveys: per-response domain and overall scores, straight from the answers, into
    temporary tables. 100,000 anonymous responses are only ever read as sums per unit, so they are
    not stored; an incremental update recomputes the few responses of the touched units."""
    scope, params = _unit_filter(unit_ids, "asg.unit_id")
    rows = f"""
        FROM {T.answer} a
        JOIN {T.response} r ON r.id = a.response_id
        JOIN {T.assignment} asg ON asg.id = r.assignment_id
        JOIN {T.question} q ON q.id = a.question_id
        JOIN {T.indicator} i ON i.id = q.indicator_id
        WHERE asg.campaign_id = %s AND r.status IN {COUNTED}{scope}"""
    if one_question_per_indicator:
        indicators = f"""
            SELECT a.response_id, asg.unit_id, r.target_group, i.domain_id,
                   CAST(i.weight AS DOUBLE PRECISION) AS wi, 100.0 * {_effective_score()} AS score {rows}"""
    else:
        indicators = f"""
            SELECT x.response_id, x.unit_id, x.target_group, x.domain_id, x.wi,
                   100.0 * SUM(x.wq * x.s) / SUM(CASE WHEN x.s IS NOT NULL THEN x.wq END) AS score
            FROM (
                SELECT a.response_id, asg.unit_id, r.target_group, q.indicator_id, i.domain_id,
                       CAST(i.weight AS DOUBLE PRECISION) AS wi, CAST(q.weight AS DOUBLE PRECISION) AS wq,
                       {_effective_score()} AS s {rows}
            ) x
            GROUP BY x.response_id, x.unit_id, x.target_group, x.indicator_id, x.domain_id, x.wi"""
    execute(
        f"""CREATE TEMP TABLE {MEMBER_RESPONSE_DOMAIN} AS
            SELECT ind.response_id, ind.unit_id, ind.target_group, ind.domain_id,
                   SUM(ind.wi * ind.score) / SUM(CASE WHEN ind.score IS NOT NULL THEN ind.wi END) AS score
            FROM ({indicators}) ind
            GROUP BY ind.response_id, ind.unit_id, ind.target_group, ind.domain_id""",
        [campaign_id, *params],
    )
    # Without these, SQLite joins the temporary tables row by row (PostgreSQL would hash them).
    execute(f"CREATE INDEX {MEMBER_RESPONSE_DOMAIN}_response ON {MEMBER_RESPONSE_DOMAIN} (response_id)")
    execute(
        f"""CREATE TEMP TABLE {MEMBER_RESPONSE} AS
            SELECT r.id AS response_id, asg.unit_id, r.target_group,
                   SUM(CAST(d.weight AS DOUBLE PRECISION) * rd.score)
                     / SUM(CASE WHEN rd.score IS NOT NULL THEN CAST(d.weight AS DOUBLE PRECISION) END) AS overall
            FROM {T.response} r
            JOIN {T.assignment} asg ON asg.id = r.assignment_id
            LEFT JOIN {MEMBER_RESPONSE_DOMAIN} rd ON rd.response_id = r.id
            LEFT JOIN {T.domain} d ON d.id = rd.domain_id
            WHERE asg.campaign_id = %s AND r.status IN {COUNTED}{scope}
            GROUP BY r.id, asg.unit_id, r.target_group""",
        [campaign_id, *params],
    )
    execute(f"CREATE INDEX {MEMBER_RESPONSE}_unit ON {MEMBER_RESPONSE} (unit_id)")


def build_own_partials(
    campaign_id: int, *, members: bool, unit_survey: bool, unit_ids: Sequence[int] | None = None
) -> None:
    """Temporary per-unit sums of each assigned unit's own counted responses (one scan each).

    Unit surveys read the stored response scores; member surveys the temporary ones built by
    :func:`build_member_response_scores`.
    """
    w = _weight(members)
    if unit_survey:
        scope, params = _unit_filter(unit_ids, "unit_id")
        responses = (
            f"(SELECT response_id, unit_id, target_group, overall FROM {T.rscore} WHERE campaign_id = %s{scope})"
        )
        response_params = [campaign_id, *params]
        scope, params = _unit_filter(unit_ids, "rs.unit_id")
        domains = f"""(SELECT rds.response_id, rs.unit_id, rds.domain_id, rds.score
                       FROM {T.rdscore} rds JOIN {T.rscore} rs ON rs.response_id = rds.response_id
                       WHERE rds.campaign_id = %s{scope})"""
        domain_params = [campaign_id, *params]
    else:
        responses, response_params = MEMBER_RESPONSE, []
        domains, domain_params = MEMBER_RESPONSE_DOMAIN, []
    scope, params = _unit_filter(unit_ids, "asg.unit_id")
    execute(
        f"""CREATE TEMP TABLE {OWN_UNIT} AS
            SELECT asg.unit_id, au.depth, 1 AS expected,
                   CASE WHEN COUNT(rs.response_id) > 0 THEN 1 ELSE 0 END AS responded,
                   COUNT(rs.response_id) AS responses,
                   SUM({w} * rs.overall) AS s,
                   SUM(CASE WHEN rs.overall IS NOT NULL THEN {w} END) AS wt
            FROM {T.assignment} asg
            JOIN {T.unit} au ON au.id = asg.unit_id
            LEFT JOIN {responses} rs ON rs.unit_id = asg.unit_id
            WHERE asg.campaign_id = %s{scope}
            GROUP BY asg.unit_id, au.depth""",
        [*response_params, campaign_id, *params],
    )
    execute(
        f"""CREATE TEMP TABLE {OWN_DOMAIN} AS
            SELECT rd.unit_id, au.depth, rd.domain_id,
                   SUM({w} * rd.score) AS s, SUM(CASE WHEN rd.score IS NOT NULL THEN {w} END) AS wt
            FROM {domains} rd
            JOIN {T.unit} au ON au.id = rd.unit_id
            GROUP BY rd.unit_id, au.depth, rd.domain_id""",
        domain_params,
    )
    if not unit_survey:
        execute(
            f"""CREATE TEMP TABLE {OWN_GROUP} AS
                SELECT rs.unit_id, au.depth, rs.target_group, COUNT(*) AS n,
                       SUM(rs.overall) AS s, SUM(CASE WHEN rs.overall IS NOT NULL THEN 1.0 END) AS wt
                FROM {responses} rs
                JOIN {T.unit} au ON au.id = rs.unit_id
                GROUP BY rs.unit_id, au.depth, rs.target_group""",
            response_params,
        )


def drop_temp_tables() -> None:
    for table in TEMP_TABLES:
        execute(f"DROP TABLE IF EXISTS {table}")


def _children(depth: int, unit_ids: Sequence[int] | None) -> tuple[str, list[Any]]:
    """FROM/WHERE joining rows of the level below (alias cs) to their parent p at ``depth``."""
    scope, params = _unit_filter(unit_ids, "p.id")
    sql = f"""JOIN {T.unit} cu ON cu.id = cs.unit_id
              JOIN {T.unit} p ON p.path = substr(cu.path, 1, %s)
              WHERE cs.campaign_id = %s AND cu.depth = %s{scope}"""
    return sql, [depth * STEP, *params]


def insert_unit_level(campaign_id: int, depth: int, now: datetime, *, unit_ids: Sequence[int] | None = None) -> int:
    """Subtree coverage and overall of the units at ``depth`` (all, or ``unit_ids``)."""
    children, child_params = _children(depth, unit_ids)
    own_scope, own_params = _unit_filter(unit_ids, "unit_id")
    return execute(
        f"""INSERT INTO {T.uscore}
                (campaign_id, unit_id, expected, responded, responses,
                 overall_sum, overall_weight, overall, computed_at)
            SELECT %s, x.unit_id, SUM(x.expected), SUM(x.responded), SUM(x.responses), SUM(x.s), SUM(x.wt),
                   SUM(x.s) / NULLIF(SUM(x.wt), 0), %s
            FROM (
                SELECT unit_id, expected, responded, responses, s, wt FROM {OWN_UNIT} WHERE depth = %s{own_scope}
                UNION ALL
                SELECT p.id, cs.expected, cs.responded, cs.responses, cs.overall_sum, cs.overall_weight
                FROM {T.uscore} cs {children}
            ) x
            GROUP BY x.unit_id""",
        [campaign_id, now, depth, *own_params, *child_params[:1], campaign_id, depth + 1, *child_params[1:]],
    )


def insert_unit_domain_level(
    campaign_id: int, depth: int, now: datetime, *, unit_ids: Sequence[int] | None = None
) -> int:
    children, child_params = _children(depth, unit_ids)
    own_scope, own_params = _unit_filter(unit_ids, "unit_id")
    return execute(
        f"""INSERT INTO {T.udscore} (campaign_id, unit_id, domain_id, score_sum, score_weight, score, computed_at)
            SELECT %s, x.unit_id, x.domain_id, SUM(x.s), SUM(x.wt), SUM(x.s) / NULLIF(SUM(x.wt), 0), %s
            FROM (
                SELECT unit_id, domain_id, s, wt FROM {OWN_DOMAIN} WHERE depth = %s{own_scope}
                UNION ALL
                SELECT p.id, cs.domain_id, cs.score_sum, cs.score_weight
                FROM {T.udscore} cs {children}
            ) x
            GROUP BY x.unit_id, x.domain_id""",
        [campaign_id, now, depth, *own_params, *child_params[:1], campaign_id, depth + 1, *child_params[1:]],
    )


def insert_unit_group_level(
    campaign_id: int, depth: int, now: datetime, *, unit_ids: Sequence[int] | None = None
) -> int:
    """Member surveys per target group; the mean is left empty for groups under the threshold."""
    children, child_params = _children(depth, unit_ids)
    own_scope, own_params = _unit_filter(unit_ids, "unit_id")
    return execute(
        f"""INSERT INTO {T.ugscore}
                (campaign_id, unit_id, target_group, responses, overall_sum, overall_weight, overall, computed_at)
            SELECT %s, x.unit_id, x.target_group, SUM(x.n), SUM(x.s), SUM(x.wt),
                   CASE WHEN SUM(x.n) >= %s THEN SUM(x.s) / NULLIF(SUM(x.wt), 0) END, %s
            FROM (
                SELECT unit_id, target_group, n, s, wt FROM {OWN_GROUP} WHERE depth = %s{own_scope}
                UNION ALL
                SELECT p.id, cs.target_group, cs.responses, cs.overall_sum, cs.overall_weight
                FROM {T.ugscore} cs {children}
            ) x
            GROUP BY x.unit_id, x.target_group""",
        [
            campaign_id,
            UnitGroupScore.SUPPRESS_BELOW,
            now,
            depth,
            *own_params,
            *child_params[:1],
            campaign_id,
            depth + 1,
            *child_params[1:],
        ],
    )


def delete_unit_scores(campaign_id: int, unit_ids: Sequence[int] | None) -> None:
    for table in (T.uscore, T.udscore, T.ugscore):
        if unit_ids is None:
            execute(f"DELETE FROM {table} WHERE campaign_id = %s", [campaign_id])
        else:
            execute(
                f"DELETE FROM {table} WHERE campaign_id = %s AND unit_id IN ({_in(unit_ids)})", [campaign_id, *unit_ids]
            )


def update_deltas(campaign_id: int, previous_id: int | None, unit_ids: Sequence[int] | None = None) -> int:
    """delta = overall − the same unit's overall in the previous campaign (None if either is None)."""
    scope, params = "", []
    if unit_ids is not None:
        scope, params = f" AND unit_id IN ({_in(unit_ids)})", list(unit_ids)
    if previous_id is None:
        return execute(f"UPDATE {T.uscore} SET delta = NULL WHERE campaign_id = %s{scope}", [campaign_id, *params])
    return execute(
        f"""UPDATE {T.uscore}
            SET delta = overall - (
                SELECT p.overall FROM {T.uscore} p WHERE p.campaign_id = %s AND p.unit_id = {T.uscore}.unit_id
            )
            WHERE campaign_id = %s{scope}""",
        [previous_id, campaign_id, *params],
    )


def update_ranks(campaign_id: int, parent_paths: Sequence[str] | None = None, *, fresh: bool = False) -> int:
    """rank = position by subtree overall among siblings of the same sector (1 = best; ties share).

    ``parent_paths`` limits the work to those sibling groups; ``fresh`` says the rows were just
    inserted (no old rank to clear).
    """
    scope, params = "", []
    if parent_paths is not None:
        if not parent_paths:
            return 0
        scope = f" AND substr(u.path, 1, length(u.path) - %s) IN ({_in(parent_paths)})"
        params = [STEP, *parent_paths]
    if not fresh:
        execute(
            f"""UPDATE {T.uscore} SET rank = NULL
                WHERE campaign_id = %s AND unit_id IN (SELECT u.id FROM {T.unit} u WHERE 1 = 1{scope})""",
            [campaign_id, *params],
        )
    return execute(
        f"""UPDATE {T.uscore} SET rank = ranked.rnk
            FROM (
                SELECT s.id AS id,
                       RANK() OVER (
                           PARTITION BY substr(u.path, 1, length(u.path) - %s), u.sector ORDER BY s.overall DESC
                       ) AS rnk
                FROM {T.uscore} s
                JOIN {T.unit} u ON u.id = s.unit_id
                WHERE s.campaign_id = %s AND s.overall IS NOT NULL{scope}
            ) ranked
            WHERE {T.uscore}.id = ranked.id""",
        [STEP, campaign_id, *params],
    )
