"""The instant the SLA sweep next looks at each ticket (helpdesk.models.SlaCheck).

Written wherever a ticket's SLA state is stored (`ticket_sla_refresh`, the sweep's batches):
the earliest warning or breach not yet recorded, or no row when no running clock will reach
one.
"""

from collections.abc import Mapping
from datetime import datetime

from helpdesk.models import SlaCheck


def sla_checks_set(checks: Mapping[int, datetime | None]) -> None:
    """Set each ticket's (by id) next check instant, or drop it for None: two statements."""
    due = [SlaCheck(ticket_id=pk, at=at) for pk, at in checks.items() if at is not None]
    if due:
        SlaCheck.objects.bulk_create(
            due, update_conflicts=True, unique_fields=["ticket"], update_fields=["at"]
        )
    gone = [pk for pk, at in checks.items() if at is None]
    if gone:
        SlaCheck.objects.filter(ticket_id__in=gone).delete()


def sla_check_of(ticket_id: int) -> datetime | None:
    return SlaCheck.objects.filter(ticket_id=ticket_id).values_list("at", flat=True).first()
