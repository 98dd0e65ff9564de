"""seed_demo: an HCMC-like tree with demo logins; idempotent; refuses on a real site."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from units.demo import DEMO_PASSWORD, DEMO_USERS
from units.models import Unit, UnitRole


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)


def test_demo_tree_has_the_promised_shape(seeded):
    levels = {level: Unit.objects.filter(level=level) for level in Unit.Level.values}
    assert levels["city"].count() == 1
    assert levels["upper_grassroots"].count() >= 20
    assert set(levels["upper_grassroots"].values_list("sector", flat=True)) >= {
        "residential",
        "university",
        "enterprise",
        "agency",
        "armed_forces",
        "school",
    }
    assert levels["grassroots"].count() >= 100
    assert levels["branch"].count() >= 400
    assert not levels["branch"].filter(member_count=0).exists()
    root = levels["city"].get()
    assert root.subtree_member_count == sum(Unit.objects.values_list("member_count", flat=True))
    assert Unit.objects.find_problems() == ([], [], [], [], [])


def test_demo_users_log_in_with_the_demo_password_and_hold_their_roles(seeded):
    User = get_user_model()
    for demo in DEMO_USERS:
        user = User.objects.get(username=demo.username)
        assert user.check_password(DEMO_PASSWORD)
        if demo.role:
            assert UnitRole.objects.filter(user=user, unit__code=demo.unit_code, role=demo.role).exists()
    assert User.objects.get(username="admin").is_superuser
    secretary_levels = set(
        UnitRole.objects.filter(role="secretary", user__username__in=[u.username for u in DEMO_USERS]).values_list(
            "unit__level", flat=True
        )
    )
    assert secretary_levels == set(Unit.Level.values)


def test_seed_demo_twice_changes_nothing(seeded):
    before = (
        list(Unit.objects.order_by("code").values_list("code", "path", "name", "member_count", "subtree_member_count")),
        list(UnitRole.objects.order_by("pk").values_list("user__username", "unit__code", "role")),
        list(get_user_model().objects.order_by("username").values_list("username", "password")),
    )
    call_command("seed_demo", verbosity=0)
    after = (
        list(Unit.objects.order_by("code").values_list("code", "path", "name", "member_count", "subtree_member_count")),
        list(UnitRole.objects.order_by("pk").values_list("user__username", "unit__code", "role")),
        list(get_user_model().objects.order_by("username").values_list("username", "password")),
    )
    assert after == before


def test_seed_demo_refuses_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert Unit.objects.count() == 0
    call_command("seed_demo", "--force", verbosity=0)
    assert Unit.objects.count() > 600


def test_seed_demo_reports_its_progress_in_one_language_without_raw_figures(db, settings, caplog):
    import io
    import logging

    from django.utils import translation

    settings.DEBUG = True
    out = io.StringIO()
    with caplog.at_level(logging.INFO), translation.override("vi"):
        call_command("seed_demo", stdout=out)
    text = out.getvalue()
    lines = text.splitlines()
    assert len(lines) >= 10
    assert "Đang tính điểm…" in text and "Người dùng mẫu" in text
    # No line is an English sentence or a Python dict; the operators' log lines stay out of it too.
    for english in ("created", "updated", "secretary", "viewer", "superuser (", "city staff", "{'"):
        assert english not in text, english
    assert not [r.getMessage() for r in caplog.records if "{'" in r.getMessage()]
