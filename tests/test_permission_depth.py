"""The permission matrix, deepened (tests/test_permission_matrix.py checks one status per URL and
persona; this checks what lies behind the status):

* what a list, a page or an export *contains*: a persona is shown nothing of a subtree where it
  holds no role — HTML, API and every export in both formats;
* where a redirect goes: anonymous visitors to the login page with their way back, everyone else to
  a page of the site;
* every HTTP method on every URL: no method, allowed or not, is answered with a 5xx;
* malformed query parameters on every API list: a 4xx or the plain list, never a 5xx;
* Django admin for staff users with model permissions (city staff who administer units and roles):
  exactly their models, nothing else.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test import Client
from django.urls import resolve, reverse
from rest_framework.test import APIClient

from tests.test_permission_matrix import MATRIX, PERSONAS, World, world  # noqa: F401 - the fixture

# What each persona must never be shown: the names and codes of units in subtrees where it holds no role.
FORBIDDEN = {
    "outsider": ["QA-1-a", "QA-1-b", "Chi đoàn A1a", "Chi đoàn A1b", "Đoàn cơ sở A1", "Đoàn phường A"],
    "viewer": ["QB-1-a", "Chi đoàn B1a", "Đoàn khoa B1", "Đoàn trường B", "QA-1-b", "Chi đoàn A1b"],
    "editor": ["QB-1-a", "Chi đoàn B1a", "Đoàn khoa B1", "Đoàn trường B", "QA-1-b", "Chi đoàn A1b"],
}
# Pages whose content is public by design (the member-survey link is the permission to see its unit's name).
PUBLIC_CONTENT = {"assessments:member_survey", "assessments:member_done", "api-schema", "api-docs", "healthz"}
CITY_TABLES = ("units", "completion", "levels", "domains", "members", "subtree")
UNIT_TABLES = ("trend", "explain")
METHODS = ("get", "post", "put", "patch", "delete")


def _client(world: World, persona: str, *, api: bool = False) -> Client:
    client: Client = APIClient() if api else Client()
    if persona != "anonymous":
        client.force_login(getattr(world.personas, persona))
    return client


def _call(client: Client, method: str, url: str, **extra: Any) -> Any:
    """One request in a rolled-back savepoint (nothing it writes is seen by the next)."""

    class Rollback(Exception):
        pass

    result: Any = None
    try:
        with transaction.atomic():
            result = getattr(client, method)(url, **extra)
            raise Rollback
    except Rollback:
        pass
    return result


def _text(response: Any) -> str:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if data[:4] == b"PK\x03\x04":  # XLSX: the text of its shared strings and sheets
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return " ".join(
                archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.endswith(".xml")
            )
    return data.decode("utf-8", "replace")


def _matrix_gets(world: World) -> list[tuple[str, str, bool]]:
    found = []
    for name, entry in sorted(MATRIX.items()):
        if entry.method != "GET" or name in PUBLIC_CONTENT:
            continue
        url = reverse(name, kwargs=entry.kwargs(world))
        if entry.query:
            url += "?" + entry.query.format(t1=world.milestones.t1.pk)
        found.append((name, url, entry.api))
    return found


def _exports(world: World) -> list[tuple[str, str, bool]]:
    t1 = world.milestones.t1.pk
    urls = []
    for fmt in ("csv", "xlsx"):
        for table in CITY_TABLES:
            urls.append(
                (f"city {table}.{fmt}", reverse("dashboards:city_export", args=[table, fmt]) + f"?campaign={t1}", False)
            )
        for table in UNIT_TABLES:
            for code in ("QA-1-a", "QB-1-a"):
                url = reverse("dashboards:unit_export", args=[code, table, fmt]) + f"?campaign={t1}"
                urls.append((f"unit {code} {table}.{fmt}", url, False))
    return urls


@pytest.mark.parametrize("persona", sorted(FORBIDDEN))
def test_no_page_list_or_export_shows_a_persona_anything_of_a_subtree_it_has_no_role_in(world: World, persona: str):
    shown: list[str] = []
    checked = 0
    for name, url, api in _matrix_gets(world) + _exports(world):
        response = _call(_client(world, persona, api=api), "get", url)
        if response.status_code != 200:
            continue
        checked += 1
        text = _text(response)
        leaked = [word for word in FORBIDDEN[persona] if word in text]
        if leaked:
            shown.append(f"{name} {url}: {leaked}")
    assert checked > 30, checked  # the pages, lists and exports were really read
    assert not shown, f"{persona} is shown other subtrees' units:\n" + "\n".join(shown)


def test_the_exports_answer_alike_in_both_formats(world: World):
    differ = []
    for persona in PERSONAS:
        client = _client(world, persona)
        for label, url, _api in _exports(world):
            if ".csv" not in label:
                continue
            csv_status = _call(client, "get", url).status_code
            xlsx_status = _call(client, "get", url.replace("/csv", "/xlsx").replace(".csv", ".xlsx")).status_code
            if csv_status != xlsx_status:
                differ.append(f"{persona} {label}: csv {csv_status}, xlsx {xlsx_status}")
    assert not differ, "\n".join(differ)


def test_every_redirect_goes_to_the_login_page_or_a_page_of_the_site(world: World):
    login = reverse("accounts:login")
    wrong = []
    for name, entry in sorted(MATRIX.items()):
        if entry.api:
            continue
        url = reverse(name, kwargs=entry.kwargs(world))
        if entry.query:
            url += "?" + entry.query.format(t1=world.milestones.t1.pk)
        for persona in PERSONAS:
            response = _call(_client(world, persona), entry.method.lower(), url)
            if response.status_code != 302:
                continue
            target = urlsplit(response["Location"])
            if target.netloc and target.netloc != "testserver":
                wrong.append(f"{name} as {persona}: off-site redirect {response['Location']}")
                continue
            if persona == "anonymous" and target.path in (login, reverse("admin:login")):
                if "next=" not in target.query and name != "accounts:logout":  # logging out goes nowhere back
                    wrong.append(f"{name} as anonymous: login without the way back ({response['Location']})")
                continue
            try:
                resolve(target.path)
            except Exception:  # any failure to resolve is the finding
                wrong.append(f"{name} as {persona}: redirect to no page {response['Location']}")
            if "csrfmiddlewaretoken" in target.query:
                wrong.append(f"{name} as {persona}: the CSRF token in a URL {response['Location']}")
    assert not wrong, "\n".join(wrong)


def test_no_method_on_any_url_is_answered_with_a_5xx(world: World):
    failures = []
    for name, entry in sorted(MATRIX.items()):
        if name == "accounts:logout":
            continue
        url = reverse(name, kwargs=entry.kwargs(world))
        for persona in ("anonymous", "viewer", "editor", "admin"):
            client = _client(world, persona, api=entry.api)
            for method in METHODS:
                extra = {"format": "json", "data": {}} if entry.api and method != "get" else {}
                try:
                    status = _call(client, method, url, **extra).status_code
                except Exception as exc:  # the view raised: a 500 in production
                    status = f"{type(exc).__name__}: {str(exc)[:120]}"
                if not isinstance(status, int) or status >= 500:
                    failures.append(f"{method.upper()} {url} as {persona}: {status}")
    assert not failures, "\n".join(failures)


API_LISTS = ["/api/v1/units/", "/api/v1/campaigns/", "/api/v1/responses/", "/api/v1/activities/", "/api/v1/payments/"]
MALFORMED = [
    {"page": "abc"},
    {"page": "0"},
    {"page": "9" * 25},
    {"page": "²"},
    {"parent": "khong-co"},
    {"level": "nope", "sector": "nope"},
    {"campaign": "²"},
    {"campaign": "9" * 25},
    {"unit": "QB-1-a", "subtree": "maybe"},
    {"start": "2026-13-45", "end": "31/02/2026"},
    {"start": "03/12/2026"},
    {"status": "nope", "purpose": "nope", "channel": "nope", "mode": "nope", "category": "nope"},
    {"q": "Đoàn" * 500},
    {"q": "%_\\"},
]


def test_malformed_query_parameters_on_every_api_list_are_never_a_5xx(world: World):
    failures = []
    for persona in ("viewer", "city_staff"):
        client = _client(world, persona, api=True)
        for url in API_LISTS:
            for params in MALFORMED:
                response = _call(client, "get", url, data=params)
                if response.status_code >= 500:
                    failures.append(f"GET {url} {params} as {persona}: {response.status_code}")
                elif response.status_code == 200 and persona == "viewer" and "QB-1-a" in response.content.decode():
                    failures.append(f"GET {url} {params} as viewer: shows QB-1-a")
    assert not failures, "\n".join(failures)


def test_staff_with_unit_and_role_permissions_administer_exactly_those_in_django_admin(world: World):
    staff = world.personas.city_staff
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    codenames = ["view_unit", "change_unit", "add_unit", "view_unitrole", "change_unitrole", "add_unitrole"]
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="units", codename__in=codenames))
    client = Client()
    client.force_login(staff)
    allowed = ["admin:index", "admin:units_unit_changelist", "admin:units_unitrole_changelist", "admin:units_unit_add"]
    refused = [
        "admin:assessments_framework_changelist",
        "admin:accounts_user_changelist",
        "admin:activities_payment_changelist",
        "admin:authtoken_tokenproxy_changelist",
    ]
    assert {name: client.get(reverse(name)).status_code for name in allowed} == dict.fromkeys(allowed, 200)
    assert {name: client.get(reverse(name)).status_code for name in refused} == dict.fromkeys(refused, 403)
    index = client.get(reverse("admin:index")).content.decode()
    assert re.search(r"/admin/units/unit/", index) and "/admin/assessments/" not in index
