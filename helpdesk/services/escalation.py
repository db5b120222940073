"""Escalation: the steps a ticket's policy takes as its SLA clocks reach warnings and breaches.

Runs inside the sweep's transaction, on a locked ticket, for the marks that sweep recorded.
Each step fires at most once per clock cycle (the timeline's `escalated` events, which the
replay collects, say which have fired), in order of its threshold, so a late sweep that
records 75%, 90% and the breach at once still fires the steps one after another. What a
step writes goes through the sweep's `SweepWrites`; a step that changes the ticket
(priority, team) writes that at once.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from helpdesk.clocks import Mark
from helpdesk.models import (
    EscalationPolicy,
    EscalationStep,
    Notification,
    Priority,
    Team,
    Ticket,
)
from helpdesk.services.assignment import ticket_auto_assign
from helpdesk.services.sweep_writes import SweepWrites
from helpdesk.services.timeline import Kind, event_record, sla_targets_apply

TIERS_UP = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.CRITICAL,
}


@dataclass(frozen=True)
class Escalation:
    step: EscalationStep
    mark: Mark
    notified: tuple[int, ...]
    changes: dict


class EscalationPolicies:
    """Every policy with its steps, read once (per sweep), when first asked for."""

    def __init__(self) -> None:
        self._by_scope: dict[tuple[int | None, str], EscalationPolicy] | None = None

    def for_ticket(self, *, team_id: int, priority: str) -> EscalationPolicy | None:
        """The most specific policy: team and tier, team, tier, then the default."""
        if self._by_scope is None:
            policies = EscalationPolicy.objects.prefetch_related("steps__reassign_to")
            self._by_scope = {(p.team_id, p.priority): p for p in policies}
        for scope in ((team_id, priority), (team_id, ""), (None, priority), (None, "")):
            if scope in self._by_scope:
                return self._by_scope[scope]
        return None


def escalation_policy_for(*, team_id: int, priority: str) -> EscalationPolicy | None:
    """The policy a ticket of this team and tier escalates by (one lookup)."""
    return EscalationPolicies().for_ticket(team_id=team_id, priority=priority)


def ticket_escalate(
    *,
    ticket: Ticket,
    policy: EscalationPolicy | None,
    marks: list[Mark],
    due_at: Mapping[str, datetime | None],
    fired: set[tuple[str, int, int]],
    now: datetime,
    writes: SweepWrites,
) -> list[Escalation]:
    """Fire the steps the newly recorded `marks` reached; call with the ticket row locked.

    `fired` holds the (clock, cycle, step) the timeline says already fired (the replay's
    `SlaState.escalated`); it gains the ones fired here. `due_at` is each clock's due instant.
    """
    if policy is None or not marks:
        return []
    steps = list(policy.steps.all())
    escalations = []
    for mark in marks:
        for step in steps:
            key = (mark.clock, mark.cycle, step.pk)
            if key in fired or round(mark.threshold * 100) < step.at_percent:
                continue
            fired.add(key)
            escalations.append(_fire(ticket, step, mark, due_at[mark.clock], now, writes))
    return escalations


def _fire(
    ticket: Ticket,
    step: EscalationStep,
    mark: Mark,
    due_at: datetime | None,
    now: datetime,
    writes: SweepWrites,
) -> Escalation:
    recipients = _recipients(ticket, step)  # of the team that missed, before any move
    changes: dict = {}
    if step.raise_priority and ticket.priority in TIERS_UP:
        writes.flush()  # what the ticket recorded so far goes first in its timeline
        changes["priority"] = [ticket.priority, TIERS_UP[ticket.priority]]
        _raise_priority(ticket, now)
    if step.reassign_to_id and step.reassign_to_id != ticket.team_id:
        writes.flush()
        changes["team"] = [ticket.team.slug, step.reassign_to.slug]
        _move_to_team(ticket, step.reassign_to_id, now)
    data = {
        "clock": mark.clock,
        "cycle": mark.cycle,
        "threshold": mark.threshold,
        "step": step.pk,
        "at_percent": step.at_percent,
        "notified": [user.pk for user in recipients],
        **changes,
    }
    writes.event(ticket=ticket, kind=Kind.ESCALATED, at=now, data=data)
    context = {
        "clock": mark.clock,
        "threshold": mark.threshold,
        "reached_at": mark.at.isoformat(),
        "due_at": due_at.isoformat() if due_at else None,
        "changes": changes,
    }
    kind = Notification.Kind.SLA_BREACH if mark.is_breach else Notification.Kind.SLA_WARNING
    for user in recipients:
        writes.agent_notification(kind=kind, ticket=ticket, user=user, context=context)
    writes.webhook(ticket=ticket, event="ticket.escalated", data=data, at=now)
    return Escalation(step, mark, tuple(user.pk for user in recipients), changes)


def _recipients(ticket: Ticket, step: EscalationStep) -> list[AbstractBaseUser]:
    lead = ticket.team.lead
    users = []
    if step.notify_assignee:
        # Nobody owns it yet: the lead is who can make someone own it.
        users.append(ticket.assignee.user if ticket.assignee_id else lead)
    if step.notify_team_lead:
        users.append(lead)
    unique = {user.pk: user for user in users if user is not None}
    return list(unique.values())


def _raise_priority(ticket: Ticket, now: datetime) -> None:
    up = TIERS_UP[ticket.priority]
    event_record(
        ticket=ticket,
        kind=Kind.PRIORITY_CHANGED,
        at=now,
        data={"from": ticket.priority, "to": up, "by": "escalation"},
    )
    ticket.priority = up
    ticket.save(update_fields=["priority"])
    sla_targets_apply(ticket=ticket, at=now, reason="escalated")


def _move_to_team(ticket: Ticket, team_id: int, now: datetime) -> None:
    """As an agent's team change does: drop an assignee from outside the team, then route."""
    team = Team.objects.select_related("calendar", "lead").get(pk=team_id)
    event_record(
        ticket=ticket,
        kind=Kind.TEAM_CHANGED,
        at=now,
        data={"from": ticket.team.slug, "to": team.slug, "by": "escalation"},
    )
    ticket.team = team
    fields = ["team"]
    if ticket.assignee_id and not ticket.assignee.teams.filter(pk=team.pk).exists():
        event_record(ticket=ticket, kind=Kind.UNASSIGNED, at=now, data={"by": "escalation"})
        ticket.assignee = None
        fields.append("assignee")
    ticket.save(update_fields=fields)
    if ticket.assignee_id is None and ticket.is_open:
        ticket_auto_assign(ticket=ticket, now=now)
