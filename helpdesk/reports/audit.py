"""The gaming audit: pauses made soon after the customer wrote, and pauses that repeat."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Min, Q, QuerySet

from helpdesk.models import Ticket
from helpdesk.reports.models import SlaPause
from helpdesk.reports.query import ReportQuery, analytic_session

MINUTE = 60


@dataclass
class AgentAudit:
    actor_id: int | None
    label: str
    pauses: int
    quick_pauses: int
    repeat_pauses: int
    tickets: int
    flagged_tickets: int


@dataclass
class TicketAudit:
    ticket_id: int
    reference: str
    actor_id: int | None
    label: str
    pauses: int
    quick_pauses: int
    quickest_seconds: int | None
    most_pauses: int


@dataclass
class GamingAudit:
    within_minutes: int
    repeats: int
    agents: list[AgentAudit]
    tickets: list[TicketAudit]
    tickets_flagged: int


def _user_labels(ids) -> dict[int | None, str]:
    users = get_user_model().objects.filter(pk__in=[i for i in ids if i is not None])
    return {None: "(system)", **{u.pk: u.get_full_name() or u.get_username() for u in users}}


def gaming_audit(
    query: ReportQuery, *, within_minutes: int, repeats: int, limit: int = 100
) -> GamingAudit:
    """Pauses made soon after the customer wrote, and tickets paused again and again."""
    pauses: QuerySet[SlaPause] = SlaPause.objects.filter(query.period())
    if query.audience:
        pauses = pauses.filter(ticket__report_outcome__audience=query.audience)
    quick = Q(after_customer_reply_seconds__lte=within_minutes * MINUTE)
    repeat = Q(ordinal__gte=repeats)
    per_agent = (
        pauses.values("actor")
        .annotate(
            pauses=Count("pk"),
            quick_pauses=Count("pk", filter=quick),
            repeat_pauses=Count("pk", filter=repeat),
            tickets=Count("ticket", distinct=True),
            flagged_tickets=Count("ticket", distinct=True, filter=quick | repeat),
        )
        .order_by()
    )
    per_ticket = (
        pauses.values("actor", "ticket")
        .annotate(
            pauses=Count("pk"),
            quick_pauses=Count("pk", filter=quick),
            quickest=Min("after_customer_reply_seconds", filter=quick),
            most=Max("ordinal"),
        )
        .filter(Q(quick_pauses__gt=0) | Q(most__gte=repeats))
    )
    with analytic_session():
        flagged = list(per_ticket.order_by("-quick_pauses", "-most", "ticket", "actor")[:limit])
        agents = list(per_agent)
        labels = _user_labels({row["actor"] for row in [*agents, *flagged]})
        flagged_count = per_ticket.count()
    return GamingAudit(
        within_minutes=within_minutes,
        repeats=repeats,
        agents=sorted(
            (
                AgentAudit(
                    actor_id=row["actor"],
                    label=labels.get(row["actor"], str(row["actor"])),
                    pauses=row["pauses"],
                    quick_pauses=row["quick_pauses"],
                    repeat_pauses=row["repeat_pauses"],
                    tickets=row["tickets"],
                    flagged_tickets=row["flagged_tickets"],
                )
                for row in agents
            ),
            key=lambda a: (-a.flagged_tickets, -a.quick_pauses, a.label.casefold()),
        ),
        tickets=[
            TicketAudit(
                ticket_id=row["ticket"],
                reference=Ticket(pk=row["ticket"]).reference,
                actor_id=row["actor"],
                label=labels.get(row["actor"], str(row["actor"])),
                pauses=row["pauses"],
                quick_pauses=row["quick_pauses"],
                quickest_seconds=row["quickest"],
                most_pauses=row["most"],
            )
            for row in flagged
        ],
        tickets_flagged=flagged_count,
    )
