from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers

from doanso.lib.text import search_key

from . import selectors
from .models import Unit
from .permissions import unit_get_for_user

UNIT_EXAMPLE = {
    "code": "HCM-PBN",
    "name": "Đoàn phường Bến Nghé",
    "level": "upper_grassroots",
    "sector": "residential",
    "parent": "HCM",
    "depth": 2,
    "children_count": 5,
    "member_count": 0,
    "subtree_member_count": 812,
    "is_active": True,
    "closed_at": None,
    "merged_into": None,
}


class AncestorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(  # type: ignore[assignment]  # DRF pops declared fields off the class
        source="parent_code", read_only=True, allow_null=True, help_text="Code of the parent unit (null at the top)."
    )
    children_count = serializers.IntegerField(source="numchild", read_only=True)
    merged_into: serializers.SlugRelatedField[Unit] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Unit
        fields = [
            "code",
            "name",
            "level",
            "sector",
            "parent",
            "depth",
            "children_count",
            "member_count",
            "subtree_member_count",
            "is_active",
            "closed_at",
            "merged_into",
        ]
        read_only_fields = fields


class UnitDetailSerializer(UnitSerializer):
    ancestors = serializers.SerializerMethodField(help_text="Units above this one, the root first.")

    class Meta(UnitSerializer.Meta):
        fields = [*UnitSerializer.Meta.fields, "ancestors"]
        read_only_fields = fields

    @extend_schema_field(AncestorSerializer(many=True))
    def get_ancestors(self, unit: Unit) -> list[dict[str, str]]:
        return [{"code": a.code, "name": a.name} for a in selectors.unit_ancestors(unit)]


class UnitFilter(django_filters.FilterSet):
    parent = django_filters.CharFilter(method="filter_parent", label="Code of the parent unit: list its children.")
    level = django_filters.ChoiceFilter(choices=Unit.Level.choices)
    sector = django_filters.ChoiceFilter(choices=Unit.Sector.choices)
    q = django_filters.CharFilter(method="filter_q", label="Search in code and name (accents and case ignored).")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Unit
        fields = ["parent", "level", "sector", "q", "is_active"]

    def filter_parent(self, queryset: QuerySet[Unit], name: str, value: str) -> QuerySet[Unit]:
        parent = queryset.filter(code=value).first()  # an invisible parent lists nothing
        if parent is None:
            return queryset.none()
        return queryset.filter(path__startswith=parent.path, depth=parent.depth + 1)

    def filter_q(self, queryset: QuerySet[Unit], name: str, value: str) -> QuerySet[Unit]:
        condition = Q()
        for term in search_key(value).split():
            condition &= Q(search_text__contains=term)
        return queryset.filter(condition)


@extend_schema_view(
    get=extend_schema(
        summary="List the units you may see",
        description="Units visible to the caller (a role at the unit or above it), in tree order.",
        examples=[
            OpenApiExample(
                "A page of units",
                value=UNIT_EXAMPLE,  # drf-spectacular wraps it in a page
                response_only=True,
            )
        ],
    )
)
class UnitListAPIView(generics.ListAPIView):
    serializer_class = UnitSerializer
    filterset_class = UnitFilter

    def get_queryset(self) -> QuerySet[Unit]:
        return (
            Unit.objects.visible_to(self.request.user).with_parent_code().select_related("merged_into").order_by("path")
        )


@extend_schema_view(
    get=extend_schema(
        summary="One unit",
        description="404 when the unit does not exist or is outside what the caller may see.",
        examples=[
            OpenApiExample(
                "A unit",
                value={**UNIT_EXAMPLE, "ancestors": [{"code": "HCM", "name": "Thành Đoàn TP. Hồ Chí Minh"}]},
                response_only=True,
            )
        ],
    )
)
class UnitDetailAPIView(generics.RetrieveAPIView):
    serializer_class = UnitDetailSerializer
    lookup_url_kwarg = "code"

    def get_object(self) -> Any:
        unit = unit_get_for_user(self.request.user, self.kwargs["code"])
        return Unit.objects.with_parent_code().select_related("merged_into").get(pk=unit.pk)
