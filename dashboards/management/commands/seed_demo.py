from __future__ import annotations

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
        plan = seed_units()
        summary = plan.summary
        self.stdout.write(_("Units: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % summary)
        campaigns = seed_assessments()
        records = seed_records()
        if records["activities"]:
            self.stdout.write(_("Records: %(activities)d activities, %(payments)d payments.") % records)
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
