"""A resolved ticket schedules its survey, and a reopened one withdraws it, in the
transaction that changes the ticket's status."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from feedback.surveys.services import ticket_survey_schedule, ticket_survey_withdraw
from helpdesk.models import OPEN_STATUSES, Status, TicketEvent


@receiver(post_save, sender=TicketEvent, dispatch_uid="feedback.surveys.status_changed")
def ticket_status_changed(
    sender, instance: TicketEvent, created: bool, raw: bool = False, **kwargs
):
    if not created or raw or instance.kind != TicketEvent.Kind.STATUS_CHANGED:
        return
    if instance.data.get("to") == Status.RESOLVED:
        ticket_survey_schedule(ticket=instance.ticket, resolved_at=instance.at)
    elif instance.data.get("from") == Status.RESOLVED and instance.data.get("to") in OPEN_STATUSES:
        ticket_survey_withdraw(ticket=instance.ticket)
