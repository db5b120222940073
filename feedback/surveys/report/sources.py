"""The tables a Satisfaction report reads, and what the database counts over each: one
aggregate query per table, grouped by a dimension or a period, filtered by the query."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, DateField, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils import timezone

from feedback.models import MessageSentiment
from feedback.surveys import metrics
from feedback.surveys.models import RelationshipSurvey, TicketSurvey
from feedback.surveys.report.query import INTERVALS, SatisfactionQuery
from helpdesk.models import Message

NEGATIVE_AT_MOST = -0.05  # VADER's usual threshold for a negative text


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
    # A reopened ticket's survey has no offer time until it is resolved again.
    return TicketSurvey.objects.filter(offer_at__gte=since, offer_at__lt=min(until, now))


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
