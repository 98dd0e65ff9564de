#!/usr/bin/env python
"""Load run: unit secretaries log in, autosave their survey and submit it, all at once, through
gunicorn against PostgreSQL, Redis and a real Celery worker.

    DATABASE_URL=postgres://…/doanso_bench REDIS_URL=redis://127.0.0.1:6379/0 python bench/load.py
    python bench/load.py --clients 50 --saves 24 --workers 3 --threads 1   # the defaults

Each run adds a fresh unit tree (a city union, upper-grassroots unions, one branch per client with
its secretary), opens a unit campaign on the default unit framework over it, starts gunicorn on a
free 127.0.0.1 port and a Celery worker on a private queue, then runs one asyncio client per
secretary (httpx), each on its own connection like a phone: log in (``POST /api/v1/auth/token/``),
find and read its response, save answers ``--saves`` times through
``PUT /api/v1/responses/<id>/answers/`` — section by section, then changing earlier answers — each
save carrying the version the previous one returned, and submit. Every ``--second-tab-every``-th
secretary also has the survey open on a second device that saves at the same time, so real 409
conflicts happen; both tabs handle them as the page does: re-read, then save again on the fresh
version.

Afterwards it checks, from the database: no 5xx and no failed request, every acknowledged save is
in the Answer rows (each response's answers replayed from the acknowledged saves in version order
equal the stored ones, and no version was acknowledged twice), every response submitted, and the
worker's scores present for all of them. It prints a table (requests, throughput, p50 / p95 / max
latency per kind of request) and writes it as JSON to ``bench/out/load-<date>.json``. The exit
status is non-zero if any check failed. Use a dedicated database: each run adds its own rows.

``tests/load/test_load.py`` runs the short form in CI with the same code.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PASSWORD = "load-test-Mat-khau-2026"
MAX_CONFLICTS = 500  # 409s in a row for one save before a client gives up (a livelock, not contention)
UNANSWERABLE = {"metric", "file"}

# --- The dataset (Django ORM, synchronous) ------------------------------------------------------


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    type: str
    section: str  # domain code: the survey page saves one section at a time
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Secretary:
    username: str
    unit_code: str
    response_id: int


@dataclass
class Dataset:
    campaign_id: int
    password: str
    secretaries: list[Secretary]
    questions: list[QuestionSpec]

    @property
    def response_ids(self) -> list[int]:
        return [s.response_id for s in self.secretaries]


def prepare_dataset(clients: int, *, prefix: str | None = None, password: str = PASSWORD) -> Dataset:
    """A city union with ``clients`` branches, each with a secretary and an open unit-survey response.

    Uses the same services as the site (framework import, campaign create and open). Opening queues
    the campaign's first score rebuild, so a worker should be listening.
    """
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from assessments import services
    from assessments.demo import load_default_frameworks
    from assessments.models import FrameworkKind, Response
    from units.models import Unit, UnitRole

    prefix = prefix or f"LOAD{uuid.uuid4().hex[:6].upper()}"
    # The production hasher, computed once: every secretary has the same password, and gunicorn
    # verifies it with the full work factor at each login, as it would for real users.
    hashed = PBKDF2PasswordHasher().encode(password, PBKDF2PasswordHasher().salt())
    with transaction.atomic():
        unit_framework = next(f for f in load_default_frameworks() if f.kind == FrameworkKind.UNIT)
        root = Unit.objects.add_root(
            create_kwargs={
                "code": prefix,
                "name": f"Thành Đoàn (tải thử {prefix})",
                "level": Unit.Level.CITY,
                "sector": Unit.Sector.AGENCY,
            }
        )
        branches: list[Unit] = []
        for u in range((clients + 9) // 10):
            root.refresh_from_db()
            upper = Unit.objects.add_child(
                root,
                create_kwargs={
                    "code": f"{prefix}-{u + 1:02d}",
                    "name": f"Đoàn phường {u + 1} ({prefix})",
                    "level": Unit.Level.UPPER_GRASSROOTS,
                    "sector": Unit.Sector.RESIDENTIAL,
                },
            )
            for b in range(min(10, clients - 10 * u)):
                upper.refresh_from_db()
                branch = Unit.objects.add_child(
                    upper,
                    create_kwargs={
                        "code": f"{prefix}-{u + 1:02d}-{b + 1:02d}",
                        "name": f"Chi đoàn khu phố {b + 1}, phường {u + 1}",
                        "level": Unit.Level.BRANCH,
                        "sector": Unit.Sector.RESIDENTIAL,
                        "member_count": 20 + b,
                    },
                )
                branches.append(branch)
        users = User.objects.bulk_create(
            [
                User(username=f"{prefix.lower()}-bt{i + 1:03d}", full_name=f"Bí thư {i + 1}", password=hashed)
                for i in range(clients)
            ]
        )
        UnitRole.objects.bulk_create(
            [
                UnitRole(user=user, unit=unit, role=UnitRole.Role.SECRETARY)
                for user, unit in zip(users, branches, strict=True)
            ]
        )
        now = timezone.now()
        campaign = services.campaign_create(
            by=None,
            framework=unit_framework,
            name=f"Tải thử {prefix}",
            milestone="Tải thử",
            period_start=(now - timedelta(days=90)).date(),
            period_end=now.date(),
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=14),
            scope_unit=root,
            levels=[Unit.Level.BRANCH],
        )
        services.campaign_open(campaign=campaign)
    responses = dict(Response.objects.filter(assignment__campaign=campaign).values_list("assignment__unit__code", "pk"))
    questions = [
        QuestionSpec(
            code=q.code,
            type=q.type,
            section=q.indicator.domain.code,
            options=tuple(o.code for o in q.options.all()),
        )
        for q in services.framework_questions(unit_framework.pk)
        if q.type not in UNANSWERABLE
    ]
    return Dataset(
        campaign_id=campaign.pk,
        password=password,
        secretaries=[
            Secretary(username=user.username, unit_code=unit.code, response_id=responses[unit.code])
            for user, unit in zip(users, branches, strict=True)
        ],
        questions=questions,
    )


# --- What a secretary types ---------------------------------------------------------------------


def answer_for(question: QuestionSpec, rng: random.Random, note: str) -> dict[str, Any]:
    """A valid answer in the API's value shape."""
    t = question.type
    value: Any
    if t in ("level", "choice"):
        value = rng.choice(question.options)
    elif t == "multi":
        value = sorted(rng.sample(question.options, rng.randint(1, len(question.options))))
    elif t == "yes_no":
        value = rng.random() < 0.6
    elif t == "number":
        value = rng.randint(0, 12)
    elif t == "percent":
        value = rng.randint(0, 100)
    elif t == "ratio":
        denominator = rng.randint(10, 60)
        value = {"numerator": rng.randint(0, denominator), "denominator": denominator}
    else:  # text
        value = note
    return {"question": question.code, "value": value, "na": False}


def save_plan(questions: list[QuestionSpec], saves: int | None) -> Callable[[int], list[QuestionSpec]]:
    """Which questions save ``i`` sends: the first saves cover every section (several sections per
    save when there are fewer saves than sections), later ones revisit sections and change answers.
    ``saves=None``: revisit sections without end."""
    sections: dict[str, list[QuestionSpec]] = {}
    for q in questions:
        sections.setdefault(q.section, []).append(q)
    groups = list(sections.values())
    first_pass = len(groups) if saves is None else max(1, min(saves, len(groups)))
    merged: list[list[QuestionSpec]] = [[] for _ in range(first_pass)]
    for i, group in enumerate(groups):
        merged[i * first_pass // len(groups)].extend(group)

    def chunk(i: int) -> list[QuestionSpec]:
        return merged[i] if i < first_pass else groups[(i - first_pass) % len(groups)]

    return chunk


# --- Recording requests -------------------------------------------------------------------------


@dataclass
class RequestRecord:
    kind: str  # login, list, read, save, submit, page …
    status: int  # 0: no HTTP answer (connection error, timeout)
    seconds: float
    started: float
    error: str = ""
    content_type: str = ""
    body: str = ""  # kept for non-2xx answers
    who: str = ""


@dataclass
class Recorder:
    records: list[RequestRecord] = field(default_factory=list)

    async def request(
        self, client: httpx.AsyncClient, kind: str, method: str, url: str, *, who: str = "", **kwargs: Any
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            seconds = time.perf_counter() - started
            self.records.append(RequestRecord(kind, 0, seconds, started, error=f"{type(exc).__name__}: {exc}", who=who))
            return None
        seconds = time.perf_counter() - started
        keep = not (200 <= response.status_code < 300)
        self.records.append(
            RequestRecord(
                kind,
                response.status_code,
                seconds,
                started,
                content_type=response.headers.get("content-type", ""),
                body=response.text[:4000] if keep else "",
                who=who,
            )
        )
        return response


# --- One browser tab: the version protocol ------------------------------------------------------

State = dict[str, str]  # question code → canonical JSON of (value, na)


def canonical(value: Any, na: bool) -> str:
    def norm(v: Any) -> Any:
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        if isinstance(v, int | float):
            return round(float(v), 2)
        if isinstance(v, list):
            return sorted(norm(x) for x in v)
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return v

    return json.dumps([None if na else norm(value), bool(na)], sort_keys=True, ensure_ascii=False)


def state_of(payload: dict[str, Any]) -> State:
    return {a["question"]: canonical(a["value"], a["na"]) for a in payload.get("answers", [])}


@dataclass
class Event:
    """What a tab learnt about its response. ``version`` is the version the server reported (for
    an acknowledged save or submit: the version it created); for an ``unknown`` save — no answer,
    or a 5xx — it is the version the save was based on."""

    kind: str  # ack, submitted, observed, unknown
    version: int
    answers: State | None = None  # sent (ack, unknown)
    state: State | None = None  # returned by the server (ack, observed)
    status: str = ""
    at: float = field(default_factory=time.perf_counter)


class GaveUp(Exception):
    pass


@dataclass
class Tab:
    """One open survey page (a phone or a second device) of one secretary."""

    base_url: str
    secretary: Secretary
    recorder: Recorder
    events: list[Event]
    token: str = ""
    version: int = -1
    status: str = ""
    attempts: int = 12
    client: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=30.0,
            limits=httpx.Limits(max_connections=1),
            headers={"Accept": "application/json"},
        )

    @property
    def url(self) -> str:
        return f"/api/v1/responses/{self.secretary.response_id}/"

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}

    async def close(self) -> None:
        await self.client.aclose()

    async def call(self, kind: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        return await self.recorder.request(self.client, kind, method, url, who=self.secretary.username, **kwargs)

    async def pause(self, attempt: int) -> None:
        await asyncio.sleep(min(2.0, 0.1 * 2**attempt))

    async def login(self, password: str) -> None:
        for attempt in range(self.attempts):
            r = await self.call(
                "login",
                "POST",
                "/api/v1/auth/token/",
                json={"username": self.secretary.username, "password": password},
            )
            if r is not None and r.status_code == 200:
                self.token = r.json()["token"]
                return
            if r is not None and r.status_code < 500:
                raise GaveUp(f"{self.secretary.username}: login answered {r.status_code}: {r.text[:200]}")
            await self.pause(attempt)
        raise GaveUp(f"{self.secretary.username}: could not log in")

    async def find_response(self, campaign_id: int) -> None:
        for attempt in range(self.attempts):
            r = await self.call(
                "list", "GET", "/api/v1/responses/", params={"campaign": campaign_id}, headers=self.auth()
            )
            if r is not None and r.status_code == 200:
                ids = [row["id"] for row in r.json()["results"]]
                if ids != [self.secretary.response_id]:
                    raise GaveUp(f"{self.secretary.username} sees responses {ids}")
                return
            await self.pause(attempt)
        raise GaveUp(f"{self.secretary.username}: could not list responses")

    async def read(self) -> State:
        """Load the survey (after an error or a conflict, as the page does)."""
        for attempt in range(self.attempts):
            r = await self.call("read", "GET", self.url, headers=self.auth())
            if r is not None and r.status_code == 200:
                payload = r.json()
                self.version, self.status = payload["version"], payload["status"]
                state = state_of(payload)
                self.events.append(Event("observed", self.version, state=state, status=self.status))
                return state
            await self.pause(attempt)
        raise GaveUp(f"{self.secretary.username}: could not read response {self.secretary.response_id}")

    @property
    def editable(self) -> bool:
        return self.status in ("draft", "returned")

    async def save(self, answers: list[dict[str, Any]]) -> bool:
        """Save until acknowledged; False if the survey was submitted meanwhile (by the other tab).

        A 409 wrote nothing: re-read, then save again on the fresh version (two devices saving flat
        out can take many turns, hence the separate, larger bound). No answer or a 5xx: the save may
        or may not have been written; re-read to find out."""
        sent = {a["question"]: canonical(a["value"], a["na"]) for a in answers}
        errors = conflicts = 0
        while self.editable:
            base = self.version
            r = await self.call(
                "save",
                "PUT",
                f"{self.url}answers/",
                json={"version": base, "answers": answers},
                headers=self.auth(),
            )
            if r is not None and r.status_code == 200:
                payload = r.json()
                self.version, self.status = payload["version"], payload["status"]
                self.events.append(Event("ack", self.version, answers=sent, state=state_of(payload)))
                return True
            if r is not None and r.status_code == 409:
                conflicts += 1
                if conflicts > MAX_CONFLICTS:
                    raise GaveUp(f"{self.secretary.username}: {conflicts} conflicts in a row")
                await self.read()
                continue
            if r is not None and 400 <= r.status_code < 500:
                raise GaveUp(f"{self.secretary.username}: save answered {r.status_code}: {r.text[:300]}")
            self.events.append(Event("unknown", base, answers=sent))
            errors += 1
            if errors >= self.attempts:
                raise GaveUp(f"{self.secretary.username}: save not acknowledged after {errors} errors")
            await self.pause(errors)
            state = await self.read()
            if self.version == base + 1 and all(state.get(k) == v for k, v in sent.items()):
                return True  # it was written before the error (the replay checks it)
        return False

    async def submit(self) -> None:
        errors = conflicts = 0
        while self.status != "submitted":
            base = self.version
            r = await self.call("submit", "POST", f"{self.url}submit/", json={"version": base}, headers=self.auth())
            if r is not None and r.status_code == 200:
                payload = r.json()
                self.version, self.status = payload["version"], payload["status"]
                self.events.append(Event("submitted", self.version, status=self.status))
                return
            if r is not None and r.status_code == 409:
                conflicts += 1
                if conflicts > MAX_CONFLICTS:
                    raise GaveUp(f"{self.secretary.username}: {conflicts} conflicts in a row on submit")
            elif r is not None and 400 <= r.status_code < 500:
                raise GaveUp(f"{self.secretary.username}: submit answered {r.status_code}: {r.text[:300]}")
            else:
                self.events.append(Event("unknown", base, answers={}))
                errors += 1
                if errors >= self.attempts:
                    raise GaveUp(f"{self.secretary.username}: submit not acknowledged after {errors} errors")
                await self.pause(errors)
            await self.read()


@dataclass
class ClientResult:
    secretary: Secretary
    events: list[Event]
    saves_acknowledged: int = 0
    error: str = ""


async def run_secretary(
    base_url: str,
    dataset: Dataset,
    secretary: Secretary,
    recorder: Recorder,
    *,
    index: int,
    saves: int | None,
    second_tab: bool,
    stop: asyncio.Event | None,
    think: float,
) -> ClientResult:
    events: list[Event] = []
    result = ClientResult(secretary, events)
    tabs = [Tab(base_url, secretary, recorder, events)]
    if second_tab:
        tabs.append(Tab(base_url, secretary, recorder, events))
    chunk = save_plan(dataset.questions, saves)
    text_questions = [q for q in dataset.questions if q.type == "text"] or dataset.questions[:1]
    rng = random.Random(index)

    async def keep_saving(tab: Tab, n: int | None, pick: Callable[[int], list[QuestionSpec]], who: str) -> None:
        i = 0
        while (n is None and not (stop and stop.is_set())) or (n is not None and i < n):
            note = f"{secretary.username} — {who}, lần lưu {i + 1}"
            answers = [answer_for(q, rng, note) for q in pick(i)]
            if not await tab.save(answers):
                return
            result.saves_acknowledged += 1
            i += 1
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))

    try:
        main = tabs[0]
        await main.login(dataset.password)
        await main.find_response(dataset.campaign_id)
        await main.read()
        if second_tab:
            other = tabs[1]
            other.token = main.token
            await other.read()
            n_other = None if saves is None else max(1, saves // 2)
            both = await asyncio.gather(
                keep_saving(main, saves, chunk, "máy chính"),
                keep_saving(other, n_other, lambda i: text_questions, "máy thứ hai"),
                return_exceptions=True,  # let the other device finish before giving up
            )
            for outcome in both:
                if isinstance(outcome, BaseException):
                    raise outcome
            await main.read()  # the other device wrote in between: load its answers before submitting
        else:
            await keep_saving(main, saves, chunk, "máy chính")
        if saves is None:
            # Endless mode stops at any section: fill what is still unanswered, then submit.
            await main.save([answer_for(q, rng, f"{secretary.username} — hoàn tất") for q in dataset.questions])
        await main.submit()
    except GaveUp as exc:
        result.error = str(exc)
    finally:
        for tab in tabs:
            await tab.close()
    return result


T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: callers such as the test suite may already have an
    event loop running in this thread (Playwright's synchronous API keeps one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def run_clients(
    base_url: str,
    dataset: Dataset,
    *,
    saves: int | None,
    second_tab_every: int = 0,
    think: float = 0.0,
    fault: Callable[[Recorder], Awaitable[None]] | None = None,
) -> tuple[list[ClientResult], Recorder, float]:
    """Every secretary at once. With ``fault``, clients save without end (``saves=None``) until the
    fault coroutine returns, then fill the rest and submit. Returns results, requests, wall seconds."""
    recorder = Recorder()
    stop = asyncio.Event() if fault else None
    started = time.perf_counter()
    clients = [
        asyncio.create_task(
            run_secretary(
                base_url,
                dataset,
                s,
                recorder,
                index=i,
                saves=saves,
                second_tab=bool(second_tab_every) and i % second_tab_every == second_tab_every - 1,
                stop=stop,
                think=think,
            )
        )
        for i, s in enumerate(dataset.secretaries)
    ]
    if fault is not None:
        assert stop is not None
        await fault(recorder)
        stop.set()
    results = await asyncio.gather(*clients)
    return list(results), recorder, time.perf_counter() - started


# --- Checking the database against what was acknowledged ----------------------------------------


def replay(events: list[Event]) -> tuple[State, int, list[str]]:
    """The answers a response must hold, from everything its tabs were told, in version order.

    Each version number is created by exactly one write (the compare-and-swap in
    ``response_save_answers``, and the submit). An acknowledged write created the version it
    reports; a version no acknowledged write created must be explained by a write whose outcome was
    unknown (no answer, or a 5xx) and whose effect a later read saw. Every state the server
    returned must be the replay at its version — or at a later one: the answers are read after the
    version, so a save committed in between can show (a client then gets a 409, never overwrites).
    Returns the final answers, the final version and the problems found.
    """
    problems: list[str] = []
    creators: dict[int, State] = {}
    observed: dict[int, list[State]] = defaultdict(list)
    unknown: dict[int, list[State]] = defaultdict(list)
    for e in events:
        if e.kind in ("ack", "submitted"):
            if e.version in creators:
                problems.append(f"version {e.version} was acknowledged twice: one of the two saves is lost")
            creators[e.version] = dict(e.answers or {})
        if e.kind == "unknown":
            unknown[e.version].append(dict(e.answers or {}))
        if e.state is not None:
            observed[e.version].append(e.state)
    if not observed:
        return {}, 0, ["no state was ever read"]
    start = min(observed)
    last = max([*creators, *observed])
    models: dict[int, State] = {start: dict(observed[start][0])}
    for v in range(start + 1, last + 1):
        model = dict(models[v - 1])
        if v in creators:
            model.update(creators[v])
        else:
            candidates = unknown.get(v - 1, [])
            seen = [{**model, **c} for c in candidates if any(o == {**model, **c} for o in observed.get(v, []))]
            if seen:
                model = seen[0]
            elif len(candidates) == 1 and not observed.get(v):
                model.update(candidates[0])  # the only write that can have made it
            else:
                problems.append(f"version {v}: no save known to the clients explains it")
        models[v] = model
    for v, states in sorted(observed.items()):
        for state in states:
            if not any(models[w] == state for w in range(v, last + 1)):
                diff = sorted(k for k in {*state, *models[v]} if state.get(k) != models[v].get(k))
                problems.append(f"version {v}: the server returned answers no acknowledged save explains: {diff[:8]}")
    return models[last], last, problems


@dataclass
class Verification:
    responses: int
    answers_expected: int
    answers_lost: int
    not_submitted: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def stored_states(response_ids: Iterable[int]) -> dict[int, tuple[State, int, str]]:
    from assessments.api import answer_value
    from assessments.models import Answer, Response

    ids = list(response_ids)
    states: dict[int, State] = {pk: {} for pk in ids}
    answers = (
        Answer.objects.filter(response_id__in=ids).select_related("question", "option").prefetch_related("options")
    )
    for a in answers:
        states[a.response_id][a.question.code] = canonical(answer_value(a), a.is_na)
    meta = {pk: (v, s) for pk, v, s in Response.objects.filter(pk__in=ids).values_list("pk", "version", "status")}
    return {pk: (states[pk], *meta[pk]) for pk in ids}


def verify(results: list[ClientResult]) -> Verification:
    """Compare each response's Answer rows with the replay of what its tabs were told."""
    stored = stored_states(r.secretary.response_id for r in results)
    problems: list[str] = []
    expected_total = lost_total = not_submitted = 0
    for r in results:
        who = f"{r.secretary.username} (response {r.secretary.response_id})"
        if r.error:
            problems.append(f"{who}: {r.error}")
        expected, version, replay_problems = replay(r.events)
        problems += [f"{who}: {p}" for p in replay_problems]
        db_state, db_version, db_status = stored[r.secretary.response_id]
        lost = [code for code, value in expected.items() if db_state.get(code) != value]
        extra = [code for code in db_state if code not in expected]
        expected_total += len(expected)
        lost_total += len(lost)
        if lost or extra:
            problems.append(f"{who}: stored answers differ from the acknowledged saves on {sorted(lost + extra)[:8]}")
        if db_version != version:
            problems.append(f"{who}: stored version {db_version}, the clients were last told {version}")
        if db_status != "submitted":
            not_submitted += 1
            problems.append(f"{who}: status is {db_status}, not submitted")
    return Verification(len(results), expected_total, lost_total, not_submitted, problems)


def wait_for_scores(dataset: Dataset, *, timeout: float = 60.0) -> float | None:
    """Seconds until the worker has scored every response and emptied the outbox (None: timed out)."""
    from assessments.models import ResponseScore, ScoreDirty

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        scored = ResponseScore.objects.filter(response_id__in=dataset.response_ids).count()
        if (
            scored == len(dataset.response_ids)
            and not ScoreDirty.objects.filter(campaign_id=dataset.campaign_id).exists()
        ):
            return time.perf_counter() - started
        time.sleep(0.2)
    return None


# --- Figures ------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def summarise(recorder: Recorder, seconds: float) -> dict[str, Any]:
    def block(records: list[RequestRecord]) -> dict[str, Any]:
        latencies = [r.seconds * 1000 for r in records]
        return {
            "requests": len(records),
            "p50_ms": round(statistics.median(latencies), 1) if latencies else 0.0,
            "p95_ms": round(percentile(latencies, 95), 1),
            "max_ms": round(max(latencies), 1) if latencies else 0.0,
            "statuses": dict(sorted(Counter(str(r.status) for r in records).items())),
        }

    records = recorder.records
    by_kind: dict[str, list[RequestRecord]] = defaultdict(list)
    for r in records:
        by_kind[r.kind].append(r)
    overall = block(records)
    overall["seconds"] = round(seconds, 2)
    overall["throughput_rps"] = round(len(records) / seconds, 1) if seconds else 0.0
    overall["server_errors"] = sum(1 for r in records if r.status >= 500)
    overall["failed_requests"] = sum(1 for r in records if r.status == 0)
    overall["conflicts"] = sum(1 for r in records if r.status == 409)
    return {"overall": overall, "by_kind": {k: block(v) for k, v in sorted(by_kind.items())}}


def format_table(summary: dict[str, Any]) -> str:
    rows = [("request", "count", "p50 ms", "p95 ms", "max ms", "statuses")]
    for kind, b in summary["by_kind"].items():
        rows.append(
            (kind, str(b["requests"]), f"{b['p50_ms']:.1f}", f"{b['p95_ms']:.1f}", f"{b['max_ms']:.1f}", _st(b))
        )
    o = summary["overall"]
    rows.append(("all", str(o["requests"]), f"{o['p50_ms']:.1f}", f"{o['p95_ms']:.1f}", f"{o['max_ms']:.1f}", _st(o)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(c.ljust(w) if i in (0, 5) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.append(
        f"{o['requests']} requests in {o['seconds']} s = {o['throughput_rps']} req/s; "
        f"5xx: {o['server_errors']}, no answer: {o['failed_requests']}, 409: {o['conflicts']}"
    )
    return "\n".join(lines)


def _st(block: dict[str, Any]) -> str:
    return " ".join(f"{k}×{v}" for k, v in block["statuses"].items())


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor()
    memory_gb = 0.0
    try:
        kb = int(
            next(
                line.split()[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            )
        )
        memory_gb = round(kb / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        pass
    info: dict[str, Any] = {
        "load_average_1min": round(os.getloadavg()[0], 2),  # other work on the machine skews the figures
        "machine": platform.machine(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
    except Exception:  # the figures are still worth having without the server version
        pass
    return info


# --- Processes: gunicorn and (for the script) a Celery worker -----------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Gunicorn:
    """``gunicorn doanso.wsgi`` on a free 127.0.0.1 port, production settings unless ``debug``."""

    def __init__(
        self,
        *,
        log_path: Path,
        queue: str,
        workers: int = 3,
        threads: int = 1,
        debug: bool = False,
        env: dict[str, str] | None = None,
    ):
        from django.conf import settings

        self.port = free_port()
        self.log_path = log_path
        self.workers, self.threads, self.debug = workers, threads, debug
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "DEBUG": "1" if debug else "0",
            "SECRET_KEY": settings.SECRET_KEY,  # sessions made in this process are valid there
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "doanso.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),  # 1: gunicorn's sync workers, as in the Dockerfile; more: gthread
                "--timeout",
                "60",
                "--graceful-timeout",
                "10",
                "--no-control-socket",  # its default path is shared by every gunicorn on the machine
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.output()}")
            try:
                httpx.get(f"{self.url}/api/v1/units/", timeout=2)  # any HTTP answer: the app is loaded
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.output()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if hasattr(self, "log"):
            self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_worker(queue: str, log_path: Path) -> subprocess.Popen[bytes]:
    from doanso.celery import app

    env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_TASK_DEFAULT_QUEUE": queue}
    log = log_path.open("ab")
    command = ["celery", "-A", "doanso", "worker", "-Q", queue, "-n", f"{queue}@%h", "-c", "2", "-l", "info"]
    process = subprocess.Popen(
        [sys.executable, "-m", *command, "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Celery worker exited early:\n{log_path.read_text(errors='replace')}")
        if app.control.ping(destination=[f"{queue}@{socket.gethostname()}"], timeout=1):
            return process
    raise RuntimeError("Celery worker did not answer within 60 s")


# --- The script ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50, help="secretaries working at once (default 50)")
    parser.add_argument("--saves", type=int, default=24, help="autosaves per secretary before submitting (default 24)")
    parser.add_argument(
        "--second-tab-every", type=int, default=10, help="every N-th secretary has a second device (0: none)"
    )
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean pause between saves, seconds (default 0: flat out)"
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (default 1: sync workers)")
    parser.add_argument("--out", type=Path, default=None, help="JSON output (default bench/out/load-<date>.json)")
    args = parser.parse_args()

    queue = f"doanso-load-{uuid.uuid4().hex[:8]}"
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "doanso.settings")
    import django

    django.setup()
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" or not settings.REDIS_URL:
        print("Set DATABASE_URL (PostgreSQL, a dedicated database) and REDIS_URL.", file=sys.stderr)
        return 2
    host = machine()  # before the run: its load average is the machine's other work
    workdir = Path(tempfile.mkdtemp(prefix="doanso-load-"))
    worker = start_worker(queue, workdir / "worker.log")
    server = Gunicorn(log_path=workdir / "gunicorn.log", queue=queue, workers=args.workers, threads=args.threads)
    try:
        started = time.perf_counter()
        dataset = prepare_dataset(args.clients)
        elapsed = time.perf_counter() - started
        print(f"dataset: {args.clients} secretaries, campaign {dataset.campaign_id} ({elapsed:.1f} s)")
        server.start()
        results, recorder, seconds = run_async(
            run_clients(server.url, dataset, saves=args.saves, second_tab_every=args.second_tab_every, think=args.think)
        )
        scores_after = wait_for_scores(dataset)
        check = verify(results)
    finally:
        server.stop()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        from doanso.celery import app

        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
    summary = summarise(recorder, seconds)
    kind = "gthread" if args.threads > 1 else "sync"
    report = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": host,
        "setup": {
            "clients": args.clients,
            "saves_per_client": args.saves,
            "second_tab_every": args.second_tab_every,
            "think_seconds": args.think,
            "gunicorn": f"{args.workers} workers × {args.threads} threads ({kind}), DEBUG=0",
            "celery": "1 worker, prefork, concurrency 2",
            "questions_answerable": len(dataset.questions),
        },
        **summary,
        "checks": {
            **asdict(check),
            "saves_acknowledged": sum(r.saves_acknowledged for r in results),
            "scores_ready_seconds_after_last_submit": None if scores_after is None else round(scores_after, 2),
        },
    }
    print(format_table(summary))
    print(
        f"saves acknowledged: {report['checks']['saves_acknowledged']}, answers checked: {check.answers_expected}, "
        f"lost: {check.answers_lost}, not submitted: {check.not_submitted}, "
        f"scores ready {report['checks']['scores_ready_seconds_after_last_submit']} s after the last submit"
    )
    for problem in check.problems[:20]:
        print("PROBLEM:", problem)
    out = args.out or OUT / f"load-{datetime.now():%Y-%m-%d}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}; logs in {workdir}")
    failed = (
        check.problems
        or summary["overall"]["server_errors"]
        or summary["overall"]["failed_requests"]
        or scores_after is None
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
