from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Activities and payments")

    def ready(self) -> None:
        # The scoring pipeline asks registered sources for metric values; it does not import us.
        from assessments.scoring.metrics import register

        from .metrics import SOURCE

        register(SOURCE)
