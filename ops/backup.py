"""Backups and restores: the database and the uploaded files, in one timestamped directory.

A backup directory (``BACKUP_DIR/<YYYYmmdd-HHMMSS>/``) holds

* ``database.dump`` — ``pg_dump --format=custom`` of a PostgreSQL database, or ``database.sqlite3`` —
  a copy made with SQLite's online backup API; both are consistent while the site runs;
* ``media.tar.gz`` and ``private.tar.gz`` — ``MEDIA_ROOT`` and ``PRIVATE_UPLOAD_ROOT`` (evidence files
  and exports live in the latter), archived after the database, so every file a dumped row names is in;
* ``manifest.json`` — what was backed up and when, with the SHA-256 of every file; restore checks
  them before touching anything.

It is written as ``<name>.partial`` and renamed when complete: a directory without that suffix is a
whole backup. Backups hold personal data and password hashes, so each directory is mode 0700.

Restore puts a backup back into a database of the same engine and into the two file directories.
It refuses to run over a database that has tables, or over file directories that are not empty,
unless forced; forced, it drops every table and deletes every file there first, so the result is
exactly the backup (not a mix). ``pg_dump`` / ``pg_restore`` are taken from the installed
PostgreSQL versions (Debian's ``/usr/lib/postgresql/<major>/bin``, then ``PATH``) to match the
server's major version.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
from django.conf import settings
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from psycopg2 import sql

BACKUP_FORMAT = "doanso.backup/1"
MANIFEST = "manifest.json"
POSTGRES_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"  # Debian and Ubuntu: one directory per major version

# libpq connection parameters, as Django's settings name them, and the variables pg_dump reads.
_LIBPQ_SETTINGS = {"NAME": "dbname", "HOST": "host", "PORT": "port", "USER": "user", "PASSWORD": "password"}
_LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator."""


@dataclass(frozen=True)
class FileRoot:
    archive: str
    path: Path


def file_roots() -> list[FileRoot]:
    """The directories whose files a backup keeps (read from settings at each use)."""
    return [
        FileRoot("media.tar.gz", Path(settings.MEDIA_ROOT)),
        FileRoot("private.tar.gz", Path(settings.PRIVATE_UPLOAD_ROOT)),
    ]


@dataclass
class RestoreSummary:
    backup: Path
    vendor: str
    tables: int
    files: dict[str, int] = field(default_factory=dict)


# --- Backup -------------------------------------------------------------------------------------


def backup_create(*, output_dir: Path, using: str = "default") -> Path:
    """Back up the database ``using`` and the file directories into a new directory under ``output_dir``."""
    output_dir = output_dir.resolve()
    for root in file_roots():
        if output_dir.is_relative_to(root.path.resolve()):
            raise BackupError(
                _("The backup directory %(output)s must not be inside %(root)s, which is backed up.")
                % {"output": output_dir, "root": root.path}
            )
    output_dir.mkdir(parents=True, exist_ok=True)
    final = _new_backup_path(output_dir)
    partial = final.with_name(final.name + ".partial")
    partial.mkdir(mode=0o700)
    try:
        db = connections[using]
        if db.vendor == "postgresql":
            database = _pg_dump(db.settings_dict, partial / POSTGRES_DUMP)
        elif isinstance(db, SQLiteDatabaseWrapper):
            database = _sqlite_copy(db, partial / SQLITE_COPY)
        else:
            raise BackupError(_("Backups support PostgreSQL and SQLite, not %(vendor)s.") % {"vendor": db.vendor})
        archived = {root.archive: _archive(root.path, partial / root.archive) for root in file_roots()}
        manifest = {
            "format": BACKUP_FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": database,
            "archived_files": archived,
            "files": {
                path.name: {"sha256": _sha256(path), "bytes": path.stat().st_size} for path in sorted(partial.iterdir())
            },
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def _new_backup_path(output_dir: Path) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    candidate, n = output_dir / stamp, 1
    while candidate.exists() or candidate.with_name(candidate.name + ".partial").exists():
        n += 1
        candidate = output_dir / f"{stamp}-{n}"
    return candidate


def _pg_dump(settings_dict: dict[str, Any], target: Path) -> dict[str, Any]:
    libpq = _libpq_params(settings_dict)
    major = _pg_server_major(libpq)
    pg_dump = pg_tool("pg_dump", server_major=major)
    _run([str(pg_dump), "--format=custom", f"--file={target}"], env=_pg_env(libpq))
    return {"vendor": "postgresql", "file": POSTGRES_DUMP, "server_major": major, "tool": _tool_version(pg_dump)}


def _sqlite_copy(db: SQLiteDatabaseWrapper, target: Path) -> dict[str, Any]:
    """Copy with the online backup API from a connection of our own, which sees committed data only.

    An in-memory database (tests) exists only in Django's connection, so that one is used; the
    backup API would retry forever on a connection inside its own write transaction, so refuse that.
    """
    if db.is_in_memory_db():
        db.ensure_connection()
        source = db.connection
        if source.in_transaction:
            raise BackupError(_("An in-memory SQLite database cannot be backed up from inside a transaction."))
    else:
        source = sqlite3.connect(f"{Path(db.settings_dict['NAME']).resolve().as_uri()}?mode=ro", uri=True)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        destination.close()
        if source is not db.connection:
            source.close()
    return {"vendor": "sqlite", "file": SQLITE_COPY, "sqlite_version": sqlite3.sqlite_version}


def _archive(root: Path, archive: Path) -> int:
    """Tar ``root``'s contents (an absent directory gives an empty archive); return the file count."""
    with tarfile.open(archive, "w:gz") as tar:
        if root.is_dir():
            for child in sorted(root.iterdir()):
                tar.add(child, arcname=child.name)
        return sum(1 for member in tar.getmembers() if member.isfile())


# --- Restore ------------------------------------------------------------------------------------


def backup_read(backup: Path) -> dict[str, Any]:
    """The manifest of ``backup``, after checking that every file it lists is there and intact."""
    try:
        manifest = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(
            _("%(path)s is not a backup: its manifest.json is missing or unreadable.") % {"path": backup}
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
        raise BackupError(_("%(path)s is not a backup made by this version of Đoàn Số.") % {"path": backup})
    for name, meta in manifest["files"].items():
        path = backup / name
        if Path(name).name != name or not path.is_file() or _sha256(path) != meta["sha256"]:
            raise BackupError(
                _("%(file)s is missing or damaged (it does not match the manifest); nothing was restored.")
                % {"file": path}
            )
    return manifest


def backup_restore(*, backup: Path, database: dict[str, Any], force: bool = False) -> RestoreSummary:
    """Restore ``backup`` into ``database`` (a Django settings dict) and the file directories."""
    manifest = backup_read(backup)
    vendor = manifest["database"]["vendor"]
    target_vendor = _vendor(database)
    if vendor != target_vendor:
        raise BackupError(
            _("This backup is of a %(backup)s database; it cannot be restored into %(target)s.")
            % {"backup": vendor, "target": target_vendor}
        )
    tables = _pg_tables(_libpq_params(database)) if vendor == "postgresql" else _sqlite_tables(_sqlite_path(database))
    busy_roots = [root for root in file_roots() if root.path.is_dir() and any(root.path.iterdir())]
    if (tables or busy_roots) and not force:
        problems = []
        if tables:
            problems.append(
                ngettext(
                    "the database already has %(count)d table",
                    "the database already has %(count)d tables",
                    len(tables),
                )
                % {"count": len(tables)}
            )
        problems += [_("%(path)s is not empty") % {"path": root.path} for root in busy_roots]
        raise BackupError(
            _(
                "Refusing to restore over existing data: %(problems)s. Restore into an empty database and "
                "empty file directories, or add --force to delete what is there first."
            )
            % {"problems": "; ".join(problems)}
        )
    connections.close_all()  # nothing of this process may hold a lock on what is dropped
    database_file = backup / manifest["database"]["file"]
    if vendor == "postgresql":
        libpq = _libpq_params(database)
        if tables:
            _pg_drop_everything(libpq)
        _pg_restore(database_file, libpq)
        restored_tables = len(_pg_tables(libpq))
    else:
        path = _sqlite_path(database)
        _sqlite_restore(database_file, path)
        restored_tables = len(_sqlite_tables(path))
    summary = RestoreSummary(backup=backup, vendor=vendor, tables=restored_tables)
    for root in file_roots():
        summary.files[root.archive] = _unarchive(backup / root.archive, root.path)
    return summary


def _vendor(database: dict[str, Any]) -> str:
    engine = str(database.get("ENGINE", ""))
    if engine.endswith("postgresql"):
        return "postgresql"
    if engine.endswith("sqlite3"):
        return "sqlite"
    raise BackupError(_("Backups support PostgreSQL and SQLite, not %(vendor)s.") % {"vendor": engine})


def _pg_tables(libpq: dict[str, str]) -> list[str]:
    # No query parameters below: psycopg2 then sends the text as is (a % stays a %).
    with closing(_pg_connect(libpq)) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'"
            " ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def _pg_drop_everything(libpq: dict[str, str]) -> None:
    """Drop every table, view and sequence outside the system schemas, in one transaction."""
    statements = {
        "r": "DROP TABLE IF EXISTS {} CASCADE",
        "p": "DROP TABLE IF EXISTS {} CASCADE",
        "v": "DROP VIEW IF EXISTS {} CASCADE",
        "m": "DROP MATERIALIZED VIEW IF EXISTS {} CASCADE",
        "S": "DROP SEQUENCE IF EXISTS {} CASCADE",
    }
    with closing(_pg_connect(libpq)) as conn, conn, conn.cursor() as cursor:  # commits on success
        cursor.execute(
            "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname <> 'information_schema'"
            " AND n.nspname NOT LIKE 'pg\\_%' ORDER BY position(c.relkind::text IN 'rpvmS')"
        )
        for schema, name, kind in cursor.fetchall():
            cursor.execute(sql.SQL(statements[kind]).format(sql.Identifier(schema, name)))


def _pg_restore(archive: Path, libpq: dict[str, str]) -> None:
    pg_restore = pg_tool("pg_restore", server_major=_pg_server_major(libpq))
    # Objects belong to the role restoring them (the site's own role), whatever role owned them before.
    _run(
        [
            str(pg_restore),
            "--exit-on-error",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            f"--dbname={libpq['dbname']}",
            str(archive),
        ],
        env=_pg_env(libpq),
    )


def _sqlite_path(database: dict[str, Any]) -> Path:
    name = str(database.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError(_("Restore needs an SQLite database file, not %(name)s.") % {"name": name or "''"})
    return Path(name)


def _sqlite_tables(path: Path) -> list[str]:
    if not path.exists():
        return []
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        ).fetchall()
    finally:
        conn.close()
    return sorted(row[0] for row in rows)


def _sqlite_restore(copy: Path, path: Path) -> None:
    """Replace the whole database file's content, page by page (the online backup API, reversed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"{copy.resolve().as_uri()}?mode=ro", uri=True)
    destination = sqlite3.connect(path)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def _unarchive(archive: Path, root: Path) -> int:
    """Make ``root`` hold exactly the archive's files; return how many there are."""
    root.mkdir(parents=True, exist_ok=True)
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(root, filter="data")  # no absolute paths, no escaping links, no devices
        return sum(1 for member in tar.getmembers() if member.isfile())


# --- PostgreSQL client tools --------------------------------------------------------------------


def pg_tool(name: str, *, server_major: int, search_path: Sequence[Path] | None = None) -> Path:
    """The ``pg_dump`` / ``pg_restore`` to use with a PostgreSQL server of major version ``server_major``.

    pg_dump refuses servers newer than itself, and a newer one writes archives an older pg_restore
    cannot read: prefer the server's own major version, else the oldest newer one installed.
    """
    if search_path is None:
        search_path = [
            *sorted((Path(p) for p in glob.glob(PG_BIN_GLOB)), key=lambda p: _natural(p.parent.name)),
            *(Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p),
        ]
    found: dict[int, Path] = {}
    for directory in search_path:
        executable = directory / name
        if executable.is_file() and os.access(executable, os.X_OK):
            major = _tool_major(executable)
            if major is not None:
                found.setdefault(major, executable)
    if server_major in found:
        return found[server_major]
    newer = sorted(major for major in found if major > server_major)
    if newer:
        return found[newer[0]]
    raise BackupError(
        _(
            "No %(tool)s for PostgreSQL %(major)d or newer was found in %(where)s (found: %(found)s). "
            "Install the PostgreSQL %(major)d client tools, e.g. apt install postgresql-client-%(major)d."
        )
        % {
            "tool": name,
            "major": server_major,
            "where": f"{PG_BIN_GLOB} or PATH",
            "found": ", ".join(str(found[m]) for m in sorted(found)) or "-",
        }
    )


def _natural(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (0, text)


def _tool_version(executable: Path) -> str:
    try:
        result = subprocess.run([str(executable), "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip()


def _tool_major(executable: Path) -> int | None:
    match = re.search(r"\(PostgreSQL\) (\d+)", _tool_version(executable))
    return int(match.group(1)) if match else None


def _libpq_params(settings_dict: dict[str, Any]) -> dict[str, str]:
    params = {key: str(settings_dict[name]) for name, key in _LIBPQ_SETTINGS.items() if settings_dict.get(name)}
    options = settings_dict.get("OPTIONS") or {}
    params.update({key: str(options[key]) for key in _LIBPQ_OPTIONS if options.get(key) is not None})
    if "dbname" not in params:
        raise BackupError(_("The database settings name no database."))
    return params


def _pg_env(libpq: dict[str, str]) -> dict[str, str]:
    """Connection parameters for the client tools, as PG* variables: a password never shows in ``ps``."""
    env = {**os.environ, "PGAPPNAME": "doanso-backup"}
    env.update({"PGDATABASE" if key == "dbname" else f"PG{key.upper()}": value for key, value in libpq.items()})
    return env


def _pg_connect(libpq: dict[str, str]) -> Any:
    try:
        return psycopg2.connect(**{"connect_timeout": "10", **libpq})
    except psycopg2.OperationalError as exc:
        raise BackupError(_("Cannot connect to the database: %(error)s") % {"error": str(exc).strip()}) from exc


def _pg_server_major(libpq: dict[str, str]) -> int:
    with closing(_pg_connect(libpq)) as conn:
        return int(conn.server_version) // 10000


def _run(command: list[str], *, env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(
            _("%(tool)s failed (exit status %(status)d): %(error)s")
            % {"tool": Path(command[0]).name, "status": result.returncode, "error": result.stderr.strip()}
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
