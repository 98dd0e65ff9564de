"""Backups: a restore drill into a separate fresh database, refusal over existing data, damaged
backups, and the choice of pg_dump for the server's version.

The drill runs on whatever database the suite uses: PostgreSQL (pg_dump / pg_restore, the restore
target is a database created for the test and dropped afterwards) or SQLite (online backup API, the
target is a new file). Data is committed (transactional test) so that pg_dump, another connection,
sees it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg2
import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation
from psycopg2 import sql

from assessments import services
from assessments.models import Answer, Evidence, Indicator, Response, ResponseScore
from ops.backup import BackupError, pg_tool
from tests.assessments.conftest import make_campaign
from tests.scoring.conftest import ANSWERS_A, EXAMPLE_SPEC, answer, submit
from units.models import Unit

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE_BYTES = b"%PDF-1.4\n% bien ban hop chi doan\n" + bytes(range(256)) * 40
MEDIA_BYTES = b"\x89PNG\r\n\x1a\n" + b"logo" * 500


# --- Raw connections: the same driver and settings on both sides, so rows compare exactly ----------


def _pg_params(name: str) -> dict[str, Any]:
    db = connection.settings_dict
    return {
        "dbname": name,
        "user": db["USER"],
        "password": db["PASSWORD"],
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
    }


def table_fingerprints(conn: Any) -> dict[str, tuple[int, str]]:
    """Every table's row count and a SHA-256 of its rows (sorted, so physical order does not matter)."""
    cursor = conn.cursor()
    if isinstance(conn, sqlite3.Connection):
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    tables = sorted(row[0] for row in cursor.fetchall())
    result = {}
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}"')
        rows = sorted(repr(row) for row in cursor.fetchall())
        result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    cursor.close()
    return result


def source_fingerprints() -> dict[str, tuple[int, str]]:
    if connection.vendor == "postgresql":
        conn = psycopg2.connect(**_pg_params(connection.settings_dict["NAME"]))
        try:
            return table_fingerprints(conn)
        finally:
            conn.close()
    connection.ensure_connection()
    return table_fingerprints(connection.connection)  # the in-memory test database, with Django's converters


@dataclass
class Target:
    """A separate, fresh database to restore into."""

    url: str
    connect: Callable[[], Any]

    def fingerprints(self) -> dict[str, tuple[int, str]]:
        conn = self.connect()
        try:
            return table_fingerprints(conn)
        finally:
            conn.close()


@pytest.fixture
def restore_target(tmp_path: Path) -> Iterator[Target]:
    if connection.vendor != "postgresql":
        path = tmp_path / "restored.sqlite3"
        yield Target(
            url=f"sqlite:///{path}",
            connect=lambda: sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES),
        )
        return
    params = _pg_params(connection.settings_dict["NAME"] + "_restore")
    admin = psycopg2.connect(**{**params, "dbname": "postgres"})
    admin.autocommit = True
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(params["dbname"]))
    try:
        with admin.cursor() as cursor:
            cursor.execute(drop)
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["dbname"])))
        yield Target(
            url=(
                f"postgres://{quote(params['user'], safe='')}:{quote(params['password'], safe='')}"
                f"@{params['host']}:{params['port']}/{params['dbname']}"
            ),
            connect=lambda: psycopg2.connect(**params),
        )
    finally:
        with admin.cursor() as cursor:
            cursor.execute(drop)
        admin.close()


# --- The site's data -----------------------------------------------------------------------------


@dataclass
class Site:
    backup: Path
    fingerprints: dict[str, tuple[int, str]]
    evidence_name: str


@pytest.fixture
def file_roots(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "site" / "media"
    settings.PRIVATE_UPLOAD_ROOT = tmp_path / "site" / "private"
    return tmp_path


def back_up(output_dir: Path) -> Path:
    out: list[str] = []

    class Collect:
        def write(self, text: str) -> None:
            out.append(text)

        def flush(self) -> None:
            pass

    call_command("backup", output_dir=output_dir, stdout=Collect())
    backups = list(output_dir.iterdir())
    assert len(backups) == 1, backups
    assert str(backups[0]) in "".join(out)
    return backups[0]


@pytest.fixture
def backed_up_site(tree, personas, settings, file_roots: Path) -> Site:
    """Units, a submitted and scored response with answers, an evidence file, a media file; backed up."""
    framework = services.framework_import(data=EXAMPLE_SPEC, publish=True)
    campaign = make_campaign(framework, tree.city, levels=["grassroots", "branch"])
    response = Response.objects.get(assignment__campaign=campaign, assignment__unit=tree.qa1a)
    answer(response, ANSWERS_A, by=personas.editor)
    evidence = services.evidence_add(
        response=response,
        indicator=Indicator.objects.get(domain__framework=framework, code="I2"),
        by=personas.editor,
        file=ContentFile(EVIDENCE_BYTES, name="Biên bản họp.pdf"),
        content_type="application/pdf",
    )
    submit(response, by=personas.editor)  # scored after commit (eagerly in tests)
    logo = Path(settings.MEDIA_ROOT) / "logo" / "doan.png"
    logo.parent.mkdir(parents=True)
    logo.write_bytes(MEDIA_BYTES)

    fingerprints = source_fingerprints()
    for model, at_least in ((Unit, 8), (Answer, len(ANSWERS_A) - 1), (Evidence, 1), (ResponseScore, 1)):
        assert fingerprints[model._meta.db_table][0] >= at_least, model  # the drill cannot pass on nothing
    backup = back_up(file_roots / "backups")
    return Site(backup=backup, fingerprints=fingerprints, evidence_name=evidence.file.name)


def move_to_a_fresh_machine(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "restored" / "media"
    settings.PRIVATE_UPLOAD_ROOT = tmp_path / "restored" / "private"


# --- Tests ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_restore_drill_brings_back_every_row_and_every_file_into_a_fresh_database(
    backed_up_site: Site, restore_target: Target, settings, tmp_path: Path
):
    backup = backed_up_site.backup
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700  # personal data and password hashes
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == connection.vendor
    assert set(manifest["files"]) == {manifest["database"]["file"], "media.tar.gz", "private.tar.gz"}
    assert manifest["archived_files"] == {"media.tar.gz": 1, "private.tar.gz": 1}
    assert not list(backup.parent.glob("*.partial"))

    move_to_a_fresh_machine(settings, tmp_path)
    call_command("restore", str(backup), database_url=restore_target.url)

    restored = restore_target.fingerprints()
    assert restored.keys() == backed_up_site.fingerprints.keys()
    for table, expected in backed_up_site.fingerprints.items():
        assert restored[table] == expected, table
    evidence_file = Path(settings.PRIVATE_UPLOAD_ROOT) / "files" / backed_up_site.evidence_name
    assert evidence_file.read_bytes() == EVIDENCE_BYTES
    assert (Path(settings.MEDIA_ROOT) / "logo" / "doan.png").read_bytes() == MEDIA_BYTES


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_tables_unless_forced_and_forced_leaves_exactly_the_backup(
    backed_up_site: Site, restore_target: Target, settings, tmp_path: Path
):
    move_to_a_fresh_machine(settings, tmp_path)
    call_command("restore", str(backed_up_site.backup), database_url=restore_target.url)
    conn = restore_target.connect()
    cursor = conn.cursor()
    cursor.execute("CREATE TABLE leftover (id integer)")
    conn.commit()
    conn.close()
    stray = Path(settings.PRIVATE_UPLOAD_ROOT) / "files" / "stray.txt"
    stray.write_text("not in the backup")
    before = restore_target.fingerprints()

    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("restore", str(backed_up_site.backup), database_url=restore_target.url)
    message = str(refused.value)
    assert f"already has {len(before)} tables" in message
    assert str(settings.PRIVATE_UPLOAD_ROOT) in message and "--force" in message
    assert restore_target.fingerprints() == before  # nothing touched
    assert stray.exists()

    call_command("restore", str(backed_up_site.backup), database_url=restore_target.url, force=True)
    assert restore_target.fingerprints() == backed_up_site.fingerprints  # "leftover" is gone too
    assert not stray.exists()
    assert (Path(settings.PRIVATE_UPLOAD_ROOT) / "files" / backed_up_site.evidence_name).read_bytes() == EVIDENCE_BYTES


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_refused_before_anything_is_restored(
    file_roots: Path, restore_target: Target, settings, tmp_path: Path
):
    backup = back_up(file_roots / "backups")
    archive = backup / "private.tar.gz"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    move_to_a_fresh_machine(settings, tmp_path)

    with translation.override("en"), pytest.raises(CommandError, match=r"private\.tar\.gz is missing or damaged"):
        call_command("restore", str(backup), database_url=restore_target.url)
    assert restore_target.fingerprints() == {}
    assert not Path(settings.MEDIA_ROOT).exists()


def test_a_directory_without_a_manifest_is_not_a_backup(tmp_path: Path):
    with translation.override("en"), pytest.raises(CommandError, match="is not a backup"):
        call_command("restore", str(tmp_path), database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}")


def fake_tool(directory: Path, name: str, version: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    executable = directory / name
    executable.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version} (Debian {version}-1)'\n")
    executable.chmod(0o755)
    return directory


def test_pg_dump_of_the_server_major_version_is_preferred_then_the_oldest_newer_one(tmp_path: Path):
    dirs = [fake_tool(tmp_path / v, "pg_dump", f"{v}.2") for v in ("13", "17", "16")]
    assert pg_tool("pg_dump", server_major=16, search_path=dirs) == tmp_path / "16" / "pg_dump"
    assert pg_tool("pg_dump", server_major=15, search_path=dirs) == tmp_path / "16" / "pg_dump"
    with translation.override("en"), pytest.raises(BackupError, match="postgresql-client-18"):
        pg_tool("pg_dump", server_major=18, search_path=dirs)


@pytest.mark.postgres
def test_the_installed_pg_dump_is_found_for_the_test_server(db):
    connection.ensure_connection()
    major = connection.connection.server_version // 10000
    tool = pg_tool("pg_dump", server_major=major)
    assert tool.name == "pg_dump"


def test_the_commands_back_up_and_restore_an_sqlite_file_as_make_backup_runs_them(tmp_path: Path):
    """The embedded default, end to end in fresh processes: a database file copied online, then restored."""
    site = tmp_path / "site.sqlite3"
    with closing(sqlite3.connect(site)) as conn, conn:
        conn.execute("PRAGMA journal_mode=WAL")  # as settings.py opens it
        conn.execute("CREATE TABLE notes (id integer PRIMARY KEY, body text)")
        conn.executemany("INSERT INTO notes (body) VALUES (?)", [("Chi đoàn A1a",), ("Đoàn phường",)])
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{site}",
        "DOANSO_VAR_DIR": str(tmp_path / "var"),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "REDIS_URL": "",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "backup"], env=env, check=True, capture_output=True, timeout=120)
    (backup,) = (tmp_path / "backups").iterdir()
    restored = tmp_path / "restored.sqlite3"
    subprocess.run(
        [*manage, "restore", str(backup), f"--database-url=sqlite:///{restored}"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    with closing(sqlite3.connect(restored)) as conn:
        assert conn.execute("SELECT body FROM notes ORDER BY id").fetchall() == [("Chi đoàn A1a",), ("Đoàn phường",)]


def test_a_backup_directory_inside_a_backed_up_directory_is_refused(db, file_roots: Path, settings):
    inside = Path(settings.PRIVATE_UPLOAD_ROOT) / "backups"
    with translation.override("en"), pytest.raises(CommandError, match="must not be inside"):
        call_command("backup", output_dir=inside)
    assert not inside.exists()
