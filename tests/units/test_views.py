"""Tree browser, children fragment and unit page, with the personas."""

import pytest
from django.urls import reverse

from units.models import Unit


@pytest.mark.parametrize(
    ("persona", "status"),
    [("editor", 200), ("viewer", 200), ("reviewer", 200), ("city_staff", 200), ("admin", 200), ("outsider", 404)],
)
def test_unit_page_is_shown_only_to_those_who_see_the_unit(personas, client_for, persona, status):
    response = client_for(getattr(personas, persona)).get(reverse("units:detail", args=["QA-1-a"]))
    assert response.status_code == status


def test_unit_page_of_an_unknown_code_is_404(personas, client_for):
    assert client_for(personas.admin).get(reverse("units:detail", args=["NOPE"])).status_code == 404


def test_anonymous_visitors_are_sent_to_login(tree, client):
    for url in (reverse("home"), reverse("units:tree"), reverse("units:detail", args=["QA"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_unit_page_shows_parent_path_roles_and_children(personas, client_for):
    response = client_for(personas.reviewer).get(reverse("units:detail", args=["QA-1"]))
    body = response.content.decode()
    assert "Thành Đoàn" in body  # parent path, shown as text
    assert f'href="{reverse("units:detail", args=["QA"])}"' in body  # visible ancestor is a link
    assert f'href="{reverse("units:detail", args=["CITY"])}"' not in body  # invisible one is not
    assert "Chi đoàn A1a" in body and "Chi đoàn A1b" in body


def test_contacts_are_shown_to_managers_only(personas, client_for):
    url = reverse("units:detail", args=["QA-1-a"])
    assert personas.editor.email in client_for(personas.reviewer).get(url).content.decode()
    assert personas.editor.email not in client_for(personas.viewer).get(url).content.decode()


def test_tree_starts_at_the_topmost_visible_units(personas, client_for):
    body = client_for(personas.editor).get(reverse("units:tree")).content.decode()
    assert "Chi đoàn A1a" in body
    assert "Thành Đoàn" not in body and "Chi đoàn A1b" not in body

    body = client_for(personas.city_staff).get(reverse("units:tree")).content.decode()
    assert "Thành Đoàn" in body
    assert f'hx-get="{reverse("units:children", args=["CITY"])}"' in body


def test_tree_shows_subtree_member_totals(personas, client_for, tree):
    from units.services import unit_recompute_member_totals

    unit_recompute_member_totals()
    body = client_for(personas.reviewer).get(reverse("units:tree")).content.decode()
    assert "50" in body  # QA: 30 + 20


@pytest.mark.parametrize(("persona", "status"), [("reviewer", 200), ("viewer", 404), ("outsider", 404)])
def test_children_fragment_follows_visibility(personas, client_for, persona, status):
    response = client_for(getattr(personas, persona)).get(reverse("units:children", args=["QA-1"]))
    assert response.status_code == status
    if status == 200:
        assert "Chi đoàn A1a" in response.content.decode()


def test_search_ignores_accents_and_case_and_stays_in_scope(personas, client_for):
    response = client_for(personas.reviewer).get(reverse("units:tree"), {"q": "chi doan"})
    body = response.content.decode()
    assert "Chi đoàn A1a" in body and "Chi đoàn A1b" in body
    assert "Chi đoàn B1a" not in body  # outside the reviewer's subtree

    body = client_for(personas.city_staff).get(reverse("units:tree"), {"q": "qb-1"}).content.decode()
    assert "Chi đoàn B1a" in body and "Đoàn khoa B1" in body


def test_search_by_code(personas, client_for):
    body = client_for(personas.editor).get(reverse("units:tree"), {"q": "QA-1-a"}).content.decode()
    assert "Chi đoàn A1a" in body


def test_pages_use_a_bounded_number_of_queries(personas, client_for, django_assert_max_num_queries, tree):
    parent = Unit.objects.get(code="QA-1")
    for i in range(30):
        parent.refresh_from_db()
        Unit.objects.add_child(
            parent, create_kwargs={"code": f"QA-1-x{i}", "name": f"Chi đoàn x{i}", "level": "branch"}
        )
    client = client_for(personas.city_staff)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("units:detail", args=["QA-1"])).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("units:children", args=["QA-1"])).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("units:tree"), {"q": "chi doan"}).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("home")).status_code == 200
