"""The queues agents work from, each a filter the ticket indexes answer, and their counts."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet

from helpdesk.models import OPEN_STATUSES, Status, Ticket

BREACHING_SOON = timedelta(hours=2)
COUNT_CAP = 100  # counts stop here ("99+"): a sidebar never scans a whole table


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    # The viewer's agent id (None for someone who is not an agent) and now, to the filter.
    condition: Callable[[int | None, datetime], Q]


def mine(agent_id: int | None, now: datetime) -> Q:
    if agent_id is None:
        return Q(pk__in=[])  # nobody's tickets are theirs; never "assignee IS NULL"
    # The id itself, not a subquery: PostgreSQL then knows how many tickets the agent has and
    # walks their index, where a subquery made it guess and AND two bitmaps.
    return Q(assignee_id=agent_id, status__in=OPEN_STATUSES)


QUEUES = (
    Queue("mine", "My tickets", mine),
    Queue(
        "unassigned",
        "Unassigned",
        lambda agent_id, now: Q(assignee__isnull=True, status__in=OPEN_STATUSES),
    ),
    Queue(
        "breaching",
        "Breaching soon",
        lambda agent_id, now: Q(
            status__in=OPEN_STATUSES,
            sla_breached=False,
            sla_due__gte=now,
            sla_due__lt=now + BREACHING_SOON,
        ),
    ),
    Queue(
        "breached",
        "Breached",
        lambda agent_id, now: Q(status__in=OPEN_STATUSES, sla_breached=True),
    ),
    Queue("waiting", "Waiting on customer", lambda agent_id, now: Q(status=Status.PENDING)),
)
QUEUES_BY_KEY = {queue.key: queue for queue in QUEUES}


def queue_filter(
    tickets: QuerySet[Ticket], *, key: str, agent_id: int | None, now: datetime
) -> QuerySet[Ticket]:
    queue = QUEUES_BY_KEY.get(key)
    if queue is None:
        return tickets.none()  # an unknown queue shows nothing rather than everything
    return tickets.filter(queue.condition(agent_id, now))


def queue_counts(
    tickets: QuerySet[Ticket], *, agent_id: int | None, now: datetime
) -> dict[str, int]:
    """Every queue's size, capped at COUNT_CAP, in one query of index-bounded subqueries."""
    parts, params = [], []
    for queue in QUEUES:
        subset = queue_filter(tickets, key=queue.key, agent_id=agent_id, now=now)
        try:
            sql, subset_params = subset.values("pk")[:COUNT_CAP].query.sql_with_params()
        except EmptyResultSet:  # e.g. "My tickets" for someone who is not an agent
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS {queue.key}_q)")
        params.extend(subset_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {queue.key: count for queue, count in zip(QUEUES, row, strict=True)}


def count_label(count: int) -> str:
    return f"{COUNT_CAP - 1}+" if count >= COUNT_CAP else str(count)
