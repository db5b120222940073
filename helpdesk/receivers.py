"""Notifications and webhooks for writes other modules make: assignments and public events.

Both are written in the transaction of their change, so the rows these receivers add commit
(or roll back) with it.
"""

from collections.abc import Mapping

from django.db.models.signals import post_save
from django.dispatch import receiver

from helpdesk.models import Ticket, TicketEvent
from helpdesk.services.notifications import (
    assignment_notify,
    requester_updates_queue,
    ticket_id_of_stream,
)
from helpdesk.services.webhooks import webhook_event_queue, webhook_events_queue
from statusfeed.models import PublicEvent
from statusfeed.outbox import public_events_recorded


@receiver(post_save, sender=TicketEvent, dispatch_uid="helpdesk.assigned")
def ticket_event_written(sender, instance: TicketEvent, created: bool, raw: bool, **kwargs):
    if not created or raw or instance.kind != TicketEvent.Kind.ASSIGNED:
        return
    assignment_notify(event=instance)
    webhook_event_queue(
        ticket=instance.ticket, event="ticket.assigned", data=instance.data, at=instance.at
    )


@receiver(post_save, sender=PublicEvent, dispatch_uid="helpdesk.public_event")
def public_event_written(sender, instance: PublicEvent, created: bool, raw: bool, **kwargs):
    if created and not raw:
        public_events_notify([instance])


@receiver(public_events_recorded, dispatch_uid="helpdesk.public_events")
def public_events_written(sender, events: list[PublicEvent], subjects: Mapping, **kwargs):
    public_events_notify(events, loaded=subjects)


def public_events_notify(
    events: list[PublicEvent], loaded: Mapping[str, object] | None = None
) -> None:
    """Requesters' email batches and the team's webhooks for public events of tickets (read
    with requester and team unless `loaded`, by stream, already holds them; the requesters
    of loaded tickets are read by requester_updates_queue, once for all)."""
    ticket_ids = {ticket_id_of_stream(event.stream) for event in events} - {None}
    if not ticket_ids:
        return
    known = (loaded or {}).values()
    tickets = {ticket.pk: ticket for ticket in known if isinstance(ticket, Ticket)}
    if unread := ticket_ids - tickets.keys():
        tickets |= (
            Ticket.objects.select_related("requester", "team")
            .defer("description", "sla_state")  # large, and neither emails nor webhooks need them
            .in_bulk(unread)
        )
    of_tickets = [
        (tickets[ticket_id], event)
        for event in events
        if (ticket_id := ticket_id_of_stream(event.stream)) in tickets
    ]
    requester_updates_queue(of_tickets)
    webhook_events_queue(
        [
            (ticket, f"ticket.{event.kind}", event.payload, event.created_at)
            for ticket, event in of_tickets
        ]
    )
