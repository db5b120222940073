"""Core records: teams and their calendars, agents, requesters, tickets and their timeline."""

import hashlib
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from helpdesk.sla import BusinessCalendar, holidays_for


def default_weekly() -> dict:
    return {str(day): [[540, 1020]] for day in range(5)}


class Calendar(models.Model):
    """Business hours of a team: weekly windows in an IANA zone, public and custom holidays."""

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    # {"0": [[540, 1020]], ...}: weekday (0=Monday) -> windows in minutes after local midnight.
    weekly = models.JSONField(default=default_weekly)
    holiday_country = models.CharField(
        max_length=8, blank=True, help_text="ISO country code whose public holidays apply."
    )
    holiday_subdivision = models.CharField(max_length=16, blank=True)
    # Bumped by every change to the calendar or its holidays; part of the cache key.
    version = models.PositiveIntegerField(default=1, editable=False)

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.pk:
            self.version += 1
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            weekly = {int(day): [tuple(w) for w in windows] for day, windows in self.weekly.items()}
            BusinessCalendar(timezone=self.timezone, weekly=weekly, holidays=[])
            if self.holiday_country:
                holidays_for(
                    self.holiday_country, [date.today().year], self.holiday_subdivision or None
                )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ValidationError(f"Invalid calendar: {exc}") from exc

    def business_calendar(self) -> BusinessCalendar:
        return _business_calendar(
            self.pk,
            self.version,
            self.timezone,
            tuple(
                (int(day), tuple(tuple(w) for w in windows)) for day, windows in self.weekly.items()
            ),
            self.holiday_country,
            self.holiday_subdivision,
        )


_calendar_cache: dict[tuple, BusinessCalendar] = {}


def _business_calendar(pk, version, tz, weekly, country, subdivision) -> BusinessCalendar:
    """Build (once per calendar version) the pure calendar the SLA clocks run on."""
    key = (pk, version, tz, weekly, country, subdivision)
    if key not in _calendar_cache:
        custom = set(
            Holiday.objects.filter(calendar_id=pk).values_list("date", flat=True) if pk else []
        )
        if country:
            this_year = date.today().year
            custom.update(
                holidays_for(country, range(this_year - 2, this_year + 4), subdivision or None)
            )
        _calendar_cache[key] = BusinessCalendar(
            timezone=tz,
            weekly={day: [tuple(w) for w in windows] for day, windows in weekly},
            holidays=sorted(custom),
        )
    return _calendar_cache[key]


class Holiday(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_calendar")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self._bump_calendar()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._bump_calendar()
        return result

    def _bump_calendar(self) -> None:
        # A new calendar version, so cached business calendars see the change.
        Calendar.objects.filter(pk=self.calendar_id).update(version=models.F("version") + 1)


class AssignmentStrategy(models.TextChoices):
    LEAST_LOADED = "least_loaded", "Least loaded"
    ROUND_ROBIN = "round_robin", "Round robin"
    MANUAL = "manual", "Manual only"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="teams")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    assignment_strategy = models.CharField(
        max_length=20, choices=AssignmentStrategy.choices, default=AssignmentStrategy.LEAST_LOADED
    )
    # Round robin continues after the agent who got the previous ticket.
    last_assigned_agent = models.ForeignKey(
        "Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.name


class Agent(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent"
    )
    teams = models.ManyToManyField(Team, related_name="agents", blank=True)
    capacity = models.PositiveIntegerField(
        default=20, help_text="Most open tickets auto-assignment gives this agent."
    )
    is_available = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Contact(models.Model):
    """Someone who asks for help: a customer, an employee or a candidate."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name or self.email


class Priority(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


class Category(models.Model):
    """A kind of feedback, with the team that owns it and the tier it starts at."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="categories")
    default_priority = models.CharField(
        max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Targets for one tier, optionally narrowed to a category or a customer.

    The most specific policy that sets a target wins: customer, then category (each for the
    tier before all tiers), then the tier's base policy, which must set every target. Each
    edit bumps `version` and is re-applied to open tickets, whose clocks are then recomputed
    from their own timeline.
    """

    priority = models.CharField(
        max_length=10,
        choices=Priority.choices,
        blank=True,
        help_text="Blank on a category or customer policy: it applies to every tier.",
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies"
    )
    first_response = models.DurationField(null=True, blank=True)
    first_response_24x7 = models.BooleanField(default=False)
    update_interval = models.DurationField(null=True, blank=True)
    update_24x7 = models.BooleanField(default=False)
    resolution = models.DurationField(null=True, blank=True)
    resolution_24x7 = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "category", "contact"],
                nulls_distinct=False,
                name="one_sla_policy_per_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(category__isnull=True) | models.Q(contact__isnull=True),
                name="sla_policy_has_one_scope",
            ),
        ]

    def __str__(self) -> str:
        scope = self.contact or self.category or "base"
        return f"{self.get_priority_display() or 'Any tier'} / {scope} (v{self.version})"

    @property
    def is_base(self) -> bool:
        return self.category_id is None and self.contact_id is None

    def clean(self) -> None:
        if self.category_id and self.contact_id:
            raise ValidationError("A policy narrows to a category or to a customer, not both.")
        if self.is_base and not self.priority:
            raise ValidationError(
                {"priority": "A base policy (no category, no customer) needs a tier."}
            )
        missing = [
            name
            for name in ("first_response", "update_interval", "resolution")
            if getattr(self, name) is None
        ]
        if self.is_base and missing:
            raise ValidationError(
                {name: "A tier's base policy must set every target." for name in missing}
            )
        for name in ("first_response", "update_interval", "resolution"):
            value = getattr(self, name)
            if value is not None and value <= timedelta(0):
                raise ValidationError({name: "Targets must be longer than zero."})


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
    requester = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.CUSTOMER)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.API)
    public_token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    # The SLA columns below are a cache of replaying the timeline (helpdesk.clocks), kept
    # current by every service that writes an event; they exist to be indexed and sorted on.
    first_response_due = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    next_update_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    resolution_paused = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    sla_breached = models.BooleanField(default=False)
    # Earliest instant at which a running clock reaches a warning or a breach not yet recorded.
    sla_next_check_at = models.DateTimeField(null=True, blank=True)
    sla_state = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["sla_next_check_at"], name="ticket_sla_next_check"),
            models.Index(fields=["team", "status", "resolution_due"], name="ticket_team_queue"),
            models.Index(
                fields=["assignee", "status", "resolution_due"], name="ticket_agent_queue"
            ),
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
        return self.kind != self.Kind.INTERNAL_NOTE


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

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
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
