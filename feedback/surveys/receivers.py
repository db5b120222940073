"""A resolved ticket schedules its survey, in the transaction that resolves it."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from feedback.surveys.services import ticket_survey_schedule
from helpdesk.models import Status, TicketEvent


@receiver(post_save, sender=TicketEvent, dispatch_uid="feedback.surveys.ticket_resolved")
def ticket_resolved(sender, instance: TicketEvent, created: bool, raw: bool = False, **kwargs):
    if (
        created
        and not raw
        and instance.kind == TicketEvent.Kind.STATUS_CHANGED
        and instance.data.get("to") == Status.RESOLVED
    ):
        ticket_survey_schedule(ticket=instance.ticket, resolved_at=instance.at)
