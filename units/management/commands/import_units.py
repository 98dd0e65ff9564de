from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from doanso.lib.tabular import TabularError, read_table
from units.services import ImportRejected, units_import


class Command(BaseCommand):
    help = "Import units from a CSV or XLSX file. The whole file is validated first; nothing is written on any error."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate and report, write nothing.")

    def handle(self, *args: Any, file: Path, dry_run: bool, **options: Any) -> None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": file, "error": exc.strerror}) from exc
        try:
            plan = units_import(table=read_table(data), dry_run=dry_run)
        except TabularError as exc:
            raise CommandError(str(exc)) from exc
        except ImportRejected as exc:
            for error in exc.row_errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("%(count)d problems found; nothing was imported.") % {"count": len(exc.row_errors)}
            ) from exc
        summary = plan.summary
        heading = _("Dry run, nothing written") if dry_run else _("Imported")
        self.stdout.write(
            _(
                "%(heading)s: %(created)d created, %(updated)d updated, %(moved)d moved, %(unchanged)d unchanged; "
                "%(users_created)d new users, %(roles_granted)d secretary roles granted, %(roles_ended)d handed over."
            )
            % {"heading": heading, **summary}
        )
        if plan.invitations_sent:
            self.stdout.write(_("Invitations e-mailed to: %(names)s.") % {"names": ", ".join(plan.invitations_sent)})
        if plan.invitations_failed:
            self.stderr.write(
                _(
                    "The invitations to %(names)s could not be sent (the mail server did not accept them). "
                    "The import is saved; send them again from each unit's page."
                )
                % {"names": ", ".join(plan.invitations_failed)}
            )
        if plan.invitations_without_email:
            self.stdout.write(
                _("%(names)s have no e-mail address: print their invitation from their unit's page.")
                % {"names": ", ".join(plan.invitations_without_email)}
            )
