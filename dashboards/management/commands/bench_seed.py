from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench.seed import SCALES, seed


class Command(BaseCommand):
    help = (
        "Replace ALL units, campaigns and responses of this database with the deterministic benchmark "
        "dataset (bench/seed.py). Use a dedicated database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="city")
        parser.add_argument("--yes", action="store_true", help="Do not ask before wiping the data.")

    def handle(self, *args: Any, scale: str, yes: bool, **options: Any) -> None:
        if not settings.DEBUG and not yes:
            raise CommandError("DEBUG is off: refusing to wipe what may be a real database (pass --yes to insist).")
        seed(scale, log=lambda line: self.stdout.write(line))
