from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings
from django.utils.translation import gettext as _

from activities.demo import seed_records
from assessments.demo import seed_assessments
from assessments.scoring.services import scores_rebuild_campaign
from doanso.lib.db import refresh_planner_statistics
from units.demo import DEMO_PASSWORD, DEMO_USERS, seed_units


class Command(BaseCommand):
    help = (
        "Load the demo data (HCMC-like unit tree, demo users). Safe to run again: it changes nothing the second time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never on a real site).")

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                _(
                    "DEBUG is off: this looks like a real site. Demo data creates users with a known password; "
                    "use --force if you really mean it."
                )
            )
        # Demo returns and reminders must not e-mail anyone, whatever EMAIL_BACKEND says.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            self._seed()

    def _seed(self) -> None:
        # The services log their work for operators (in English, with raw figures); this command
        # reports the same in the user's language, so their INFO lines are not repeated here.
        quiet = [logging.getLogger(name) for name in ("units", "assessments", "activities")]
        levels = [logger.level for logger in quiet]
        for logger in quiet:
            logger.setLevel(logging.WARNING)
        try:
            self._seed_all()
        finally:
            for logger, level in zip(quiet, levels, strict=True):
                logger.setLevel(level)

    def _step(self, text: str) -> None:
        self.stdout.write(text, ending="\n")
        self.stdout.flush()

    def _seed_all(self) -> None:
        self._step(_("Loading the unit tree and the demo users…"))
        plan = seed_units()
        summary = plan.summary
        self._step(_("Units: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % summary)
        self._step(_("Publishing the frameworks and opening the campaigns (answers of the demo units)…"))
        campaigns = seed_assessments()
        self._step(_("Recording activities and payments…"))
        records = seed_records()
        if records["activities"]:
            self._step(_("Records: %(activities)d activities, %(payments)d payments.") % records)
        self._step(_("Computing the scores…"))
        refresh_planner_statistics()  # before the set-based scoring SQL reads what was just written
        for campaign in campaigns:  # in time order (deltas read the earlier milestone); metrics count records
            scores_rebuild_campaign(campaign_id=campaign.pk)
        for campaign in campaigns:
            self.stdout.write(
                _("Campaign “%(name)s”: %(count)d units expected.")
                % {"name": campaign.name, "count": campaign.assignments.count()}
            )
        self.stdout.write(_("Demo users (password %(password)s):") % {"password": DEMO_PASSWORD})
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:<22} {user.note}")
