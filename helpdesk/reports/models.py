"""What the managers' reports aggregate: each ticket's SLA outcomes, kept as narrow rows,
and their daily rollups.

The report rows are a cache of the timeline (like the SLA columns on a ticket), rewritten by
`helpdesk.reports.services.report_rows_sync` whenever `ticket_sla_refresh` runs. They exist so
that the report is a handful of aggregates over small, indexed tables and never replays a
ticket (business time cannot be computed in SQL). Every row carries the ticket's creation
time and grouping fields, so no report query joins the ticket table.

The rollups count the same rows per local day of creation (`helpdesk.reports.rollups`), so a
report over a year adds up a few hundred rows per group instead of millions of targets. A day
whose report rows changed since its rollup was computed is listed in `ReportDirtyDay`, and
reports read that day's report rows instead: a report never shows a stale rollup.
"""

from django.conf import settings
from django.db import models

from helpdesk.models.sla_policies import Category, Priority
from helpdesk.models.teams import Agent, Team
from helpdesk.models.tickets import Audience, Channel, Ticket
from helpdesk.reports.buckets import BUCKET_FIELDS
from helpdesk.reports.columns import MISSED_BY


class ReportGrouping(models.Model):
    """The fields a report filters and groups on, copied from the ticket as it is now."""

    created_at = models.DateTimeField()
    # No single-column indexes: reports scan by creation time and group in memory.
    team = models.ForeignKey(Team, on_delete=models.PROTECT, db_index=False, related_name="+")
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, db_index=False, related_name="+"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices)
    agent = models.ForeignKey(
        Agent, null=True, on_delete=models.SET_NULL, db_index=False, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    audience = models.CharField(max_length=10, choices=Audience.choices)

    class Meta:
        abstract = True


class TicketOutcome(ReportGrouping):
    """One row per ticket: where it stands now, for backlog, FCR and reopen rates."""

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="report_outcome"
    )
    is_open = models.BooleanField()
    # An open ticket with any target missed: a breach the customer is still living with.
    breached = models.BooleanField()
    was_resolved = models.BooleanField(help_text="Resolved or closed at least once.")
    reopened = models.BooleanField(help_text="Went back to work after being resolved.")
    # Resolved now, never reopened, after exactly one public agent reply.
    first_contact_resolution = models.BooleanField()

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="outcome_created")]

    def __str__(self) -> str:
        return f"Outcome of {self.ticket_id}"


class SlaMeasure(ReportGrouping):
    """One SLA target whose outcome is known: met, or missed (possibly still running).

    first_response and resolution have one target per ticket (cycle 0); the public update
    cadence has one per cycle. A target is met only once its clock stopped within it; it is
    missed as soon as its clock passes the target, before it stops.
    """

    class Clock(models.TextChoices):
        FIRST_RESPONSE = "first_response", "First response"
        UPDATE = "update", "Public update"
        RESOLUTION = "resolution", "Resolution"

    class EndedBy(models.TextChoices):
        RUNNING = "", "Still running"
        REPLY = "reply", "Public agent reply"
        RESOLUTION = "resolution", "Resolution"
        SUSPENSION = "suspension", "Waiting on the customer or resolved"

    # Indexed by the unique constraint below, which leads with the ticket.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, db_index=False, related_name="sla_measures"
    )
    clock = models.CharField(max_length=20, choices=Clock.choices)
    cycle = models.PositiveIntegerField(default=0)
    met = models.BooleanField()
    ended_by = models.CharField(max_length=12, choices=EndedBy.choices, blank=True)
    target_seconds = models.PositiveIntegerField()
    # Business time the clock ran, when it stopped; NULL while a missed target still runs.
    business_seconds = models.PositiveIntegerField(null=True)
    # Business time the resolution clock was paused before it stopped.
    paused_seconds = models.PositiveIntegerField(default=0)
    missed_by_seconds = models.PositiveIntegerField(null=True)
    breached_at = models.DateTimeField(null=True, help_text="When the target was passed.")
    stopped_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "clock", "cycle"], name="sla_measure_once_per_cycle"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="sla_measure_created")]

    def __str__(self) -> str:
        return f"{self.get_clock_display()} #{self.cycle} of {self.ticket_id}"


class SlaPause(models.Model):
    """An agent put the ticket on "waiting on the customer", stopping the resolution clock."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_pauses")
    created_at = models.DateTimeField(help_text="The ticket's creation, the report's cohort key.")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        db_index=False,
        related_name="+",
    )
    # Wall-clock seconds since the customer's latest reply; NULL if they had not replied.
    after_customer_reply_seconds = models.PositiveIntegerField(null=True)
    # 1 for the ticket's first pause, 2 for its second...: repeats show without a subquery.
    ordinal = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="sla_pause_created")]

    def __str__(self) -> str:
        return f"Pause of {self.ticket_id} at {self.at:%Y-%m-%d %H:%M}"


class SlaReport(SlaMeasure):
    """The admin's handle on the report page (a model admin needs a model to hang on)."""

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "SLA compliance report"


# The pseudo-clock of the rollups: the first response targets a public reply stopped, whose
# business times give the first public update percentiles.
FIRST_UPDATE = "first_update"


class RollupDimension(models.TextChoices):
    TEAM = "team", "Team"
    CATEGORY = "category", "Category"
    PRIORITY = "priority", "Priority"
    AGENT = "agent", "Agent"
    CHANNEL = "channel", "Channel"
    ALL = "all", "All tickets"  # one group ("" key): for the weeks, from its days


class Rollup(models.Model):
    """Counts of the report rows of the tickets created on one local day (`TIME_ZONE`), or in
    one month: the sum of its days' rows, so a year adds up a dozen rows per group."""

    day = models.DateField(help_text="The day, or the first day of the month.")
    whole_month = models.BooleanField(default=False)
    # One of the audiences, or "" for all of them together (what a report without an
    # audience filter reads: a third of the rows to add up).
    audience = models.CharField(max_length=10, blank=True)

    class Meta:
        abstract = True


class GroupRollup(Rollup):
    dimension = models.CharField(max_length=10, choices=RollupDimension.choices)
    # The group in that dimension: a team, category or agent id, a priority or channel
    # value; "" for no agent and for the dimension "all".
    group_key = models.CharField(max_length=20, blank=True)

    class Meta:
        abstract = True


class SlaRollup(GroupRollup):
    """The decided SLA targets of a day's (or month's) tickets in one group, per clock: the
    counts the report adds up, and how many took each bucket of business time
    (`helpdesk.reports.buckets`; fields b00, b01, … one per bucket, added below)."""

    clock = models.CharField(max_length=20)  # SlaMeasure.Clock or FIRST_UPDATE
    n = models.IntegerField(default=0)
    n_met = models.IntegerField(default=0)
    by_reply = models.IntegerField(default=0)
    by_reply_met = models.IntegerField(default=0)
    paused_total = models.BigIntegerField(default=0)
    paused_tickets = models.IntegerField(default=0)
    missed_running = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "audience", "day", "whole_month", "group_key", "clock"],
                name="sla_rollup_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.clock} of {self.dimension} {self.group_key!r} on {self.day}"


for _key, _ in MISSED_BY:
    SlaRollup.add_to_class(f"missed_by_{_key}", models.IntegerField(default=0))
for _name in BUCKET_FIELDS:
    SlaRollup.add_to_class(_name, models.IntegerField(default=0))


class TicketRollup(GroupRollup):
    """A day's (or month's) tickets in one group, as they stand now."""

    tickets = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    breaches_open = models.IntegerField(default=0)
    ever_resolved = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    fcr = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "audience", "day", "whole_month", "group_key"],
                name="ticket_rollup_once",
            )
        ]

    def __str__(self) -> str:
        return f"Tickets of {self.dimension} {self.group_key!r} on {self.day}"


class BreachRollup(Rollup):
    """Missed targets of a day's (or month's) tickets by the local weekday and hour they
    were missed."""

    weekday = models.PositiveSmallIntegerField()  # ISO: 1 is Monday
    hour = models.PositiveSmallIntegerField()
    breaches = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["audience", "day", "whole_month", "weekday", "hour"],
                name="breach_rollup_once",
            )
        ]

    def __str__(self) -> str:
        return f"Breaches of {self.day} at {self.weekday}/{self.hour}"


class ReportDirtyDay(models.Model):
    """A local day of creation whose report rows changed after its rollups were computed.

    Appended by every change (plain inserts, no unique key: concurrent writers never wait on
    a shared row); deleted by the refresh that recomputes the day."""

    day = models.DateField(db_index=True)

    def __str__(self) -> str:
        return f"{self.day} to roll up"


class ReportRollupState(models.Model):
    """The one row saying which time zone the rollups' days are in. The refresh locks it, so
    refreshes run one at a time; reports use the rollups only in that zone."""

    time_zone = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"Rollups in {self.time_zone}"
