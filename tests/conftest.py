"""Shared fixtures: real services detection, the persona tree, clients.

``make test`` runs against whatever is configured. With ``--require-services`` (what CI passes)
a missing PostgreSQL, Redis, Chromium or gettext is a failure, and so is any skipped test.
Without it, tests needing a missing service are skipped with the reason, and the run ends with a
loud notice saying what it fell back to.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", ROOT / "test-artifacts"))


@dataclass
class Services:
    postgres: bool = False
    redis: bool = False
    chromium: bool = False
    gettext: bool = False
    notes: dict[str, str] = field(default_factory=dict)

    def missing(self) -> list[str]:
        return [name for name in ("postgres", "redis", "chromium", "gettext") if not getattr(self, name)]


SERVICES = Services()


def _detect_services() -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    SERVICES.postgres = engine == "django.db.backends.postgresql"
    if not SERVICES.postgres:
        SERVICES.notes["postgres"] = "DATABASE_URL is not set: tests run on SQLite"
    else:
        import psycopg2

        db = settings.DATABASES["default"]
        try:
            psycopg2.connect(
                dbname="postgres",
                user=db["USER"],
                password=db["PASSWORD"],
                host=db["HOST"],
                port=db["PORT"] or 5432,
                connect_timeout=3,
            ).close()
        except psycopg2.OperationalError as exc:
            SERVICES.postgres = False
            SERVICES.notes["postgres"] = f"PostgreSQL at {db['HOST']}:{db['PORT']} is unreachable ({exc})".strip()
    if not settings.REDIS_URL:
        SERVICES.notes["redis"] = "REDIS_URL is not set: Celery runs eagerly, the worker test cannot run"
    else:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
            SERVICES.redis = True
        except redis.RedisError as exc:
            SERVICES.notes["redis"] = f"Redis at {settings.REDIS_URL} is unreachable ({exc})"
    SERVICES.chromium = Path(CHROMIUM).exists()
    if not SERVICES.chromium:
        SERVICES.notes["chromium"] = f"{CHROMIUM} not found: browser tests cannot run (apt install chromium)"
    SERVICES.gettext = bool(shutil.which("xgettext") and shutil.which("msgfmt"))
    if not SERVICES.gettext:
        SERVICES.notes["gettext"] = "GNU gettext not found: the translation-completeness test cannot run"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-services",
        action="store_true",
        help="Fail (instead of falling back or skipping) when PostgreSQL, Redis, Chromium or gettext is missing.",
    )


def pytest_configure(config: pytest.Config) -> None:
    # The test overlay: fast password hashing (production hashing is PBKDF2, tested by Django itself).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests run tasks in-process; the tests marked celery_worker switch to a real worker and Redis.
    from doanso.celery import app

    app.conf.task_always_eager = True
    _detect_services()
    if config.getoption("--require-services") and SERVICES.missing():
        reasons = "; ".join(SERVICES.notes[name] for name in SERVICES.missing())
        raise pytest.UsageError(f"--require-services: missing {', '.join(SERVICES.missing())}: {reasons}")


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = settings.DATABASES["default"]
    line = (
        f"doanso: database={db['ENGINE'].rsplit('.', 1)[-1]} "
        f"celery={'eager' if settings.CELERY_TASK_ALWAYS_EAGER else settings.CELERY_BROKER_URL} "
        f"chromium={'yes' if SERVICES.chromium else 'no'} gettext={'yes' if SERVICES.gettext else 'no'}"
    )
    return [line]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    needs = {
        "celery_worker": ("redis", "postgres"),
        "postgres": ("postgres",),
        "browser": ("chromium",),
        "gettext": ("gettext",),
    }
    for item in items:
        for marker, services in needs.items():
            if item.get_closest_marker(marker):
                missing = [s for s in services if not getattr(SERVICES, s)]
                if missing:
                    reason = "; ".join(SERVICES.notes[s] for s in missing)
                    item.add_marker(pytest.mark.skip(reason=f"needs {', '.join(missing)}: {reason}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if report.skipped and item.config.getoption("--require-services"):
        report.outcome = "failed"
        report.longrepr = f"Skipped under --require-services, which counts as a failure: {report.longrepr}"


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    if SERVICES.missing():
        terminalreporter.section("doanso: RAN WITHOUT REAL SERVICES", sep="!", red=True, bold=True)
        for name in SERVICES.missing():
            terminalreporter.write_line(f"  - {SERVICES.notes[name]}", yellow=True)
        terminalreporter.write_line(
            "  This run fell back to what was available. CI runs `bash .ci/run`, which installs and starts the real "
            "services and passes --require-services.",
            yellow=True,
        )


# --- Personas -----------------------------------------------------------------------------------

pytest_plugins = ["tests.fixtures", "tests.worker", "tests.dashboards.fixtures"]
