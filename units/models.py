from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Length, Substr
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from doanso.lib.text import search_key

if TYPE_CHECKING:
    from accounts.models import User

UNIT_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
unit_code_validator = RegexValidator(
    UNIT_CODE_PATTERN,
    _("A unit code may contain only letters, digits, dot, dash and underscore, and must start with a letter or digit."),
)


class UnitQuerySet(MP_NodeQuerySet):
    def visible_to(self, user: User) -> UnitQuerySet:
        """Units the user may see: any role at the unit or at one of its ancestors."""
        from .permissions import visible_units_q

        return self.filter(visible_units_q(user))

    def with_parent_code(self) -> UnitQuerySet:
        """Annotate ``parent_code`` in SQL (no per-row query)."""
        parent = Unit.objects.filter(
            path=Substr(models.OuterRef("path"), 1, Length(models.OuterRef("path")) - Unit.steplen)
        )
        return self.annotate(parent_code=models.Subquery(parent.values("code")[:1]))


class UnitManager(MP_NodeManager.from_queryset(UnitQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> UnitQuerySet:
        return UnitQuerySet(self.model, using=self._db).order_by("path")


class Unit(MP_Node):
    """A Union organisation in the tree (Thành Đoàn → … → chi đoàn).

    Units are never deleted once they carry history: they are closed (``is_active`` off,
    ``closed_at``) and, when merged, point to the unit that took them over.
    """

    class Level(models.TextChoices):
        CITY = "city", _("City union")
        UPPER_GRASSROOTS = "upper_grassroots", _("Upper-grassroots union")
        GRASSROOTS = "grassroots", _("Grassroots union")
        BRANCH = "branch", _("Branch")

    class Sector(models.TextChoices):
        RESIDENTIAL = "residential", _("Residential (wards and communes)")
        SCHOOL = "school", _("School")
        UNIVERSITY = "university", _("University and college")
        ENTERPRISE = "enterprise", _("Enterprise")
        AGENCY = "agency", _("Public agency")
        ARMED_FORCES = "armed_forces", _("Armed forces")
        OTHER = "other", _("Other")

    steplen = 4

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[unit_code_validator])
    name = models.CharField(_("name"), max_length=255)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, default=Sector.OTHER)
    member_count = models.PositiveIntegerField(
        _("members"), default=0, help_text=_("Members registered directly in this unit.")
    )
    subtree_member_count = models.PositiveIntegerField(
        _("members in subtree"),
        default=0,
        editable=False,
        help_text=_("This unit's members plus those of every unit under it; kept up to date in the background."),
    )
    search_text = models.CharField(max_length=300, editable=False, default="")
    is_active = models.BooleanField(_("active"), default=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_units",
    )

    objects = UnitManager()
    # Audit trail of what people change (names, levels, counts, closing, moves by save()); the
    # tree's bookkeeping and the background subtree totals are left out.
    history = HistoricalRecords(excluded_fields=["numchild", "subtree_member_count", "search_text"])

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [
            # Prefix searches on the materialised path (subtree filters, roll-ups) on PostgreSQL.
            models.Index(fields=["path"], name="unit_path_prefix_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["level", "sector"], name="unit_level_sector_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_active=True, closed_at__isnull=True) | models.Q(is_active=False),
                name="unit_open_has_no_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = unit_search_text(self.code, self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:  # type: ignore[operator]
            kwargs["update_fields"] = {*update_fields, "search_text"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def ancestor_paths(self) -> list[str]:
        """Paths of every strict ancestor, root first (computed from the path, no query)."""
        return [self.path[: self.steplen * d] for d in range(1, self.depth)]


def unit_search_text(code: str, name: str) -> str:
    """What accent-insensitive search matches against: ``"hcm-q1 doan phuong ben nghe"``."""
    return search_key(f"{code} {name}")


class UnitRoleQuerySet(models.QuerySet["UnitRole"]):
    def current(self) -> UnitRoleQuerySet:
        """Roles in force. An ended role is kept for the record and grants nothing."""
        return self.filter(ended_at__isnull=True)

    def ended(self) -> UnitRoleQuerySet:
        return self.filter(ended_at__isnull=False)


class UnitRole(models.Model):
    """A user's role in a unit. Editors (secretary, deputy, staff) edit the unit's own data,
    review its descendants and manage campaigns scoped to it; viewers only read.

    A role ends (``ended_at``) when someone else takes it over or a manager ends it; the row stays,
    so the unit page can show who held it when. Only current roles grant access.
    """

    class Role(models.TextChoices):
        SECRETARY = "secretary", _("Secretary")
        DEPUTY = "deputy", _("Deputy secretary")
        STAFF = "staff", _("Staff")
        VIEWER = "viewer", _("Viewer")

    EDITOR_ROLES = frozenset({Role.SECRETARY, Role.DEPUTY, Role.STAFF})

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="unit_roles"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    history = HistoricalRecords()

    objects = UnitRoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit role")
        verbose_name_plural = _("unit roles")
        constraints = [
            # One current holding per (person, unit, role); the same person may hold it again later.
            models.UniqueConstraint(
                fields=["user", "unit", "role"],
                condition=models.Q(ended_at__isnull=True),
                name="unitrole_unique_current_user_unit_role",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("created_at")),
                name="unitrole_ends_after_it_starts",
            ),
        ]
        ordering = ["unit_id", "role"]  # no join: pages that show roles order them explicitly

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.unit.code}"

    @property
    def is_editor(self) -> bool:
        return self.role in self.EDITOR_ROLES

    @property
    def is_current(self) -> bool:
        return self.ended_at is None
