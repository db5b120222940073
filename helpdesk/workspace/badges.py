"""How an SLA clock looks in a queue row and on the ticket page: colour, remaining, missed by."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from helpdesk.clocks import ALWAYS_OPEN
from helpdesk.models import Ticket
from helpdesk.workspace.queues import BREACHING_SOON

CLOCK_LABELS = {
    "first_response": "First response",
    "update": "Next update",
    "resolution": "Resolution",
}


@dataclass(frozen=True)
class Badge:
    clock: str
    label: str
    tone: str  # ok | warning | breached | paused | met
    text: str
    due: datetime | None


def duration_text(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def ticket_badges(ticket: Ticket, *, now: datetime) -> list[Badge]:
    """One badge per clock that matters now, from the ticket's stored SLA state (no queries)."""
    team_calendar = ticket.team.calendar.business_calendar()
    clocks = (ticket.sla_state or {}).get("clocks", {})
    badges = []
    for name, label in CLOCK_LABELS.items():
        clock = clocks.get(name)
        if not clock:
            continue
        state = clock.get("state")
        calendar = ALWAYS_OPEN if clock.get("always_open") else team_calendar
        due = datetime.fromisoformat(clock["due_at"]) if clock.get("due_at") else None
        if state == "paused":
            badges.append(Badge(name, label, "paused", "paused", due))
        elif state == "running" and due is not None:
            if due <= now:
                missed = calendar.elapsed(due, now)
                badges.append(
                    Badge(name, label, "breached", f"missed by {duration_text(missed)}", due)
                )
            else:
                left = calendar.elapsed(now, due)
                target = timedelta(seconds=clock.get("target") or 0)
                # Amber from the first warning threshold on (75% of the target used), or
                # when the due time is close enough for the "Breaching soon" queue.
                warn = target * (1 - min(settings.SLA_WARNING_THRESHOLDS, default=0.75))
                tone = "warning" if left <= warn or due - now <= BREACHING_SOON else "ok"
                badges.append(Badge(name, label, tone, f"{duration_text(left)} left", due))
        elif state == "missed" and clock.get("missed_by"):
            missed = timedelta(seconds=clock["missed_by"])
            badges.append(Badge(name, label, "breached", f"missed by {duration_text(missed)}", due))
    return badges
