"""The report's groupings, clocks, buckets and columns: one table for the page, CSV and API."""

from dataclasses import dataclass

GROUPS = {
    "team": "Team",
    "category": "Category",
    "priority": "Priority",
    "agent": "Agent",
    "channel": "Channel",
    "week": "Week",
}
CLOCKS = {
    "first_response": "First response",
    "update": "Public update",
    "resolution": "Resolution",
}
MINUTE, HOUR, DAY = 60, 3600, 86400
# Upper bounds (business seconds) of the missed-by buckets; the last one is open-ended.
MISSED_BY = [("15m", 15 * MINUTE), ("1h", HOUR), ("4h", 4 * HOUR), ("1d", DAY), ("over_1d", None)]
# Upper bounds (days of age) of the backlog buckets.
BACKLOG = [("1d", 1), ("3d", 3), ("7d", 7), ("30d", 30), ("older", None)]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: str  # count | percent | seconds
    section: str


def _columns() -> list[Column]:
    columns = [Column("tickets", "Tickets", "count", "Compliance")]
    for clock, name in CLOCKS.items():
        columns += [
            Column(f"{clock}_met", f"{name} met", "count", "Compliance"),
            Column(f"{clock}_missed", f"{name} missed", "count", "Compliance"),
            Column(f"{clock}_compliance", f"{name} compliance", "percent", "Compliance"),
        ]
    columns.append(Column("updates_on_time", "Public updates on time", "percent", "Compliance"))
    for clock, name in CLOCKS.items():
        columns += [
            Column(f"{clock}_p50_seconds", f"{name} p50", "seconds", "Business time"),
            Column(f"{clock}_p90_seconds", f"{name} p90", "seconds", "Business time"),
        ]
    columns += [
        Column("first_update_p50_seconds", "First public update p50", "seconds", "Business time"),
        Column("first_update_p90_seconds", "First public update p90", "seconds", "Business time"),
        Column("paused_seconds", "Time paused", "seconds", "Business time"),
        Column("paused_tickets", "Tickets paused", "count", "Business time"),
    ]
    missed_labels = ["≤ 15 min", "15 min–1 h", "1–4 h", "4 h–1 day", "> 1 day"]
    for (key, _), label in zip(MISSED_BY, missed_labels, strict=True):
        columns.append(Column(f"missed_by_{key}", f"Missed by {label}", "count", "Missed by"))
    columns.append(Column("missed_running", "Missed, still running", "count", "Missed by"))
    columns += [
        Column("breaches_open", "Breaches now open", "count", "Backlog and quality"),
        Column("open", "Open now", "count", "Backlog and quality"),
    ]
    backlog_labels = ["< 1 day", "1–3 days", "3–7 days", "7–30 days", "≥ 30 days"]
    for (key, _), label in zip(BACKLOG, backlog_labels, strict=True):
        columns.append(Column(f"backlog_{key}", f"Open {label}", "count", "Backlog and quality"))
    columns += [
        Column("resolved", "Resolved now", "count", "Backlog and quality"),
        Column("fcr", "First contact resolutions", "count", "Backlog and quality"),
        Column("fcr_rate", "FCR rate", "percent", "Backlog and quality"),
        Column("reopened", "Reopened", "count", "Backlog and quality"),
        Column("reopen_rate", "Reopen rate", "percent", "Backlog and quality"),
    ]
    return columns


COLUMNS = _columns()
