"""Writes of the intake: feedback becomes a triaged ticket (or joins an open one), and the
requester's acknowledgement goes out through the task queue after commit."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from feedback.models import Acknowledgement, MailMessage, MessageSentiment, TicketTriage
from feedback.selectors import (
    classification_rules,
    fallback_category,
    open_duplicate,
    routing_rules,
)
from feedback.triage import Arrival, Classification, classify, route, sentiment_score
from helpdesk.models import Audience, Category, Channel, Contact, Message, Ticket
from helpdesk.services.attachments import CheckedFile
from helpdesk.services.tickets import ticket_create, ticket_customer_reply
from statusfeed.presenters import local_display

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Intake:
    """One piece of feedback as it arrives, from any channel."""

    subject: str
    message: str
    email: str = ""
    name: str = ""
    category: Category | None = None
    channel: str = Channel.WEB
    touchpoint: str = ""
    audience: str = Audience.CUSTOMER
    anonymous: bool = False


@dataclass(frozen=True)
class Receipt:
    """What the requester is told: the ticket, and its progress token if it is new."""

    ticket: Ticket
    token: str | None  # None when the message joined the requester's open ticket

    @property
    def linked(self) -> bool:
        return self.token is None

    def summary(self) -> dict:
        ticket = self.ticket
        return {
            "reference": ticket.reference,
            "category": ticket.category.slug,
            "priority": ticket.priority,
            "team": ticket.team.slug,
            "linked": self.linked,
            "sla": {
                name: value.isoformat() if value else None
                for name, value in (
                    ("first_response_due", ticket.first_response_due),
                    ("next_update_due", ticket.next_update_due),
                    ("resolution_due", ticket.resolution_due),
                )
            },
        }


def own_address() -> str:
    """The address our mail comes from, which marks it as ours when it comes back."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()


def progress_path(token: str) -> str:
    return reverse("statusfeed:progress", args=[token])


def contact_for(*, email: str, name: str) -> Contact:
    email = email.strip().lower()
    contact = Contact.objects.filter(email__iexact=email).first()
    if contact is None:
        contact, _created = Contact.objects.get_or_create(email=email, defaults={"name": name})
    return contact


def feedback_submit(
    *, intake: Intake, files: Sequence[CheckedFile] = (), in_reply_to: str = ""
) -> Receipt:
    """Classify, score and route the feedback, then open its ticket on the routed team and
    tier (the core assigns it); or add it to the requester's open ticket on the same subject."""
    text = f"{intake.subject}\n{intake.message}"
    sentiment = sentiment_score(text)
    if intake.category is not None:
        classification = Classification(intake.category, None, "Chosen by the requester.")
    else:
        classification = classify(
            text=text, rules=classification_rules(), fallback=fallback_category()
        )
    with transaction.atomic():
        requester = (
            None
            if intake.anonymous or not intake.email
            else contact_for(email=intake.email, name=intake.name)
        )
        if requester is not None:
            earlier = open_duplicate(
                requester=requester, subject=intake.subject, now=timezone.now()
            )
            if earlier is not None:
                ticket_customer_reply(ticket=earlier, body=intake.message, files=files)
                return Receipt(ticket=earlier, token=None)
        arrival = Arrival(
            category=classification.category,
            channel=intake.channel,
            audience=intake.audience,
            touchpoint=intake.touchpoint,
            text=text,
            sentiment=sentiment,
            email=requester.email if requester else "",
        )
        routing = route(arrival=arrival, rules=routing_rules())
        ticket, token = ticket_create(
            subject=intake.subject,
            description=intake.message,
            category=classification.category,
            requester=requester,
            priority=routing.priority or None,
            team=routing.team,
            audience=intake.audience,
            channel=intake.channel,
            auto_assign=True,
        )
        if files:
            # A ticket's description is no message, and files belong to a message: they
            # arrive as the requester's first message, visible wherever the thread is.
            names = ", ".join(checked.filename for checked in files)
            ticket_customer_reply(
                ticket=ticket, body=f"Files sent with the request: {names}", files=files
            )
        TicketTriage.objects.create(
            ticket=ticket,
            touchpoint=intake.touchpoint,
            anonymous=intake.anonymous,
            sentiment=sentiment,
            classified_by=classification.rule,
            classification=classification.reason,
            routed_by=routing.rules,
            tags=routing.tags,
        )
        if requester is not None:
            _acknowledgement_queue(
                ticket=ticket, recipient=requester.email, token=token, in_reply_to=in_reply_to
            )
    return Receipt(ticket=ticket, token=token)


def _acknowledgement_queue(*, ticket: Ticket, recipient: str, token: str, in_reply_to: str) -> None:
    acknowledgement = Acknowledgement.objects.create(
        ticket=ticket,
        recipient=recipient,
        progress_url=settings.SITE_URL.rstrip("/") + progress_path(token),
        in_reply_to=in_reply_to,
    )
    # robust: if the broker is down the request still succeeds and the relay sends it later.
    transaction.on_commit(
        lambda: async_task("feedback.tasks.send_acknowledgement", acknowledgement.pk),
        robust=True,
    )


def acknowledgement_send(*, acknowledgement_id: int) -> bool:
    """Email the requester their reference, the SLA promise and the progress link, once."""
    with transaction.atomic():
        acknowledgement = (
            Acknowledgement.objects.select_for_update()
            .filter(pk=acknowledgement_id, sent_at__isnull=True)
            .first()
        )
        if acknowledgement is None:
            return False
        ticket = Ticket.objects.select_related("team__calendar", "requester", "category").get(
            pk=acknowledgement.ticket_id
        )
        zone = ticket.team.calendar.timezone
        context = {
            "ticket": ticket,
            "name": ticket.requester.name if ticket.requester else "",
            "progress_url": acknowledgement.progress_url,
            **{
                name: local_display(value.isoformat() if value else None, zone)
                for name, value in (
                    ("first_response_due", ticket.first_response_due),
                    ("next_update_due", ticket.next_update_due),
                    ("resolution_due", ticket.resolution_due),
                )
            },
        }
        message_id = make_msgid(domain=own_address().rpartition("@")[2] or None)
        headers = {
            "Message-ID": message_id,
            # RFC 3834: other robots must not answer this one; X-Loop catches those that do.
            "Auto-Submitted": "auto-replied",
            "X-Loop": own_address(),
        }
        if acknowledgement.in_reply_to:
            headers["In-Reply-To"] = headers["References"] = acknowledgement.in_reply_to
        EmailMessage(
            subject=f"[{ticket.reference}] We received your request: {ticket.subject}",
            body=render_to_string("feedback/acknowledgement.txt", context),
            to=[acknowledgement.recipient],
            headers=headers,
        ).send()
        MailMessage.objects.create(
            message_id=message_id, ticket=ticket, direction=MailMessage.Direction.OUTBOUND
        )
        acknowledgement.sent_at = timezone.now()
        acknowledgement.progress_url = ""
        acknowledgement.save(update_fields=["sent_at", "progress_url"])
    return True


def acknowledgements_relay(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Send acknowledgements whose task never ran (e.g. the broker was down)."""
    cutoff = timezone.now() - older_than
    pending = Acknowledgement.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
    sent = 0
    for acknowledgement_id in pending.values_list("pk", flat=True)[:500]:
        try:
            sent += acknowledgement_send(acknowledgement_id=acknowledgement_id)
        except Exception:
            log.warning(
                "Acknowledgement %s failed; retrying later", acknowledgement_id, exc_info=True
            )
    return sent


def message_sentiment_record(*, message: Message) -> MessageSentiment | None:
    """Score what a requester wrote; agents' replies and notes are not feedback."""
    if message.kind != Message.Kind.CUSTOMER:
        return None
    return MessageSentiment.objects.create(message=message, compound=sentiment_score(message.body))
