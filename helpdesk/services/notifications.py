"""Emails to agents (assignment, SLA warning, breach) and to subscribed requesters.

Every email is first a `Notification` row written in the transaction of the change it reports,
then sent by a django-q2 task: agents' at once after commit, requesters' when their batching
window closes (public events that come within a minute of the first go out as one email).
Failures are retried with backoff (helpdesk.services.outbound); each row records the outcome.
"""

import logging
import time
from datetime import timedelta
from functools import partial
from smtplib import SMTPResponseException

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from helpdesk.models import Agent, DeliveryStatus, Notification, Ticket, TicketEvent
from helpdesk.models.notifications import DUE_STATUSES
from helpdesk.services.outbound import (
    outbound_claim,
    outbound_due,
    outbound_failed,
    outbound_sent,
    outbound_skipped,
)
from statusfeed.models import PublicEvent
from statusfeed.presenters import event_title, local_display

log = logging.getLogger(__name__)

BATCH_WINDOW = timedelta(minutes=1)
SMTP_TIMEOUT = 20  # seconds; a hung server must not hold a worker past the task timeout
# The requester wrote these themselves; emailing them back is noise.
NOT_EMAILED_KINDS = frozenset({"customer_reply"})
CLOCK_NAMES = {
    "first_response": "First response",
    "update": "Public update",
    "resolution": "Resolution",
}
UNSUBSCRIBE_SALT = "helpdesk.notifications.unsubscribe"


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def enqueue_after_commit(task: str, pk: int) -> None:
    """Hand a row to the cluster once its transaction commits.

    robust: a broker that is down must not fail the change; the periodic sender sends it later.
    """
    transaction.on_commit(partial(async_task, task, pk), robust=True)


# Queueing: inside the transaction of the change.


def agent_notification_queue(
    *, kind: str, ticket: Ticket, user: AbstractBaseUser, context: dict
) -> Notification | None:
    if not user.is_active or not user.email:
        return None
    notification = Notification.objects.create(
        kind=kind, ticket=ticket, user=user, email=user.email, context=context
    )
    enqueue_after_commit("helpdesk.tasks.deliver_notification", notification.pk)
    return notification


def assignment_notify(*, event: TicketEvent) -> Notification | None:
    """Tell an agent a ticket is theirs, unless they took it themselves."""
    agent = Agent.objects.select_related("user").filter(pk=event.data.get("agent")).first()
    if agent is None or agent.user_id == event.actor_id:
        return None
    return agent_notification_queue(
        kind=Notification.Kind.ASSIGNED,
        ticket=event.ticket,
        user=agent.user,
        context={"how": event.data.get("how", ""), "at": event.at.isoformat()},
    )


def ticket_id_of_stream(stream: str) -> int | None:
    prefix, _, number = stream.partition(":")
    return int(number) if prefix == "ticket" and number.isdigit() else None


def requester_update_queue(*, ticket: Ticket, event: PublicEvent) -> Notification | None:
    """Add a public event to the requester's open batch, or open one for a minute."""
    requester = ticket.requester
    if (
        event.kind in NOT_EMAILED_KINDS
        or not ticket.requester_subscribed
        or requester is None
        or not requester.email
    ):
        return None
    batch = (
        Notification.objects.select_for_update()
        .filter(
            kind=Notification.Kind.PUBLIC_UPDATE,
            ticket=ticket,
            email=requester.email,
            status__in=DUE_STATUSES,
        )
        .order_by("-pk")
        .first()
    )
    if batch is not None:
        batch.public_events = [*batch.public_events, event.pk]
        batch.save(update_fields=["public_events"])
        return batch
    return Notification.objects.create(
        kind=Notification.Kind.PUBLIC_UPDATE,
        ticket=ticket,
        email=requester.email,
        public_events=[event.pk],
        created_at=event.created_at,
        send_after=event.created_at + BATCH_WINDOW,
    )


# Unsubscribing from an emailed link.


def unsubscribe_token(ticket: Ticket) -> str:
    # Bound to the requester too, so a link never unsubscribes someone it was not sent to.
    return signing.dumps([ticket.pk, ticket.requester_id], salt=UNSUBSCRIBE_SALT)


def ticket_for_unsubscribe_token(token: str) -> Ticket | None:
    try:
        pk, requester_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return Ticket.objects.filter(pk=pk, requester_id=requester_id).first()


def unsubscribe_url(ticket: Ticket) -> str:
    return site_url(reverse("statusfeed:unsubscribe", args=[unsubscribe_token(ticket)]))


# Sending: in a task, outside any transaction.


def notification_deliver(*, notification_id: int) -> str:
    """Send one email if it is due and nobody else is sending it; returns the outcome."""
    if not outbound_claim(Notification, notification_id, now=timezone.now()):
        return "not due"
    notification = Notification.objects.select_related(
        "ticket__team__calendar", "ticket__requester", "user"
    ).get(pk=notification_id)
    if notification.kind == Notification.Kind.PUBLIC_UPDATE and not _requester_still_subscribed(
        notification
    ):
        return outbound_skipped(notification, reason="The requester unsubscribed.")
    try:
        email = notification_email(notification)
        email.send()
    except Exception as exc:  # any failure is recorded and retried: nothing is dropped silently
        log.warning("Sending %s failed: %s", notification, exc)  # the row keeps the detail
        permanent = isinstance(exc, SMTPResponseException) and exc.smtp_code >= 500
        return outbound_failed(
            notification, error=f"{type(exc).__name__}: {exc}", permanent=permanent
        )
    return outbound_sent(notification)


def notifications_deliver_due(*, limit: int = 500, budget: float = 60.0) -> int:
    """Send what is due (closed batches, retries, rows a failed enqueue left behind)."""
    deadline = time.monotonic() + budget
    sent = 0
    for pk in outbound_due(Notification, now=timezone.now(), limit=limit):
        if time.monotonic() > deadline:
            break  # the next run carries on; the task must end well within its timeout
        sent += notification_deliver(notification_id=pk) == DeliveryStatus.SENT
    return sent


def _requester_still_subscribed(notification: Notification) -> bool:
    ticket = notification.ticket
    return (
        ticket.requester_subscribed
        and ticket.requester is not None
        and ticket.requester.email == notification.email
    )


def notification_email(notification: Notification) -> EmailMultiAlternatives:
    if notification.kind == Notification.Kind.PUBLIC_UPDATE:
        subject, context, headers = _requester_email(notification)
    else:
        subject, context, headers = _agent_email(notification)
    template = f"email/{notification.kind}"
    email = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # a subject a customer typed may hold line breaks
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.email],
        headers={"Auto-Submitted": "auto-generated", **headers},
        connection=get_connection(timeout=SMTP_TIMEOUT),
    )
    email.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return email


def _agent_email(notification: Notification) -> tuple[str, dict, dict]:
    ticket = notification.ticket
    zone = ticket.team.calendar.timezone
    data = notification.context
    clock = CLOCK_NAMES.get(data.get("clock", ""), "")
    user = notification.user
    context = {
        "ticket": ticket,
        "name": (user.get_full_name() or user.get_username()) if user else "",
        "clock": clock,
        "percent": round(data.get("threshold", 0) * 100),
        "reached_at": local_display(data.get("reached_at"), zone),
        "due_at": local_display(data.get("due_at"), zone),
        "changes": data.get("changes", {}),
        "ticket_url": site_url(reverse("admin:helpdesk_ticket_change", args=[ticket.pk])),
    }
    subject = {
        Notification.Kind.ASSIGNED: f"[{ticket.reference}] Assigned to you: {ticket.subject}",
        Notification.Kind.SLA_WARNING: (
            f"[{ticket.reference}] {clock} at {context['percent']}% of its target"
        ),
        Notification.Kind.SLA_BREACH: f"[{ticket.reference}] {clock} target missed",
    }[notification.kind]
    return subject, context, {}


def _requester_email(notification: Notification) -> tuple[str, dict, dict]:
    ticket = notification.ticket
    zone = ticket.team.calendar.timezone
    events = list(PublicEvent.objects.filter(pk__in=notification.public_events).order_by("seq"))
    updates = [
        {
            "title": event_title({"kind": event.kind}),
            "status_label": event.payload.get("status_label", ""),
            "message": event.payload.get("message") or "",
            "at": local_display(event.payload.get("at"), zone),
        }
        for event in events
    ]
    latest = events[-1].payload if events else {}
    unsubscribe = unsubscribe_url(ticket)
    context = {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "name": ticket.requester.name if ticket.requester else "",
        "updates": updates,
        "status_label": latest.get("status_label", ""),
        "next_update_due": local_display(latest.get("next_update_due"), zone),
        "eta": local_display(latest.get("eta"), zone),
        "unsubscribe_url": unsubscribe,
        "board_url": site_url(reverse("statusfeed:board")),
    }
    if len(updates) == 1:
        subject = f"[{ticket.reference}] {updates[0]['title']}"
    else:
        subject = f"[{ticket.reference}] {len(updates)} updates on your request"
    headers = {
        # RFC 8058: mail clients unsubscribe with one POST to this URL.
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return subject, context, headers
