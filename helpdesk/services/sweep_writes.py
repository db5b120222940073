"""The rows one batch of the SLA sweep writes, collected, then written a statement per kind.

A sweep handles hundreds of tickets per transaction; writing each timeline event, email,
webhook delivery, ticket row and report row as it comes would cost a round trip each.
`SweepWrites` collects them and `flush` writes them in bulk, in an order that leaves every
ticket's timeline as writing them one by one would have. A step that must write at once (a
priority raise, a move to another team, a holding update) flushes first, so its rows come
after what the ticket already recorded.

Timeline events written here send no post_save: only kinds no receiver listens to go through
it (marks, escalation steps, clock transitions). Public events go through
`statusfeed.outbox.public_events_record`, whose signal the receivers handle.
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from helpdesk.bulk import jsonb as _jsonb
from helpdesk.bulk import rows_insert
from helpdesk.clocks import Mark, SlaState, advance_data
from helpdesk.models import SlaCheck, Ticket, TicketEvent, WebhookDelivery, WebhookEndpoint
from helpdesk.reports.models import SlaMeasure, TicketOutcome
from helpdesk.reports.rollups import local_day, rollup_days_dirty
from helpdesk.reports.services import report_grouping, report_rows_sync_many
from helpdesk.services.notifications import agent_notification_row, agent_notifications_queue
from helpdesk.services.sla_checks import sla_checks_set
from helpdesk.services.timeline import SLA_COLUMNS, TimelineEntry, sla_columns, sla_transitions
from helpdesk.services.webhooks import (
    webhook_deliveries_build,
    webhook_deliveries_queue,
    webhook_endpoints_by_team,
)
from helpdesk.sla import BusinessCalendar
from statusfeed.services import ticket_public_events

STORED_FIELDS = [*SLA_COLUMNS, "updated_at", "version"]
STOPPED = ("met", "missed")


class SweepWrites:
    def __init__(self, *, endpoints: dict[int, list[WebhookEndpoint]]) -> None:
        self._endpoints = endpoints  # active webhook endpoints by team
        self._events: list[dict] = []
        self._notifications: list[dict] = []
        self._deliveries: list[WebhookDelivery] = []
        self._tickets: list[Ticket] = []
        self._report_rows: list[tuple[Ticket, SlaState, list]] = []
        self._public_events: list[tuple[Ticket, str, datetime, str | None]] = []
        self._breaches: list[tuple[Ticket, list[tuple[str, dict]]]] = []
        self._checks: dict[int, datetime | None] = {}  # each stored ticket's next check

    def event(self, *, ticket: Ticket, kind: str, at: datetime, data: dict) -> TimelineEntry:
        self._events.append(
            {"ticket_id": ticket.pk, "kind": kind, "at": at, "data": data, "actor_id": None}
        )
        return TimelineEntry(at, kind, data, None)

    def agent_notification(
        self, *, kind: str, ticket: Ticket, user: AbstractBaseUser, context: dict
    ) -> None:
        row = agent_notification_row(kind=kind, ticket=ticket, user=user, context=context)
        if row is not None:
            self._notifications.append(row)

    def webhook(self, *, ticket: Ticket, event: str, data: dict, at: datetime) -> None:
        """Deliveries of `event` with the ticket as it stands now, to its team's endpoints."""
        if ticket.team_id not in self._endpoints:  # moved to a team outside the batch
            self._endpoints.update(webhook_endpoints_by_team([ticket.team_id]))
        self._deliveries.extend(
            webhook_deliveries_build(
                ticket=ticket,
                event=event,
                data=data,
                at=at,
                endpoints=self._endpoints[ticket.team_id],
            )
        )

    def sla_store(self, *, ticket: Ticket, state: SlaState, timeline: list, now: datetime) -> None:
        """`ticket_sla_refresh` for an already replayed `state`: clock transitions into the
        timeline, the SLA columns onto the ticket, and its report rows."""
        for kind, data in sla_transitions(stored=ticket.sla_state, state=state):
            timeline.append(self.event(ticket=ticket, kind=kind, at=now, data=data))
        for column, value in sla_columns(state).items():
            setattr(ticket, column, value)
        ticket.updated_at = now
        ticket.version += 1
        self._tickets.append(ticket)
        self._checks[ticket.pk] = state.next_check_at
        self._report_rows.append((ticket, state, timeline))

    def marks_store(
        self,
        *,
        ticket: Ticket,
        marks: list[Mark],
        fired: set[tuple[str, int, int]],
        calendar: BusinessCalendar,
        now: datetime,
    ) -> None:
        """`sla_store` without a replay, for a ticket nothing happened to since its state was
        stored but time and the `marks` just recorded: the clocks move on to `now`, the marks
        leave the pending ones, the fired steps join the escalated ones, and the report rows
        change as a replay's would (a clock past its target counts as missed while running).
        """
        state = advance_data(ticket.sla_state, status=ticket.status, calendar=calendar, now=now)
        recorded = {mark.key for mark in marks}
        pending = [p for p in state["pending"] if (p[0], p[1], p[2]) not in recorded]
        state["pending"] = pending
        state["escalated"] = sorted([list(key) for key in fired], key=str)
        breaches = any(mark.is_breach for mark in marks)
        missed = missed_while_running(state["clocks"])
        ticket.sla_state = state
        ticket.sla_breached = ticket.sla_breached or breaches or bool(missed)
        ticket.updated_at = now
        ticket.version += 1
        self._tickets.append(ticket)
        self._checks[ticket.pk] = datetime.fromisoformat(pending[0][3]) if pending else None
        if breaches:
            self._breaches.append((ticket, missed))

    def public_event(self, *, ticket: Ticket, kind: str, at: datetime, message: str | None) -> None:
        """For the ticket's progress page, with its state as stored by this batch."""
        self._public_events.append((ticket, kind, at, message))

    def flush(self) -> None:
        if self._events:
            rows_insert(TicketEvent, self._events)
        if self._notifications:
            agent_notifications_queue(self._notifications)
        if self._deliveries:
            webhook_deliveries_queue(self._deliveries)
        if self._tickets:
            _tickets_store(self._tickets, self._checks)
        report_rows_sync_many(self._report_rows)
        if self._breaches:
            _report_breaches_store(self._breaches)
        if self._public_events:
            ticket_public_events(events=self._public_events)
        self._events, self._notifications, self._deliveries = [], [], []
        self._tickets, self._report_rows, self._public_events = [], [], []
        self._breaches, self._checks = [], {}


def _tickets_store(tickets: list[Ticket], checks: dict[int, datetime | None]) -> None:
    """Write the SLA columns of locked tickets and their next `checks` (PostgreSQL: in one
    statement, from rows COPY puts in a temporary table; elsewhere an UPDATE by primary key
    per ticket, sent at once). Django's bulk_update builds a CASE per field and row, far
    slower here."""
    tickets = list({ticket.pk: ticket for ticket in tickets}.values())  # once each
    fields = [Ticket._meta.get_field(name) for name in STORED_FIELDS]
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        _tickets_copy_update(tickets, fields, checks)
        return
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(Ticket._meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(Ticket._meta.pk.column),
    )
    rows = [
        [*(f.get_db_prep_save(getattr(t, f.attname), connection) for f in fields), t.pk]
        for t in tickets
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    sla_checks_set(checks)


def _tickets_copy_update(
    tickets: list[Ticket], fields: list, checks: dict[int, datetime | None]
) -> None:
    quote = connection.ops.quote_name
    table, pk = quote(Ticket._meta.db_table), quote(Ticket._meta.pk.column)
    check_table = quote(SlaCheck._meta.db_table)
    columns = [quote(f.column) for f in fields]
    with connection.cursor() as cursor:
        # Per session, emptied at each commit (and below, for a second flush in one batch).
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS sweep_ticket_rows ON COMMIT DELETE ROWS "
            f"AS SELECT {pk}, {', '.join(columns)}, NULL::timestamptz AS check_at "
            f"FROM {table} WITH NO DATA"
        )
        copy_sql = f"COPY sweep_ticket_rows ({pk}, {', '.join(columns)}, check_at) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for ticket in tickets:
                values = [getattr(ticket, f.attname) for f in fields]
                copy.write_row(
                    [
                        ticket.pk,
                        *(_jsonb(v) if isinstance(v, dict) else v for v in values),
                        checks[ticket.pk],
                    ]
                )
        assignments = ", ".join(f"{c} = s.{c}" for c in columns)
        # Data-modifying CTEs on three tables, one round trip: the ticket columns, the next
        # checks set, and the checks of tickets no running clock will mark dropped.
        cursor.execute(
            f"WITH tickets AS ("
            f"  UPDATE {table} t SET {assignments} FROM sweep_ticket_rows s WHERE t.{pk} = s.{pk}"
            f"), checks AS ("
            f"  INSERT INTO {check_table} (ticket_id, at)"
            f"  SELECT {pk}, check_at FROM sweep_ticket_rows WHERE check_at IS NOT NULL"
            f"  ON CONFLICT (ticket_id) DO UPDATE SET at = EXCLUDED.at"
            f") DELETE FROM {check_table} c USING sweep_ticket_rows s"
            f"  WHERE c.ticket_id = s.{pk} AND s.check_at IS NULL"
        )
        cursor.execute("TRUNCATE sweep_ticket_rows")


def missed_while_running(clocks: dict[str, dict]) -> list[tuple[str, dict]]:
    """The stored clocks a report counts as missed while still running
    (helpdesk.reports.outcomes: not stopped, or for updates the running cycle, and past the
    target)."""
    return [
        (name, clock)
        for name, clock in clocks.items()
        if clock["breached"]
        and (clock["state"] == "running" if name == "update" else clock["state"] not in STOPPED)
    ]


def _report_breaches_store(breaches: list[tuple[Ticket, list[tuple[str, dict]]]]) -> None:
    """The report rows a breach changes, as `report_rows_sync` writes them after a replay:
    the open ticket's outcome counts as breached, and each clock past its target while
    running gets its "missed while running" measure (kept if it has one)."""
    tickets = [ticket for ticket, _ in breaches]
    kept = set(
        SlaMeasure.objects.filter(ticket__in=tickets).values_list("ticket_id", "clock", "cycle")
    )
    rows = []
    for ticket, missed in breaches:
        grouping = report_grouping(ticket)
        for name, clock in missed:
            cycle = clock["cycle"] if name == "update" else 0
            if (ticket.pk, name, cycle) not in kept:
                rows.append(
                    {
                        "ticket_id": ticket.pk,
                        "clock": name,
                        "cycle": cycle,
                        "met": False,
                        "ended_by": "",
                        "target_seconds": clock["target"],
                        "business_seconds": None,
                        "paused_seconds": 0,
                        "missed_by_seconds": None,
                        "breached_at": datetime.fromisoformat(clock["due_at"]),
                        "stopped_at": None,
                        **grouping,
                    }
                )
    rows_insert(SlaMeasure, rows)  # the tickets are locked: nobody adds theirs meanwhile
    still_open = [ticket.pk for ticket in tickets if ticket.is_open]
    TicketOutcome.objects.filter(ticket_id__in=still_open, breached=False).update(breached=True)
    rollup_days_dirty(days={local_day(ticket.created_at) for ticket in tickets})
