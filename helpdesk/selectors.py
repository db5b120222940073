"""Reads that are more than one line."""

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet

from helpdesk.clocks import Target, Targets
from helpdesk.models import OPEN_STATUSES, Agent, SlaPolicy, Team, Ticket, hash_token


def ticket_by_reference(reference: str, queryset: QuerySet[Ticket] | None = None) -> Ticket | None:
    pk = Ticket.pk_from_reference(reference)
    if pk is None:
        return None
    return (queryset if queryset is not None else Ticket.objects).filter(pk=pk).first()


def ticket_by_public_token(token: str) -> Ticket | None:
    # Looked up by hash: the comparison is an index probe, not a string compare that leaks timing.
    return Ticket.objects.filter(public_token_hash=hash_token(token)).first()


def sla_policies_for(
    *, priority: str, category_id: int | None, contact_id: int | None
) -> list[SlaPolicy]:
    """Matching policies, most specific first: customer, category, then the tier's base."""
    scope = Q(category__isnull=True, contact__isnull=True)
    if category_id:
        scope |= Q(category_id=category_id, contact__isnull=True)
    if contact_id:
        scope |= Q(contact_id=contact_id, category__isnull=True)
    policies = SlaPolicy.objects.filter(scope, Q(priority=priority) | Q(priority=""))
    return sorted(
        policies, key=lambda p: (p.contact_id is None, p.category_id is None, p.priority == "")
    )


def sla_targets_for(
    *, priority: str, category_id: int | None, contact_id: int | None
) -> tuple[Targets, list[list[int]]]:
    """The targets a ticket runs on, and [policy id, version] of every policy consulted."""
    policies = sla_policies_for(priority=priority, category_id=category_id, contact_id=contact_id)
    if not any(p.is_base for p in policies):
        raise LookupError(f"No base SLA policy for priority {priority!r}.")

    base = next(p for p in policies if p.is_base)

    def pick(duration_field: str, flag_field: str) -> Target:
        policy = next(p for p in policies if getattr(p, duration_field) is not None)
        # A tier that runs around the clock (critical) keeps doing so under any override.
        always_open = getattr(policy, flag_field) or getattr(base, flag_field)
        return Target(getattr(policy, duration_field), always_open)

    targets = Targets(
        first_response=pick("first_response", "first_response_24x7"),
        update=pick("update_interval", "update_24x7"),
        resolution=pick("resolution", "resolution_24x7"),
        warn_at=tuple(settings.SLA_WARNING_THRESHOLDS),
    )
    return targets, [[p.pk, p.version] for p in policies]


def agents_with_room(team: Team) -> QuerySet[Agent]:
    """Available agents of the team below capacity, with their open-ticket load."""
    return (
        Agent.objects.filter(teams=team, is_available=True, user__is_active=True)
        .annotate(load=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES)))
        .filter(load__lt=F("capacity"))
    )
