"""The SLA compliance report and its charts: aggregates in the database.

Every query reads the daily rollups for the days rolled up and the narrow report rows for the
others (`helpdesk.reports.query.coverage`), and returns one row per group from each; nothing
here loads tickets. The definitions of every number are in docs/metrics.md.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Case, Count, Q, Sum, Value, When
from django.utils import timezone

from helpdesk.models import Agent, Category, Channel, Priority, Team
from helpdesk.reports.columns import BACKLOG, CLOCKS, COLUMNS, MISSED_BY
from helpdesk.reports.counts import (
    TARGET_COUNTS,
    TICKET_AGGREGATES,
    breach_counts,
    ticket_counts,
)
from helpdesk.reports.groupings import Grouping
from helpdesk.reports.measures import (
    PERCENTILE_NAMES,
    Aggregates,
    measure_cells,
    measures_by_group,
)
from helpdesk.reports.models import BreachRollup, SlaMeasure, TicketOutcome, TicketRollup
from helpdesk.reports.query import (
    Coverage,
    ReportQuery,
    analytic_session,
    coverage,
    created_on,
    union_all,
)


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


# What a group without any ticket or any decided target counts.
NO_MEASURES: Aggregates = dict.fromkeys(TARGET_COUNTS, 0) | dict.fromkeys(PERCENTILE_NAMES)
BACKLOG_COUNTS = [f"backlog_{key}" for key, _ in BACKLOG]
OLDER = BACKLOG_COUNTS[-1]  # the open-ended bucket: 30 days and older
TICKET_COUNTS = [*TICKET_AGGREGATES, *BACKLOG_COUNTS]
NO_TICKETS = dict.fromkeys(TICKET_COUNTS, 0)


def _tickets_by_group(query: ReportQuery, now: datetime) -> dict[object, dict]:
    covered = coverage(query)
    by = Grouping(query.group_by)
    parts = []
    rolled = covered.rolled(whole_months=by.whole_months)
    if rolled is not None:
        parts.append(
            TicketRollup.objects.filter(rolled, dimension=by.dimension)
            .annotate(grp=by.rolled())
            .values("grp")
            .annotate(**{name: Sum(name) for name in TICKET_AGGREGATES})
            .order_by()
        )
    if covered.raw is not None:
        rows = TicketOutcome.objects.filter(covered.raw).annotate(grp=by.raw())
        parts.append(ticket_counts(rows, ["grp"]))
    groups: dict[object, dict] = {}
    for row in union_all(parts):
        counts = groups.setdefault(by.key(row["grp"]), dict(NO_TICKETS))
        for name in TICKET_AGGREGATES:
            counts[name] += int(row[name])  # PostgreSQL may sum to numeric
    for key, younger in _backlog(query, now, by, covered).items():
        groups.setdefault(key, dict(NO_TICKETS)).update(younger)
    for counts in groups.values():
        counts[OLDER] = counts["open"] - sum(counts[name] for name in BACKLOG_COUNTS[:-1])
    return groups


def _backlog(
    query: ReportQuery, now: datetime, by: Grouping, covered: Coverage
) -> dict[object, dict[str, int]]:
    """Open tickets younger than 30 days now, per group and age bucket (the older ones are
    the rest of the group's open tickets).

    A day entirely within one bucket counts its rollup's open tickets there; only the days
    a bucket's boundary (now minus 1, 3, 7 or 30 days) falls in, and the days whose rollups
    are behind, are counted from their open tickets."""
    tz = timezone.get_current_timezone()
    bounds = [(f"backlog_{key}", now - timedelta(days=days)) for key, days in BACKLOG if days]
    split = {timezone.localdate(bound, tz) for _, bound in bounds}
    oldest = max(query.start, timezone.localdate(bounds[-1][1], tz))
    recent = [oldest + timedelta(days=n) for n in range((query.end - oldest).days + 1)]
    rolled_days = set(covered.rolled_days)
    whole = [day for day in recent if day in rolled_days and day not in split]
    parts = []
    if whole:
        # A whole day is younger than a bound when it starts after the bound's day.
        age = Case(
            *(
                When(day__gt=timezone.localdate(bound, tz), then=Value(key))
                for key, bound in bounds
            ),
            default=Value(OLDER),
        )
        parts.append(
            TicketRollup.objects.filter(
                whole_month=False, day__in=whole, audience=query.audience, dimension=by.dimension
            )
            .annotate(grp=by.rolled(), age=age)
            .values("grp", "age")
            .annotate(tickets=Sum("open"))
            .order_by()
        )
    split_days = [day for day in recent if day not in whole]
    if split_days:
        age = Case(
            *(When(created_at__gt=bound, then=Value(key)) for key, bound in bounds),
            default=Value(OLDER),
        )
        audience = Q(audience=query.audience) if query.audience else Q()
        parts.append(
            TicketOutcome.objects.filter(created_on(split_days, tz), audience, is_open=True)
            .annotate(grp=by.raw(), age=age)
            .values("grp", "age")
            .annotate(tickets=Count("pk"))
            .order_by()
        )
    backlog: dict[object, dict[str, int]] = {}
    for row in union_all(parts):
        if row["age"] != OLDER:
            counts = backlog.setdefault(by.key(row["grp"]), dict.fromkeys(BACKLOG_COUNTS[:-1], 0))
            counts[row["age"]] += int(row["tickets"])
    return backlog


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
    for key in ("breaches_open", "open", *BACKLOG_COUNTS):
        values[key] = tickets[key]
    resolved = tickets["tickets"] - tickets["open"]
    values["resolved"] = resolved
    values["fcr"] = tickets["fcr"]
    values["fcr_rate"] = _percent(tickets["fcr"], resolved)
    values["reopened"] = tickets["reopened"]
    values["reopen_rate"] = _percent(tickets["reopened"], tickets["ever_resolved"])
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

    Two counts: the targets (counts and bucketed business times, per group and clock) and
    the tickets; the total adds up the groups, whose tickets and targets do not overlap.
    """
    with analytic_session():
        groups, total = measures_by_group(query)
        tickets = _tickets_by_group(query, now)
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
        counts = measure_cells(query, group_by, ["n", "n_met"])
        group_keys = {key for key, clock in counts if clock in CLOCKS}
        labels = group_labels(group_by, group_keys)
    keys = sorted(group_keys, key=lambda key: _sort_key(group_by, key, labels.get(key, str(key))))
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
    with analytic_session():
        covered = coverage(query)
        parts = []
        rolled = covered.rolled()
        if rolled is not None:
            parts.append(
                BreachRollup.objects.filter(rolled)
                .values("weekday", "hour")
                .annotate(breaches=Sum("breaches"))
                .order_by()
            )
        if covered.raw is not None:
            rows = SlaMeasure.objects.filter(covered.raw)
            parts.append(breach_counts(rows, [], timezone.get_current_timezone()))
        cells = union_all(parts)
    grid = [[0] * 24 for _ in range(7)]
    for cell in cells:
        grid[int(cell["weekday"]) - 1][int(cell["hour"])] += int(cell["breaches"])
    return grid
