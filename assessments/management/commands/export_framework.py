from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from assessments.models import Framework
from assessments.services import framework_to_spec, framework_to_xlsx
from assessments.sheets import WorkbookUnwritable


class Command(BaseCommand):
    help = (
        "Export a framework version as JSON (docs/framework-format.md) to stdout or a file, "
        "or as an XLSX workbook (--format xlsx --output FILE)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("version", type=int)
        parser.add_argument("-o", "--output", type=Path, help="Write to this file instead of stdout.")
        parser.add_argument("--format", choices=["json", "xlsx"], default="json", dest="file_format")

    def handle(
        self, *args: Any, code: str, version: int, output: Path | None, file_format: str, **options: Any
    ) -> None:
        framework = Framework.objects.filter(code=code, version=version).first()
        if framework is None:
            raise CommandError(
                _("There is no framework “%(code)s” version %(version)d.") % {"code": code, "version": version}
            )
        if file_format == "xlsx":
            if output is None:
                raise CommandError(_("An XLSX workbook is written to a file: add --output FILE.xlsx."))
            try:
                output.write_bytes(framework_to_xlsx(framework))
            except WorkbookUnwritable as exc:
                raise CommandError(str(exc)) from exc
            return
        text = json.dumps(framework_to_spec(framework), ensure_ascii=False, indent=2) + "\n"
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
