"""Who may see and do what: the one place the API, the admin and the websocket consumers ask.

The rules:
- A manager (a superuser, or a member of the "Managers" group) sees and acts on every ticket.
- An agent sees and acts on the tickets of the teams they are in.
- A team's lead sees and acts on that team's tickets, even without being one of its agents.
- Everyone above may read the settings (teams, agents, categories, calendars, SLA policies);
  only administrators, managers with staff status, may change them.
- Anyone else, and any inactive or anonymous user, may do nothing.

Every function takes a user and plain model instances and returns a bool or a queryset, so
callers of any framework can use them. What a user is (manager, agent, lead) is looked up once
and remembered on the user object, which lives for one request or one websocket connection.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from helpdesk.models import Agent, Team, Ticket

MANAGERS_GROUP = "Managers"


def _is_active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _remembered(user, question: str, answer: Callable[[], bool]) -> bool:
    answers = user.__dict__.setdefault("_helpdesk_access", {})
    if question not in answers:
        answers[question] = answer()
    return answers[question]


def user_is_manager(user) -> bool:
    if not _is_active(user):
        return False
    if user.is_superuser:
        return True
    # helpdesk.auth_backend loads request users with this flag already read.
    preloaded = getattr(user, "helpdesk_is_manager", None)
    if preloaded is not None:
        return preloaded
    return _remembered(user, "manager", lambda: user.groups.filter(name=MANAGERS_GROUP).exists())


def user_may_administer(user) -> bool:
    """Whether the user may change teams, agents, categories, calendars and SLA policies."""
    return _is_active(user) and user.is_staff and user_is_manager(user)


def agent_of(user) -> Agent | None:
    if not _is_active(user):
        return None
    return Agent.objects.filter(user=user).first()


def teams_worked_by(user) -> QuerySet[Team]:
    """The teams whose tickets the user works as an agent or a lead (managers: see below)."""
    if not _is_active(user):
        return Team.objects.none()
    return Team.objects.filter(Q(agents__user=user) | Q(lead=user)).distinct()


def user_may_work_tickets(user) -> bool:
    """Agents, team leads and managers: the people who may use the agent API and queues."""
    if not _is_active(user):
        return False
    return user_is_manager(user) or _remembered(
        user,
        "works_tickets",
        lambda: Agent.objects.filter(user=user).exists() or Team.objects.filter(lead=user).exists(),
    )


def tickets_visible_to(user) -> QuerySet[Ticket]:
    if not _is_active(user):
        return Ticket.objects.none()
    if user_is_manager(user):
        return Ticket.objects.all()
    return Ticket.objects.filter(team__in=teams_worked_by(user).values("pk"))


def ticket_can_see(user, ticket: Ticket) -> bool:
    if not _is_active(user):
        return False
    return user_is_manager(user) or teams_worked_by(user).filter(pk=ticket.team_id).exists()


def ticket_can_act(user, ticket: Ticket) -> bool:
    """Replying, assigning, changing status and the like; today whoever sees a ticket may."""
    return ticket_can_see(user, ticket)


@dataclass(frozen=True)
class Grants:
    """One user's rights under the rules above, read once per request (at most two queries)
    so that a page asking about many tickets asks the database nothing more."""

    is_manager: bool
    team_ids: frozenset[int]

    @property
    def may_work(self) -> bool:
        return self.is_manager or bool(self.team_ids)

    def tickets(self) -> QuerySet[Ticket]:
        if self.is_manager:
            return Ticket.objects.all()
        return Ticket.objects.filter(team_id__in=sorted(self.team_ids))

    def can_see(self, ticket: Ticket) -> bool:
        return self.is_manager or ticket.team_id in self.team_ids

    def can_act(self, ticket: Ticket) -> bool:
        return self.can_see(ticket)


def grants_for(user) -> Grants:
    if not _is_active(user):
        return Grants(is_manager=False, team_ids=frozenset())
    if user_is_manager(user):
        return Grants(is_manager=True, team_ids=frozenset())
    return Grants(
        is_manager=False, team_ids=frozenset(teams_worked_by(user).values_list("pk", flat=True))
    )
