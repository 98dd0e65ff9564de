#!/usr/bin/env python
"""Dashboard benchmark: server-side render time of the city dashboard and of unit pages on the
city-scale dataset of the scoring benchmark (36,121 units, 6,121 unit responses, 100,000 member
responses), with the number of queries each page runs.

    DATABASE_URL=postgres://…/doanso_bench python bench/run.py --seed city   # once: data + scores
    DATABASE_URL=postgres://…/doanso_bench python bench/dashboards.py

Pages are rendered in-process by Django's test client (no network, no browser): the time is the
server's work — views, selectors, templates. Each page is warmed up once, then timed ``--repeat``
times; the median and the 95th percentile are printed and written to bench/out/dashboards-<vendor>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "doanso.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from assessments.models import Campaign, FrameworkKind, UnitScore
    from units.models import Unit, UnitRole

    settings.DEBUG = False  # no debug-toolbar-style bookkeeping in the timings
    campaign = Campaign.objects.filter(framework__kind=FrameworkKind.UNIT).order_by("pk").first()
    if campaign is None or not UnitScore.objects.filter(campaign=campaign).exists():
        sys.exit("No scored bench campaign: run `python bench/run.py --seed city` on this database first.")
    root = Unit.objects.get(depth=1, code="B")
    user, _created = User.objects.get_or_create(username="bench-city", defaults={"full_name": "Bench city staff"})
    UnitRole.objects.get_or_create(user=user, unit=root, role=UnitRole.Role.STAFF)
    district = Unit.objects.get(code="B-001")
    grassroots = Unit.objects.get(code="B-001-01")
    client = Client()
    client.force_login(user)

    pages = {
        "city dashboard (120 districts)": f"/dashboard/?campaign={campaign.pk}",
        "city dashboard, one sector": f"/dashboard/?campaign={campaign.pk}&sector=university",
        "district dashboard (50 grassroots)": f"/dashboard/?campaign={campaign.pk}&unit={district.code}",
        "unit page, city": f"/dashboard/units/{root.code}/?campaign={campaign.pk}",
        "unit page, grassroots with explained score": f"/dashboard/units/{grassroots.code}/?campaign={campaign.pk}",
    }
    results = []
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        reset_queries()  # the request resets the log when it starts: count from an empty one
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        query_count = len(queries.captured_queries)  # now: later requests clear the log
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        row = {
            "page": name,
            "url": url,
            "median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
            "queries": query_count,
            "bytes": len(response.content),
        }
        results.append(row)
        print(f"{name:<45} median {row['median_ms']:>7.1f} ms  p95 {row['p95_ms']:>7.1f} ms  {row['queries']} queries")

    out = {
        "vendor": connection.vendor,
        "repeat": args.repeat,
        "machine": f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M %Z"),
        "pages": results,
    }
    path = ROOT / "bench" / "out" / f"dashboards-{connection.vendor}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
