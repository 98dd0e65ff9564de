from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from assessments.services import FrameworkRejected, framework_import, framework_import_xlsx


class Command(BaseCommand):
    help = (
        "Import a framework from a JSON file or an XLSX workbook (docs/framework-format.md). "
        "Validates everything first; writes nothing on error."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--publish", action="store_true", help="Publish it right away (read-only from then on).")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report, write nothing.")

    def handle(self, *args: Any, file: Path, publish: bool, dry_run: bool, **options: Any) -> None:
        try:
            if file.suffix.lower() == ".xlsx":
                with file.open("rb") as workbook:
                    framework = framework_import_xlsx(file=workbook, publish=publish, dry_run=dry_run)
            else:
                framework = framework_import(data=self._read_json(file), publish=publish, dry_run=dry_run)
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": file, "error": exc.strerror}) from exc
        except FrameworkRejected as exc:
            for path, message in exc.problems:
                self.stderr.write(f"{path}: {message}")
            raise CommandError(
                _("%(count)d problems found; nothing was imported.") % {"count": len(exc.problems)}
            ) from exc
        if framework is None:
            self.stdout.write(_("The file is valid (dry run, nothing written)."))
        else:
            self.stdout.write(
                _("Imported %(name)s, version %(version)d (%(status)s).")
                % {"name": framework.name, "version": framework.version, "status": framework.get_status_display()}
            )

    def _read_json(self, file: Path) -> Any:
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise CommandError(
                _("%(file)s is not valid JSON (line %(line)d, column %(column)d): %(error)s")
                % {"file": file, "line": exc.lineno, "column": exc.colno, "error": exc.msg}
            ) from exc
