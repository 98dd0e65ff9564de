"""The access rules of DESIGN.md §2, checked predicate by predicate with every persona."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from units.models import Unit
from units.permissions import (
    can_edit_unit_data,
    can_manage_unit,
    can_review_unit,
    can_view_unit,
    unit_get_for_user,
)


def test_any_role_at_a_unit_or_above_sees_it(personas, tree):
    assert can_view_unit(personas.editor, tree.qa1a)
    assert can_view_unit(personas.viewer, tree.qa1a)
    assert can_view_unit(personas.reviewer, tree.qa1a)
    assert can_view_unit(personas.city_staff, tree.qb1a)
    assert can_view_unit(personas.admin, tree.qb1a)


def test_nobody_sees_sideways_or_upwards(personas, tree):
    assert not can_view_unit(personas.outsider, tree.qa1a)
    assert not can_view_unit(personas.editor, tree.qa1b)  # a sibling branch
    assert not can_view_unit(personas.editor, tree.qa1)  # the union above
    assert not can_view_unit(personas.reviewer, tree.qb)


def test_only_editors_at_the_unit_itself_edit_its_data(personas, tree):
    assert can_edit_unit_data(personas.editor, tree.qa1a)
    assert not can_edit_unit_data(personas.viewer, tree.qa1a)
    assert not can_edit_unit_data(personas.reviewer, tree.qa1a)  # above, not at
    assert not can_edit_unit_data(personas.city_staff, tree.qa1a)
    assert not can_edit_unit_data(personas.outsider, tree.qa1a)


def test_review_needs_an_editor_role_strictly_above(personas, tree):
    assert can_review_unit(personas.reviewer, tree.qa1a)
    assert can_review_unit(personas.city_staff, tree.qa1a)
    assert not can_review_unit(personas.reviewer, tree.qa)  # own unit: not a strict ancestor
    assert not can_review_unit(personas.editor, tree.qa1a)
    assert not can_review_unit(personas.viewer, tree.qa1a)


def test_manage_needs_an_editor_role_at_or_above(personas, tree):
    assert can_manage_unit(personas.reviewer, tree.qa)
    assert can_manage_unit(personas.reviewer, tree.qa1a)
    assert can_manage_unit(personas.editor, tree.qa1a)
    assert not can_manage_unit(personas.viewer, tree.qa1a)
    assert not can_manage_unit(personas.outsider, tree.qa)


def test_visible_to_returns_exactly_the_subtrees_of_held_roles(personas, tree):
    codes = set(Unit.objects.visible_to(personas.reviewer).values_list("code", flat=True))
    assert codes == {"QA", "QA-1", "QA-1-a", "QA-1-b"}
    assert set(Unit.objects.visible_to(personas.editor).values_list("code", flat=True)) == {"QA-1-a"}
    assert Unit.objects.visible_to(personas.city_staff).count() == 8
    assert Unit.objects.visible_to(personas.admin).count() == 8


def test_a_user_without_roles_or_inactive_sees_nothing(personas, tree, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x-very-long-pass")
    assert not Unit.objects.visible_to(nobody).exists()
    personas.reviewer.is_active = False
    personas.reviewer.save()
    personas.reviewer.refresh_from_db()
    assert not Unit.objects.visible_to(personas.reviewer).exists()
    assert not can_view_unit(personas.reviewer, tree.qa)


def test_get_for_user_answers_404_when_invisible_and_403_when_read_only(personas, tree):
    assert unit_get_for_user(personas.editor, "QA-1-a", action="edit") == tree.qa1a
    with pytest.raises(Http404):
        unit_get_for_user(personas.outsider, "QA-1-a")
    with pytest.raises(Http404):
        unit_get_for_user(personas.editor, "NO-SUCH-UNIT")
    with pytest.raises(PermissionDenied):
        unit_get_for_user(personas.viewer, "QA-1-a", action="edit")
    with pytest.raises(PermissionDenied):
        unit_get_for_user(personas.editor, "QA-1-a", action="review")


def test_roles_follow_a_moved_unit(personas, tree):
    """Access is computed from current paths, so moving a subtree moves who can see it."""
    Unit.objects.move(Unit.objects.get(code="QA-1"), Unit.objects.get(code="QB"), "last-child")
    tree.refresh()
    User = type(personas.reviewer)
    reviewer, city_staff = User.objects.get(pk=personas.reviewer.pk), User.objects.get(pk=personas.city_staff.pk)
    assert not can_view_unit(reviewer, tree.qa1a)
    assert can_view_unit(city_staff, tree.qa1a)
