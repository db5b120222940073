"""Every write to a ticket: each owns its transaction, locks the row, records the timeline
and refreshes the SLA columns before it commits."""

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from helpdesk.models import (
    Attachment,
    Audience,
    Category,
    Channel,
    Contact,
    Message,
    Priority,
    Status,
    Team,
    Ticket,
    hash_token,
    new_public_token,
)
from helpdesk.services.assignment import ticket_auto_assign
from helpdesk.services.attachments import CheckedFile, attachments_add
from helpdesk.services.timeline import Kind, event_record, sla_targets_apply, ticket_sla_refresh
from helpdesk.workflow import check_transition
from statusfeed.services import ticket_link_revoked, ticket_public_event


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("team__calendar").get(pk=ticket.pk)


def public_promise(ticket: Ticket) -> tuple:
    """What the customer was told: when the next update and the resolution are due."""
    return (ticket.next_update_due, ticket.resolution_due)


def publish_if_promise_moved(*, ticket: Ticket, promise: tuple, at) -> None:
    if public_promise(ticket) != promise:
        ticket_public_event(ticket=ticket, kind="eta_revised", at=at)


def public_attachments(attachments: list[Attachment]) -> list[dict]:
    """What a progress page may show of a public message's files: a name, a size, an id."""
    return [{"id": a.pk, "name": a.filename, "size": a.size} for a in attachments]


def ticket_create(
    *,
    subject: str,
    description: str,
    category: Category,
    requester: Contact | None = None,
    priority: str | None = None,
    team: Team | None = None,
    audience: str = Audience.CUSTOMER,
    channel: str = Channel.API,
    actor: AbstractBaseUser | None = None,
    auto_assign: bool = True,
) -> tuple[Ticket, str]:
    """Open a ticket on its category's team and tier; returns it with its raw public token."""
    token = new_public_token()
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            subject=subject,
            description=description,
            category=category,
            requester=requester,
            priority=priority or category.default_priority,
            team=team or category.team,
            audience=audience,
            channel=channel,
            public_token_hash=hash_token(token),
            created_at=now,
            updated_at=now,
        )
        event_record(
            ticket=ticket,
            kind=Kind.CREATED,
            at=now,
            actor=actor,
            data={"status": Status.NEW, "priority": ticket.priority, "channel": channel},
        )
        sla_targets_apply(ticket=ticket, at=now, reason="created")
        if auto_assign:
            ticket_auto_assign(ticket=ticket, now=now)
        ticket_sla_refresh(ticket=ticket, now=now)
        ticket_public_event(ticket=ticket, kind="created", at=now)
    return ticket, token


def ticket_change_status(*, ticket: Ticket, status: str, actor: AbstractBaseUser | None) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        check_transition(ticket.status, status)
        now = timezone.now()
        event_record(
            ticket=ticket,
            kind=Kind.STATUS_CHANGED,
            at=now,
            actor=actor,
            data={"from": ticket.status, "to": status},
        )
        ticket.status = status
        ticket.save(update_fields=["status"])
        ticket_sla_refresh(ticket=ticket, now=now)
        ticket_public_event(ticket=ticket, kind="status_changed", at=now)
    return ticket


def ticket_change_priority(
    *, ticket: Ticket, priority: str, actor: AbstractBaseUser | None
) -> Ticket:
    """A new tier re-targets every clock from the ticket's start (paused time still excluded)."""
    if priority not in Priority.values:
        raise ValueError(f"Unknown priority {priority!r}.")
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.priority == priority:
            return ticket
        now = timezone.now()
        promise = public_promise(ticket)
        event_record(
            ticket=ticket,
            kind=Kind.PRIORITY_CHANGED,
            at=now,
            actor=actor,
            data={"from": ticket.priority, "to": priority},
        )
        ticket.priority = priority
        ticket.save(update_fields=["priority"])
        sla_targets_apply(ticket=ticket, at=now, reason="priority changed")
        ticket_sla_refresh(ticket=ticket, now=now)
        publish_if_promise_moved(ticket=ticket, promise=promise, at=now)
    return ticket


def ticket_change_category(
    *, ticket: Ticket, category: Category, actor: AbstractBaseUser | None
) -> Ticket:
    """Recategorising keeps the team (moving it is a separate decision) but re-targets the SLA."""
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.category_id == category.pk:
            return ticket
        now = timezone.now()
        promise = public_promise(ticket)
        event_record(
            ticket=ticket,
            kind=Kind.CATEGORY_CHANGED,
            at=now,
            actor=actor,
            data={"from": ticket.category.slug, "to": category.slug},
        )
        ticket.category = category
        ticket.save(update_fields=["category"])
        sla_targets_apply(ticket=ticket, at=now, reason="category changed")
        ticket_sla_refresh(ticket=ticket, now=now)
        publish_if_promise_moved(ticket=ticket, promise=promise, at=now)
    return ticket


def ticket_change_team(*, ticket: Ticket, team: Team, actor: AbstractBaseUser | None) -> Ticket:
    """Moving to another team drops an assignee who is not in it and re-routes the ticket."""
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.team_id == team.pk:
            return ticket
        now = timezone.now()
        promise = public_promise(ticket)
        event_record(
            ticket=ticket,
            kind=Kind.TEAM_CHANGED,
            at=now,
            actor=actor,
            data={"from": ticket.team.slug, "to": team.slug},
        )
        ticket.team = team
        fields = ["team"]
        if ticket.assignee_id and not ticket.assignee.teams.filter(pk=team.pk).exists():
            event_record(ticket=ticket, kind=Kind.UNASSIGNED, at=now, actor=actor)
            ticket.assignee = None
            fields.append("assignee")
        ticket.save(update_fields=fields)
        if ticket.assignee_id is None and ticket.is_open:
            ticket_auto_assign(ticket=ticket, now=now)
        ticket_sla_refresh(ticket=ticket, now=now)
        publish_if_promise_moved(ticket=ticket, promise=promise, at=now)
    return ticket


def ticket_reply(
    *,
    ticket: Ticket,
    body: str,
    public: bool,
    author: AbstractBaseUser,
    files: Sequence[CheckedFile] = (),
) -> Message:
    """An agent's public reply (answers the customer, meets response clocks) or internal note."""
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == Status.CLOSED:
            raise ValueError("A closed ticket takes no more replies.")
        now = timezone.now()
        kind = Message.Kind.PUBLIC_REPLY if public else Message.Kind.INTERNAL_NOTE
        message = Message.objects.create(
            ticket=ticket, kind=kind, author=author, body=body, created_at=now
        )
        attachments = attachments_add(message=message, files=list(files))
        event_record(
            ticket=ticket,
            kind=Kind.PUBLIC_REPLY if public else Kind.INTERNAL_NOTE,
            at=now,
            actor=author,
            data={"message": message.pk},
        )
        if public and ticket.status == Status.NEW:
            event_record(
                ticket=ticket,
                kind=Kind.STATUS_CHANGED,
                at=now,
                actor=author,
                data={"from": ticket.status, "to": Status.OPEN},
            )
            ticket.status = Status.OPEN
            ticket.save(update_fields=["status"])
        ticket_sla_refresh(ticket=ticket, now=now)
        if public:
            ticket_public_event(
                ticket=ticket,
                kind="public_reply",
                at=now,
                message=body,
                attachments=public_attachments(attachments),
            )
    return message


def ticket_customer_reply(
    *, ticket: Ticket, body: str, files: Sequence[CheckedFile] = ()
) -> Message:
    """The requester writes back: a ticket waiting on them or resolved goes back to work."""
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == Status.CLOSED:
            raise ValueError("This ticket is closed; please open a new one.")
        now = timezone.now()
        message = Message.objects.create(
            ticket=ticket, kind=Message.Kind.CUSTOMER, body=body, created_at=now
        )
        attachments = attachments_add(message=message, files=list(files))
        event_record(ticket=ticket, kind=Kind.CUSTOMER_REPLY, at=now, data={"message": message.pk})
        if ticket.status in (Status.PENDING, Status.RESOLVED):
            event_record(
                ticket=ticket,
                kind=Kind.STATUS_CHANGED,
                at=now,
                data={"from": ticket.status, "to": Status.OPEN, "by": "requester"},
            )
            ticket.status = Status.OPEN
            ticket.save(update_fields=["status"])
        ticket_sla_refresh(ticket=ticket, now=now)
        ticket_public_event(
            ticket=ticket,
            kind="customer_reply",
            at=now,
            message=body,
            attachments=public_attachments(attachments),
        )
    return message


def ticket_rotate_public_token(*, ticket: Ticket, actor: AbstractBaseUser | None) -> str:
    """Issue a new progress link; the old one stops working at once."""
    token = new_public_token()
    with transaction.atomic():
        old_hash = _locked(ticket).public_token_hash
        Ticket.objects.filter(pk=ticket.pk).update(public_token_hash=hash_token(token))
        event_record(ticket=ticket, kind=Kind.PUBLIC_LINK_ROTATED, at=timezone.now(), actor=actor)
        ticket_link_revoked(ticket=ticket, token_hash=old_hash)
    return token


def ticket_set_subscription(*, ticket: Ticket, subscribed: bool) -> None:
    """The requester opts in or out of emailed updates from the progress page."""
    Ticket.objects.filter(pk=ticket.pk).update(requester_subscribed=subscribed)


def ticket_merge(*, ticket: Ticket, into: Ticket, actor: AbstractBaseUser | None) -> Ticket:
    """Fold a duplicate into another ticket: the duplicate closes and points at the survivor."""
    if ticket.pk == into.pk:
        raise ValueError("A ticket cannot be merged into itself.")
    with transaction.atomic():
        # Lock both rows in id order, so two opposite merges cannot deadlock.
        locked = {
            t.pk: t
            for t in Ticket.objects.select_for_update()
            .select_related("team__calendar")
            .filter(pk__in=[ticket.pk, into.pk])
            .order_by("pk")
        }
        ticket, into = locked[ticket.pk], locked[into.pk]
        if ticket.merged_into_id:
            raise ValueError(f"{ticket.reference} is already merged.")
        if into.status == Status.CLOSED:
            raise ValueError(f"{into.reference} is closed; merge into an open ticket.")
        now = timezone.now()
        event_record(
            ticket=ticket,
            kind=Kind.MERGED,
            at=now,
            actor=actor,
            data={"into": into.reference, "from": ticket.status},
        )
        event_record(
            ticket=into, kind=Kind.MERGED, at=now, actor=actor, data={"from": ticket.reference}
        )
        Message.objects.create(
            ticket=into,
            kind=Message.Kind.INTERNAL_NOTE,
            author=actor,
            body=f"Merged {ticket.reference} ({ticket.subject}) into this ticket.",
            created_at=now,
        )
        ticket.status, ticket.merged_into = Status.CLOSED, into
        ticket.save(update_fields=["status", "merged_into"])
        ticket_sla_refresh(ticket=ticket, now=now)
        ticket_sla_refresh(ticket=into, now=now)
        ticket_public_event(
            ticket=ticket,
            kind="status_changed",
            at=now,
            message="This request was combined with another one about the same thing; "
            "we continue there.",
        )
    return into
