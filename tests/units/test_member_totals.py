"""Subtree member totals: set-based, idempotent, and computed by a real Celery worker in CI."""

import pytest
from django.db import transaction

from tests.factories import UnitFactory
from tests.worker import wait_until
from units.models import Unit
from units.services import subtree_member_totals, unit_recompute_member_totals, unit_schedule_member_totals


def test_totals_add_up_each_subtree(tree):
    unit_recompute_member_totals()
    totals = dict(Unit.objects.values_list("code", "subtree_member_count"))
    assert totals == {"CITY": 90, "QA": 50, "QA-1": 50, "QA-1-a": 30, "QA-1-b": 20, "QB": 40, "QB-1": 40, "QB-1-a": 40}


def test_recompute_twice_writes_nothing_the_second_time(tree):
    Unit.objects.update(subtree_member_count=0)
    assert unit_recompute_member_totals() == 8  # every unit has members somewhere below it
    assert unit_recompute_member_totals() == 0


def test_query_count_does_not_grow_with_the_number_of_units(tree, django_assert_num_queries):
    unit_recompute_member_totals()
    with django_assert_num_queries(5) as small:  # max depth + one per depth (4) + the read
        subtree_member_totals()
    parent = Unit.objects.get(code="QB-1")
    for i in range(60):
        UnitFactory(code=f"QB-1-x{i}", level="branch", member_count=i, parent=parent)
    with django_assert_num_queries(len(small.captured_queries)):
        subtree_member_totals()


@pytest.mark.celery_worker
def test_a_real_worker_recomputes_totals_in_postgresql_after_commit(celery_worker):
    city = UnitFactory(code="W", name="Thành Đoàn W", level="city")
    district = UnitFactory(code="W-1", level="upper_grassroots", parent=city)
    UnitFactory(code="W-1-a", level="branch", member_count=17, parent=district)
    UnitFactory(code="W-1-b", level="branch", member_count=8, parent=district)
    with transaction.atomic():
        unit_schedule_member_totals()
        # Nothing is sent before the commit: the worker must see committed rows.
        assert "Received task" not in celery_worker.output()
    assert wait_until(lambda: Unit.objects.get(code="W").subtree_member_count == 25), celery_worker.output()
    assert Unit.objects.get(code="W-1").subtree_member_count == 25
    assert "Task units.tasks.recompute_member_totals[" in celery_worker.output()  # it ran there, not here
