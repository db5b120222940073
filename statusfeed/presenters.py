"""What the public may see of a ticket or a board issue: the one projection every public
surface (page, JSON, feed, websocket) is built from. Agents, notes and requesters never appear."""

from datetime import datetime
from zoneinfo import ZoneInfo

from helpdesk.models import Status, Ticket
from statusfeed.models import PublicIssue

PLAIN_STATUS = {
    Status.NEW: "Received: we will reply soon",
    Status.OPEN: "We are working on it",
    Status.PENDING: "Waiting for your reply",
    Status.ON_HOLD: "On hold: waiting on a third party",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Closed",
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def ticket_public_state(ticket: Ticket) -> dict:
    return {
        "reference": ticket.reference,
        "status": ticket.status,
        "status_label": PLAIN_STATUS[ticket.status],
        "next_update_due": _iso(ticket.next_update_due),
        "eta": _iso(ticket.resolution_due),
    }


def issue_public_state(issue: PublicIssue) -> dict:
    return {
        "id": issue.pk,
        "title": issue.title,
        "kind": issue.kind,
        "status": issue.status,
        "status_label": issue.get_status_display(),
        "created_at": _iso(issue.created_at),
        "updated_at": _iso(issue.updated_at),
    }


EVENT_TITLES = {
    "created": "We received your request",
    "status_changed": "Status changed",
    "public_reply": "Reply from our team",
    "customer_reply": "You wrote",
    "eta_revised": "Our estimate changed",
    "public_issue_linked": "Linked to a known issue",
    "public_issue_update": "Update on a known issue",
    "sla_warning": "Still working on it",
    "feedback_follow_up": "We followed up on your feedback",
}


def event_title(event: dict) -> str:
    return EVENT_TITLES.get(event["kind"], "Update")


def local_display(iso: str | None, zone: str) -> str:
    """'Mon 2 Mar, 14:30 CET' in the team's zone; the page's script shows the reader's own."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime("%a %-d %b, %H:%M %Z")
