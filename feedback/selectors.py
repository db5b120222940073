"""Reads of the intake: rules, earlier tickets and mail threads."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from feedback.models import ClassificationRule, MailMessage, RoutingRule
from feedback.triage import similar_subjects
from helpdesk.models import OPEN_STATUSES, Category, Contact, Ticket

FALLBACK_CATEGORY = "other"
DUPLICATE_WINDOW = timedelta(hours=24)


def classification_rules() -> list[ClassificationRule]:
    return list(ClassificationRule.objects.filter(is_active=True).select_related("category"))


def routing_rules() -> list[RoutingRule]:
    return list(RoutingRule.objects.filter(is_active=True).select_related("team"))


def fallback_category() -> Category:
    """Where unclassified feedback goes: "Other", or the oldest category if an admin removed it."""
    return (
        Category.objects.filter(slug=FALLBACK_CATEGORY).first()
        or Category.objects.order_by("pk").first()
    )


def open_duplicate(*, requester: Contact, subject: str, now: datetime) -> Ticket | None:
    """The requester's recent open ticket about the same thing, if there is one."""
    recent = Ticket.objects.filter(
        requester=requester, status__in=OPEN_STATUSES, created_at__gte=now - DUPLICATE_WINDOW
    ).order_by("-created_at")[:20]
    return next((t for t in recent if similar_subjects(t.subject, subject)), None)


def ticket_for_mail(message_ids: Iterable[str]) -> Ticket | None:
    """The ticket a mail answers, found by the Message-IDs it refers to."""
    ids = [m for m in message_ids if m]
    if not ids:
        return None
    record = (
        MailMessage.objects.filter(message_id__in=ids)
        .select_related("ticket")
        .order_by("-created_at")
        .first()
    )
    return record.ticket if record else None


def mail_known(message_id: str) -> MailMessage | None:
    return MailMessage.objects.filter(message_id=message_id).first()
