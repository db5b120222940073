"""Report rows that change without `report_rows_sync`: their days must be rolled up again."""

from django.db.models.functions import TruncDate
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone

from helpdesk.models import Agent
from helpdesk.reports.models import TicketOutcome
from helpdesk.reports.rollups import rollup_days_dirty


@receiver(pre_delete, sender=Agent, dispatch_uid="helpdesk.reports.agent_deleted")
def agent_deleted(sender, instance: Agent, **kwargs) -> None:
    """The agent's report rows become unassigned (SET_NULL) in the same delete."""
    day = TruncDate("created_at", tzinfo=timezone.get_default_timezone())
    rollup_days_dirty(
        days=TicketOutcome.objects.filter(agent=instance)
        .annotate(day=day)
        .values_list("day", flat=True)
        .distinct()
    )
