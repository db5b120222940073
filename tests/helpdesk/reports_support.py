"""A hand-built month of tickets whose report numbers are worked out by hand below.

Two teams: Frontline works Mon–Fri 09:00–17:00 UTC with Tuesday 10 March off; Ledger works
Mon–Fri 08:00–12:00 UTC. Targets (business time unless said): normal 4 h first response, a
public update every 24 h, 24 h resolution; high 1 h / 4 h / 8 h; low 8 h / 24 h / 40 h;
critical 15 min / 30 min / 4 h around the clock. March 2026: the 2nd is a Monday.

Every ticket is written through the real services with the clock moved by hand; the report is
read on Monday 16 March at 12:00 after one SLA sweep. The comment on each ticket gives its
targets: FR first response, UPD public update cycles, RES resolution; figures in business time.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth.models import User

from helpdesk.models import Agent, Calendar, Category, Contact, Holiday, SlaPolicy, Team, Ticket
from helpdesk.services.assignment import ticket_assign
from helpdesk.services.sla_sweep import sla_sweep
from helpdesk.services.tickets import (
    ticket_change_priority,
    ticket_change_status,
    ticket_create,
    ticket_customer_reply,
    ticket_reply,
)

PERIOD = (date(2026, 3, 1), date(2026, 3, 31))


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


REPORT_AT = at(16, 12)


@dataclass
class History:
    support: Team
    billing: Team
    agents: dict[str, Agent]
    tickets: dict[str, Ticket]


def base_policies() -> None:
    """The critical and low tiers as a fresh install seeds them (the `tiers` fixture sets
    normal and high), written here so the month never depends on what a database holds."""
    for priority, first_response, update, resolution, always in [
        ("critical", timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=4), True),
        ("low", timedelta(hours=8), timedelta(hours=24), timedelta(hours=40), False),
    ]:
        SlaPolicy.objects.update_or_create(
            priority=priority,
            category=None,
            contact=None,
            defaults={
                "first_response": first_response,
                "update_interval": update,
                "resolution": resolution,
                "first_response_24x7": always,
                "update_24x7": always,
                "resolution_24x7": always,
            },
        )


def build_history(clock) -> History:
    base_policies()
    office = Calendar.objects.create(
        name="Frontline office", timezone="UTC", weekly={str(d): [[540, 1020]] for d in range(5)}
    )
    Holiday.objects.create(calendar=office, date=date(2026, 3, 10), name="Tuesday off")
    mornings = Calendar.objects.create(
        name="Ledger mornings", timezone="UTC", weekly={str(d): [[480, 720]] for d in range(5)}
    )
    support = Team.objects.create(name="Frontline", slug="frontline", calendar=office)
    billing = Team.objects.create(name="Ledger", slug="ledger", calendar=mornings)
    help_ = Category.objects.create(slug="rep-help", name="Help", team=support)
    invoices = Category.objects.create(slug="rep-invoices", name="Invoices", team=billing)
    requester = Contact.objects.create(email="ada@example.com", name="Ada")

    agents = {}
    for name, team in [("ann", support), ("bob", support), ("cat", billing)]:
        user = User.objects.create_user(name, f"{name}@example.com", "pw", is_staff=True)
        agents[name] = Agent.objects.create(user=user)
        agents[name].teams.add(team)
    users = {name: agent.user for name, agent in agents.items()}

    def create(when, category, agent=None, **fields) -> Ticket:
        clock.set(when)
        ticket, _ = ticket_create(
            subject="Help",
            description="Please help.",
            category=category,
            requester=requester,
            auto_assign=False,
            **fields,
        )
        if agent:
            ticket_assign(ticket=ticket, agent=agents[agent], actor=None)
        return ticket

    def reply(ticket, who, when):
        clock.set(when)
        ticket_reply(ticket=ticket, body="An update.", public=True, author=users[who])

    def status(ticket, to, who, when):
        clock.set(when)
        ticket_change_status(ticket=ticket, status=to, actor=users[who] if who else None)

    def customer(ticket, when):
        clock.set(when)
        ticket_customer_reply(ticket=ticket, body="More details.")

    t = {}
    # T1 Frontline normal web ann. FR met 1:00. RES met 2:00. FCR.
    t["T1"] = create(at(2, 9), help_, "ann", channel="web")
    reply(t["T1"], "ann", at(2, 10))
    status(t["T1"], "resolved", "ann", at(2, 11))

    # T2 Frontline normal email ann. FR missed: 6:00, by 2:00 (due Mon 13:00).
    # UPD cycle 0 Mon 15:00 -> Thu 15:00: exactly 24:00, on time. RES missed: 31:00, by 7:00
    # (due Wed 17:00).
    t["T2"] = create(at(2, 9), help_, "ann", channel="email")
    reply(t["T2"], "ann", at(2, 15))
    reply(t["T2"], "ann", at(5, 15))
    status(t["T2"], "resolved", "ann", at(5, 16))

    # T3 Frontline normal phone bob. FR met 0:30. Paused three times by bob, the 2nd 5 min and
    # the 3rd 10 min after the customer wrote. RES met 1:15 running, 24:45 paused. FCR.
    t["T3"] = create(at(2, 9), help_, "bob", channel="phone")
    reply(t["T3"], "bob", at(2, 9, 30))
    status(t["T3"], "pending", "bob", at(2, 10))
    customer(t["T3"], at(4, 10))
    status(t["T3"], "pending", "bob", at(4, 10, 5))
    customer(t["T3"], at(5, 9))
    status(t["T3"], "pending", "bob", at(5, 9, 10))
    status(t["T3"], "resolved", "bob", at(5, 11))

    # T4 Frontline high web ann. FR missed: 1:30 (Mon 16:30-17:00, Tue 09:00-10:00), by 0:30.
    # UPD cycle 0 late: 5:00, by 1:00 (due Tue 14:00). RES met 7:30.
    t["T4"] = create(at(2, 16, 30), help_, "ann", channel="web", priority="high")
    reply(t["T4"], "ann", at(3, 10))
    reply(t["T4"], "ann", at(3, 15))
    status(t["T4"], "resolved", "ann", at(3, 16))

    # T5 Frontline normal web, nobody's, never answered: FR missed (due Tue 13:00) and RES
    # missed (due Thu 17:00), both still running. A breach open now.
    t["T5"] = create(at(3, 9), help_, channel="web")

    # T6 Frontline normal email ann, resolved and reopened. FR met 1:00. UPD cycle 1 (from the
    # reopening) met 1:00. RES met 5:00 running, 6:00 paused while resolved.
    t["T6"] = create(at(4, 9), help_, "ann", channel="email")
    reply(t["T6"], "ann", at(4, 10))
    status(t["T6"], "resolved", "ann", at(4, 11))
    customer(t["T6"], at(5, 9))
    reply(t["T6"], "ann", at(5, 10))
    status(t["T6"], "resolved", "ann", at(5, 12))

    # T7 Frontline low chat bob, across the holiday. FR missed: 9:00 (Mon 8 + Tue 0 + Wed 1),
    # by 1:00 (due Mon 9 17:00). RES met 11:00. FCR.
    t["T7"] = create(at(9, 9), help_, "bob", channel="chat", priority="low")
    reply(t["T7"], "bob", at(11, 10))
    status(t["T7"], "resolved", "bob", at(11, 12))

    # T8 Frontline critical phone ann, on a Saturday (24/7). FR met 0:10. UPD cycle 0 late
    # 0:40 by 0:10; cycle 1 on time 0:25; cycle 2 overdue when resolved: 1:45, by 1:15.
    # RES met 3:00.
    t["T8"] = create(at(7, 10), help_, "ann", channel="phone", priority="critical")
    reply(t["T8"], "ann", at(7, 10, 10))
    reply(t["T8"], "ann", at(7, 10, 50))
    reply(t["T8"], "ann", at(7, 11, 15))
    status(t["T8"], "resolved", "ann", at(7, 13))

    # T9 Ledger normal email cat. FR met 1:00 (the reply came at 14:00, after hours).
    # RES met 2:00. FCR.
    t["T9"] = create(at(2, 11), invoices, "cat", channel="email")
    reply(t["T9"], "cat", at(2, 14))
    status(t["T9"], "resolved", "cat", at(3, 9))

    # T10 Ledger normal web cat. FR missed: 5:00 by 1:00 (due Tue 10:00). Paused by cat.
    # UPD cycle 1 met 1:00. RES met 7:30 running, 9:30 paused.
    t["T10"] = create(at(2, 10), invoices, "cat", channel="web")
    reply(t["T10"], "cat", at(3, 11))
    status(t["T10"], "pending", "cat", at(3, 11, 30))
    customer(t["T10"], at(6, 9))
    reply(t["T10"], "cat", at(6, 10))
    status(t["T10"], "resolved", "cat", at(6, 11))

    # T11 Ledger high api cat, open. FR met 0:30. Paused twice, the 2nd 2 min after the
    # customer wrote. UPD cycle 2 missed, running (due Thu 12:00). RES missed, running
    # (due Fri 11:18). A breach open now.
    t["T11"] = create(at(4, 9), invoices, "cat", channel="api", priority="high")
    reply(t["T11"], "cat", at(4, 9, 30))
    status(t["T11"], "pending", "cat", at(4, 9, 40))
    customer(t["T11"], at(4, 10))
    status(t["T11"], "pending", "cat", at(4, 10, 2))
    customer(t["T11"], at(5, 8))

    # T12 Frontline normal web ann, created the morning of the report: nothing decided yet.
    t["T12"] = create(at(16, 9), help_, "ann", channel="web")

    # T13 Frontline normal social bob, closed straight away. FR met 0:15. RES met 0:20. FCR.
    t["T13"] = create(at(12, 9), help_, "bob", channel="social")
    reply(t["T13"], "bob", at(12, 9, 15))
    status(t["T13"], "closed", "bob", at(12, 9, 20))

    # T14 Frontline normal web ann, resolved without a reply: FR met 1:00 by the resolution
    # (not a public update). RES met 1:00. Not FCR (no reply).
    t["T14"] = create(at(12, 9), help_, "ann", channel="web")
    status(t["T14"], "resolved", "ann", at(12, 10))

    # T15 Frontline normal email bob, created in February: outside the period.
    t["T15"] = create(at(27, 10, month=2), help_, "bob", channel="email")

    # T16 Frontline normal widget ann, from an employee. FR met 0:30. RES met 1:00. FCR.
    t["T16"] = create(at(3, 9), help_, "ann", channel="widget", audience="employee")
    reply(t["T16"], "ann", at(3, 9, 30))
    status(t["T16"], "resolved", "ann", at(3, 10))

    # T17 Frontline web ann, normal raised to high at 11:00, which makes its first response
    # 1 h from the start: FR missed 2:30 by 1:30 (due Wed 10:00). RES met 3:00. FCR.
    t["T17"] = create(at(11, 9), help_, "ann", channel="web")
    clock.set(at(11, 11))
    ticket_change_priority(ticket=t["T17"], priority="high", actor=users["ann"])
    reply(t["T17"], "ann", at(11, 11, 30))
    status(t["T17"], "resolved", "ann", at(11, 12))

    # T18 Frontline normal email bob, left alone for a week. FR met 1:00. UPD cycle 0 overdue
    # when resolved: 48:00, by 24:00 (due Thu 5 10:00). RES missed: 49:00, by 25:00
    # (due Wed 4 17:00). FCR.
    t["T18"] = create(at(2, 9), help_, "bob", channel="email")
    reply(t["T18"], "bob", at(2, 10))
    status(t["T18"], "resolved", "bob", at(11, 10))

    # T19 Frontline normal phone ann, waiting on the customer since Friday. FR met 0:30.
    # UPD cycle 0 overdue when paused: 31:30, by 7:30 (due Thu 09:30). RES missed before the
    # pause (due Wed 17:00), not stopped. A breach open now.
    t["T19"] = create(at(2, 9), help_, "ann", channel="phone")
    reply(t["T19"], "ann", at(2, 9, 30))
    status(t["T19"], "pending", "ann", at(6, 9))

    # T20 Ledger low chat, nobody's: 5:00 of 8:00 used by the report. Nothing decided.
    t["T20"] = create(at(13, 11), invoices, channel="chat", priority="low")

    clock.set(REPORT_AT)
    sla_sweep()
    return History(support=support, billing=billing, agents=agents, tickets=t)


H = 3600
M = 60
# Percentiles are nearest rank over buckets of business time (helpdesk/reports/buckets.py):
# the bucket holding the exact nearest-rank minute, reported as its value, the geometric mean
# of its first and last whole minute rounded to the minute. The exact figures (in the comments
# above) fall in these buckets, first–last minute:
P_1H = 63 * M  # 1:00 (60) in 60–67: √(60 × 67) = 63.4
P_1H45 = 103 * M  # 1:45 (105) in 98–109: √(98 × 109) = 103.4
P_2H = 116 * M  # 2:00 (120) in 110–123: √(110 × 123) = 116.3
P_3H = 188 * M  # 3:00 (180) in 178–199: √(178 × 199) = 188.2
P_5H = 303 * M  # 5:00 (300) in 286–322: √(286 × 322) = 303.5
P_6H = 342 * M  # 6:00 (360) in 323–363: √(323 × 363) = 342.4
P_7H30 = 433 * M  # 7:30 (450) in 409–459: √(409 × 459) = 433.3
P_31H = 1769 * M  # 31:00 (1860) in 1669–1876: √(1669 × 1876) = 1769.48
P_48H = 2823 * M  # 48:00 (2880) in 2664–2992: √(2664 × 2992) = 2823.2
# Each group's row of the report, by team; seconds are business seconds.
EXPECTED_BY_TEAM = {
    "Ledger": {
        "tickets": 4,
        "first_response_met": 2,
        "first_response_missed": 1,
        "first_response_compliance": 66.7,
        "update_met": 1,
        "update_missed": 1,
        "update_compliance": 50.0,
        "resolution_met": 2,
        "resolution_missed": 1,
        "resolution_compliance": 66.7,
        "updates_on_time": 100.0,
        "first_response_p50_seconds": P_1H,
        "first_response_p90_seconds": P_5H,
        "update_p50_seconds": P_1H,
        "update_p90_seconds": P_1H,
        "resolution_p50_seconds": P_2H,
        "resolution_p90_seconds": P_7H30,
        "first_update_p50_seconds": P_1H,
        "first_update_p90_seconds": P_5H,
        "paused_seconds": 9.5 * H,
        "paused_tickets": 1,
        "missed_by_15m": 0,
        "missed_by_1h": 1,
        "missed_by_4h": 0,
        "missed_by_1d": 0,
        "missed_by_over_1d": 0,
        "missed_running": 2,
        "breaches_open": 1,
        "open": 2,
        "backlog_1d": 0,
        "backlog_3d": 0,
        "backlog_7d": 1,
        "backlog_30d": 1,
        "backlog_older": 0,
        "resolved": 2,
        "fcr": 1,
        "fcr_rate": 50.0,
        "reopened": 0,
        "reopen_rate": 0.0,
    },
    "Frontline": {
        "tickets": 15,
        "first_response_met": 9,
        "first_response_missed": 5,
        "first_response_compliance": 64.3,
        "update_met": 3,
        "update_missed": 5,
        "update_compliance": 37.5,
        "resolution_met": 10,
        "resolution_missed": 4,
        "resolution_compliance": 71.4,
        "updates_on_time": 60.0,
        "first_response_p50_seconds": P_1H,
        "first_response_p90_seconds": P_6H,
        "update_p50_seconds": P_1H45,
        "update_p90_seconds": P_48H,
        "resolution_p50_seconds": P_3H,
        "resolution_p90_seconds": P_31H,
        "first_update_p50_seconds": P_1H,
        "first_update_p90_seconds": P_6H,
        "paused_seconds": 24.75 * H + 6 * H,
        "paused_tickets": 2,
        "missed_by_15m": 1,
        "missed_by_1h": 3,
        "missed_by_4h": 3,
        "missed_by_1d": 3,
        "missed_by_over_1d": 1,
        "missed_running": 3,
        "breaches_open": 2,
        "open": 3,
        "backlog_1d": 1,
        "backlog_3d": 0,
        "backlog_7d": 0,
        "backlog_30d": 2,
        "backlog_older": 0,
        "resolved": 12,
        "fcr": 7,
        "fcr_rate": 58.3,
        "reopened": 1,
        "reopen_rate": 8.3,
    },
    "Total": {
        "tickets": 19,
        "first_response_met": 11,
        "first_response_missed": 6,
        "first_response_compliance": 64.7,
        "update_met": 4,
        "update_missed": 6,
        "update_compliance": 40.0,
        "resolution_met": 12,
        "resolution_missed": 5,
        "resolution_compliance": 70.6,
        "updates_on_time": 66.7,
        "first_response_p50_seconds": P_1H,
        "first_response_p90_seconds": P_6H,
        "update_p50_seconds": P_1H45,
        "update_p90_seconds": P_48H,
        "resolution_p50_seconds": P_3H,
        "resolution_p90_seconds": P_31H,
        "first_update_p50_seconds": P_1H,
        "first_update_p90_seconds": P_6H,
        "paused_seconds": 24.75 * H + 6 * H + 9.5 * H,
        "paused_tickets": 3,
        "missed_by_15m": 1,
        "missed_by_1h": 4,
        "missed_by_4h": 3,
        "missed_by_1d": 3,
        "missed_by_over_1d": 1,
        "missed_running": 5,
        "breaches_open": 3,
        "open": 5,
        "backlog_1d": 1,
        "backlog_3d": 0,
        "backlog_7d": 1,
        "backlog_30d": 3,
        "backlog_older": 0,
        "resolved": 14,
        "fcr": 8,
        "fcr_rate": 57.1,
        "reopened": 1,
        "reopen_rate": 7.1,
    },
}
