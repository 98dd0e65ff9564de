from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump custom format, or SQLite's online backup) and the uploaded files "
        "into a new timestamped directory under BACKUP_DIR (default var/backups)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output-dir", type=Path, help="Where to create the backup directory (default BACKUP_DIR)."
        )

    def handle(self, *args: Any, output_dir: Path | None, **options: Any) -> None:
        try:
            path = backup_create(output_dir=output_dir or Path(settings.BACKUP_DIR))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("Backup written to %(path)s") % {"path": path})
