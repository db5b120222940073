"""helpdesk.access: the rules themselves, without any framework around them."""

import pytest
from django.contrib.auth.models import AnonymousUser, User

from helpdesk import access
from tests.helpdesk.api_support import fast_passwords, make_manager, second_team  # noqa: F401


@pytest.fixture
def ours(clock, make_ticket):
    return make_ticket()


@pytest.fixture
def theirs(clock, make_ticket, office):
    _, kit = second_team(office)
    return make_ticket(category=kit)


def test_an_agent_sees_and_acts_on_their_teams_tickets_only(make_agent, ours, theirs):
    user = make_agent("grace").user

    assert list(access.tickets_visible_to(user)) == [ours]
    assert access.ticket_can_act(user, ours)
    assert not access.ticket_can_see(user, theirs)
    assert not access.ticket_can_act(user, theirs)


def test_a_lead_sees_the_team_without_being_an_agent(ours, theirs, team):
    team.lead = User.objects.create_user("lena")
    team.save()

    assert access.user_may_work_tickets(team.lead)
    assert list(access.tickets_visible_to(team.lead)) == [ours]


@pytest.mark.parametrize("how", ["group", "superuser"])
def test_managers_see_everything(ours, theirs, how):
    if how == "group":
        user = make_manager("mona", is_staff=False)
    else:
        user = User.objects.create_superuser("sam", "sam@example.com", "pw")

    assert access.user_is_manager(user)
    assert set(access.tickets_visible_to(user)) == {ours, theirs}
    assert access.ticket_can_act(user, theirs)


def test_administering_settings_needs_staff_and_manager(db):
    assert access.user_may_administer(make_manager("root"))
    assert not access.user_may_administer(make_manager("mona", is_staff=False))
    assert not access.user_may_administer(User.objects.create_user("staff", is_staff=True))


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: AnonymousUser(),
        lambda: User.objects.create_user("eve"),
        lambda: User.objects.create_superuser("old", "old@example.com", "pw", is_active=False),
    ],
    ids=["anonymous", "no role", "inactive superuser"],
)
def test_others_may_do_nothing(ours, make_user):
    user = make_user()

    assert not access.user_may_work_tickets(user)
    assert not access.tickets_visible_to(user).exists()
    assert not access.ticket_can_see(user, ours)


def test_what_a_user_is_is_asked_once_per_user_object(make_agent, django_assert_num_queries):
    user = make_agent("grace").user
    access.user_may_work_tickets(user)

    with django_assert_num_queries(0):
        assert access.user_may_work_tickets(user)
        assert not access.user_is_manager(user)
