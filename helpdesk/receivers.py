"""Notifications and webhooks for writes other modules make: assignments and public events.

Both are written in the transaction of their change, so the rows these receivers add commit
(or roll back) with it.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from helpdesk.models import Ticket, TicketEvent
from helpdesk.services.notifications import (
    assignment_notify,
    requester_update_queue,
    ticket_id_of_stream,
)
from helpdesk.services.webhooks import webhook_event_queue
from statusfeed.models import PublicEvent


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
    ticket_id = ticket_id_of_stream(instance.stream)
    if not created or raw or ticket_id is None:
        return
    ticket = Ticket.objects.select_related("requester", "team").filter(pk=ticket_id).first()
    if ticket is None:
        return
    requester_update_queue(ticket=ticket, event=instance)
    webhook_event_queue(
        ticket=ticket,
        event=f"ticket.{instance.kind}",
        data=instance.payload,
        at=instance.created_at,
    )
