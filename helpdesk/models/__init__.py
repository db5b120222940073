from helpdesk.models.calendars import Calendar, Holiday
from helpdesk.models.escalation import EscalationPolicy, EscalationStep
from helpdesk.models.macros import Macro
from helpdesk.models.notifications import (
    DeliveryStatus,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)
from helpdesk.models.sla_policies import Category, Priority, SlaPolicy
from helpdesk.models.teams import Agent, AssignmentStrategy, Contact, Team
from helpdesk.models.tickets import (
    OPEN_STATUSES,
    PUBLIC_MESSAGE_KINDS,
    Attachment,
    Audience,
    Channel,
    Message,
    SlaCheck,
    Status,
    Ticket,
    TicketEvent,
    hash_token,
    new_public_token,
)
from helpdesk.reports import models as report_models  # noqa: F401  (the reports' rows)

__all__ = [
    "OPEN_STATUSES",
    "PUBLIC_MESSAGE_KINDS",
    "Agent",
    "AssignmentStrategy",
    "Attachment",
    "Audience",
    "Calendar",
    "Category",
    "Channel",
    "Contact",
    "DeliveryStatus",
    "EscalationPolicy",
    "EscalationStep",
    "Holiday",
    "Macro",
    "Message",
    "Notification",
    "Priority",
    "SlaCheck",
    "SlaPolicy",
    "Status",
    "Team",
    "Ticket",
    "TicketEvent",
    "WebhookDelivery",
    "WebhookEndpoint",
    "hash_token",
    "new_public_token",
]
