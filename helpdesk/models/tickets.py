"""Tickets, their messages and their append-only timeline."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from helpdesk.models.sla_policies import Category, Priority
from helpdesk.models.teams import Agent, Contact, Team


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Waiting on customer"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Channel(models.TextChoices):
    WEB = "web", "Web form"
    API = "api", "API"
    WIDGET = "widget", "In-app widget"
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    PHONE = "phone", "Phone"
    SOCIAL = "social", "Social"


class Audience(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    EMPLOYEE = "employee", "Employee"
    CANDIDATE = "candidate", "Candidate"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_public_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


class Ticket(models.Model):
    REFERENCE_PREFIX = "HD-"

    subject = models.CharField(max_length=200)
    description = models.TextField()
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="tickets")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    requester = models.ForeignKey(  # indexed by ticket_requester, which starts with it
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,
    )
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.CUSTOMER)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.API)
    public_token_hash = models.CharField(max_length=64)  # unique: see Meta.constraints
    # Whether the requester gets emailed public updates (toggled from the progress page).
    requester_subscribed = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Bumped by every write; the API's ETag and the admin's collision check compare it.
    version = models.PositiveIntegerField(default=1)

    # The SLA columns below are a cache of replaying the timeline (helpdesk.clocks), kept
    # current by every service that writes an event; they exist to be indexed and sorted on.
    first_response_due = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    next_update_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    resolution_paused = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    sla_breached = models.BooleanField(default=False)
    sla_state = models.JSONField(default=dict, blank=True)
    # The earliest due time among the running clocks: what the queues sort by (most urgent first).
    sla_due = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )

    class Meta:
        # One index per queue, matching its filter and its sort (sla_due, then id), so each
        # queue's first page and its capped count read a few index entries (bench/admin_queue.py).
        # The queues that are not per team end in the team: an agent sees only their teams'
        # tickets, and PostgreSQL checks the team inside the index, so the counts never visit
        # the table.
        #
        # Every write of an indexed column adds an entry to each of these indexes; a write that
        # changes none (a HOT update, with room on the row's page: the fillfactor migration
        # 0013 leaves it) adds none. The SLA sweep's writes are of that kind, which is why the
        # next-check instant has its own table (SlaCheck), and the token hash a constraint (no
        # pattern index beside it).
        constraints = [
            models.UniqueConstraint(fields=["public_token_hash"], name="ticket_public_token_hash")
        ]
        indexes = [
            models.Index(
                fields=["team", "sla_due", "id"],
                name="ticket_team_queue",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["assignee", "sla_due", "id", "team"],
                name="ticket_agent_queue",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["sla_due", "id"],
                name="ticket_open_by_due",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["sla_due", "id", "team"],
                name="ticket_unassigned",
                condition=models.Q(status__in=OPEN_STATUSES, assignee__isnull=True),
            ),
            models.Index(
                fields=["sla_due", "id", "team"],
                name="ticket_breached",
                condition=models.Q(status__in=OPEN_STATUSES, sla_breached=True),
            ),
            models.Index(fields=["status", "sla_due", "id", "team"], name="ticket_by_status"),
            models.Index(fields=["requester", "created_at"], name="ticket_requester"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"{self.REFERENCE_PREFIX}{self.pk:06d}"

    @classmethod
    def pk_from_reference(cls, reference: str) -> int | None:
        number = reference.upper().removeprefix(cls.REFERENCE_PREFIX)
        return int(number) if number.isdigit() and len(number) < 19 else None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class SlaCheck(models.Model):
    """When the SLA sweep must next look at a ticket: the earliest instant at which a running
    clock reaches a warning or a breach not yet recorded. No row when no clock will.

    Its own narrow table, not a column of the ticket: the sweep moves it at every mark it
    records, and moving an indexed column of the ticket would write a new entry into each of
    the ticket's indexes (helpdesk.services.sla_checks keeps it)."""

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="sla_check"
    )
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["at"], name="sla_check_at")]

    def __str__(self) -> str:
        return f"SLA check of {self.ticket_id} at {self.at:%Y-%m-%d %H:%M}"


class Message(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer message"
        PUBLIC_REPLY = "public_reply", "Public reply"
        INTERNAL_NOTE = "internal_note", "Internal note"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}"

    @property
    def is_public(self) -> bool:
        return self.kind in PUBLIC_MESSAGE_KINDS


PUBLIC_MESSAGE_KINDS = (Message.Kind.CUSTOMER, Message.Kind.PUBLIC_REPLY)


def attachment_path(attachment: "Attachment", filename: str) -> str:
    # A random name: the stored path never carries the uploader's file name or the ticket.
    return f"attachments/{timezone.now():%Y/%m}/{secrets.token_urlsafe(16)}"


class Attachment(models.Model):
    """A file sent with a message; served only to those who may see the message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.filename


class TicketEvent(models.Model):
    """One entry of a ticket's append-only timeline; the SLA clocks are replayed from it."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        ASSIGNED = "assigned", "Assigned"
        UNASSIGNED = "unassigned", "Unassigned"
        STATUS_CHANGED = "status_changed", "Status changed"
        PRIORITY_CHANGED = "priority_changed", "Priority changed"
        CATEGORY_CHANGED = "category_changed", "Category changed"
        TEAM_CHANGED = "team_changed", "Team changed"
        PUBLIC_REPLY = "public_reply", "Public reply"
        INTERNAL_NOTE = "internal_note", "Internal note"
        CUSTOMER_REPLY = "customer_reply", "Customer reply"
        SLA_POLICY_APPLIED = "sla_policy_applied", "SLA targets set"
        SLA_STARTED = "sla_started", "SLA clock started"
        SLA_PAUSED = "sla_paused", "SLA clock paused"
        SLA_RESUMED = "sla_resumed", "SLA clock resumed"
        SLA_WARNED = "sla_warned", "SLA warning"
        SLA_BREACHED = "sla_breached", "SLA breached"
        SLA_MET = "sla_met", "SLA met"
        ESCALATED = "escalated", "Escalated"
        PUBLIC_LINK_ROTATED = "public_link_rotated", "Progress link rotated"
        MERGED = "merged", "Merged"

    ticket = models.ForeignKey(  # indexed by event_ticket_timeline, which starts with it
        Ticket, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at", "id"], name="event_ticket_timeline")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("The ticket timeline is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The ticket timeline is append-only.")
