from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from assessments.models import Campaign
from assessments.scoring.services import scores_rebuild_campaign


class Command(BaseCommand):
    help = "Recompute every score of one campaign, or of every opened campaign, right now (no worker needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", type=int, help="Campaign id (default: all opened or closed campaigns).")

    def handle(self, *args: Any, campaign: int | None, **options: Any) -> None:
        campaigns = Campaign.objects.exclude(status=Campaign.Status.DRAFT).order_by("opens_at")
        if campaign is not None:
            campaigns = campaigns.filter(pk=campaign)
            if not campaigns.exists():
                raise CommandError(_("There is no opened campaign with id %(id)d.") % {"id": campaign})
        for item in campaigns:
            started = time.perf_counter()
            scores_rebuild_campaign(campaign_id=item.pk)
            self.stdout.write(
                _("%(name)s: recomputed in %(seconds).2f s.")
                % {"name": item.name, "seconds": time.perf_counter() - started}
            )
