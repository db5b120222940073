"""The Satisfaction Index and the survey measures, per group and over time.

Every number is an aggregate the database computes over the survey tables (counts and sums
per group); Python only divides them (feedback.surveys.metrics). Totals add the groups' counts
and sums up, so they are exact. docs/metrics.md ("Satisfaction") defines every column.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils import timezone

from feedback.models import MessageSentiment, Touchpoint
from feedback.surveys import metrics
from feedback.surveys.models import RelationshipSurvey, TicketSurvey
from feedback.surveys.windows import DONE
from helpdesk.models import Audience, Category, Message, Team

GROUPS = {
    "overall": "Overall",
    "team": "Team",
    "category": "Category",
    "touchpoint": "Touchpoint",
    "audience": "Audience",
}
DIMENSIONS = ("team", "category", "touchpoint", "audience")
INTERVALS = {"week": "Week", "month": "Month"}
NO_TOUCHPOINT = "none"  # the filter value for answers without a touchpoint
NEGATIVE_AT_MOST = -0.05  # VADER's usual threshold for a negative text


@dataclass(frozen=True)
class SatisfactionQuery:
    """Answers from `start` to `end` (local dates, both included), grouped one way, trended
    by week or month, optionally narrowed to one team, category, touchpoint and audience."""

    start: date
    end: date
    group_by: str = "team"
    interval: str = "week"
    team_id: int | None = None
    category_id: int | None = None
    touchpoint: str = ""  # "" any, NO_TOUCHPOINT for none recorded
    audience: str = ""

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time(), tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time(), tzinfo=tz),
        )

    def filters(self) -> dict[str, object]:
        """The dimensions this query is narrowed to, and their values."""
        touchpoint = "" if self.touchpoint == NO_TOUCHPOINT else self.touchpoint or None
        values = {
            "team": self.team_id,
            "category": self.category_id,
            "touchpoint": touchpoint,
            "audience": self.audience or None,
        }
        return {name: value for name, value in values.items() if value is not None}

    def drill_down(self, key: object) -> dict[str, object] | None:
        """The parameters of a group's own breakdown: narrowed to it, grouped by the next
        dimension (team → category → touchpoint → audience → team) not narrowed yet."""
        if self.group_by == "overall":
            return {**self._params(self.filters()), "group_by": "team"}
        narrowed = {**self.filters(), self.group_by: key}
        start = DIMENSIONS.index(self.group_by) + 1
        following = [*DIMENSIONS[start:], *DIMENSIONS[:start]]
        after = next((d for d in following if d not in narrowed), None)
        if after is None:
            return None
        return {**self._params(narrowed), "group_by": after}

    @staticmethod
    def _params(filters: dict[str, object]) -> dict[str, object]:
        if filters.get("touchpoint") == "":
            return {**filters, "touchpoint": NO_TOUCHPOINT}
        return filters


@dataclass(frozen=True)
class Source:
    """One table's contribution: which rows fall in the period, by which date, and what the
    database counts over them."""

    rows: Callable[[SatisfactionQuery, datetime], QuerySet]
    date_field: str
    dimensions: dict[str, object]  # dimension -> field or expression
    aggregates: dict[str, object]


def _answered_tickets(query: SatisfactionQuery, now: datetime) -> QuerySet:
    since, until = query.bounds()
    return TicketSurvey.objects.filter(answered_at__gte=since, answered_at__lt=until)


def _offered_tickets(query: SatisfactionQuery, now: datetime) -> QuerySet:
    since, until = query.bounds()
    # Offered: its offer time passed and its ticket is still done (a reopened ticket's survey
    # is withdrawn until it is resolved again).
    return TicketSurvey.objects.filter(
        offer_at__gte=since, offer_at__lt=min(until, now), ticket__status__in=DONE
    )


def _answered_nps(query: SatisfactionQuery, now: datetime) -> QuerySet:
    since, until = query.bounds()
    return RelationshipSurvey.objects.filter(answered_at__gte=since, answered_at__lt=until)


def _invited_nps(query: SatisfactionQuery, now: datetime) -> QuerySet:
    since, until = query.bounds()
    return RelationshipSurvey.objects.filter(created_at__gte=since, created_at__lt=until)


def _messages_after_updates(query: SatisfactionQuery, now: datetime) -> QuerySet:
    since, until = query.bounds()
    earlier_update = Message.objects.filter(
        ticket_id=OuterRef("message__ticket_id"),
        kind=Message.Kind.PUBLIC_REPLY,
        created_at__lt=OuterRef("message__created_at"),
    )
    return MessageSentiment.objects.filter(
        Exists(earlier_update),
        message__kind=Message.Kind.CUSTOMER,
        message__created_at__gte=since,
        message__created_at__lt=until,
    )


SURVEY_DIMENSIONS = {
    "team": F("team_id"),
    "category": F("category_id"),
    "touchpoint": F("touchpoint"),
    "audience": F("audience"),
}
has_comment = ~Q(comment="")


def _comment_aggregates(prefix: str) -> dict:
    return {
        f"comments_{prefix}": Count("pk", filter=has_comment),
        f"sentiment_{prefix}": Sum("comment_sentiment", filter=has_comment),
        f"negative_{prefix}": Count(
            "pk", filter=has_comment & Q(comment_sentiment__lte=NEGATIVE_AT_MOST)
        ),
        f"follow_ups_{prefix}": Count("pk", filter=Q(follow_up__isnull=False)),
    }


SOURCES = (
    Source(
        _answered_tickets,
        "answered_at",
        SURVEY_DIMENSIONS,
        {
            "csat_responses": Count("csat"),
            "csat_satisfied": Count("pk", filter=Q(csat__gte=metrics.SATISFIED_MIN)),
            "ces_responses": Count("ces"),
            "ces_total": Sum("ces"),
            **_comment_aggregates("ticket"),
        },
    ),
    Source(
        _offered_tickets,
        "offer_at",
        SURVEY_DIMENSIONS,
        {"offered": Count("pk"), "offered_answered": Count("answered_at")},
    ),
    Source(
        _answered_nps,
        "answered_at",
        SURVEY_DIMENSIONS,
        {
            "nps_responses": Count("score"),
            "nps_promoters": Count("pk", filter=Q(score__gte=metrics.PROMOTER_MIN)),
            "nps_detractors": Count("pk", filter=Q(score__lte=metrics.DETRACTOR_MAX)),
            **_comment_aggregates("nps"),
        },
    ),
    Source(
        _invited_nps,
        "created_at",
        SURVEY_DIMENSIONS,
        {"nps_invited": Count("pk"), "nps_invited_answered": Count("answered_at")},
    ),
    Source(
        _messages_after_updates,
        "message__created_at",
        {
            "team": F("message__ticket__team_id"),
            "category": F("message__ticket__category_id"),
            "touchpoint": Coalesce("message__ticket__triage__touchpoint", Value("")),
            "audience": F("message__ticket__audience"),
        },
        {"after_update_messages": Count("pk"), "after_update_total": Sum("compound")},
    ),
)
RAW_KEYS = [key for source in SOURCES for key in source.aggregates]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: str  # count | percent | score | mean | sentiment | index
    section: str


SATISFACTION, QUALITY = "Satisfaction", "Response quality"
COLUMNS = (
    Column("satisfaction_index", "Satisfaction Index", "index", SATISFACTION),
    Column("csat_percent", "CSAT %", "percent", SATISFACTION),
    Column("csat_responses", "CSAT answers", "count", SATISFACTION),
    Column("nps", "NPS", "score", SATISFACTION),
    Column("nps_responses", "NPS answers", "count", SATISFACTION),
    Column("nps_promoters", "Promoters", "count", SATISFACTION),
    Column("nps_passives", "Passives", "count", SATISFACTION),
    Column("nps_detractors", "Detractors", "count", SATISFACTION),
    Column("ces_mean", "CES (mean, 7 = easiest)", "mean", SATISFACTION),
    Column("ces_responses", "CES answers", "count", SATISFACTION),
    Column("follow_ups", "Follow-ups opened", "count", SATISFACTION),
    Column("surveys_offered", "Surveys offered", "count", QUALITY),
    Column("surveys_answered", "Of them answered", "count", QUALITY),
    Column("response_rate", "Survey response rate", "percent", QUALITY),
    Column("nps_invited", "NPS invitations", "count", QUALITY),
    Column("nps_response_rate", "NPS response rate", "percent", QUALITY),
    Column("comments", "Open answers", "count", QUALITY),
    Column("comment_sentiment", "Open answers' sentiment", "sentiment", QUALITY),
    Column("negative_comments", "Negative open answers", "count", QUALITY),
    Column("after_update_messages", "Customer messages after an update", "count", QUALITY),
    Column("after_update_sentiment", "Their sentiment", "sentiment", QUALITY),
)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def derive(raw: dict[str, float], weights: dict[str, float]) -> dict[str, float | int | None]:
    """The columns from a group's counts and sums (docs/metrics.md)."""
    csat = metrics.csat_percent(
        satisfied=raw["csat_satisfied"], responses=raw["csat_responses"]
    )
    nps = metrics.net_promoter_score(
        promoters=raw["nps_promoters"],
        detractors=raw["nps_detractors"],
        responses=raw["nps_responses"],
    )
    ces = metrics.mean(raw["ces_total"], raw["ces_responses"])
    comments = raw["comments_ticket"] + raw["comments_nps"]
    return {
        "satisfaction_index": metrics.satisfaction_index(
            csat_percent=csat, nps=nps, ces_mean=ces, weights=weights
        ),
        "csat_percent": _round(csat, 1),
        "csat_responses": raw["csat_responses"],
        "nps": _round(nps, 1),
        "nps_responses": raw["nps_responses"],
        "nps_promoters": raw["nps_promoters"],
        "nps_passives": raw["nps_responses"] - raw["nps_promoters"] - raw["nps_detractors"],
        "nps_detractors": raw["nps_detractors"],
        "ces_mean": _round(ces, 2),
        "ces_responses": raw["ces_responses"],
        "follow_ups": raw["follow_ups_ticket"] + raw["follow_ups_nps"],
        "surveys_offered": raw["offered"],
        "surveys_answered": raw["offered_answered"],
        "response_rate": _round(metrics.share(raw["offered_answered"], raw["offered"]), 1),
        "nps_invited": raw["nps_invited"],
        "nps_response_rate": _round(
            metrics.share(raw["nps_invited_answered"], raw["nps_invited"]), 1
        ),
        "comments": comments,
        "comment_sentiment": _round(
            metrics.mean(raw["sentiment_ticket"] + raw["sentiment_nps"], comments), 3
        ),
        "negative_comments": raw["negative_ticket"] + raw["negative_nps"],
        "after_update_messages": raw["after_update_messages"],
        "after_update_sentiment": _round(
            metrics.mean(raw["after_update_total"], raw["after_update_messages"]), 3
        ),
    }


def _period_expression(interval: str, date_field: str):
    trunc = TruncWeek if interval == "week" else TruncMonth
    return trunc(date_field, output_field=DateField(), tzinfo=timezone.get_current_timezone())


def _as_date(value: object) -> date:
    """A truncated period as a date (PostgreSQL gives a date or datetime, SQLite text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def raw_by(query: SatisfactionQuery, grouping: str, *, now: datetime) -> dict[object, dict]:
    """{group key: counts and sums} over every source: one aggregate query per source.

    `grouping` is a dimension, "overall", or an interval ("week", "month").
    """
    groups: dict[object, dict] = {}
    for source in SOURCES:
        rows = source.rows(query, now).alias(
            **{f"dim_{name}": expression for name, expression in source.dimensions.items()}
        )
        rows = rows.filter(**{f"dim_{name}": value for name, value in query.filters().items()})
        if grouping == "overall":
            results = [{"grp": "", **rows.aggregate(**source.aggregates)}]
        else:
            expression = (
                _period_expression(grouping, source.date_field)
                if grouping in INTERVALS
                else F(f"dim_{grouping}")
            )
            results = (
                rows.annotate(grp=expression).values("grp").annotate(**source.aggregates).order_by()
            )
        for result in results:
            key = result.pop("grp")
            key = _as_date(key) if grouping in INTERVALS else key
            group = groups.setdefault("" if key is None else key, dict.fromkeys(RAW_KEYS, 0))
            for name, value in result.items():
                group[name] += value or 0
    return groups


@dataclass
class Row:
    key: object
    label: str
    values: dict[str, float | int | None]
    drill_down: dict[str, object] | None = None


@dataclass
class SatisfactionReport:
    query: SatisfactionQuery
    now: datetime
    weights: dict[str, float]
    rows: list[Row]
    total: Row
    trend: list[Row] = field(default_factory=list)


def _labels(group_by: str, keys: list) -> dict[object, str]:
    if group_by == "team":
        return dict(Team.objects.filter(pk__in=keys).values_list("pk", "name"))
    if group_by == "category":
        return dict(Category.objects.filter(pk__in=keys).values_list("pk", "name"))
    if group_by == "touchpoint":
        return {**dict(Touchpoint.choices), "": "None recorded"}
    if group_by == "audience":
        return dict(Audience.choices)
    return {"": "Everyone"}


def periods(query: SatisfactionQuery) -> list[date]:
    """The first day of every week (Monday) or month the period touches."""
    if query.interval == "week":
        first, step = query.start - timedelta(days=query.start.weekday()), "week"
    else:
        first, step = query.start.replace(day=1), "month"
    found = []
    while first <= query.end:
        found.append(first)
        if step == "week":
            first += timedelta(days=7)
        else:
            first = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return found


def period_label(start: date, interval: str) -> str:
    if interval == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.strftime("%b %Y")


def satisfaction_report(*, query: SatisfactionQuery, now: datetime) -> SatisfactionReport:
    weights = metrics.index_weights(settings.SATISFACTION_INDEX_WEIGHTS)
    groups = raw_by(query, query.group_by, now=now)
    labels = _labels(query.group_by, [key for key in groups if key != ""])
    rows = sorted(
        (
            Row(
                key=key,
                label=labels.get(key, str(key)),
                values=derive(raw, weights),
                drill_down=query.drill_down(key),
            )
            for key, raw in groups.items()
        ),
        key=lambda row: row.label.lower(),
    )
    total_raw = dict.fromkeys(RAW_KEYS, 0)
    for raw in groups.values():
        for name in RAW_KEYS:
            total_raw[name] += raw[name]
    by_period = raw_by(query, query.interval, now=now)
    empty = dict.fromkeys(RAW_KEYS, 0)
    trend = [
        Row(
            key=start,
            label=period_label(start, query.interval),
            values=derive(by_period.get(start, empty), weights),
        )
        for start in periods(query)
    ]
    return SatisfactionReport(
        query=query,
        now=now,
        weights=weights,
        rows=rows,
        total=Row(key=None, label="Total", values=derive(total_raw, weights)),
        trend=trend,
    )
