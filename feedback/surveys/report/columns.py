"""The report's columns, derived from a group's counts and sums (docs/metrics.md)."""

from dataclasses import dataclass

from feedback.surveys import metrics


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
    csat = metrics.csat_percent(satisfied=raw["csat_satisfied"], responses=raw["csat_responses"])
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
