from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Running the site: the health endpoint, the worker heartbeat, backups and restores. No models."""

    name = "ops"
    verbose_name = _("Operations")
