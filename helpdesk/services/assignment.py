"""Who owns a ticket: manual assignment, "take it", and automatic assignment in a team.

Concurrency: "take it" is one conditional UPDATE, so exactly one of many agents wins.
Automatic assignment locks the team row (round-robin pointer) and then the candidate agents'
rows in id order, so two teams sharing an agent cannot both fill its last slot.
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, FloatField
from django.db.models.functions import Cast
from django.utils import timezone

from helpdesk.models import OPEN_STATUSES, Agent, AssignmentStrategy, Team, Ticket
from helpdesk.selectors import agents_with_room
from helpdesk.services.timeline import Kind, event_record, ticket_sla_refresh


class AssignmentError(ValueError):
    pass


def ticket_assign(*, ticket: Ticket, agent: Agent | None, actor: AbstractBaseUser | None) -> Ticket:
    """Give the ticket to an agent of its team (or to nobody)."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update().select_related("team__calendar").get(pk=ticket.pk)
        )
        if agent is not None and not agent.teams.filter(pk=ticket.team_id).exists():
            raise AssignmentError(f"{agent} is not in the {ticket.team} team.")
        if ticket.assignee_id == (agent.pk if agent else None):
            return ticket
        now = timezone.now()
        _set_assignee(ticket, agent, actor=actor, now=now, how="manual")
        ticket_sla_refresh(ticket=ticket, now=now)
    return ticket


def ticket_take(*, ticket: Ticket, agent: Agent) -> bool:
    """Claim an unassigned open ticket; False when someone else got there first."""
    if not agent.teams.filter(pk=ticket.team_id).exists():
        raise AssignmentError(f"{agent} is not in the {ticket.team} team.")
    with transaction.atomic():
        won = Ticket.objects.filter(
            pk=ticket.pk, assignee__isnull=True, status__in=OPEN_STATUSES
        ).update(assignee=agent)
        if won:
            now = timezone.now()
            event_record(
                ticket=ticket,
                kind=Kind.ASSIGNED,
                at=now,
                actor=agent.user,
                data={"agent": agent.pk, "how": "took"},
            )
            # Like any other change: a new version (an open form of it is now stale) and
            # the SLA state and report rows brought up to date.
            taken = Ticket.objects.select_related("team__calendar").get(pk=ticket.pk)
            ticket_sla_refresh(ticket=taken, now=now)
            ticket.assignee, ticket.version = agent, taken.version
    return bool(won)


def ticket_auto_assign(*, ticket: Ticket, now: datetime) -> Agent | None:
    """Pick an owner by the team's strategy; None when everyone is away or full.

    Runs inside the caller's transaction.
    """
    team = Team.objects.select_for_update().get(pk=ticket.team_id)
    if team.assignment_strategy == AssignmentStrategy.MANUAL:
        return None
    list(
        Agent.objects.select_for_update(of=("self",))
        .filter(teams=team, is_available=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    candidates = agents_with_room(team)
    if team.assignment_strategy == AssignmentStrategy.ROUND_ROBIN:
        after = team.last_assigned_agent_id or 0
        agent = (
            candidates.filter(pk__gt=after).order_by("pk").first()
            or candidates.order_by("pk").first()
        )
    else:
        # Fill agents in proportion to their capacity; ties go to the longest-waiting id.
        agent = candidates.order_by(_load_ratio(), "pk").first()
    if agent is None:
        return None
    team.last_assigned_agent = agent
    team.save(update_fields=["last_assigned_agent"])
    _set_assignee(ticket, agent, actor=None, now=now, how=team.assignment_strategy)
    return agent


def _load_ratio():
    return Cast(F("load"), FloatField()) / Cast(F("capacity"), FloatField())


def _set_assignee(ticket: Ticket, agent: Agent | None, *, actor, now: datetime, how: str) -> None:
    ticket.assignee = agent
    ticket.save(update_fields=["assignee"])
    event_record(
        ticket=ticket,
        kind=Kind.ASSIGNED if agent else Kind.UNASSIGNED,
        at=now,
        actor=actor,
        data={"agent": agent.pk, "how": how} if agent else {},
    )
