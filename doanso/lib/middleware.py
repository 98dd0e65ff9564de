"""Site-wide middleware: the chosen language, the Content-Security-Policy's one exception, and no NUL.

Language selection: Vietnamese unless the user picked another language with the switch.

Django's LocaleMiddleware follows the browser's Accept-Language. Many secretaries' phones are set
to English while they work in Vietnamese, so the browser's wish is ignored here: the language is
the one chosen with the switch (Django's language cookie), else ``LANGUAGE_CODE``.
"""

from __future__ import annotations

from collections.abc import Callable

import csp.middleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _


class ChosenLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, allowing inline *styles* (never scripts) under
    ``CSP_INLINE_STYLE_PREFIXES``: Swagger UI's script writes style attributes on the API docs
    page. Every other page, Django admin included, keeps ``style-src 'self'``."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> csp.middleware.PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith(tuple(settings.CSP_INLINE_STYLE_PREFIXES)):
            parts.update = {**(parts.update or {}), "style-src": ["'unsafe-inline'"]}
        return parts


class RefuseNulMiddleware:
    """A NUL character is never real input (no keyboard types it; PostgreSQL cannot store it, and a
    query with one fails with a 500). Any query parameter or form field holding one is refused here,
    once for every page, with a 400 that says so — JSON under /api/, a page elsewhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self._has_nul(request):
            message = _("The request holds a NUL character, which is never valid input.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400, json_dumps_params={"ensure_ascii": False})
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        sources = [request.GET]
        # API bodies are DRF's to parse (its fields refuse NUL); reading them here first would change
        # how DRF sees a malformed multipart body.
        form = ("application/x-www-form-urlencoded", "multipart/form-data")
        if request.method == "POST" and request.content_type in form and not request.path.startswith("/api/"):
            sources.append(request.POST)
        return any("\x00" in key or any("\x00" in v for v in values) for q in sources for key, values in q.lists())


class NulCookieMiddleware:
    """A cookie holding a NUL (Django turns a quoted ``"\\000"`` into one) is dropped before the
    session lookup meets it (PostgreSQL refuses the query: a 500 for anyone). The WSGI guard in
    doanso/lib/wsgi.py handles the other request that fails before any middleware: an odd charset."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if any("\x00" in k or "\x00" in v for k, v in request.COOKIES.items()):
            request.COOKIES = {k: v for k, v in request.COOKIES.items() if "\x00" not in k and "\x00" not in v}
        return self.get_response(request)
