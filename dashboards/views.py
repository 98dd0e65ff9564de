"""Pages that bring the apps together for one person: their work for today."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assessments.selectors import responses_to_fill, responses_to_review
from units.permissions import can_import_units
from units.selectors import user_roles


@login_required
def home(request: HttpRequest) -> HttpResponse:
    ctx = {
        "roles": user_roles(request.user),
        "to_fill": responses_to_fill(request.user)[:20],
        "to_review": responses_to_review(request.user, limit=20),
        "can_import": can_import_units(request.user),
    }
    return render(request, "dashboards/home.html", ctx)
