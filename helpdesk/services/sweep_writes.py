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
from django.db import DEFAULT_DB_ALIAS, connections

from helpdesk.clocks import SlaState
from helpdesk.models import Notification, Ticket, TicketEvent, WebhookDelivery, WebhookEndpoint
from helpdesk.reports.services import report_rows_sync_many
from helpdesk.services.notifications import agent_notification_build, agent_notifications_queue
from helpdesk.services.timeline import SLA_COLUMNS, sla_columns, sla_transitions
from helpdesk.services.webhooks import (
    webhook_deliveries_build,
    webhook_deliveries_queue,
    webhook_endpoints_by_team,
)
from statusfeed.services import ticket_public_events

STORED_FIELDS = [*SLA_COLUMNS, "updated_at", "version"]


class SweepWrites:
    def __init__(self, *, endpoints: dict[int, list[WebhookEndpoint]]) -> None:
        self._endpoints = endpoints  # active webhook endpoints by team
        self._events: list[TicketEvent] = []
        self._notifications: list[Notification] = []
        self._deliveries: list[WebhookDelivery] = []
        self._tickets: list[Ticket] = []
        self._report_rows: list[tuple[Ticket, SlaState, list]] = []
        self._public_events: list[tuple[Ticket, str, datetime, str | None]] = []

    def event(self, *, ticket: Ticket, kind: str, at: datetime, data: dict) -> TicketEvent:
        event = TicketEvent(ticket=ticket, kind=kind, at=at, data=data)
        self._events.append(event)
        return event

    def agent_notification(
        self, *, kind: str, ticket: Ticket, user: AbstractBaseUser, context: dict
    ) -> None:
        notification = agent_notification_build(
            kind=kind, ticket=ticket, user=user, context=context
        )
        if notification is not None:
            self._notifications.append(notification)

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
        self._report_rows.append((ticket, state, timeline))

    def public_event(self, *, ticket: Ticket, kind: str, at: datetime, message: str | None) -> None:
        """For the ticket's progress page, with its state as stored by this batch."""
        self._public_events.append((ticket, kind, at, message))

    def flush(self) -> None:
        if self._events:
            TicketEvent.objects.bulk_create(self._events)
        if self._notifications:
            agent_notifications_queue(self._notifications)
        if self._deliveries:
            webhook_deliveries_queue(self._deliveries)
        if self._tickets:
            _tickets_store(self._tickets)
        report_rows_sync_many(self._report_rows)
        if self._public_events:
            ticket_public_events(events=self._public_events)
        self._events, self._notifications, self._deliveries = [], [], []
        self._tickets, self._report_rows, self._public_events = [], [], []


def _tickets_store(tickets: list[Ticket]) -> None:
    """Write the SLA columns of locked tickets: one UPDATE by primary key, sent for all rows
    at once (Django's bulk_update builds a CASE per field and row, far slower here)."""
    connection = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is read per value below
    fields = [Ticket._meta.get_field(name) for name in STORED_FIELDS]
    quote = connection.ops.quote_name
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
