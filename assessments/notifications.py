"""E-mails about surveys: a returned response reaches the people who fill it; deadlines remind.

Lesson from ODK/Kobo (domain-facts §7): a "rejected" state that never reaches the person who
filled the form is useless, so a return always mails the unit's editors with the comment.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from units.models import UnitRole

from .models import Assignment, Campaign, FrameworkKind, ReminderLog, Response, ResponseTransition


def unit_editor_emails(unit_id: int) -> list[str]:
    emails = (
        UnitRole.objects.current()
        .filter(unit_id=unit_id, role__in=UnitRole.EDITOR_ROLES, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    return sorted(set(emails))


def notify_returned(response_id: int) -> int:
    response = (
        Response.objects.select_related("assignment__unit", "assignment__campaign").filter(pk=response_id).first()
    )
    if response is None or response.status != Response.Status.RETURNED:
        return 0  # gone, or already resubmitted: nothing to say
    transition = response.transitions.filter(to_status=Response.Status.RETURNED).order_by("-at", "-pk").first()
    submitters = ResponseTransition.objects.filter(response=response, to_status=Response.Status.SUBMITTED).exclude(
        by__email=""
    )
    recipients = sorted(
        set(unit_editor_emails(response.assignment.unit_id)) | set(submitters.values_list("by__email", flat=True))
    )
    if not recipients:
        return 0
    ctx = {
        "response": response,
        "unit": response.assignment.unit,
        "campaign": response.assignment.campaign,
        "comment": transition.comment if transition else "",
        "reviewer": transition.by if transition else None,
        "url": settings.SITE_URL + reverse("assessments:response", args=[response.pk]),
    }
    subject = render_to_string("assessments/email/returned_subject.txt", ctx).strip()
    body = render_to_string("assessments/email/returned.txt", ctx)
    send_mail(subject, body, None, recipients)
    return len(recipients)


def send_deadline_reminders(now=None) -> int:  # type: ignore[no-untyped-def]
    """Mail units whose unit survey is not submitted as closing nears.

    Steps come from SURVEY_REMINDER_DAYS (e.g. 7 and 2 days before): a unit gets the reminder of
    the closest step it has reached, once — never two mails in the same run.
    """
    now = now or timezone.now()
    steps = sorted(settings.SURVEY_REMINDER_DAYS)
    if not steps:
        return 0
    candidates = (
        Assignment.objects.filter(
            campaign__status=Campaign.Status.OPEN,
            campaign__framework__kind=FrameworkKind.UNIT,
            campaign__opens_at__lte=now,
            campaign__closes_at__gt=now,
            campaign__closes_at__lte=now + timedelta(days=steps[-1]),
            deadline__isnull=True,
            responses__status__in=Response.EDITABLE,
        )
        .select_related("unit", "campaign")
        .prefetch_related("reminders", "responses")
        .distinct()
    )
    sent = 0
    for assignment in candidates:
        remaining = assignment.campaign.closes_at - now
        step = min(d for d in steps if remaining <= timedelta(days=d))
        if any(r.days_before <= step for r in assignment.reminders.all()):
            continue
        try:
            with transaction.atomic():
                ReminderLog.objects.create(assignment=assignment, days_before=step)
        except IntegrityError:
            continue  # another beat run got there first
        recipients = unit_editor_emails(assignment.unit_id)
        response = next(iter(assignment.responses.all()), None)
        if not recipients or response is None:
            continue
        ctx = {
            "unit": assignment.unit,
            "campaign": assignment.campaign,
            "days": step,
            "url": settings.SITE_URL + reverse("assessments:response", args=[response.pk]),
        }
        subject = render_to_string("assessments/email/reminder_subject.txt", ctx).strip()
        send_mail(subject, render_to_string("assessments/email/reminder.txt", ctx), None, recipients)
        sent += 1
    return sent
