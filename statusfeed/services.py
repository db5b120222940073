"""Writes of the public side: ticket page events, the board's issues and their fan-out."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from helpdesk.models import Ticket
from statusfeed.models import (
    BOARD_STREAM,
    PublicIssue,
    PublicIssueLink,
    PublicIssueUpdate,
    ticket_stream,
)
from statusfeed.outbox import public_event_record, public_events_record, stream_revoke_link
from statusfeed.presenters import issue_public_state, ticket_public_state


def ticket_public_event(
    *, ticket: Ticket, kind: str, at: datetime, message: str | None = None, **extra
) -> None:
    """Tell the ticket's progress page what changed (inside the change's transaction)."""
    public_event_record(
        stream=ticket_stream(ticket.pk),
        kind=kind,
        payload={**ticket_public_state(ticket), "message": message, **extra},
        at=at,
    )


def ticket_public_events(*, events: list[tuple[Ticket, str, datetime, str | None]]) -> None:
    """`ticket_public_event` for many (ticket, kind, at, message) at once (the SLA sweep),
    for tickets loaded with their team (requesters are read where the emails need them)."""
    public_events_record(
        subjects={ticket_stream(ticket.pk): ticket for ticket, _, _, _ in events},
        events=[
            (
                ticket_stream(ticket.pk),
                kind,
                {**ticket_public_state(ticket), "message": message},
                at,
            )
            for ticket, kind, at, message in events
        ],
    )


def ticket_link_revoked(*, ticket: Ticket, token_hash: str) -> None:
    """Pages still open on a rotated link lose their live stream once the rotation commits."""
    stream_revoke_link(stream=ticket_stream(ticket.pk), token_hash=token_hash)


class InvalidIssueStatus(ValueError):
    pass


def _check_status(issue: PublicIssue, status: str) -> None:
    allowed = PublicIssue.STATUSES_BY_KIND[issue.kind]
    if status not in allowed:
        raise InvalidIssueStatus(
            f"A {issue.get_kind_display().lower()} can be {', '.join(allowed)}, not {status!r}."
        )


def public_issue_create(
    *, title: str, kind: str, status: str, body: str, author: AbstractBaseUser | None
) -> PublicIssue:
    issue = PublicIssue(title=title, kind=kind, status=status)
    _check_status(issue, status)
    with transaction.atomic():
        issue.save()
        public_issue_update(issue=issue, status=status, body=body, author=author)
    return issue


def public_issue_update(
    *, issue: PublicIssue, status: str, body: str, author: AbstractBaseUser | None
) -> PublicIssueUpdate:
    """Post an update on the board and on the progress page of every linked ticket."""
    _check_status(issue, status)
    now = timezone.now()
    with transaction.atomic():
        issue = PublicIssue.objects.select_for_update().get(pk=issue.pk)
        update = PublicIssueUpdate.objects.create(
            issue=issue, status=status, body=body, author=author, created_at=now
        )
        issue.status, issue.updated_at = status, now
        issue.save(update_fields=["status", "updated_at"])
        if not issue.is_public:
            return update
        public_event_record(
            stream=BOARD_STREAM,
            kind="issue_updated",
            payload={"issue": issue_public_state(issue), "message": body},
            at=now,
        )
        linked = Ticket.objects.filter(public_issue_link__issue=issue).order_by("pk")
        for ticket in linked.iterator(chunk_size=500):
            ticket_public_event(
                ticket=ticket,
                kind="public_issue_update",
                at=now,
                message=body,
                issue=issue_public_state(issue),
            )
    return update


def ticket_link_public_issue(*, ticket: Ticket, issue: PublicIssue) -> PublicIssueLink:
    now = timezone.now()
    with transaction.atomic():
        link, _ = PublicIssueLink.objects.update_or_create(
            ticket=ticket, defaults={"issue": issue, "created_at": now}
        )
        if not issue.is_public:
            return link
        ticket_public_event(
            ticket=ticket,
            kind="public_issue_linked",
            at=now,
            message=f"Linked to a known issue: {issue.title}",
            issue=issue_public_state(issue),
        )
    return link
