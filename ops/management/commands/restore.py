from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by the backup command: the database and the uploaded files. Refuses to run over "
        "a database that has tables or over file directories that are not empty, unless --force is given. "
        "Stop the web server, worker and beat first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path, help="The backup directory, e.g. var/backups/20261128-020000.")
        parser.add_argument(
            "--force", action="store_true", help="Drop the tables and delete the files that are there first."
        )
        parser.add_argument(
            "--database-url",
            help="Restore into this database instead of the site's (DATABASE_URL), e.g. a scratch one for a drill.",
        )

    def handle(self, *args: Any, backup: Path, force: bool, database_url: str | None, **options: Any) -> None:
        database = dj_database_url.parse(database_url) if database_url else connections[DEFAULT_DB_ALIAS].settings_dict
        try:
            summary = backup_restore(backup=backup, database=dict(database), force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _(
                "Restored %(backup)s: the database (%(tables)d tables) and %(files)d files. "
                "If this code is newer than the backup, run `python manage.py migrate` next."
            )
            % {"backup": backup, "tables": summary.tables, "files": sum(summary.files.values())}
        )
