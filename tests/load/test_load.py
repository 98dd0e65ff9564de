"""The load run, short form: 50 secretaries save their unit survey several times and submit, all at
once, through gunicorn against PostgreSQL, Redis and a real Celery worker (``bench/load.py`` is
the full form and reports the figures; here only correctness is asserted, never timings)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import load
from tests.conftest import ARTIFACTS

CLIENTS = 50
SAVES = 4  # the 62 answerable questions of the default unit framework, two sections per save


def failures(recorder: load.Recorder) -> str:
    bad = [r for r in recorder.records if r.status == 0 or r.status >= 500]
    return "\n".join(f"{r.kind} → {r.status} {r.error} {r.body[:300]}" for r in bad[:10])


@pytest.mark.celery_worker
def test_fifty_secretaries_saving_and_submitting_at_once_get_no_5xx_and_lose_no_answer(celery_worker, tmp_path: Path):
    dataset = load.prepare_dataset(CLIENTS)
    server = load.Gunicorn(log_path=tmp_path / "gunicorn.log", queue=celery_worker.queue, workers=3, threads=4)
    server.start()
    try:
        results, recorder, seconds = load.run_async(
            load.run_clients(server.url, dataset, saves=SAVES, second_tab_every=10)
        )
    finally:
        server.stop()
    summary = load.summarise(recorder, seconds)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # the figures, for information only: not asserted
    (ARTIFACTS / "load-short.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (ARTIFACTS / "load-short.txt").write_text(load.format_table(summary) + "\n", encoding="utf-8")

    overall = summary["overall"]
    assert overall["server_errors"] == 0, failures(recorder) + server.output()[-4000:]
    assert overall["failed_requests"] == 0, failures(recorder)
    # Every secretary logged in, listed, read, saved SAVES times (at least) and submitted.
    assert summary["by_kind"]["login"]["statuses"] == {"200": CLIENTS}
    assert summary["by_kind"]["submit"]["statuses"] == {"200": CLIENTS}
    assert sum(r.saves_acknowledged for r in results) >= CLIENTS * SAVES

    check = load.verify(results)
    assert check.problems == []
    assert check.answers_lost == 0
    assert check.not_submitted == 0
    assert check.answers_expected == CLIENTS * len(dataset.questions)  # every question, every response

    assert load.wait_for_scores(dataset, timeout=60) is not None, celery_worker.output()[-4000:]
