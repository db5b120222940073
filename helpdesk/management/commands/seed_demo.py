"""manage.py seed_demo [--tickets N]: demo staff, calendars and tickets in every state.

Safe to run again: users, agents, calendars and contacts are created only when missing;
every run adds N more tickets. Tickets are written through the services, so each has a
true timeline and SLA state (all of it starting now: the services read the real clock).
"""

import os
import random
import time
import unicodedata

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from tqdm import tqdm

from helpdesk.models import (
    Agent,
    Audience,
    Calendar,
    Category,
    Channel,
    Contact,
    Priority,
    Status,
    Team,
    Ticket,
)
from helpdesk.services.assignment import ticket_take
from helpdesk.services.tickets import (
    ticket_change_status,
    ticket_create,
    ticket_customer_reply,
    ticket_reply,
)

ADMIN_USERNAME = ADMIN_PASSWORD = "admin"
STAFF_PASSWORD = "demo"

# team slug -> (lead, agents); a name in two teams is one agent in both.
STAFF = {
    "engineering": ("Petra Svobodová", ["Jan Novák", "Linus Berg", "Grace Okafor", "Tomáš Dvořák"]),
    "billing": ("Maria Lopez", ["Dan Becker", "Priya Shah"]),
    "product": ("Olga Petrova", ["Sam Taylor", "Jana Horáková", "Kenji Sato"]),
    "support": ("Eva Černá", ["Lukas Weber", "Amira Haddad", "Chris Park", "Ondřej Král"]),
    "cx-insights": ("Nora Hansen", ["Felix Wagner", "Zoe Clark"]),
    "content": ("Ivy Chen", ["Marek Beneš", "Ruth Adams"]),
    "operations": ("Omar Farouk", ["Hana Veselá", "Leo Martin", "Jan Novák"]),
}
AWAY = {"Tomáš Dvořák", "Zoe Clark"}

WEEKDAYS = range(5)
# name, zone, weekly windows (minutes after local midnight), holiday country, teams using it
CALENDARS = [
    (
        "Prague office",
        "Europe/Prague",
        {str(day): [[480, 720], [780, 1020]] for day in WEEKDAYS},  # two shifts, lunch between
        "CZ",
        ["engineering", "support"],
    ),
    (
        "New York office",
        "America/New_York",
        {str(day): [[540, 1020]] for day in WEEKDAYS},
        "US",
        ["billing"],
    ),
]

CONTACTS = [
    "Ada Lovelace",
    "Alan Turing",
    "Barbara Liskov",
    "Claude Shannon",
    "Donald Knuth",
    "Edsger Dijkstra",
    "Frances Allen",
    "Grace Hopper",
    "Hedy Lamarr",
    "Ivan Sutherland",
    "John Backus",
    "Katherine Johnson",
    "Leslie Lamport",
    "Margaret Hamilton",
    "Niklaus Wirth",
    "Radia Perlman",
    "Shafi Goldwasser",
    "Tim Berners-Lee",
    "Vint Cerf",
    "Whitfield Diffie",
]
CANDIDATES = ["Anna Kovářová", "Ben Oduya", "Carla Ruiz", "Dmitri Volkov"]
EMPLOYEES = ["Eliska Malá", "Frank Osei", "Greta Lind"]

SUBJECTS = {
    "bug-report": [
        (
            "Export to CSV drops the last row",
            "Exporting my report gives 99 rows; the screen shows 100.",
        ),
        (
            "Save button does nothing on Safari",
            "Clicking Save on the profile page has no effect in Safari 17.",
        ),
        (
            "Crash when uploading a PNG",
            "The app shows an error page whenever I upload a PNG over 5 MB.",
        ),
        ("Dates shown one day off", "Invoices created after 23:00 show the next day's date."),
    ],
    "billing": [
        (
            "Charged twice this month",
            "My card was charged twice on the 3rd for the same subscription.",
        ),
        (
            "VAT number missing on invoice",
            "Our VAT ID is not on the latest invoice; we need it for accounting.",
        ),
        (
            "Refund for cancelled plan",
            "I cancelled within the trial but was charged for a full year.",
        ),
        (
            "Cannot update payment card",
            "The new card form says 'declined' although the bank approves it.",
        ),
    ],
    "feature-request": [
        ("Dark mode, please", "Working late, a dark theme would be easier on the eyes."),
        ("Bulk edit for tags", "We tag hundreds of items a week; editing them one by one is slow."),
        ("Export to Google Sheets", "A direct export would save us a manual step every Monday."),
        ("Two-factor login with a hardware key", "Our security policy asks for FIDO2 keys."),
    ],
    "onboarding": [
        (
            "How do I invite my team?",
            "I set up the account and cannot find where to add colleagues.",
        ),
        (
            "Importing data from our old tool",
            "Is there a guide for importing projects from a spreadsheet?",
        ),
        ("Which plan do we need?", "We are 12 people; which plan covers shared dashboards?"),
        ("Setting up single sign-on", "We use Okta; what do we need to configure on our side?"),
    ],
    "performance": [
        (
            "Dashboard takes 30 seconds to load",
            "Since yesterday the main dashboard is very slow for us.",
        ),
        ("Search times out", "Searching across all projects ends with a timeout error."),
        (
            "API latency spikes every hour",
            "Our monitoring shows 5 s responses at the top of every hour.",
        ),
        ("Mobile app freezes on sync", "The app hangs for a minute whenever it syncs on 4G."),
    ],
    "experience": [
        (
            "Disappointed with the last update",
            "The new navigation hides the features I use every day.",
        ),
        (
            "Great support experience",
            "Just wanted to say thanks; Amira solved my problem in minutes.",
        ),
        ("Checkout felt confusing", "I was not sure whether my order went through."),
        ("Delivery was late again", "Third late delivery this quarter; we are reconsidering."),
    ],
    "content": [
        ("Typo on the pricing page", "'Anual' should be 'Annual' in the plan comparison."),
        ("Help article is out of date", "The article on exports still shows the old menu."),
        ("Email newsletter tone", "The last newsletter read as pushy to several of our users."),
        ("Translation missing in Czech", "The settings page is half English in the Czech version."),
    ],
    "other": [
        ("Partnership enquiry", "We would like to discuss reselling your product in Poland."),
        ("Question about data retention", "How long do you keep deleted projects?"),
        ("Interview scheduling", "Could we move my interview to Thursday afternoon?"),
        ("Office access card not working", "My badge stopped opening the second floor door."),
    ],
}
FIRST_REPLIES = [
    "Thanks for reporting this; I am looking into it now.",
    "Thank you for getting in touch. I have reproduced the problem and am working on it.",
    "Thanks! I have passed this to the right people and will update you shortly.",
]
FOLLOW_UPS = [
    "Quick update: we found the cause and a fix is being tested.",
    "We are still working on this; next update by end of day.",
    "The fix is rolling out now; please let us know if you still see it.",
]
ASK_FOR_DETAILS = [
    "Could you send us a screenshot and the time it happened?",
    "Which browser and version are you using?",
    "Could you confirm the account email this concerns?",
]
CUSTOMER_REPLIES = [
    "Thanks for the quick answer!",
    "Here are the details you asked for.",
    "It is still happening for me, unfortunately.",
    "Any news on this?",
]
NOTES = [
    "Looks related to last week's release; checking with the on-call engineer.",
    "Customer is on the enterprise plan; handle with care.",
    "Waiting for the vendor to confirm.",
    "Duplicate of an earlier report; linking them.",
]
RESOLUTIONS = [
    "This is fixed now. Thanks for your patience!",
    "Done: the change is live. Let us know if anything else comes up.",
]
REOPENED = "It broke again after the update."

# Where each demo ticket ends up; a cycle of 20, so any 20 consecutive tickets show every status.
STATUS_PLAN = [
    "new",
    "open",
    "pending",
    "resolved",
    "open",
    "closed",
    "on_hold",
    "new",
    "resolved",
    "open",
    "closed",
    "pending",
    "open",
    "resolved",
    "new",
    "on_hold",
    "open",
    "resolved",
    "closed",
    "new",
]
BATCH = 25


def username_for(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ascii_name.lower().replace(" ", ".").replace("-", "")


class Command(BaseCommand):
    help = "Create demo staff, calendars, contacts and tickets in every state."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tickets", type=int, default=300, help="How many tickets to add.")

    def handle(self, *args, tickets: int, **options) -> None:
        # The DOMAIN.md categories feedback arrives in (not e.g. survey follow-ups).
        categories = list(
            Category.objects.filter(slug__in=SUBJECTS).select_related("team").order_by("pk")
        )
        if not categories:
            raise CommandError("No categories: run `manage.py migrate` first.")
        started = time.monotonic()
        with transaction.atomic():
            admin_created = self.seed_admin()
            self.seed_calendars()
            self.seed_staff()
            contacts = self.seed_contacts()
        rng = random.Random(Ticket.objects.count())
        # Who writes the replies on a team's tickets: its available agents, else anyone in it.
        team_agents = {
            team.pk: list(team.agents.filter(is_available=True).select_related("user"))
            or list(team.agents.select_related("user"))
            for team in Team.objects.all()
        }
        counts = dict.fromkeys(Status.values, 0)
        showcase = None
        with tqdm(total=tickets, desc="Tickets", unit="ticket") as progress:
            for start in range(0, tickets, BATCH):
                with transaction.atomic():
                    for index in range(start, min(start + BATCH, tickets)):
                        target = STATUS_PLAN[index % len(STATUS_PLAN)]
                        category = categories[index % len(categories)]
                        ticket, token = self.seed_ticket(
                            category, target, rng, contacts, team_agents
                        )
                        counts[ticket.status] += 1
                        if showcase is None and ticket.status == Status.OPEN:
                            showcase = (ticket, token)
                        progress.update()
        elapsed = time.monotonic() - started
        self.report(tickets, counts, elapsed, admin_created, showcase)

    def seed_admin(self) -> bool:
        if User.objects.filter(username=ADMIN_USERNAME).exists():
            return False
        admin = User.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", ADMIN_PASSWORD)
        # An agent of every team who is never auto-assigned, so "Take it" works for the admin.
        agent = Agent.objects.create(user=admin, capacity=10, is_available=False)
        agent.teams.set(Team.objects.all())
        return True

    def seed_calendars(self) -> None:
        for name, zone, weekly, country, team_slugs in CALENDARS:
            calendar, created = Calendar.objects.get_or_create(
                name=name, defaults={"timezone": zone, "weekly": weekly, "holiday_country": country}
            )
            if created:
                Team.objects.filter(slug__in=team_slugs).update(calendar=calendar)

    def seed_staff(self) -> None:
        agents_group = self.group(
            "Agents",
            codenames=[
                "view_calendar",
                "view_holiday",
                "view_team",
                "view_agent",
                "view_category",
                "view_slapolicy",
                "view_message",
                "view_ticketevent",
                "view_ticket",
                "add_ticket",
                "change_ticket",
                "view_contact",
                "add_contact",
                "change_contact",
            ],
        )
        leads_group = self.group("Team leads", codenames=None)
        password = make_password(STAFF_PASSWORD)  # hashed once: hashing is slow by design
        teams = {team.slug: team for team in Team.objects.all()}
        for slug, (lead_name, agent_names) in STAFF.items():
            team = teams.get(slug)
            if team is None:
                continue
            lead = self.staff_member(lead_name, password, leads_group, capacity=10)
            lead.teams.add(team)
            if team.lead_id is None:
                team.lead = lead.user
                team.save(update_fields=["lead"])
            for name in agent_names:
                capacity = random.Random(name).randrange(10, 31)
                self.staff_member(name, password, agents_group, capacity=capacity).teams.add(team)

    def group(self, name: str, *, codenames: list[str] | None) -> Group:
        """A group with the given helpdesk permissions (None: all of them)."""
        group, created = Group.objects.get_or_create(name=name)
        if created:
            permissions = Permission.objects.filter(content_type__app_label="helpdesk")
            if codenames is not None:
                permissions = permissions.filter(codename__in=codenames)
            group.permissions.set(permissions)
        return group

    def staff_member(self, name: str, password: str, group: Group, *, capacity: int) -> Agent:
        first, _, last = name.partition(" ")
        username = username_for(name)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@helpdesk.example.com",
                "is_staff": True,
                "password": password,
            },
        )
        if created:
            user.groups.add(group)
        agent, _ = Agent.objects.get_or_create(
            user=user, defaults={"capacity": capacity, "is_available": name not in AWAY}
        )
        return agent

    def seed_contacts(self) -> dict[str, list[Contact]]:
        def contacts(names: list[str], domain: str) -> list[Contact]:
            return [
                Contact.objects.get_or_create(
                    email=f"{username_for(name)}@{domain}", defaults={"name": name}
                )[0]
                for name in names
            ]

        return {
            Audience.CUSTOMER: contacts(CONTACTS, "example.com"),
            Audience.CANDIDATE: contacts(CANDIDATES, "example.net"),
            Audience.EMPLOYEE: contacts(EMPLOYEES, "staff.example.org"),
        }

    def seed_ticket(
        self,
        category: Category,
        target: str,
        rng: random.Random,
        contacts: dict[str, list[Contact]],
        team_agents: dict[int, list[Agent]],
    ) -> tuple[Ticket, str]:
        audience = rng.choices(Audience.values, weights=[75, 15, 10])[0]
        # Some employees give feedback anonymously.
        anonymous = audience == Audience.EMPLOYEE and rng.random() < 0.4
        subject, description = rng.choice(SUBJECTS[category.slug])
        priority = category.default_priority
        if rng.random() < 0.3:
            priority = rng.choices(Priority.values, weights=[5, 30, 45, 20])[0]
        ticket, token = ticket_create(
            subject=subject,
            description=description,
            category=category,
            requester=None if anonymous else rng.choice(contacts[audience]),
            priority=priority,
            audience=audience,
            channel=rng.choice(Channel.values),
            auto_assign=rng.random() < 0.85,  # the rest wait in the team's queue
        )
        author = self.author(ticket, rng, team_agents, take=target != Status.NEW)
        if author is None:  # a team without agents: its tickets wait in the queue
            return ticket, token
        if target == Status.NEW:
            if rng.random() < 0.3:
                ticket_reply(ticket=ticket, body=rng.choice(NOTES), public=False, author=author)
            return ticket, token

        def reply(messages: list[str], *, public: bool = True) -> None:
            ticket_reply(ticket=ticket, body=rng.choice(messages), public=public, author=author)

        def status(new: str) -> None:
            ticket_change_status(ticket=ticket, status=new, actor=author)

        reply(FIRST_REPLIES)
        if rng.random() < 0.3:
            reply(NOTES, public=False)
        if target == Status.OPEN:
            if rng.random() < 0.5:
                ticket_customer_reply(ticket=ticket, body=rng.choice(CUSTOMER_REPLIES))
            if rng.random() < 0.3:
                reply(FOLLOW_UPS)
            if rng.random() < 0.25:  # reopened by the customer after a resolution
                reply(RESOLUTIONS)
                status(Status.RESOLVED)
                ticket_customer_reply(ticket=ticket, body=REOPENED)
        elif target == Status.PENDING:
            reply(ASK_FOR_DETAILS)
            status(Status.PENDING)
        elif target == Status.ON_HOLD:
            reply(NOTES, public=False)
            status(Status.ON_HOLD)
        else:  # resolved or closed
            if rng.random() < 0.4:
                ticket_customer_reply(ticket=ticket, body=rng.choice(CUSTOMER_REPLIES))
                reply(FOLLOW_UPS)
            if rng.random() < 0.2:
                status(Status.RESOLVED)
                ticket_customer_reply(ticket=ticket, body=REOPENED)
                reply(FOLLOW_UPS)
            reply(RESOLUTIONS)
            status(Status.RESOLVED)
            if target == Status.CLOSED:
                status(Status.CLOSED)
        ticket.refresh_from_db()
        return ticket, token

    def author(
        self,
        ticket: Ticket,
        rng: random.Random,
        team_agents: dict[int, list[Agent]],
        *,
        take: bool = False,
    ) -> User | None:
        """The ticket's owner; with `take`, an unowned ticket is first taken by a team agent."""
        ticket.refresh_from_db(fields=["assignee"])
        if ticket.assignee_id:
            return ticket.assignee.user
        if not team_agents.get(ticket.team_id):
            return None
        agent = rng.choice(team_agents[ticket.team_id])
        if take:
            ticket_take(ticket=ticket, agent=agent)
        return agent.user

    def report(self, tickets: int, counts: dict, elapsed: float, admin_created: bool, showcase):
        base = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
        spread = ", ".join(f"{status} {count}" for status, count in counts.items() if count)
        self.stdout.write(f"Added {tickets} tickets in {elapsed:.1f}s ({spread or 'none'}).")
        login = f"{ADMIN_USERNAME} / {ADMIN_PASSWORD}"
        if not admin_created:
            login += " (existing user, password unchanged)"
        self.stdout.write(f"Admin:    {base}{reverse('admin:index')}  login {login}")
        example_agent = username_for(STAFF["support"][1][0])
        self.stdout.write(f"Agents:   e.g. {example_agent} / {STAFF_PASSWORD}")
        self.stdout.write(f"Health:   {base}{reverse('healthz')}")
        self.stdout.write(f"Board:    {base}{reverse('statusfeed:board')}")
        if showcase:
            ticket, token = showcase
            progress = reverse("statusfeed:progress", args=[token])
            self.stdout.write(f"Progress: {base}{progress}  ({ticket.reference})")
