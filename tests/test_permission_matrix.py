"""The permission matrix: every URL pattern of the site × every persona, with the expected status.

The list of URL patterns comes from the URL configuration itself, so a new URL without an entry
here fails ``test_every_url_pattern_has_an_entry``; ``test_the_matrix_holds`` then requests each
entry as each persona (anonymous, outsider secretary, viewer, unit editor, ancestor reviewer, city
staff, admin) and lists every cell that differs from what is written here.

Reading an entry: ``"GET", "302 404 200 200 200 200 404"`` means that a GET by anonymous, outsider,
viewer, editor, reviewer, city staff and admin answers those codes in that order. 302 for
anonymous visitors is the redirect to the login page (403 from the API, which has no login page), 404 is "invisible",
403 is "visible but read-only". The objects requested belong to the editor's branch QA-1-a (see
tests/fixtures.py for the tree), so the outsider (another district) must get 404 everywhere.
Unsafe requests carry an empty form: a persona allowed to act gets the form's validation answer
(200 / 400 / 422) or its redirect, which is enough to show that access was granted; each request
runs in a savepoint that is rolled back, so no request changes what the next one sees.

Django admin patterns are checked by rule (only the superuser gets in; every one else is sent to
the admin login), with the object pages of every registered model requested for a real object.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axes.models import AccessFailureLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from activities.models import Activity, BankStatement, Payment, UnitBankAccount
from assessments.models import Evidence
from dashboards.models import Export
from tests.factories import PASSWORD

PERSONAS = ("anonymous", "outsider", "viewer", "editor", "reviewer", "city_staff", "admin")


@dataclass(frozen=True)
class Entry:
    method: str
    expected: str  # seven status codes, in the order of PERSONAS
    kwargs: Callable[[Any], dict[str, Any]] = lambda w: {}
    query: str = ""
    api: bool = False


def unit(code: str = "QA-1-a") -> Callable[[Any], dict[str, Any]]:
    return lambda w: {"code": code}


def pk(attr: str) -> Callable[[Any], dict[str, Any]]:
    return lambda w: {"pk": getattr(w, attr).pk}


def viewer_role(w: Any) -> dict[str, Any]:
    return {"code": "QA-1-a", "pk": w.personas.viewer.unit_roles.get().pk}


def campaign_query(w: Any) -> str:
    return f"campaign={w.milestones.t1.pk}"


# fmt: off
MATRIX: dict[str, Entry] = {
    # Public pages and the account pages
    "healthz": Entry("GET", "200 200 200 200 200 200 200"),
    "home": Entry("GET", "302 200 200 200 200 200 200"),
    "accounts:login": Entry("GET", "200 302 302 302 302 302 302"),
    "accounts:logout": Entry("POST", "302 302 302 302 302 302 302"),
    "accounts:password_change": Entry("GET", "302 200 200 200 200 200 200"),
    "accounts:password_change_done": Entry("GET", "302 200 200 200 200 200 200"),
    "accounts:password_reset": Entry("GET", "200 200 200 200 200 200 200"),
    "accounts:password_reset_done": Entry("GET", "200 200 200 200 200 200 200"),
    "accounts:password_reset_confirm": Entry(
        "GET", "200 200 200 200 200 200 200", lambda w: {"uidb64": "MQ", "token": "set-password"}
    ),
    "accounts:password_reset_complete": Entry("GET", "200 200 200 200 200 200 200"),
    "accounts:invitation": Entry("GET", "200 200 200 200 200 200 200", lambda w: {"uidb64": "MQ", "token": "1-x"}),
    "set_language": Entry("POST", "302 302 302 302 302 302 302"),
    # Units
    "units:tree": Entry("GET", "302 200 200 200 200 200 200"),
    "units:import": Entry("GET", "302 403 403 403 403 403 200"),
    "units:import_confirm": Entry("POST", "302 403 403 403 403 403 302"),
    "units:detail": Entry("GET", "302 404 200 200 200 200 200", unit()),
    "units:children": Entry("GET", "302 404 404 404 200 200 200", unit("QA-1")),
    "units:mine": Entry("GET", "302 302 302 302 302 302 302"),
    "units:handover": Entry("POST", "302 404 403 302 302 302 302", unit()),
    "units:roles": Entry("GET", "302 404 403 200 200 200 200", unit()),
    "units:roles_export": Entry("GET", "302 404 403 200 200 200 200", lambda w: {"code": "QA-1-a", "fmt": "csv"}),
    "units:role_end": Entry("POST", "302 404 403 302 302 302 302", viewer_role),
    # The viewer chose a password long ago: nobody may send or print an invitation that would reset it.
    "units:role_invite": Entry("POST", "302 404 403 403 403 403 403", viewer_role),
    "units:role_invitation": Entry("GET", "302 404 403 403 403 403 403", viewer_role),
    # Campaigns and surveys
    "assessments:campaigns": Entry("GET", "302 200 200 200 200 200 200"),
    "assessments:campaign_create": Entry("GET", "302 200 403 200 200 200 200"),
    "assessments:campaign": Entry("GET", "302 200 200 200 200 200 200", lambda w: {"pk": w.milestones.t1.pk}),
    "assessments:campaign_open": Entry("POST", "302 403 403 403 403 302 302", lambda w: {"pk": w.milestones.t1.pk}),
    "assessments:campaign_close": Entry("POST", "302 403 403 403 403 302 302", lambda w: {"pk": w.milestones.t1.pk}),
    "assessments:assignment_extend": Entry("POST", "302 404 403 403 403 302 302", pk("assignment")),
    "assessments:assignment_share": Entry("GET", "302 404 403 200 200 200 200", pk("member_assignment")),
    "assessments:response": Entry("GET", "302 404 200 200 200 200 200", pk("response")),
    "assessments:response_save": Entry(
        "POST", "302 404 403 409 403 403 409", lambda w: {"pk": w.response.pk, "section": "D1"}
    ),
    "assessments:response_submit": Entry("GET", "302 404 200 200 200 200 200", pk("response")),
    "assessments:response_review": Entry("POST", "302 404 403 403 302 302 302", pk("response")),
    "assessments:evidence_add": Entry(
        "POST", "302 404 403 302 403 403 302", lambda w: {"pk": w.response.pk, "indicator": "I2"}
    ),
    "assessments:evidence": Entry("GET", "302 404 200 200 200 200 200", pk("evidence")),
    "assessments:evidence_delete": Entry("POST", "302 404 403 302 403 403 302", pk("evidence")),
    "assessments:member_survey": Entry("GET", "200 200 200 200 200 200 200", lambda w: {"token": w.token}),
    "assessments:member_done": Entry("GET", "200 200 200 200 200 200 200", lambda w: {"token": w.token}),
    # Activities, payments, statements
    "activities:unit_activities": Entry("GET", "302 404 200 200 200 200 200", unit()),
    "activities:activity_create": Entry("GET", "302 404 403 200 403 403 200", unit()),
    "activities:activity_edit": Entry("GET", "302 404 403 200 403 403 200", pk("activity")),
    "activities:activity_delete": Entry("POST", "302 404 403 302 403 403 302", pk("activity")),
    "activities:import": Entry("GET", "302 200 403 200 200 200 200"),
    "activities:import_confirm": Entry("POST", "302 302 403 302 302 302 302"),
    "activities:unit_payments": Entry("GET", "302 404 200 200 200 200 200", unit()),
    "activities:payment_create": Entry("GET", "302 404 403 200 403 403 200", unit()),
    "activities:bank_account": Entry("GET", "302 404 403 200 403 403 200", unit()),
    "activities:vietqr_poster": Entry("GET", "302 404 200 200 200 200 200", unit()),
    "activities:payment_edit": Entry("GET", "302 404 403 200 403 403 200", pk("payment")),
    "activities:payment_confirm": Entry("POST", "302 404 403 302 403 403 302", pk("payment")),
    "activities:payment_cancel": Entry("POST", "302 404 403 302 403 403 302", pk("payment")),
    "activities:payment_reverse": Entry("POST", "302 404 403 302 403 403 302", pk("payment")),
    "activities:payment_qr": Entry("GET", "302 404 200 200 200 200 200", pk("payment")),
    "activities:unit_statements": Entry("GET", "302 404 200 200 200 200 200", unit()),
    "activities:statement_preview": Entry(
        "GET", "302 404 403 302 403 403 302", lambda w: {"code": "QA-1-a", "token": "0" * 32}
    ),
    "activities:statement_confirm": Entry(
        "POST", "302 404 403 302 403 403 302", lambda w: {"code": "QA-1-a", "token": "0" * 32}
    ),
    "activities:statement": Entry("GET", "302 404 200 200 200 200 200", pk("statement")),
    # Dashboards
    "dashboards:city": Entry("GET", "302 404 200 200 200 200 200", query="campaign={t1}&unit=QA-1-a"),
    "dashboards:city_export": Entry(
        "GET", "302 404 200 200 200 200 200", lambda w: {"table": "units", "fmt": "csv"},
        query="campaign={t1}&unit=QA-1-a",
    ),
    "dashboards:unit": Entry("GET", "302 404 200 200 200 200 200", unit(), query="campaign={t1}"),
    "dashboards:unit_export": Entry(
        "GET", "302 404 200 200 200 200 200", lambda w: {"code": "QA-1-a", "table": "trend", "fmt": "csv"},
        query="campaign={t1}",
    ),
    "dashboards:export_status": Entry("GET", "302 404 404 404 404 200 404", pk("export")),
    "dashboards:export_download": Entry("GET", "302 404 404 404 404 200 404", pk("export")),
    # API: anonymous callers get 403 (DRF's answer when session authentication comes first)
    "api-auth-token": Entry("POST", "400 400 400 400 400 400 400", api=True),
    "api-unit-list": Entry("GET", "403 200 200 200 200 200 200", api=True),
    "api-unit-detail": Entry("GET", "403 404 200 200 200 200 200", unit(), api=True),
    "api-framework-list": Entry("GET", "403 200 200 200 200 200 200", api=True),
    "api-framework-detail": Entry(
        "GET", "403 200 200 200 200 200 200",
        lambda w: {"code": w.milestones.framework.code, "version": w.milestones.framework.version}, api=True,
    ),
    "api-campaign-list": Entry("GET", "403 200 200 200 200 200 200", api=True),
    "api-campaign-detail": Entry("GET", "403 200 200 200 200 200 200", lambda w: {"pk": w.milestones.t1.pk}, api=True),
    "api-campaign-open": Entry("POST", "403 403 403 403 403 409 409", lambda w: {"pk": w.milestones.t1.pk}, api=True),
    "api-campaign-close": Entry("POST", "403 403 403 403 403 200 200", lambda w: {"pk": w.milestones.t1.pk}, api=True),
    "api-campaign-recompute": Entry(
        "POST", "403 403 403 403 403 202 202", lambda w: {"pk": w.milestones.t1.pk}, api=True
    ),
    "api-scores": Entry("GET", "403 404 200 200 200 200 200", query="campaign={t1}&unit=QA-1-a", api=True),
    "api-response-list": Entry("GET", "403 200 200 200 200 200 200", api=True),
    "api-response-detail": Entry("GET", "403 404 200 200 200 200 200", pk("response"), api=True),
    "api-response-answers": Entry("PUT", "403 404 403 400 403 403 400", pk("response"), api=True),
    "api-response-submit": Entry("POST", "403 404 403 200 403 403 200", pk("response"), api=True),
    "api-response-return": Entry("POST", "403 404 403 403 400 400 400", pk("response"), api=True),
    "api-response-approve": Entry("POST", "403 404 403 403 409 409 409", pk("response"), api=True),
    "api-member-survey": Entry("POST", "400 400 400 400 400 400 400", lambda w: {"token": w.token}, api=True),
    "api-activity-list": Entry("GET", "403 200 200 200 200 200 200", api=True),
    "api-activity-detail": Entry("GET", "403 404 200 200 200 200 200", pk("activity"), api=True),
    "api-payment-list": Entry("GET", "403 200 200 200 200 200 200", api=True),
    "api-payment-detail": Entry("GET", "403 404 200 200 200 200 200", pk("payment"), api=True),
    "api-payment-cancel": Entry("POST", "403 404 403 200 403 403 200", pk("payment"), api=True),
    "api-payment-confirm": Entry("POST", "403 404 403 200 403 403 200", pk("payment"), api=True),
    "api-payment-reverse": Entry("POST", "403 404 403 400 403 403 400", pk("payment"), api=True),
    "api-payment-vietqr": Entry("GET", "403 404 200 200 200 200 200", pk("payment"), api=True),
    "api-schema": Entry("GET", "200 200 200 200 200 200 200", api=True),
    "api-docs": Entry("GET", "200 200 200 200 200 200 200", api=True),
}
# fmt: on

# Admin pages reached by GET whose answer for the superuser is not a plain 200.
ADMIN_EXCEPTIONS: dict[str, int] = {
    "admin:logout": 405,  # POST only since Django 5
    "admin:autocomplete": 403,  # needs the app, model and field of a real autocomplete request
}


# --- The URL configuration ----------------------------------------------------------------------


def url_patterns() -> Iterator[tuple[str, str]]:
    """(name, route) of every pattern, names with their namespaces."""

    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern):
                yield f"{namespace}{pattern.name or ''}", prefix + str(pattern.pattern)

    yield from walk(get_resolver().url_patterns, "", "")


def test_every_url_pattern_has_an_entry() -> None:
    names = [name for name, _route in url_patterns()]
    unnamed = [r for n, r in url_patterns() if not r.startswith("admin/") and (n.endswith(":") or not n)]
    assert not unnamed, f"URL patterns without a name cannot be put in the matrix: {unnamed}"
    missing = sorted(n for n in names if not n.startswith("admin:") and n not in MATRIX)
    assert not missing, f"URL patterns without an entry in the permission matrix: {missing}"
    stale = sorted(set(MATRIX) - set(names))
    assert not stale, f"Entries for URL patterns that no longer exist: {stale}"


# --- The world every request looks at -----------------------------------------------------------


@dataclass
class World:
    personas: Any
    milestones: Any
    response: Any
    assignment: Any
    member_assignment: Any
    token: str
    evidence: Evidence
    activity: Activity
    payment: Payment
    statement: BankStatement
    export: Export


@pytest.fixture
def world(personas: Any, tree: Any, milestones: Any, member_campaign_scored: Any, reference_data: None) -> World:
    from activities.models import Bank

    response = milestones.responses["A"]  # QA-1-a, submitted, with evidence for I2
    # A draft is what the editor edits: reopen A as returned so that save/submit are allowed.
    from assessments import services

    response = services.response_return(response=response, by=None, comment="Bổ sung minh chứng")
    member_assignment = member_campaign_scored.assignments.get(unit=tree.qa1a)
    UnitBankAccount.objects.create(
        unit=tree.qa1a, bank=Bank.objects.order_by("pk").first(), account_number="0123456789", account_name="CHI DOAN"
    )
    export = Export.objects.create(
        user=personas.city_staff,
        table="units",
        fmt="csv",
        params={"campaign": milestones.t1.pk, "unit": "CITY"},
        status=Export.Status.DONE,
        filename="don-vi.csv",
    )
    export.file.save("don-vi.csv", ContentFile(b"code,name\r\n"))
    evidence = services.evidence_add(
        response=response,
        indicator=response.assignment.campaign.framework.domains.get(code="D1").indicators.get(code="I1"),
        by=personas.editor,
        file=SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
    )
    Group.objects.create(name="Cán bộ Thành Đoàn")
    # django-axes' own records (admin pages for them): a log-in, then a failed attempt.
    login = reverse("accounts:login")
    Client().post(login, {"username": "viewer", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    Client().post(login, {"username": "viewer", "password": "sai"}, REMOTE_ADDR="10.0.0.9")
    AccessFailureLog.objects.create(
        username="viewer", ip_address="10.0.0.9", user_agent="", http_accept="", path_info=login, locked_out=False
    )
    Token.objects.create(user=personas.editor)
    return World(
        personas=personas,
        milestones=milestones,
        response=response,
        assignment=response.assignment,
        member_assignment=member_assignment,
        token=member_assignment.member_token,
        evidence=evidence,
        activity=Activity.objects.create(
            unit=tree.qa1a, title="Sinh hoạt chi đoàn", starts_at=timezone.now(), mode=Activity.Mode.ONLINE
        ),
        payment=Payment.objects.create(unit=tree.qa1a, amount=24000, purpose=Payment.Purpose.DUES),
        statement=BankStatement.objects.create(
            unit=tree.qa1a, original_name="sao-ke.csv", content_hash="0" * 64, uploaded_by=personas.editor
        ),
        export=export,
    )


def client_as(world: World, persona: str, api: bool) -> Client:
    client: Client = APIClient() if api else Client()
    if persona != "anonymous":
        client.force_login(getattr(world.personas, persona))
    return client


def request(client: Client, method: str, url: str) -> int:
    """One request in a savepoint that is rolled back: nothing it does is seen by the next one."""

    class Rollback(Exception):
        pass

    status = 0
    try:
        with transaction.atomic():
            status = getattr(client, method.lower())(url).status_code
            raise Rollback
    except Rollback:
        pass
    return status


def test_the_matrix_holds(world: World) -> None:
    wrong: list[str] = []
    for name, entry in sorted(MATRIX.items()):
        url = reverse(name, kwargs=entry.kwargs(world))
        if entry.query:
            url += "?" + entry.query.format(t1=world.milestones.t1.pk)
        expected = entry.expected.split()
        assert len(expected) == len(PERSONAS), name
        got = [str(request(client_as(world, persona, entry.api), entry.method, url)) for persona in PERSONAS]
        if got != expected:
            wrong.append(f"{name:<40} {entry.method:<4} expected {' '.join(expected)}  got {' '.join(got)}  {url}")
    assert not wrong, "Permission matrix differs (personas: " + ", ".join(PERSONAS) + "):\n" + "\n".join(wrong)


# --- Django admin ------------------------------------------------------------------------------

# Admin routes whose answer to the superuser is not a plain 200 (GET, with a real object).
ADMIN_SUPERUSER: dict[str, int] = {
    "admin/login/": 302,  # already logged in: on to the admin index
    "admin/logout/": 405,  # POST only since Django 5
    "admin/autocomplete/": 403,  # needs the app, model and field of a real autocomplete request
    "admin/r/<path:content_type_id>/<path:object_id>/": 404,  # units have no public page of their own here
    "admin/(?P<url>.*)$": 404,  # admin's catch-all for an unknown page
    "admin/units/unit/move/": 400,  # treebeard's drag-and-drop move: a GET without a node is refused
    "admin/assessments/framework/<int:pk>/publish/": 403,  # POST only (a button on the change page)
    "admin/assessments/framework/<int:pk>/clone/": 403,  # POST only
    "admin/assessments/framework/<path:object_id>/delete/": 403,  # the world's framework is published: immutable
    # Domains and indicators are added as rows on their parent's page; the world's framework is
    # published, so its domains and indicators cannot be deleted either.
    "admin/assessments/domain/add/": 403,
    "admin/assessments/domain/<path:object_id>/delete/": 403,
    "admin/assessments/indicator/add/": 403,
    "admin/assessments/indicator/<path:object_id>/delete/": 403,
    "admin/assessments/response/add/": 403,  # responses are created by opening a campaign, never by hand
    "admin/axes/accessattempt/add/": 403,  # django-axes' records are read-only
    "admin/axes/accesslog/add/": 403,
    "admin/axes/accessfailurelog/add/": 403,
}
# Admin routes that answer everyone alike.
ADMIN_PUBLIC: dict[str, int] = {
    "admin/units/unit/jsi18n/": 200,  # treebeard's JavaScript catalogue: translated UI strings, no data
}


def admin_requests() -> Iterator[tuple[str, str]]:
    """(route, url) for every admin pattern, named or not, with a real object where it needs one."""
    from django.contrib.contenttypes.models import ContentType

    from units.models import Unit

    models = {f"admin/{m._meta.app_label}/{m._meta.model_name}/": m for m in admin.site._registry}
    unit = Unit.objects.order_by("path").first()
    assert unit is not None
    for _name, route in url_patterns():
        if not route.startswith("admin/"):
            continue
        url = route.replace("(?P<url>.*)$", "no-such-page/")
        url = re.sub(r"\^\(\?P<app_label>[^)]*\)/\$", "units/", url)  # the app index
        url = url.replace("<path:content_type_id>", str(ContentType.objects.get_for_model(Unit).pk))
        url = url.replace("<str:parent_id>", str(unit.pk))
        for param in ("<id>", "<int:pk>"):  # the user admin's password page, custom framework pages
            url = url.replace(param, "<path:object_id>")
        if url.endswith("^([^/]+)/history/([^/]+)/$"):  # simple-history: one past version of an object
            prefix = url.removesuffix("^([^/]+)/history/([^/]+)/$")
            past = models["admin/" + prefix.removeprefix("admin/")].history.order_by("history_id").first()
            assert past is not None, f"{route}: the world has no history to open"
            url = f"{prefix}{past.id}/history/{past.history_id}/"
        if "<path:object_id>" in url:
            prefix = next((p for p in models if route.startswith(p)), None)
            model = models[prefix] if prefix else Unit  # admin/r/…: the unit's "view on site"
            obj = model._default_manager.order_by("pk").first()
            assert obj is not None, f"{route}: the world has no {model.__name__} to open"
            url = url.replace("<path:object_id>", str(obj.pk))
        assert "<" not in url and "(?" not in url, f"{route}: add a value for its parameters here"
        yield route, "/" + url


def test_admin_is_for_the_superuser_only(world: World) -> None:
    wrong: list[str] = []
    for route, url in admin_requests():
        for persona in PERSONAS:
            status = request(client_as(world, persona, api=False), "GET", url)
            if route in ADMIN_PUBLIC:
                expected = ADMIN_PUBLIC[route]
            elif persona == "admin":
                expected = ADMIN_SUPERUSER.get(route, 200)
                if route.endswith("/<path:object_id>/") and route not in ADMIN_SUPERUSER:
                    expected = 302  # Django's redirect from an object's address to its change page
            elif route == "admin/login/":
                expected = 200  # the login form, also for users who are not staff
            else:
                expected = 302  # to the admin login page
            if status != expected:
                wrong.append(f"{route:<60} {persona:<10} expected {expected} got {status}  {url}")
    assert not wrong, "Admin permissions differ:\n" + "\n".join(wrong)
