from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import Campaign
from doanso.lib.http import parse_id
from units.models import Unit


def _campaign_choices(campaigns: Sequence[Campaign]) -> list[tuple[int, str]]:
    return [(c.pk, f"{c.name} · {c.milestone}") for c in campaigns]


class DashboardFilterForm(forms.Form):
    """GET filters of the city dashboard. An unknown campaign or unit is the view's 404, not a form error."""

    campaign = forms.TypedChoiceField(label=_("Campaign"), coerce=int, required=False, empty_value=None)
    sector = forms.ChoiceField(
        label=_("Sector"), required=False, choices=[("", _("All sectors")), *Unit.Sector.choices]
    )
    unit = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, campaigns: Sequence[Campaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaign_field = self.fields["campaign"]
        assert isinstance(campaign_field, forms.TypedChoiceField)
        campaign_field.choices = _campaign_choices(campaigns)
        self.fields["campaign"].widget.attrs["class"] = "form-select"
        self.fields["sector"].widget.attrs["class"] = "form-select"


class UnitDashboardForm(forms.Form):
    campaign = forms.TypedChoiceField(label=_("Campaign"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, campaigns: Sequence[Campaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaign_field = self.fields["campaign"]
        assert isinstance(campaign_field, forms.TypedChoiceField)
        campaign_field.choices = _campaign_choices(campaigns)
        self.fields["campaign"].widget.attrs["class"] = "form-select"


def wanted_campaign(data: Any) -> int | None:
    """The campaign id asked for in the query string; a value that is not a number asks for none."""
    return parse_id(data.get("campaign", ""))
