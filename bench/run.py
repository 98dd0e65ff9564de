#!/usr/bin/env python
"""Scoring benchmark: full rebuild, incremental update, peak memory — beside hand-written SQL.

    DATABASE_URL=postgres://…/doanso_bench python bench/run.py --seed city
    DATABASE_URL=sqlite:///var/bench.sqlite3 python bench/run.py --seed city

Use a dedicated database: seeding wipes its units, campaigns and responses. Each timing is the
median of ``--repeat`` runs; each full rebuild runs in a fresh process so that its peak memory
(max RSS) is its own. Results are printed and written to bench/out/scoring-<vendor>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "doanso.settings")
os.environ.pop("REDIS_URL", None)  # in-process: the measured work is the worker's work, without a broker hop


def setup_django() -> None:
    import django

    django.setup()


def child_rebuild(campaign_id: int) -> None:
    """Run in a fresh process: one full rebuild; print seconds and peak RSS."""
    setup_django()
    from assessments.scoring.services import scores_rebuild_campaign

    started = time.perf_counter()
    scores_rebuild_campaign(campaign_id=campaign_id)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def handwritten_sql(campaign_id: int) -> list[str]:
    from assessments.models import Campaign
    from units.models import Unit

    campaign = Campaign.objects.select_related("framework", "scope_unit").get(pk=campaign_id)
    max_depth = max(campaign.assignments.values_list("unit__depth", flat=True).distinct())
    ancestors = "\nUNION ALL\n".join(
        f"SELECT u.id AS unit_id, substr(u.path, 1, {depth * Unit.steplen}) AS ancestor FROM units_unit u "
        f"WHERE u.depth >= {depth} AND u.id IN "
        f"(SELECT unit_id FROM assessments_assignment WHERE campaign_id = {campaign_id})"
        for depth in range(campaign.scope_unit.depth, max_depth + 1)
    )
    script = (ROOT / "bench" / "handwritten.sql").read_text(encoding="utf-8")
    script = script.replace("{ancestors}", ancestors).replace("{campaign}", str(campaign_id))
    script = script.replace("{member_survey}", "TRUE" if campaign.framework.kind == "member" else "FALSE")
    body = "\n".join(line for line in script.splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split("\n;\n") if s.strip()]


def time_handwritten(campaign_id: int) -> float:
    from django.db import connection, transaction

    statements = handwritten_sql(campaign_id)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return time.perf_counter() - started


def measure_rebuild(campaign_id: int, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "_rebuild", str(campaign_id)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "max_rss_mb": max(r["max_rss_mb"] for r in runs),
    }


def measure_incremental(unit_campaign_id: int, repeat: int) -> dict[str, float]:
    """A draft unit response is completed and submitted; time until the API shows its scores and
    every ancestor's roll-up (submit + the worker's recomputation + one API read per level)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from rest_framework.test import APIClient

    from assessments import services
    from assessments.models import Question, Response
    from assessments.scoring.services import scores_process_pending
    from units.models import Unit

    admin, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client = APIClient()
    client.force_authenticate(admin)
    questions = [
        q
        for q in services.framework_questions(
            Response.objects.filter(assignment__campaign_id=unit_campaign_id).first().assignment.campaign.framework_id
        )
        if q.required
        and q.type
        in (
            Question.Type.LEVEL,
            Question.Type.CHOICE,
            Question.Type.YES_NO,
            Question.Type.NUMBER,
            Question.Type.RATIO,
            Question.Type.PERCENT,
            Question.Type.MULTI,
        )
    ]
    timings = []
    drafts = list(
        Response.objects.filter(assignment__campaign_id=unit_campaign_id, status="draft").select_related(
            "assignment__unit"
        )[:repeat]
    )
    for response in drafts:
        inputs = []
        for q in questions:
            if q.type in (Question.Type.LEVEL, Question.Type.CHOICE, Question.Type.MULTI):
                value = q.options.all()[len(q.options.all()) - 1].code
                inputs.append(services.AnswerInput(q.code, [value] if q.type == Question.Type.MULTI else value))
            elif q.type == Question.Type.YES_NO:
                inputs.append(services.AnswerInput(q.code, True))
            elif q.type == Question.Type.RATIO:
                inputs.append(services.AnswerInput(q.code, {"numerator": 8, "denominator": 10}))
            else:
                inputs.append(services.AnswerInput(q.code, 50))
        response = services.response_save_answers(response=response, version=response.version, answers=inputs, by=admin)
        unit = response.assignment.unit
        chain = [*Unit.objects.filter(path__in=unit.ancestor_paths()).order_by("depth"), unit]
        before = {
            u.code: client.get("/api/v1/scores/", {"campaign": unit_campaign_id, "unit": u.code}).json()["subtree"][
                "responded"
            ]
            for u in chain
        }
        started = time.perf_counter()
        with transaction.atomic():
            services.response_submit(response=response, by=admin)
        scores_process_pending(campaign_id=unit_campaign_id)  # what the worker does on the message
        for u in chain:
            body = client.get("/api/v1/scores/", {"campaign": unit_campaign_id, "unit": u.code}).json()
            assert body["subtree"]["responded"] == before[u.code] + 1, (u.code, body)
        timings.append(time.perf_counter() - started)
    return {"seconds": statistics.median(timings), "max_seconds": max(timings), "runs": len(timings)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", choices=["city", "district", "tiny"], help="(Re)seed the dataset first.")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.seed:
        subprocess.run([sys.executable, "manage.py", "bench_seed", "--scale", args.seed, "--yes"], cwd=ROOT, check=True)
    setup_django()
    from django.db import connection

    from assessments.models import Answer, Campaign, Response
    from bench.seed import MEMBER_CAMPAIGN, UNIT_CAMPAIGN
    from units.models import Unit

    unit_campaign = Campaign.objects.get(name=UNIT_CAMPAIGN)
    member_campaign = Campaign.objects.get(name=MEMBER_CAMPAIGN)
    results: dict[str, object] = {
        "vendor": connection.vendor,
        "database_version": ".".join(map(str, connection.get_database_version()))
        if hasattr(connection, "get_database_version")
        else "",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "units": Unit.objects.count(),
        "responses": Response.objects.filter(status__in=["submitted", "approved"]).count(),
        "answers": Answer.objects.count(),
    }
    rows = []
    totals = {"app": 0.0, "sql": 0.0}
    peak = 0.0
    for label, campaign in (("unit campaign", unit_campaign), ("member campaign", member_campaign)):
        app = measure_rebuild(campaign.pk, args.repeat)
        sql = statistics.median(time_handwritten(campaign.pk) for _ in range(args.repeat))
        totals["app"] += app["seconds"]
        totals["sql"] += sql
        peak = max(peak, app["max_rss_mb"])
        rows.append((f"full rebuild, {label}", app["seconds"], sql))
    rows.append(("full rebuild, both campaigns", totals["app"], totals["sql"]))
    incremental = measure_incremental(unit_campaign.pk, args.repeat)
    results.update(
        {
            "rebuild": {
                name: {"app_s": round(a, 3), "handwritten_sql_s": round(s, 3), "ratio": round(a / s, 2)}
                for name, a, s in rows
            },
            "incremental_api_visible_s": round(incremental["seconds"], 3),
            "incremental_max_s": round(incremental["max_seconds"], 3),
            "rebuild_peak_rss_mb": round(peak, 1),
        }
    )
    print(f"\n{results['vendor']} {results['database_version']} · {results['machine']} · {results['date']}")
    print(f"{results['units']:,} units, {results['responses']:,} counted responses, {results['answers']:,} answers\n")
    print(f"{'measure':<36}{'app':>10}{'hand SQL':>12}{'ratio':>8}")
    for name, a, s in rows:
        print(f"{name:<36}{a:>9.2f}s{s:>11.2f}s{a / s:>8.2f}")
    runs = f"(median of {incremental['runs']}, max {incremental['max_seconds']:.3f}s)"
    print(f"{'one submit → API shows unit + ancestors':<36}{incremental['seconds']:>9.3f}s   {runs}")
    print(f"{'peak memory of a rebuild process':<36}{peak:>8.0f}MB")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / f"scoring-{results['vendor']}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "_rebuild":
        child_rebuild(int(sys.argv[2]))
    else:
        main()
