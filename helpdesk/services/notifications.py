"""Emails to agents (assignment, SLA warning, breach) and to subscribed requesters.

Every email is first a `Notification` row written in the transaction of the change it reports,
then sent by a django-q2 task: agents' at once after commit, requesters' when their batching
window closes (public events that come within a minute of the first go out as one email).
Failures are retried with backoff (helpdesk.services.outbound); each row records the outcome.
"""

import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from smtplib import SMTPResponseException

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from helpdesk.bulk import objects_insert, rows_insert
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
# The requester wrote the reply themselves; and a new ticket is acknowledged by the channel
# that took it in (feedback's acknowledgement carries the progress link), so neither is
# emailed again as an update.
NOT_EMAILED_KINDS = frozenset({"customer_reply", "created"})
CLOCK_NAMES = {
    "first_response": "First response",
    "update": "Public update",
    "resolution": "Resolution",
}
UNSUBSCRIBE_SALT = "helpdesk.notifications.unsubscribe"
# Rows handed to one delivery task when many are queued at once (a sweep's batch); a task
# stops after its time budget and leaves the rest to the periodic sender.
TASK_CHUNK = 500


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def enqueue_after_commit(task: str, pk: int) -> None:
    """Hand a row to the cluster once its transaction commits.

    robust: a broker that is down must not fail the change; the periodic sender sends it later.
    """
    transaction.on_commit(partial(async_task, task, pk), robust=True)


def enqueue_many_after_commit(task: str, pks: list[int]) -> None:
    """Hand many rows to the cluster once the transaction commits, a chunk of ids per task."""
    for start in range(0, len(pks), TASK_CHUNK):
        chunk = pks[start : start + TASK_CHUNK]
        transaction.on_commit(partial(async_task, task, chunk), robust=True)


# Queueing: inside the transaction of the change.


def agent_notification_row(
    *, kind: str, ticket: Ticket, user: AbstractBaseUser, context: dict
) -> dict | None:
    """The (unsaved) email to an agent as a row's values, or None when they cannot get one."""
    if not user.is_active or not user.email:
        return None
    return {
        "kind": kind,
        "ticket_id": ticket.pk,
        "user_id": user.pk,
        "email": user.email,
        "context": context,
    }


def agent_notification_queue(
    *, kind: str, ticket: Ticket, user: AbstractBaseUser, context: dict
) -> Notification | None:
    row = agent_notification_row(kind=kind, ticket=ticket, user=user, context=context)
    if row is None:
        return None
    notification = Notification.objects.create(**row)
    enqueue_after_commit("helpdesk.tasks.deliver_notification", notification.pk)
    return notification


def agent_notifications_queue(rows: Sequence[dict]) -> list[int]:
    """Write many agent emails (`agent_notification_row`s) at once; tasks send them after
    commit."""
    ids = rows_insert(Notification, rows)
    enqueue_many_after_commit("helpdesk.tasks.deliver_notifications", ids)
    return ids


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
    batches = requester_updates_queue([(ticket, event)])
    return batches[0] if batches else None


def requester_updates_queue(updates: Sequence[tuple[Ticket, PublicEvent]]) -> list[Notification]:
    """`requester_update_queue` for many (ticket, event) pairs, in order, in a few queries;
    returns the batches the events joined or opened."""
    # One query for the requesters not read yet (a sweep reads them only for the tickets
    # whose page gets an event).
    prefetch_related_objects([ticket for ticket, _ in updates], "requester")
    wanted = [(ticket, event) for ticket, event in updates if _emails_requester(ticket, event)]
    if not wanted:
        return []
    # A batch takes events for its first minute, until it is sent. Asked by ticket and age,
    # not by status, the look-up reads the tickets' own rows of notification_batch: asked
    # by status, the planner could prefer notification_due, and read every email a big sweep
    # has queued so far, once per batch.
    opened_since = min(event.created_at for _, event in wanted) - BATCH_WINDOW
    open_batches = {
        (batch.ticket_id, batch.email): batch  # in pk order: the latest open batch wins
        for batch in Notification.objects.select_for_update()
        .filter(
            kind=Notification.Kind.PUBLIC_UPDATE,
            ticket_id__in={ticket.pk for ticket, _ in wanted},
            created_at__gt=opened_since,
        )
        .order_by("pk")
        if batch.status in DUE_STATUSES
    }
    touched: dict[tuple[int, str], Notification] = {}
    opened: list[Notification] = []
    for ticket, event in wanted:
        key = (ticket.pk, ticket.requester.email)
        batch = open_batches.get(key)
        if batch is None:
            batch = Notification(
                kind=Notification.Kind.PUBLIC_UPDATE,
                ticket=ticket,
                email=ticket.requester.email,
                public_events=[],
                created_at=event.created_at,
                send_after=event.created_at + BATCH_WINDOW,
            )
            open_batches[key] = batch
            opened.append(batch)
        batch.public_events = [*batch.public_events, event.pk]
        touched[key] = batch
    joined = [batch for batch in touched.values() if batch.pk is not None]
    if joined:
        Notification.objects.bulk_update(joined, ["public_events"])
    objects_insert(opened)
    return list(touched.values())


def _emails_requester(ticket: Ticket, event: PublicEvent) -> bool:
    requester = ticket.requester
    return (
        event.kind not in NOT_EMAILED_KINDS
        and ticket.requester_subscribed
        and requester is not None
        and bool(requester.email)
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


def notifications_deliver(*, notification_ids: Sequence[int], budget: float = 60.0) -> int:
    """Send these emails in turn until the time budget runs out; returns how many were sent."""
    deadline = time.monotonic() + budget
    sent = 0
    for pk in notification_ids:
        if time.monotonic() > deadline:
            break  # the periodic sender carries on; the task must end well within its timeout
        sent += notification_deliver(notification_id=pk) == DeliveryStatus.SENT
    return sent


def notifications_deliver_due(*, limit: int = 500, budget: float = 60.0) -> int:
    """Send what is due (closed batches, retries, rows a failed enqueue left behind)."""
    due = outbound_due(Notification, now=timezone.now(), limit=limit)
    return notifications_deliver(notification_ids=due, budget=budget)


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
