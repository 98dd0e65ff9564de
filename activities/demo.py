"""Demo activities, payments and bank accounts for the demo tree (deterministic, idempotent)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from units.models import Unit

from .models import Activity, Bank, Payment, UnitBankAccount, new_payment_reference

PLATFORMS = ["Zoom", "Google Meet", "Microsoft Teams", "Zalo", "Facebook Live"]
TITLES = {
    Activity.Category.MEETING: ["Sinh hoạt chi đoàn định kỳ", "Sinh hoạt chủ điểm", "Họp ban chấp hành"],
    Activity.Category.STUDY: ["Học tập Nghị quyết", "Tập huấn kỹ năng số", "Chuyên đề an toàn thông tin"],
    Activity.Category.VOLUNTEER: ["Ngày Chủ nhật xanh", "Hiến máu tình nguyện", "Tiếp sức mùa thi"],
    Activity.Category.CULTURE: ["Giải bóng đá thanh niên", "Hội diễn văn nghệ"],
    Activity.Category.DIGITAL: ["Hướng dẫn cài đặt VNeID", "Bình dân học vụ số"],
}


def _meeting_time(now: datetime, rng: random.Random, days: int) -> datetime:
    """A local start time a Union meeting really has: 19:00/19:30 on weekdays, 07:00/08:00 at weekends."""
    day = timezone.localtime(now).date() - timedelta(days=rng.randint(1, days))
    hour, minute = rng.choice([(7, 0), (8, 0)]) if day.weekday() >= 5 else rng.choice([(19, 0), (19, 30)])
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@transaction.atomic
def seed_records(*, days: int = 170, seed: int = 2028) -> dict[str, int]:
    """Activities over the last ``days`` for every branch and grassroots union, dues and fees
    (cash, transfer, VietQR; some still pending), bank accounts for a few unions."""
    if Activity.objects.exists() or Payment.objects.exists():
        return {"activities": 0, "payments": 0}
    rng = random.Random(seed)
    now = timezone.now()
    vietcombank = Bank.objects.get(bin="970436")
    for code in ("HCM-PSG", "HCM-PSG-01", "HCM-PSG-01-1", "HCM-BK-01-1"):
        unit = Unit.objects.filter(code=code).first()
        if unit is not None:
            UnitBankAccount.objects.get_or_create(
                unit=unit,
                defaults={
                    "bank": vietcombank,
                    "account_number": f"10{rng.randint(10**9, 10**10 - 1)}",
                    "account_name": f"DOAN {unit.code}",
                },
            )
    activities, payments = [], []
    units = Unit.objects.filter(level__in=[Unit.Level.GRASSROOTS, Unit.Level.BRANCH], is_active=True).order_by("path")
    for unit in units:
        digital = rng.betavariate(2, 2)  # how digital this unit already is
        for _ in range(rng.randint(2, 8)):
            category = rng.choice(list(TITLES))
            mode = Activity.Mode.IN_PERSON
            if rng.random() < digital:
                mode = rng.choice([Activity.Mode.ONLINE, Activity.Mode.HYBRID])
            activities.append(
                Activity(
                    unit=unit,
                    title=rng.choice(TITLES[category]),
                    category=category,
                    starts_at=_meeting_time(now, rng, days),
                    mode=mode,
                    platform=rng.choice(PLATFORMS) if mode != Activity.Mode.IN_PERSON else "",
                    participants=rng.randint(8, max(9, unit.member_count or 30)),
                    digital_registration=rng.random() < digital,
                    digital_checkin=rng.random() < digital * 0.7,
                    e_document=rng.random() < digital * 0.5,
                )
            )
        if unit.level != Unit.Level.BRANCH:
            continue
        for _ in range(rng.randint(1, 6)):  # dues collected in the period
            cashless = rng.random() < digital
            channel = (
                rng.choice([Payment.Channel.VIETQR, Payment.Channel.BANK_TRANSFER, Payment.Channel.E_WALLET])
                if cashless
                else Payment.Channel.CASH
            )
            paid = now - timedelta(days=rng.randint(1, days))
            pending = cashless and rng.random() < 0.15
            payments.append(
                Payment(
                    unit=unit,
                    reference=new_payment_reference(),
                    purpose=rng.choice([Payment.Purpose.DUES, Payment.Purpose.DUES, Payment.Purpose.ACTIVITY_FEE]),
                    amount=rng.choice([24_000, 60_000, 2_000 * (unit.member_count or 20), 50_000]),
                    channel=channel,
                    status=Payment.Status.PENDING if pending else Payment.Status.CONFIRMED,
                    paid_at=None if pending else paid,
                    confirmed_at=None if pending else paid,
                )
            )
    Activity.objects.bulk_create(activities, batch_size=2000)
    Payment.objects.bulk_create(payments, batch_size=2000)
    return {"activities": len(activities), "payments": len(payments)}
