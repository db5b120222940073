"""Editing SLA policies and calendars: every edit is a new version, re-applied to the open
tickets it governs (their due instants, pending warnings and the promise on their progress
page follow it)."""

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from helpdesk.clocks import Targets
from helpdesk.models import OPEN_STATUSES, SlaPolicy, Ticket
from helpdesk.selectors import sla_targets_for
from helpdesk.services.tickets import public_promise, publish_if_promise_moved
from helpdesk.services.timeline import sla_targets_apply, ticket_sla_refresh


def sla_policy_save(*, policy: SlaPolicy) -> int:
    """Save a new or edited policy and recompute affected open tickets; returns how many changed."""
    policy.full_clean()
    with transaction.atomic():
        if policy.pk:
            policy.version = F("version") + 1
        policy.save()
        policy.refresh_from_db()
    return sla_policy_reapply(policy=policy)


def sla_policy_reapply(*, policy: SlaPolicy) -> int:
    """Re-target each open ticket in the policy's scope whose resolved targets changed.

    One short transaction per ticket, so a big re-application never holds many row locks.
    """
    scope = Q(status__in=OPEN_STATUSES)
    if policy.priority:
        scope &= Q(priority=policy.priority)
    if policy.category_id:
        scope &= Q(category_id=policy.category_id)
    if policy.contact_id:
        scope &= Q(requester_id=policy.contact_id)
    changed = 0
    for pk in Ticket.objects.filter(scope).values_list("pk", flat=True).iterator(chunk_size=500):
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().select_related("team__calendar").get(pk=pk)
            targets, _ = sla_targets_for(
                priority=ticket.priority,
                category_id=ticket.category_id,
                contact_id=ticket.requester_id,
            )
            if _current_targets(ticket) == targets:
                continue
            now = timezone.now()
            promise = public_promise(ticket)
            sla_targets_apply(ticket=ticket, at=now, reason=f"policy {policy.pk} v{policy.version}")
            ticket_sla_refresh(ticket=ticket, now=now)
            publish_if_promise_moved(ticket=ticket, promise=promise, at=now)
            changed += 1
    return changed


def calendar_reapply(*, calendar_id: int) -> int:
    """Replay each open ticket of the teams working on this calendar, after its hours or
    holidays changed; returns how many tickets' public promise moved.

    One short transaction per ticket, as for a policy. The sweep relies on it: it acts on the
    warning and breach instants a ticket's last replay stored.
    """
    scope = Q(status__in=OPEN_STATUSES, team__calendar_id=calendar_id)
    moved = 0
    for pk in Ticket.objects.filter(scope).values_list("pk", flat=True).iterator(chunk_size=500):
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().select_related("team__calendar").get(pk=pk)
            now = timezone.now()
            promise = public_promise(ticket)
            ticket_sla_refresh(ticket=ticket, now=now)
            moved += public_promise(ticket) != promise
            publish_if_promise_moved(ticket=ticket, promise=promise, at=now)
    return moved


def _current_targets(ticket: Ticket) -> Targets | None:
    event = ticket.events.filter(kind="sla_policy_applied").order_by("-at", "-id").first()
    return Targets.from_data(event.data) if event else None
