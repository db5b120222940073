"""The gaming audit: pauses made soon after the customer wrote, and pauses that repeat."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
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


# {pairs} is the ORM's query of each (agent, ticket)'s pauses; the rest is ours. One pass over
# the pauses gives both the agents' counts and the flagged (agent, ticket) pairs.
STATEMENT = """
WITH pairs AS ({pairs})
SELECT 0 AS is_pair, actor, CAST(NULL AS INTEGER) AS ticket, SUM(pauses) AS pauses,
    SUM(quick_pauses) AS quick_pauses, SUM(repeat_pauses) AS repeat_pauses,
    COUNT(*) AS tickets, SUM(CASE WHEN {flagged} THEN 1 ELSE 0 END) AS flagged_tickets,
    CAST(NULL AS INTEGER) AS quickest, CAST(NULL AS INTEGER) AS most
FROM pairs GROUP BY actor
UNION ALL
SELECT * FROM (
    SELECT 1, actor, ticket, pauses, quick_pauses, repeat_pauses, CAST(NULL AS INTEGER),
        CAST(NULL AS INTEGER), quickest, most
    FROM pairs WHERE {flagged}
    ORDER BY quick_pauses DESC, most DESC, ticket, actor
    LIMIT %s
) AS flagged
"""


def gaming_audit(
    query: ReportQuery, *, within_minutes: int, repeats: int, limit: int = 100
) -> GamingAudit:
    """Pauses made soon after the customer wrote, and tickets paused again and again.

    An (agent, ticket) pair is flagged when the agent made a quick pause on the ticket or one
    that was its `repeats`-th or later; each pair is one ticket of that agent."""
    pauses: QuerySet[SlaPause] = SlaPause.objects.filter(query.period())
    if query.audience:
        pauses = pauses.filter(ticket__report_outcome__audience=query.audience)
    quick = Q(after_customer_reply_seconds__lte=within_minutes * MINUTE)
    pairs = (
        pauses.values("actor", "ticket")
        .annotate(
            pauses=Count("pk"),
            quick_pauses=Count("pk", filter=quick),
            repeat_pauses=Count("pk", filter=Q(ordinal__gte=repeats)),
            quickest=Min("after_customer_reply_seconds", filter=quick),
            most=Max("ordinal"),
        )
        .order_by()
    )
    pairs_sql, params = pairs.query.sql_with_params()
    flagged = f"(quick_pauses > 0 OR most >= {int(repeats)})"
    with analytic_session(), connection.cursor() as cursor:
        cursor.execute(STATEMENT.format(pairs=pairs_sql, flagged=flagged), [*params, int(limit)])
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        agents = [row for row in rows if not row["is_pair"]]
        flagged_pairs = [row for row in rows if row["is_pair"]]
        labels = _user_labels({row["actor"] for row in rows})
    return GamingAudit(
        within_minutes=within_minutes,
        repeats=repeats,
        agents=sorted(
            (
                AgentAudit(
                    actor_id=row["actor"],
                    label=labels.get(row["actor"], str(row["actor"])),
                    pauses=int(row["pauses"]),
                    quick_pauses=int(row["quick_pauses"]),
                    repeat_pauses=int(row["repeat_pauses"]),
                    tickets=int(row["tickets"]),
                    flagged_tickets=int(row["flagged_tickets"]),
                )
                for row in agents
            ),
            key=lambda a: (-a.flagged_tickets, -a.quick_pauses, a.label.casefold()),
        ),
        tickets=[
            TicketAudit(
                ticket_id=int(row["ticket"]),
                reference=Ticket(pk=int(row["ticket"])).reference,
                actor_id=row["actor"],
                label=labels.get(row["actor"], str(row["actor"])),
                pauses=int(row["pauses"]),
                quick_pauses=int(row["quick_pauses"]),
                quickest_seconds=None if row["quickest"] is None else int(row["quickest"]),
                most_pauses=int(row["most"]),
            )
            for row in flagged_pairs
        ],
        # Each flagged pair is one flagged ticket of one agent.
        tickets_flagged=sum(int(agent["flagged_tickets"]) for agent in agents),
    )
