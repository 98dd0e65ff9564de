"""Pages that bring the apps together: a person's work for today, the city dashboard, the unit
page with its explained score, and the exports of their tables.

Access: the unit through ``unit_get_for_user`` (another subtree → 404), the campaign through the
campaigns the user may see (another campaign → 404); the exports call the same functions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from assessments.models import Campaign, FrameworkKind
from assessments.selectors import responses_to_fill, responses_to_review
from units.models import Unit
from units.permissions import can_import_units, unit_get_for_user
from units.selectors import user_roles

from . import exports, selectors
from .forms import DashboardFilterForm, UnitDashboardForm, wanted_campaign
from .models import Export
from .services import BACKGROUND_TABLES, export_request

SECTORS = dict(Unit.Sector.choices)
FORMATS = ("xlsx", "csv")
CITY_TABLES = ("units", "completion", "levels", "domains", "members", "subtree")
UNIT_TABLES = ("trend", "explain")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    ctx = {
        "roles": user_roles(request.user),
        "to_fill": responses_to_fill(request.user)[:20],
        "to_review": responses_to_review(request.user, limit=20),
        "can_import": can_import_units(request.user),
    }
    return render(request, "dashboards/home.html", ctx)


# --- City dashboard --------------------------------------------------------------------------


def _scope(request: HttpRequest) -> dict[str, Any]:
    """Campaign, unit and sector of a dashboard request, checked (404 for what the user may not see)."""
    user = request.user
    campaigns = selectors.dashboard_campaigns(user)
    code = request.GET.get("unit", "").strip()
    unit = unit_get_for_user(user, code) if code else None
    wanted = wanted_campaign(request.GET)
    campaign = selectors.pick_campaign(campaigns, unit, wanted)
    if wanted is not None and campaign is None:
        raise Http404
    if unit is None:
        unit = selectors.default_unit(user, campaign)
    sector = request.GET.get("sector", "")
    if sector not in SECTORS:
        sector = ""
    return {"campaigns": campaigns, "campaign": campaign, "unit": unit, "sector": sector}


def _member_card(request: HttpRequest, unit: Unit, sector: str) -> selectors.MemberCard | None:
    campaigns = selectors.dashboard_campaigns(request.user, FrameworkKind.MEMBER)
    campaign = selectors.pick_campaign(campaigns, unit, None)
    return selectors.member_card(campaign, unit, sector) if campaign else None


def _query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _downloads(url_name: str, tables: Iterable[str], query: str, **kwargs: Any) -> dict[str, dict[str, str]]:
    """Download links of each table, in both formats, with the page's filters."""
    return {
        table: {fmt: f"{reverse(url_name, kwargs={**kwargs, 'table': table, 'fmt': fmt})}?{query}" for fmt in FORMATS}
        for table in tables
    }


@login_required
def city(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    campaign, unit, sector = scope["campaign"], scope["unit"], scope["sector"]
    form = DashboardFilterForm(
        initial={"campaign": campaign.pk if campaign else None, "sector": sector, "unit": unit.code if unit else ""},
        campaigns=scope["campaigns"],
    )
    ctx: dict[str, Any] = {"form": form, "campaign": campaign, "unit": unit, "sector": sector}
    if campaign is None or unit is None:
        return render(request, "dashboards/city.html", ctx)
    ov = selectors.overview(campaign, unit, sector)
    query = _query(campaign=campaign.pk, unit=unit.code, sector=sector)
    ctx |= {
        "ov": ov,
        "sector_name": SECTORS.get(sector, ""),
        "crumbs": selectors.breadcrumbs(request.user, unit),
        "members": _member_card(request, unit, sector),
        "downloads": _downloads("dashboards:city_export", CITY_TABLES, query),
        "drill_query": _query(campaign=campaign.pk, sector=sector),
        "charts": {
            "levels": {
                "labels": [level.name for level, _count in ov.distribution.counts],
                "values": [count for _level, count in ov.distribution.counts],
                "tones": [level.tone for level, _count in ov.distribution.counts],
            },
            "domains": {
                "labels": [d.domain.name for d in ov.radar],
                "values": [d.score.value for d in ov.radar],
            },
        },
    }
    return render(request, "dashboards/city.html", ctx)


# --- Unit page -------------------------------------------------------------------------------


@login_required
def unit_page(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    unit = unit_get_for_user(user, code)
    campaigns = [c for c in selectors.dashboard_campaigns(user) if selectors.covers(c, unit)]
    wanted = wanted_campaign(request.GET)
    campaign = selectors.pick_campaign(campaigns, unit, wanted)
    if wanted is not None and campaign is None:
        raise Http404
    ctx: dict[str, Any] = {
        "unit": unit,
        "campaign": campaign,
        "crumbs": selectors.breadcrumbs(user, unit),
        "form": UnitDashboardForm(initial={"campaign": campaign.pk if campaign else None}, campaigns=campaigns),
    }
    if campaign is None:
        return render(request, "dashboards/unit.html", ctx)
    subtree, subtree_domains = selectors.subtree_scores(campaign, unit)
    banding = selectors.banding_for(campaign)
    trend = selectors.unit_trend(user, campaign, unit)
    ctx |= {
        "subtree": subtree,
        "subtree_overall": banding(subtree.overall if subtree else None),
        # `members` mode over units that all have 0 members: responses exist, but no weighted mean.
        "no_member_counts": bool(
            campaign.rollup == Campaign.Rollup.MEMBERS and subtree and subtree.responses and subtree.overall is None
        ),
        "explanation": selectors.explain(campaign, unit, subtree_domains=subtree_domains),
        "trend": trend,
        "records": selectors.unit_records(unit, campaign.period_start, campaign.period_end),
        "members": _member_card(request, unit, ""),
        "downloads": _downloads("dashboards:unit_export", UNIT_TABLES, _query(campaign=campaign.pk), code=unit.code),
        "city_query": _query(campaign=campaign.pk, unit=unit.code),
        "charts": {
            "trend": {
                "labels": [p.campaign.milestone for p in trend],
                "subtree": [p.subtree.value for p in trend],
                "own": [p.own.value if p.own else None for p in trend],
                "names": [_("Subtree"), _("Own response")],
            }
        },
    }
    return render(request, "dashboards/unit.html", ctx)


# --- Exports ---------------------------------------------------------------------------------


@login_required
def city_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse | StreamingHttpResponse | FileResponse:
    if table not in CITY_TABLES:
        raise Http404
    scope = _scope(request)
    campaign, unit, sector = scope["campaign"], scope["unit"], scope["sector"]
    if campaign is None or unit is None:
        raise Http404
    if table == "subtree":
        rows = selectors.subtree_units(campaign, unit, sector).count()
        if rows > settings.EXPORT_INLINE_MAX_ROWS:
            export = export_request(
                user=request.user, table="units", fmt=fmt, campaign_id=campaign.pk, unit_code=unit.code, sector=sector
            )
            return redirect("dashboards:export_status", pk=export.pk)
        return exports.table_response(BACKGROUND_TABLES["units"](campaign, unit, sector), fmt)
    if table == "members":
        card = _member_card(request, unit, sector)
        if card is None:
            raise Http404
        return exports.table_response(exports.members_table(card, unit), fmt)
    ov = selectors.overview(campaign, unit, sector)
    builders = {
        "units": exports.children_table,
        "completion": exports.completion_table,
        "levels": exports.distribution_table,
        "domains": exports.domains_table,
    }
    return exports.table_response(builders[table](ov), fmt)


@login_required
def unit_export(
    request: HttpRequest, code: str, table: str, fmt: str
) -> HttpResponse | StreamingHttpResponse | FileResponse:
    if table not in UNIT_TABLES:
        raise Http404
    unit = unit_get_for_user(request.user, code)
    campaigns = [c for c in selectors.dashboard_campaigns(request.user) if selectors.covers(c, unit)]
    campaign = selectors.pick_campaign(campaigns, unit, wanted_campaign(request.GET))
    if campaign is None:
        raise Http404
    if table == "trend":
        table_rows = exports.trend_table(selectors.unit_trend(request.user, campaign, unit), unit)
    else:
        _subtree, subtree_domains = selectors.subtree_scores(campaign, unit)
        explanation = selectors.explain(campaign, unit, subtree_domains=subtree_domains)
        table_rows = exports.explain_table(explanation, unit)
    return exports.table_response(table_rows, fmt)


def _own_export(request: HttpRequest, pk: uuid.UUID) -> Export:
    """Exports are private to whoever asked for them: anyone else gets 404."""
    return get_object_or_404(Export, pk=pk, user=request.user)


@login_required
def export_status(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    export = _own_export(request, pk)
    ctx = {"export": export, "download": reverse("dashboards:export_download", kwargs={"pk": export.pk})}
    template = "dashboards/partials/export_status.html" if request.headers.get("HX-Request") else None
    return render(request, template or "dashboards/export_status.html", ctx)


@login_required
def export_download(request: HttpRequest, pk: uuid.UUID) -> FileResponse:
    export = _own_export(request, pk)
    if export.status != Export.Status.DONE or not export.file:
        raise Http404
    # The unit must still be visible to the person (roles can be withdrawn in a week).
    unit_get_for_user(request.user, str(export.params.get("unit", "")))
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=export.filename,
        content_type=exports.CONTENT_TYPES[export.fmt],
    )
