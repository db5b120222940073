"""Reads of the public side."""

from django.db.models import QuerySet

from helpdesk.models import PUBLIC_MESSAGE_KINDS, Attachment, Ticket, hash_token
from statusfeed.models import BOARD_STREAM, PublicEvent, PublicIssue, PublicStream, ticket_stream
from statusfeed.presenters import issue_public_state, ticket_public_state

TOKEN_MAX_LENGTH = 64


def ticket_for_token(token: str) -> Ticket | None:
    """The ticket a progress link opens, or None; one indexed lookup by the token's hash,
    so the time taken does not depend on how much of a guessed token is right."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        Ticket.objects.select_related("category", "team__calendar", "public_issue_link__issue")
        .filter(public_token_hash=hash_token(token))
        .first()
    )


def public_attachment(*, ticket: Ticket, attachment_id: int) -> Attachment | None:
    return (
        Attachment.objects.filter(
            pk=attachment_id, message__ticket=ticket, message__kind__in=PUBLIC_MESSAGE_KINDS
        )
        .only("file", "filename", "content_type")
        .first()
    )


def stream_events(stream: str, *, after: int = 0) -> QuerySet[PublicEvent]:
    return PublicEvent.objects.filter(stream=stream, seq__gt=after).order_by("seq")


def stream_seq(stream: str) -> int:
    return PublicStream.objects.filter(name=stream).values_list("last_seq", flat=True).first() or 0


def ticket_snapshot(ticket: Ticket) -> dict:
    """The whole public state of one ticket, with its public history (2 queries)."""
    events = [e.as_message() for e in stream_events(ticket_stream(ticket.pk))]
    link = getattr(ticket, "public_issue_link", None)
    issue = link.issue if link and link.issue.is_public else None
    return {
        "type": "snapshot",
        "seq": events[-1]["seq"] if events else 0,
        **ticket_public_state(ticket),
        "subject": ticket.subject,
        "category": ticket.category.name,
        "created_at": ticket.created_at.isoformat(),
        "subscribed": ticket.requester_subscribed,
        "issue": issue_public_state(issue) if issue else None,
        "events": events,
    }


def board_issues(*, limit: int = 50) -> QuerySet[PublicIssue]:
    return PublicIssue.objects.filter(is_public=True).order_by("-updated_at")[:limit]


def board_snapshot() -> dict:
    return {
        "type": "snapshot",
        "seq": stream_seq(BOARD_STREAM),
        "issues": [issue_public_state(issue) for issue in board_issues()],
    }
