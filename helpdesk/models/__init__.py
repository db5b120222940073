from helpdesk.models.calendars import Calendar, Holiday
from helpdesk.models.sla_policies import Category, Priority, SlaPolicy
from helpdesk.models.teams import Agent, AssignmentStrategy, Contact, Team
from helpdesk.models.tickets import (
    OPEN_STATUSES,
    Audience,
    Channel,
    Message,
    Status,
    Ticket,
    TicketEvent,
    hash_token,
    new_public_token,
)

__all__ = [
    "OPEN_STATUSES",
    "Agent",
    "AssignmentStrategy",
    "Audience",
    "Calendar",
    "Category",
    "Channel",
    "Contact",
    "Holiday",
    "Message",
    "Priority",
    "SlaPolicy",
    "Status",
    "Team",
    "Ticket",
    "TicketEvent",
    "hash_token",
    "new_public_token",
]
