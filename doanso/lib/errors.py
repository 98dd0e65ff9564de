"""Error pages that stay JSON under /api/.

A request that matches no URL (``/api/v1/campaigns/abc/``), or that Django refuses before any view
runs, is answered by Django's ``handler404`` / ``handler400`` / ``handler500``: HTML pages. An API
client gets DRF's JSON body instead (DESIGN §6: errors are JSON with a clear message); the pages
keep Django's templates.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            {"detail": str(exceptions.NotFound.default_detail)}, status=404, json_dumps_params={"ensure_ascii": False}
        )
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return exceptions.bad_request(request, exception)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return exceptions.server_error(request)
    return defaults.server_error(request)
