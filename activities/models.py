"""Records that turn into objective indicators: activities, payments (dues and fees), the unit's
bank account for VietQR, dues rates and the remittance split, bank statements and their lines."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from doanso.lib.money import MAX_VND
from units.models import Unit

# Crockford's base-32 alphabet: no I, L, O, U — nothing a bank clerk or a phone keyboard confuses.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "DS"


def new_payment_reference() -> str:
    """``DS`` + 8 characters: unique, short, and intact in a bank's transfer note."""
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


class Activity(models.Model):
    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid")

    class Category(models.TextChoices):
        MEETING = "meeting", _("Branch meeting")
        STUDY = "study", _("Political study, training")
        VOLUNTEER = "volunteer", _("Volunteering")
        CULTURE = "culture", _("Culture, arts, sports")
        COMMUNICATION = "communication", _("Communication campaign")
        DIGITAL = "digital", _("Digital skills")
        OTHER = "other", _("Other")

    DIGITAL_MODES = frozenset({Mode.ONLINE, Mode.HYBRID})

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="activities", verbose_name=_("unit"))
    title = models.CharField(_("title"), max_length=255)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.MEETING)
    starts_at = models.DateTimeField(_("starts at"))
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    platform = models.CharField(_("platform"), max_length=100, blank=True, help_text=_("e.g. Zoom, Google Meet, Zalo"))
    participants = models.PositiveIntegerField(_("participants"), default=0)
    digital_registration = models.BooleanField(_("registration online"), default=False)
    digital_checkin = models.BooleanField(_("check-in online (QR, app)"), default=False)
    e_document = models.BooleanField(_("electronic document issued"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["unit", "starts_at"], name="activity_unit_start")]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%d/%m/%Y})"


class Bank(models.Model):
    """A bank of the NAPAS network, by its 6-digit BIN (kept as data; admins add banks)."""

    bin = models.CharField(_("BIN"), max_length=6, unique=True, validators=[RegexValidator(r"^\d{6}$")])
    short_name = models.CharField(_("short name"), max_length=50)
    name = models.CharField(_("name"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bank")
        verbose_name_plural = _("banks")
        ordering = ["short_name"]

    def __str__(self) -> str:
        return f"{self.short_name} ({self.bin})"


class UnitBankAccount(models.Model):
    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="bank_account", verbose_name=_("unit"))
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, verbose_name=_("bank"))
    account_number = models.CharField(
        _("account number"),
        max_length=19,
        validators=[RegexValidator(r"^[0-9A-Za-z]{1,19}$", _("Letters and digits only."))],
    )
    account_name = models.CharField(_("account holder"), max_length=100)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("unit bank account")
        verbose_name_plural = _("unit bank accounts")

    def __str__(self) -> str:
        return f"{self.bank.short_name} {self.account_number} — {self.account_name}"


class DuesRate(models.Model):
    """Monthly dues per member category, with the dates it applies (Nghị quyết 07-NQ/TWĐTN)."""

    class Category(models.TextChoices):
        UNSALARIED = "unsalaried", _("Members without a salary (pupils, students …)")
        SALARIED = "salaried", _("Salaried members")
        ABROAD = "abroad", _("Members abroad")

    category = models.CharField(_("member category"), max_length=20, choices=Category.choices)
    monthly_amount = models.PositiveIntegerField(_("per month (VND)"), validators=[MinValueValidator(1)])
    effective_from = models.DateField(_("from"))
    effective_to = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("dues rate")
        verbose_name_plural = _("dues rates")
        ordering = ["category", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["category", "effective_from"], name="duesrate_unique_start")]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.monthly_amount:,} đ"


class DuesSplit(models.Model):
    """How much of the dues a level keeps (the rest goes to the level above), with dates
    (Hướng dẫn 31-HD/TWĐTN-BTK: 2/3 kept, 1/3 passed up)."""

    kept_numerator = models.PositiveSmallIntegerField(_("kept: numerator"), default=2)
    kept_denominator = models.PositiveSmallIntegerField(
        _("kept: denominator"), default=3, validators=[MinValueValidator(1)]
    )
    effective_from = models.DateField(_("from"), unique=True)

    class Meta:
        verbose_name = _("dues split")
        verbose_name_plural = _("dues splits")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kept_numerator__lte=models.F("kept_denominator")), name="duessplit_fraction"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kept_numerator}/{self.kept_denominator}"


class Payment(models.Model):
    class Purpose(models.TextChoices):
        DUES = "dues", _("Dues")
        ACTIVITY_FEE = "activity_fee", _("Activity fee")
        DONATION = "donation", _("Donation")
        OTHER = "other", _("Other")

    class Channel(models.TextChoices):
        CASH = "cash", _("Cash")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        VIETQR = "vietqr", _("VietQR")
        E_WALLET = "e_wallet", _("E-wallet")
        CARD = "card", _("Card")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        REVERSED = "reversed", _("Reversed")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="payments", verbose_name=_("unit"))
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.DUES)
    amount = models.PositiveBigIntegerField(
        _("amount (VND)"), validators=[MinValueValidator(1), MaxValueValidator(MAX_VND)]
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.VIETQR)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reference = models.CharField(
        _("reference"), max_length=20, unique=True, default=new_payment_reference, editable=False
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payer_member_code = models.CharField(_("member code of the payer"), max_length=50, blank=True)
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments", verbose_name=_("activity")
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A confirmed payment is final; the only change left is a reversal, with its reason.
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reversal_reason = models.TextField(_("reason for the reversal"), blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Audit trail; status changes are compare-and-swap updates, recorded by the services.
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["unit", "status", "paid_at"], name="payment_unit_status_paid")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            # VietQR's amount (field 54) holds 13 digits: no payment can be larger.
            models.CheckConstraint(condition=models.Q(amount__lte=MAX_VND), name="payment_amount_13_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.amount:,} đ"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def when(self) -> object:
        """The moment the payment counts for: when paid, else when recorded."""
        return self.paid_at or self.created_at


class BankStatement(models.Model):
    """An uploaded bank statement and the outcome of reconciling it (kept for the record)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="bank_statements", verbose_name=_("unit"))
    original_name = models.CharField(_("file"), max_length=255)
    content_hash = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    rows = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0, help_text=_("Payments this statement confirmed."))

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.uploaded_at:%d/%m/%Y})"


class StatementLine(models.Model):
    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("Matched and confirmed")
        ALREADY = "already", _("Already confirmed before")
        UNMATCHED = "unmatched", _("No matching payment")
        AMOUNT_DIFFERS = "amount_differs", _("Reference found, amount differs")
        AMBIGUOUS = "ambiguous", _("Could match several payments")
        NOT_CREDIT = "not_credit", _("Not an incoming amount")
        UNREADABLE = "unreadable", _("Amount cannot be read")

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    row = models.PositiveIntegerField()
    date = models.DateField(null=True, blank=True)
    amount = models.BigIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    bank_reference = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="statement_lines"
    )

    class Meta:
        ordering = ["statement", "row"]

    def __str__(self) -> str:
        return f"{self.statement_id}:{self.row} {self.outcome}"
