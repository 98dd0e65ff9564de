"""The persona tree used across the suite.

CITY  Thành Đoàn (city)                       ← city_staff (staff)
├── QA  Quận A (upper-grassroots)             ← reviewer (secretary)
│   └── QA-1  Cơ sở A1 (grassroots)
│       ├── QA-1-a  Chi đoàn A1a (branch, 30)  ← editor (secretary), viewer (viewer)
│       └── QA-1-b  Chi đoàn A1b (branch, 20)
└── QB  Trường B (upper-grassroots, university)
    └── QB-1  Khoa B1 (grassroots)
        └── QB-1-a  Chi đoàn B1a (branch, 40)  ← outsider (secretary)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from units.models import Unit, UnitRole
from units.services import unit_recompute_member_totals

from .factories import PASSWORD, UnitFactory, UnitRoleFactory, UserFactory


@dataclass
class Tree:
    city: Unit
    qa: Unit
    qa1: Unit
    qa1a: Unit
    qa1b: Unit
    qb: Unit
    qb1: Unit
    qb1a: Unit

    def refresh(self) -> None:
        for unit in vars(self).values():
            unit.refresh_from_db()


@pytest.fixture
def tree(db: None) -> Tree:
    return build_tree()


def build_tree() -> Tree:
    """The tree above, for fixtures of a wider scope than a test (see tests/api/test_contract.py)."""
    L, S = Unit.Level, Unit.Sector
    city = UnitFactory(code="CITY", name="Thành Đoàn", level=L.CITY, sector=S.AGENCY)
    qa = UnitFactory(code="QA", name="Đoàn phường A", level=L.UPPER_GRASSROOTS, parent=city)
    qa1 = UnitFactory(code="QA-1", name="Đoàn cơ sở A1", level=L.GRASSROOTS, parent=qa)
    qa1a = UnitFactory(code="QA-1-a", name="Chi đoàn A1a", level=L.BRANCH, parent=qa1, member_count=30)
    qa1b = UnitFactory(code="QA-1-b", name="Chi đoàn A1b", level=L.BRANCH, parent=qa1, member_count=20)
    qb = UnitFactory(code="QB", name="Đoàn trường B", level=L.UPPER_GRASSROOTS, sector=S.UNIVERSITY, parent=city)
    qb1 = UnitFactory(code="QB-1", name="Đoàn khoa B1", level=L.GRASSROOTS, sector=S.UNIVERSITY, parent=qb)
    qb1a = UnitFactory(
        code="QB-1-a", name="Chi đoàn B1a", level=L.BRANCH, sector=S.UNIVERSITY, parent=qb1, member_count=40
    )
    t = Tree(city, qa, qa1, qa1a, qa1b, qb, qb1, qb1a)
    unit_recompute_member_totals()
    t.refresh()
    return t


@dataclass
class Personas:
    editor: object
    viewer: object
    outsider: object
    reviewer: object
    city_staff: object
    admin: object


@pytest.fixture
def personas(tree: Tree) -> Personas:
    return build_personas(tree)


def build_personas(tree: Tree) -> Personas:
    R = UnitRole.Role
    editor = UnitRoleFactory(user__username="editor", unit=tree.qa1a, role=R.SECRETARY).user
    viewer = UnitRoleFactory(user__username="viewer", unit=tree.qa1a, role=R.VIEWER).user
    outsider = UnitRoleFactory(user__username="outsider", unit=tree.qb1a, role=R.SECRETARY).user
    reviewer = UnitRoleFactory(user__username="reviewer", unit=tree.qa, role=R.SECRETARY).user
    city_staff = UnitRoleFactory(user__username="citystaff", unit=tree.city, role=R.STAFF).user
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    return Personas(editor, viewer, outsider, reviewer, city_staff, admin)


@pytest.fixture
def client_for(db: None) -> Callable[[object], Client]:
    """A logged-in test client for a user (``None`` → anonymous)."""

    def make(user: object) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)  # type: ignore[arg-type]
        return client

    return make


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def reference_data(db: None) -> None:
    """The bank BINs, dues rates and dues split of the data migration.

    Transactional tests (live server, real worker) flush every table afterwards, migration data
    included, so tests that need the reference rows load them again with the migration's own code.
    """
    from importlib import import_module

    from django.apps import apps

    import_module("activities.migrations.0002_reference_data").load(apps, None)
