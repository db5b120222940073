"""The SLA compliance report and its charts: aggregates in the database.

Every query reads the narrow report rows (`helpdesk.reports.models`), filtered by the ticket's
creation time, and returns one row per group; nothing here loads tickets. The definitions of
every number are in docs/metrics.md.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, DateField, F, Q
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncWeek
from django.utils import timezone

from helpdesk.models import Agent, Category, Channel, Priority, Team
from helpdesk.reports.columns import BACKLOG, CLOCKS, COLUMNS, MISSED_BY
from helpdesk.reports.measures import COUNTS, Aggregates, measures_by_group
from helpdesk.reports.models import SlaMeasure, TicketOutcome
from helpdesk.reports.query import ReportQuery, analytic_session


@dataclass
class ReportRow:
    key: object
    label: str
    values: dict[str, int | float | None]


@dataclass
class SlaReport:
    query: ReportQuery
    now: datetime
    rows: list[ReportRow]
    total: ReportRow


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _group_expression(group_by: str):
    if group_by == "week":
        tz = timezone.get_current_timezone()
        return TruncWeek("created_at", output_field=DateField(), tzinfo=tz)
    if group_by in ("team", "category", "agent"):
        return F(f"{group_by}_id")
    return F(group_by)


def _group_key(group_by: str, key: object) -> object:
    """The week of a raw query as a date (PostgreSQL gives a datetime, SQLite text)."""
    if group_by != "week" or isinstance(key, date) and not isinstance(key, datetime):
        return key
    return key.date() if isinstance(key, datetime) else date.fromisoformat(str(key)[:10])


def _ticket_aggregates(now: datetime) -> dict:
    is_open = Q(is_open=True)
    aggregates = {
        "tickets": Count("pk"),
        "open": Count("pk", filter=is_open),
        "breaches_open": Count("pk", filter=is_open & Q(breached=True)),
        "ever_resolved": Count("pk", filter=Q(was_resolved=True)),
        "n_reopened": Count("pk", filter=Q(reopened=True)),
        "fcr": Count("pk", filter=Q(first_contact_resolution=True)),
    }
    younger_than = None
    for key, days in BACKLOG:
        bucket = is_open
        if younger_than is not None:
            bucket &= Q(created_at__lte=now - timedelta(days=younger_than))
        if days is not None:
            bucket &= Q(created_at__gt=now - timedelta(days=days))
        aggregates[f"backlog_{key}"] = Count("pk", filter=bucket)
        younger_than = days
    return aggregates


def _tickets_by_group(query: ReportQuery, now: datetime) -> dict[object, dict]:
    rows = (
        TicketOutcome.objects.filter(query.cohort())
        .annotate(grp=_group_expression(query.group_by))
        .values("grp")
        .annotate(**_ticket_aggregates(now))
        .order_by()
    )
    return {_group_key(query.group_by, row.pop("grp")): row for row in rows}


# What a group without any ticket or any decided target counts.
NO_MEASURES: Aggregates = dict.fromkeys(COUNTS, 0) | dict.fromkeys(
    ("p50", "p90", "first_update_p50", "first_update_p90")
)
TICKET_COUNTS = list(_ticket_aggregates(timezone.now()))
NO_TICKETS = dict.fromkeys(TICKET_COUNTS, 0)


def _values(tickets: dict | None, clocks: dict[str, Aggregates]) -> dict[str, int | float | None]:
    tickets = tickets or NO_TICKETS
    by_clock = {clock: clocks.get(clock, NO_MEASURES) for clock in CLOCKS}
    values: dict[str, int | float | None] = {"tickets": tickets["tickets"]}
    for clock, m in by_clock.items():
        values[f"{clock}_met"] = m["n_met"]
        values[f"{clock}_missed"] = m["n"] - m["n_met"]
        values[f"{clock}_compliance"] = _percent(m["n_met"], m["n"])
        values[f"{clock}_p50_seconds"] = m["p50"]
        values[f"{clock}_p90_seconds"] = m["p90"]
    update, first = by_clock["update"], by_clock["first_response"]
    values["updates_on_time"] = _percent(update["by_reply_met"], update["by_reply"])
    values["first_update_p50_seconds"] = first["first_update_p50"]
    values["first_update_p90_seconds"] = first["first_update_p90"]
    values["paused_seconds"] = sum(m["paused_total"] or 0 for m in by_clock.values())
    values["paused_tickets"] = by_clock["resolution"]["paused_tickets"]
    for key, _ in MISSED_BY:
        values[f"missed_by_{key}"] = sum(m[f"missed_by_{key}"] for m in by_clock.values())
    values["missed_running"] = sum(m["missed_running"] for m in by_clock.values())
    for key in ("breaches_open", "open", *(f"backlog_{key}" for key, _ in BACKLOG)):
        values[key] = tickets[key]
    resolved = tickets["tickets"] - tickets["open"]
    values["resolved"] = resolved
    values["fcr"] = tickets["fcr"]
    values["fcr_rate"] = _percent(tickets["fcr"], resolved)
    values["reopened"] = tickets["n_reopened"]
    values["reopen_rate"] = _percent(tickets["n_reopened"], tickets["ever_resolved"])
    return {column.key: values[column.key] for column in COLUMNS}


def group_labels(group_by: str, keys) -> dict[object, str]:
    ids = [key for key in keys if key is not None]
    if group_by == "team":
        return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group_by == "category":
        return dict(Category.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group_by == "agent":
        agents = Agent.objects.filter(pk__in=ids).select_related("user")
        return {None: "Unassigned", **{agent.pk: str(agent) for agent in agents}}
    if group_by == "priority":
        return dict(Priority.choices)
    if group_by == "channel":
        return dict(Channel.choices)
    return {key: f"{key:%G-W%V} ({key:%d %b})" for key in ids}


def _sort_key(group_by: str, key: object, label: str) -> tuple:
    if group_by in ("priority", "channel"):
        order = Priority.values if group_by == "priority" else Channel.values
        return (order.index(key) if key in order else len(order), label)
    if group_by == "week":
        return (key, label)
    return (key is None, label.casefold())


def sla_report(*, query: ReportQuery, now: datetime) -> SlaReport:
    """The report table: one row per group with tickets in the period, and a total.

    Two passes: one over the targets (counts and percentiles, per group and in total) and one
    over the tickets, whose counts add up to the total.
    """
    with analytic_session():
        groups, total = measures_by_group(query, _group_expression(query.group_by))
        tickets = _tickets_by_group(query, now)
        groups = {_group_key(query.group_by, key): value for key, value in groups.items()}
        keys = set(groups) | set(tickets)
        labels = group_labels(query.group_by, keys)
    rows = [
        ReportRow(key, labels.get(key, str(key)), _values(tickets.get(key), groups.get(key, {})))
        for key in keys
    ]
    rows.sort(key=lambda row: _sort_key(query.group_by, row.key, row.label))
    all_tickets = {name: sum(t[name] for t in tickets.values()) for name in TICKET_COUNTS}
    return SlaReport(
        query=query, now=now, rows=rows, total=ReportRow(None, "Total", _values(all_tickets, total))
    )


@dataclass
class ComplianceSeries:
    """Compliance % per clock for each group, in the order to draw them."""

    labels: list[str]
    compliance: dict[str, list[float | None]] = field(default_factory=dict)


def compliance_by(query: ReportQuery, group_by: str) -> ComplianceSeries:
    with analytic_session():
        rows = list(
            SlaMeasure.objects.filter(query.cohort())
            .annotate(grp=_group_expression(group_by))
            .values("grp", "clock")
            .annotate(n=Count("pk"), n_met=Count("pk", filter=Q(met=True)))
            .order_by()
        )
        labels = group_labels(group_by, {row["grp"] for row in rows})
    counts = {(row["grp"], row["clock"]): row for row in rows}
    keys = sorted(
        {row["grp"] for row in rows},
        key=lambda key: _sort_key(group_by, key, labels.get(key, str(key))),
    )
    series = ComplianceSeries(labels=[labels.get(key, str(key)) for key in keys])
    for clock in CLOCKS:
        series.compliance[clock] = [
            _percent(counts[key, clock]["n_met"], counts[key, clock]["n"])
            if (key, clock) in counts
            else None
            for key in keys
        ]
    return series


def breach_heatmap(query: ReportQuery) -> list[list[int]]:
    """Missed targets by the local weekday (rows, Monday first) and hour they were missed."""
    tz = timezone.get_current_timezone()
    with analytic_session():
        cells = list(
            SlaMeasure.objects.filter(query.cohort(), met=False, breached_at__isnull=False)
            .annotate(
                weekday=ExtractIsoWeekDay("breached_at", tzinfo=tz),
                hour=ExtractHour("breached_at", tzinfo=tz),
            )
            .values("weekday", "hour")
            .annotate(breaches=Count("pk"))
            .order_by()
        )
    grid = [[0] * 24 for _ in range(7)]
    for cell in cells:
        grid[cell["weekday"] - 1][cell["hour"]] = cell["breaches"]
    return grid
