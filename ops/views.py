"""The health endpoint for load balancers and monitoring."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .health import health_report


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """``{"status": "ok"|"degraded"|"fail", "checks": {...}}``; 503 only on ``fail``.

    Anonymous on purpose: it reveals states and timings, nothing else. Load balancers take a
    server out of rotation on 503 (database or Redis down) and keep it on 200 ``degraded``
    (only the worker heartbeat is stale: pages still work).
    """
    report = health_report()
    return JsonResponse(report, status=503 if report["status"] == "fail" else 200)
