"""Wiring: Celery configuration, enqueueing with a dead broker, API docs served locally, admin."""

import logging

import pytest
from celery import Celery
from django.conf import settings
from django.urls import reverse

from doanso.celery import app
from doanso.lib.tasks import enqueue


def test_every_beat_entry_names_a_registered_task_and_expires():
    app.loader.import_default_modules()
    assert settings.CELERY_BEAT_SCHEDULE
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        assert entry["options"]["expires"] > 0, name


def test_a_dead_broker_does_not_break_the_caller(caplog):
    """Publishing to an unreachable Redis fails fast and is logged; the sweep catches up later."""
    dead = Celery("dead-broker-test")
    dead.config_from_object("django.conf:settings", namespace="CELERY")
    dead.conf.broker_url = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there
    dead.conf.task_always_eager = False

    @dead.task(name="tests.noop")
    def noop() -> None:  # pragma: no cover - never runs
        pass

    with caplog.at_level(logging.WARNING, logger="doanso.lib.tasks"):
        assert enqueue(noop) is False
    assert "periodic sweep will catch up" in caplog.text


def test_api_docs_and_schema_are_served_without_internet(client, db):
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    body = docs.content.decode()
    assert "cdn" not in body.lower() and "unpkg" not in body.lower()
    assert "/static/drf_spectacular_sidecar/" in body
    assert client.get("/api/v1/schema/").status_code == 200


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:units_unit_changelist",
        "admin:units_unit_add",
        "admin:units_unitrole_changelist",
        "admin:accounts_user_changelist",
    ],
)
def test_admin_pages_work_for_admins_and_refuse_others(personas, client_for, tree, url_name):
    assert client_for(personas.admin).get(reverse(url_name)).status_code == 200
    for persona in (personas.editor, personas.viewer, personas.outsider):
        response = client_for(persona).get(reverse(url_name))
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


def test_admin_unit_change_page_shows_the_tree_form(personas, client_for, tree):
    response = client_for(personas.admin).get(reverse("admin:units_unit_change", args=[tree.qa1.pk]))
    assert response.status_code == 200
    assert "_position" in response.content.decode()  # treebeard's move form


def test_admin_close_action_closes_the_subtree(personas, client_for, tree):
    response = client_for(personas.admin).post(
        reverse("admin:units_unit_changelist"), {"action": "close_units", "_selected_action": [tree.qa1.pk]}
    )
    assert response.status_code == 302
    tree.refresh()
    assert not tree.qa1.is_active and not tree.qa1a.is_active and tree.qa1a.closed_at is not None
    assert tree.qa.is_active
