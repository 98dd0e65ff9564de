# Đoàn Số — the two commands: `make run` (site with demo data on 127.0.0.1:8000, or PORT=…) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PIP := $(PY) -m pip install --disable-pip-version-check -q
# One stamp per requirements content: `make run` needs only the runtime set, `make test` the test tools too.
RUN_STAMP := $(VENV)/.installed-run-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: install install-run run test lint format typecheck messages backup restore clean

$(RUN_STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	rm -f $(VENV)/.installed-run-*
	touch $@

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@ $(RUN_STAMP)

install-run: $(RUN_STAMP)

install: $(STAMP)

## Embedded default: SQLite under var/, Celery eager, demo data, runserver on 127.0.0.1:$(PORT) (`make run PORT=8123`).
run: install-run
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py runserver 127.0.0.1:$(PORT)

## The test suite. Without DATABASE_URL/REDIS_URL/Chromium it falls back and says so;
## CI (.ci/run) passes PYTEST_ARGS=--require-services so that a missing service fails.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install
	$(VENV)/bin/mypy accounts units assessments activities dashboards ops doanso

## Re-extract UI strings after changing templates or code, then translate locale/vi/LC_MESSAGES/django.po.
messages: install
	$(PY) manage.py makemessages -l vi --ignore=.venv --ignore=var --ignore=tests --ignore=bench --no-obsolete
	$(PY) manage.py compilemessages -l vi --ignore=.venv

## Database (pg_dump custom format, or SQLite's online backup) + MEDIA_ROOT + PRIVATE_UPLOAD_ROOT into a new
## timestamped directory under BACKUP_DIR (default var/backups). Restore refuses existing data unless FORCE=1.
backup: install
	$(PY) manage.py backup

restore: install
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=var/backups/<time> [FORCE=1]" >&2; exit 2; }
	$(PY) manage.py restore "$(BACKUP)" $(if $(FORCE),--force)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache test-artifacts
