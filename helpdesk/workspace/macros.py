"""Canned replies: the ones a ticket's team may use, filled in from the ticket."""

import string

from django.db.models import Q, QuerySet

from helpdesk.models import Macro, Ticket

PLACEHOLDERS = (
    "requester_name",
    "reference",
    "subject",
    "agent_name",
    "team",
    "next_update_due",
    "resolution_due",
)


def macros_for(ticket: Ticket) -> QuerySet[Macro]:
    return Macro.objects.filter(Q(team=ticket.team_id) | Q(team__isnull=True)).order_by("name")


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown placeholder stays visible for the agent to fix


def macro_render(macro: Macro, *, ticket: Ticket, agent_name: str, zone_format) -> str:
    """The macro's text with its placeholders filled; braces that are no placeholder stay."""
    requester = ticket.requester
    values = _Values(
        requester_name=(requester.name or "there") if requester else "there",
        reference=ticket.reference,
        subject=ticket.subject,
        agent_name=agent_name,
        team=ticket.team.name,
        next_update_due=zone_format(ticket.next_update_due) or "soon",
        resolution_due=zone_format(ticket.resolution_due) or "soon",
    )
    parts = []
    for literal, field, _spec, _conversion in string.Formatter().parse(macro.body):
        parts.append(literal)
        if field is None:
            continue
        if field in PLACEHOLDERS:
            parts.append(values[field])
        else:
            parts.append("{" + field + "}")
    return "".join(parts)
