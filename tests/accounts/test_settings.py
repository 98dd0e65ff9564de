"""One env-driven settings file: embedded defaults, production refusal, check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The production variables README documents (values are examples).
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x9$Jk2!pQ7vLr4@Zt8#Wm1^Hs6&Nc3*Bd5(Fy0)Ge7_Ua2+Io9=Ex4-Rl8",
    "ALLOWED_HOSTS": "doanso.example.vn",
    "CSRF_TRUSTED_ORIGINS": "https://doanso.example.vn",
    "DATABASE_URL": "postgres://doanso:secret@127.0.0.1:5432/doanso",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_variables():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_embedded_defaults_are_sqlite_eager_vietnamese():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='doanso.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG, s.LANGUAGE_CODE, s.TIME_ZONE,"
        " [c for c, _ in s.LANGUAGES])"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "True",
        "vi",
        "Asia/Ho_Chi_Minh",
        "['vi',",
        "'en']",
    ], result.stderr
