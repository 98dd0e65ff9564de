"""The API keeps its published contract: schemathesis fuzzes every operation of /api/v1/schema/.

The schema is the one the app serves, loaded through the WSGI application; the requests go to the
same application in-process, authenticated with a DRF token, as the city's staff (sees everything,
reviews and manages campaigns, records only the city's own data) and as a branch secretary (sees
one unit and edits it). Checks: no 5xx, and every response is documented — status code, content
type and body schema.

Unsafe methods are fuzzed too. The WSGI call runs in this thread on the test's database connection,
so each generated request runs inside a savepoint that is rolled back afterwards: every example
starts from the same data, and one example's writes cannot make another fail or pass.

Generated ids, unit codes, question codes, versions and dates rarely name anything that exists, and
a request that stops at 404 or at "no such unit" tests little. ``steer`` replaces three such values
in four with values of the data set (the persona's own rows most often). The choice is a checksum of
the generated value itself, so a replayed or shrunk example is steered the same way.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import pytest
import schemathesis
from django.apps import apps
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from activities import services as activity_services
from activities.models import Activity, Bank, Payment
from assessments import services
from assessments.models import Assignment, Question, Response
from assessments.scoring.services import scores_rebuild_campaign
from doanso.wsgi import application
from tests.assessments.conftest import FULL_ANSWERS, SMALL_MEMBER_SPEC, make_campaign, spec
from tests.factories import PASSWORD
from tests.fixtures import build_personas, build_tree

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
# Bounded for CI (well under a minute on one core): the coverage phase (boundary values of every field,
# per media type) sends valid requests only, and no methods the schema does not list; invalid requests
# come from the fuzzing phase, which mixes valid and invalid ones.
schema.config.phases.coverage.generation.modes = [schemathesis.GenerationMode.POSITIVE]
schema.config.phases.coverage.unexpected_methods = set()

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
PERSONAS = ("city_staff", "editor")
PERSONA_USERNAMES = {"city_staff": "citystaff", "editor": "editor"}  # tests/fixtures.py
DATE = re.compile(r"^\d{4}-\d\d-\d\d")


@dataclass
class Known:
    """What one persona's requests are steered towards: their own rows first, then everyone's."""

    ids: dict[str, list[int]]  # resource (the path segment after /api/v1/) → ids
    values: dict[str, list[Any]]  # query parameter or body field → values


@dataclass
class World:
    tokens: dict[str, str]
    known: dict[str, Known]


class Steering:
    """Replaces generated values with known ones, three times in four, as a checksum of the value and
    of the whole generated request decides (a replayed example is steered the same way)."""

    def __init__(self, case: schemathesis.Case, known: Known):
        self.known = known
        self.salt = repr((case.path_parameters, case.query, case.body))

    def choice(self, name: str, value: Any, choices: list[Any]) -> Any:
        digest = zlib.crc32(f"{name}={value!r} in {self.salt}".encode())
        return value if digest % 4 == 0 else choices[(digest // 4) % len(choices)]

    def values(self, name: str, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: self.values(key, item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.values(f"{name}[{i}]", item) for i, item in enumerate(value)]
        field = name.split("[")[0]
        if field in self.known.values:
            return self.choice(name, value, self.known.values[field])
        if isinstance(value, str) and DATE.match(value):  # the records' years (doanso.lib.moments)
            return self.choice(name, value, [f"2026{value[4:]}"])
        return value


def steer(case: schemathesis.Case, known: Known) -> None:
    steering = Steering(case, known)
    path = case.operation.path.strip("/").split("/")  # api, v1, <resource>, {id}, …
    parameters = case.path_parameters or {}
    if "id" in parameters:
        parameters["id"] = steering.choice("id", parameters["id"], known.ids[path[2]])
    if "version" in parameters:  # frameworks/{code}/{version}/
        pair = (parameters["code"], parameters["version"])
        code, version = steering.choice("framework", pair, known.values["framework"])
        parameters.update(code=code, version=version)
    elif "code" in parameters:  # units/{code}/
        parameters["code"] = steering.choice("code", parameters["code"], known.values["code"])
    if "token" in parameters:
        parameters["token"] = steering.choice("token", parameters["token"], known.values["token"])
    if case.query:
        case.query = steering.values("", case.query)
    if isinstance(case.body, dict | list):
        case.body = steering.values("", case.body)


def build_world() -> World:
    """The persona tree with campaigns in every state, responses in every status, member answers,
    activities and payments (pending, confirmed, cancelled), a bank account, scores."""
    reference_data = import_module("activities.migrations.0002_reference_data")
    reference_data.load(apps, None)  # banks, as the data migration left them (see tests/fixtures.py)
    tree = build_tree()
    personas = build_personas(tree)
    unit_framework = services.framework_import(data=spec(), publish=True)
    member_framework = services.framework_import(data=spec(SMALL_MEMBER_SPEC), publish=True)
    assert unit_framework is not None and member_framework is not None

    levels = ["upper_grassroots", "grassroots", "branch"]
    unit_campaign = make_campaign(unit_framework, tree.city, levels=levels)
    draft_campaign = make_campaign(unit_framework, tree.qa, levels=["branch"], open_it=False, name="Đợt nháp")
    closed_campaign = make_campaign(unit_framework, tree.qa, levels=["branch"], name="Đợt đã đóng")
    services.campaign_close(campaign=closed_campaign)
    member_campaign = make_campaign(member_framework, tree.city, levels=["branch"])
    campaigns = [unit_campaign.pk, draft_campaign.pk, closed_campaign.pk, member_campaign.pk]

    answers = [services.AnswerInput(question=a["question"], value=a["value"]) for a in FULL_ANSWERS]
    responses = {
        r.assignment.unit.code: r
        for r in Response.objects.filter(assignment__campaign=unit_campaign).select_related("assignment__unit")
    }
    reviewer: Any = personas.city_staff
    for code in ("QA-1-a", "QA-1-b", "QA-1", "QB-1-a"):
        response = services.response_save_answers(response=responses[code], version=0, answers=answers, by=None)
        if code != "QA-1-a":  # the branch secretary's own response stays a draft they can edit
            response = services.response_submit(response=response, by=None)
        if code == "QA-1":
            services.response_approve(response=response, by=reviewer)
        if code == "QB-1-a":
            services.response_return(response=response, by=reviewer, comment="Thiếu minh chứng")
    member_link = Assignment.objects.get(campaign=member_campaign, unit=tree.qa1a)
    for level in ("0", "2", "4"):
        services.member_response_submit(
            assignment=member_link, target_group="worker", answers=[services.AnswerInput(question="C1.1", value=level)]
        )
    scores_rebuild_campaign(campaign_id=unit_campaign.pk)
    scores_rebuild_campaign(campaign_id=member_campaign.pk)

    now = timezone.now()
    activities = {
        unit.code: activity_services.activity_create(
            unit=unit, by=None, title="Sinh hoạt chi đoàn", starts_at=now, mode=Activity.Mode.HYBRID, participants=20
        ).pk
        for unit in (tree.city, tree.qa1a, tree.qb1a)
    }
    pending = {
        unit.code: activity_services.payment_create(unit=unit, by=None, amount=24000, purpose=Payment.Purpose.DUES).pk
        for unit in (tree.city, tree.qa1a, tree.qb1a)
    }
    confirmed = activity_services.payment_create(
        unit=tree.qa1a, by=None, amount=50000, purpose=Payment.Purpose.DONATION, confirmed=True
    )
    cancelled = activity_services.payment_create(unit=tree.qa1a, by=None, amount=24000, purpose=Payment.Purpose.DUES)
    activity_services.payment_cancel(payment=cancelled)
    for unit in (tree.city, tree.qa1a):
        activity_services.bank_account_save(
            unit=unit, bank=Bank.objects.get(bin="970436"), account_number="1023456789", account_name="DOAN SO"
        )

    everyone = {
        "campaign": campaigns,
        "framework": [(f.code, f.version) for f in (unit_framework, member_framework)],
        "framework_code": [unit_framework.code, member_framework.code],
        "framework_version": [1],
        "token": list(Assignment.objects.filter(campaign=member_campaign).values_list("member_token", flat=True)),
        "target_group": ["student", "worker"],
        "question": list(Question.objects.values_list("code", flat=True)),
        "value": ["0", "1", ["0", "2"], True, False, 3, 60, {"numerator": 18, "denominator": 24}, None],
        "version": [0, 1, 2],
        "activity": list(activities.values()),
        "username": list(PERSONA_USERNAMES.values()),
        "password": [PASSWORD],
    }
    unit_codes = [unit.code for unit in vars(tree).values()]
    all_payments = [*pending.values(), confirmed.pk, cancelled.pk]

    def known(own_unit: str, own_responses: list[int]) -> Known:
        """The persona's unit and rows three times (so, most often), everyone's once."""
        units = [own_unit] * 3 + unit_codes
        return Known(
            ids={
                "campaigns": campaigns,
                "responses": own_responses * 3 + [r.pk for r in responses.values()],
                "activities": [activities[own_unit]] * 3 + list(activities.values()),
                "payments": [pending[own_unit]] * 3 + all_payments,
            },
            values={**everyone, "code": units, "unit": units, "parent": units, "scope_unit": units},
        )

    return World(
        tokens={name: Token.objects.create(user=getattr(personas, name)).key for name in PERSONAS},
        known={
            # the city's staff reviews: the submitted and the returned responses are theirs to act on
            "city_staff": known("CITY", [responses["QA-1-b"].pk, responses["QB-1-a"].pk]),
            "editor": known("QA-1-a", [responses["QA-1-a"].pk]),
        },
    )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """Built once for the module inside a transaction rolled back at the end; each test's own
    transaction (pytest-django's ``db``) and each example's savepoint nest inside it."""
    # A private rate-limit counter: the member survey allows a few dozen posts per address.
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with django_db_blocker.unblock(), override_settings(CACHES=locmem), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _requests_keep_the_test_connection() -> Iterator[None]:
    """As Django's test client does: the end of a request must not close the database connection,
    which is inside the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("persona", PERSONAS)
@schema.parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_api_contract(case: schemathesis.Case, world: World, db: None, persona: str) -> None:
    steer(case, world.known[persona])
    cache.clear()  # the module's private cache: each example starts with no rate-limit counts
    with transaction.atomic():
        try:
            case.call_and_validate(
                headers={"Authorization": f"Token {world.tokens[persona]}"},
                # A WSGI server always gives the client's address (the member survey throttles by
                # it); werkzeug's test client does not.
                environ_overrides={"REMOTE_ADDR": "203.0.113.7"},
                checks=CHECKS,
            )
        finally:
            transaction.set_rollback(True)
