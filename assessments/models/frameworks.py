"""Frameworks (what “digital” means), campaigns (when it is asked), responses (the answers).

A framework is edited as a draft and frozen when published: every content row refuses to be saved
or deleted unless its framework is a draft, so a published version is read-only for admin, API,
services and the shell alike. Campaigns pin one published version.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$", _("Letters, digits, dot, dash and underscore only.")
)
slug_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]{0,49}$", _("Lower-case letters, digits, dash and underscore only.")
)
POSITIVE_WEIGHT = [MinValueValidator(Decimal("0.01"))]
POINTS_RANGE = [MinValueValidator(0), MaxValueValidator(100)]


class FrameworkKind(models.TextChoices):
    UNIT = "unit", _("Unit survey")
    MEMBER = "member", _("Member survey")


class Framework(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    Kind = FrameworkKind

    code = models.CharField(_("code"), max_length=50, validators=[slug_validator])
    version = models.PositiveIntegerField(_("version"), default=1)
    kind = models.CharField(_("kind"), max_length=10, choices=FrameworkKind.choices)
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="framework_unique_code_version")]

    def __str__(self) -> str:
        return f"{self.name} — v{self.version} ({self.get_status_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and not self._state.adding:
            stored = (
                Framework.objects.filter(pk=self.pk)
                .values_list("status", "code", "version", "kind", "name", "description")
                .first()
            )
            if stored and stored[0] != self.Status.DRAFT:
                # Once published only the status may move on (published → retired).
                frozen = (self.code, self.version, self.kind, self.name, self.description)
                if frozen != stored[1:]:
                    raise ValidationError(
                        _("A published framework cannot be changed; clone it to a new draft version.")
                    )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if not self.is_draft:
            raise ValidationError(_("A published framework cannot be deleted."))
        return super().delete(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class FrameworkContent(models.Model):
    """Base of every row that belongs to a framework's content: editable only in a draft."""

    history = HistoricalRecords(inherit=True)  # every domain, indicator, question, option, band …

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._check_editable()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        self._check_editable()
        return super().delete(*args, **kwargs)

    def get_framework(self) -> Framework:
        raise NotImplementedError

    def _check_editable(self) -> None:
        framework = self.get_framework()
        status = Framework.objects.filter(pk=framework.pk).values_list("status", flat=True).first()
        if status is not None and status != Framework.Status.DRAFT:
            raise ValidationError(_("A published framework cannot be changed; clone it to a new draft version."))


class LevelBand(FrameworkContent):
    framework = models.ForeignKey(
        Framework, on_delete=models.CASCADE, related_name="bands", verbose_name=_("framework")
    )
    min_score = models.DecimalField(_("minimum score"), max_digits=5, decimal_places=2, validators=POINTS_RANGE)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    colour = models.CharField(
        _("colour"), max_length=7, default="#6c757d", validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$")]
    )

    class Meta:
        verbose_name = _("maturity band")
        verbose_name_plural = _("maturity bands")
        ordering = ["framework_id", "min_score"]
        constraints = [models.UniqueConstraint(fields=["framework", "min_score"], name="band_unique_min_score")]

    def __str__(self) -> str:
        return f"{self.name} (≥ {self.min_score})"

    def get_framework(self) -> Framework:
        return self.framework


class TargetGroup(FrameworkContent):
    """A group a member chooses in a member survey (học sinh, sinh viên …)."""

    framework = models.ForeignKey(
        Framework, on_delete=models.CASCADE, related_name="target_groups", verbose_name=_("framework")
    )
    code = models.CharField(_("code"), max_length=50, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")
        ordering = ["framework_id", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="targetgroup_unique_code")]

    def __str__(self) -> str:
        return self.name

    def get_framework(self) -> Framework:
        return self.framework


class Domain(FrameworkContent):
    framework = models.ForeignKey(
        Framework, on_delete=models.CASCADE, related_name="domains", verbose_name=_("framework")
    )
    code = models.CharField(_("code"), max_length=30, validators=[code_validator])
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=2, default=Decimal(1), validators=POSITIVE_WEIGHT
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        ordering = ["framework_id", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="domain_unique_code")]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"

    def get_framework(self) -> Framework:
        return self.framework


class Indicator(FrameworkContent):
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("domain"))
    code = models.CharField(_("code"), max_length=30, validators=[code_validator])
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    guidance = models.TextField(
        _("guidance"), blank=True, help_text=_("What a unit can do to improve; shown as a suggested action.")
    )
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=2, default=Decimal(1), validators=POSITIVE_WEIGHT
    )
    evidence_required = models.BooleanField(
        _("evidence required"), default=False, help_text=_("Scored answers count as 0 until evidence is attached.")
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["domain_id", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["domain", "code"], name="indicator_unique_code")]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"

    def get_framework(self) -> Framework:
        return self.domain.framework


class Question(FrameworkContent):
    class Type(models.TextChoices):
        LEVEL = "level", _("Maturity level")
        CHOICE = "choice", _("Single choice")
        MULTI = "multi", _("Multiple choice")
        YES_NO = "yes_no", _("Yes / no")
        NUMBER = "number", _("Number (threshold table)")
        RATIO = "ratio", _("Ratio a / b")
        PERCENT = "percent", _("Percentage")
        METRIC = "metric", _("Computed from records")
        TEXT = "text", _("Free text")
        FILE = "file", _("File upload")

    OPTION_TYPES = frozenset({Type.LEVEL, Type.CHOICE, Type.MULTI})
    UNSCORED_TYPES = frozenset({Type.TEXT, Type.FILE})

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="questions", verbose_name=_("indicator")
    )
    # Denormalised so that a question is found by (framework, code) and codes are unique per framework.
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="questions", editable=False)
    code = models.CharField(_("code"), max_length=30, validators=[code_validator])
    text = models.TextField(_("question"))
    help = models.TextField(_("help"), blank=True)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=2, default=Decimal(1), validators=POSITIVE_WEIGHT
    )
    required = models.BooleanField(_("required"), default=True)
    allows_na = models.BooleanField(_("allows “not applicable”"), default=False)
    scored = models.BooleanField(
        _("scored"), default=True, help_text=_("Untick to make a question informational only.")
    )
    show_if_question = models.ForeignKey(
        "self",
        verbose_name=_("show only if question"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dependants",
    )
    show_if_values = models.JSONField(
        _("…has one of these answers"), default=list, blank=True, help_text=_("Option codes, or “yes” / “no”.")
    )
    thresholds = models.JSONField(
        _("threshold table"),
        default=list,
        blank=True,
        help_text=_('For number questions: [{"min": 0, "points": 0}, …]'),
    )
    unit_label = models.CharField(_("unit of the number"), max_length=50, blank=True)
    numerator_label = models.CharField(_("numerator label"), max_length=200, blank=True)
    denominator_label = models.CharField(_("denominator label"), max_length=200, blank=True)
    metric = models.CharField(_("metric key"), max_length=60, blank=True)
    target_groups = models.JSONField(_("target groups"), default=list, blank=True, help_text=_("Empty: everyone."))
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["indicator_id", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="question_unique_code_in_framework")]

    def __str__(self) -> str:
        return f"{self.code}. {self.text[:80]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.framework_id = self.indicator.domain.framework_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # ``framework`` is not a form field, so forms cannot check this constraint themselves: without
        # this, a duplicate code typed in admin would reach the database as an IntegrityError.
        super().clean()
        if not self.indicator_id or not self.code:
            return  # the form reports the missing field itself
        framework_id = self.indicator.domain.framework_id
        if Question.objects.filter(framework_id=framework_id, code=self.code).exclude(pk=self.pk).exists():
            raise ValidationError(
                {"code": _("Another question of this framework already has the code “%(code)s”.") % {"code": self.code}}
            )

    def get_framework(self) -> Framework:
        return self.indicator.domain.framework

    @property
    def has_options(self) -> bool:
        return self.type in self.OPTION_TYPES

    @property
    def is_scored(self) -> bool:
        return self.scored and self.type not in self.UNSCORED_TYPES


class Option(FrameworkContent):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options", verbose_name=_("question"))
    code = models.CharField(_("code"), max_length=30, validators=[code_validator])
    label = models.CharField(_("label"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    points = models.PositiveSmallIntegerField(_("points"), validators=POINTS_RANGE)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["question_id", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["question", "code"], name="option_unique_code"),
            models.CheckConstraint(condition=models.Q(points__lte=100), name="option_points_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.points})"

    def get_framework(self) -> Framework:
        return self.question.indicator.domain.framework
