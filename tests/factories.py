from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model

from units.models import Unit, UnitRole

PASSWORD = "test-pass-1234"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="vi_VN")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.vn")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: Any, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


class UnitFactory(factory.django.DjangoModelFactory):
    """Creates units through treebeard: pass ``parent=<Unit>`` for a child, nothing for a root."""

    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"Đơn vị {n}")
    level = Unit.Level.BRANCH
    sector = Unit.Sector.RESIDENTIAL
    member_count = 0

    @classmethod
    def _create(cls, model_class: type[Unit], *args: Any, parent: Unit | None = None, **kwargs: Any) -> Unit:
        if parent is None:
            return Unit.objects.add_root(create_kwargs=kwargs)
        parent.refresh_from_db()
        return Unit.objects.add_child(parent, create_kwargs=kwargs)


class UnitRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitRole

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = UnitRole.Role.SECRETARY
