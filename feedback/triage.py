"""Triage decisions as plain functions over the rules: sentiment, category and routing.

Each decision carries its reason, so an agent can see why a ticket landed where it did.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from feedback.models import ClassificationRule, RoutingRule
from helpdesk.models import Category, Team

SIMILAR_SUBJECT_RATIO = 0.8


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def sentiment_score(text: str) -> float:
    """VADER's compound score: −1 very negative … 1 very positive."""
    return _analyzer().polarity_scores(text)["compound"]


def keywords_found(keywords: Iterable[str], text: str) -> list[str]:
    """The keywords that start a word of the text ('crash' finds 'crashes')."""
    lowered = text.lower()
    return [k for k in keywords if re.search(r"(?<!\w)" + re.escape(k), lowered)]


@dataclass(frozen=True)
class Classification:
    category: Category
    rule: ClassificationRule | None
    reason: str


def classify(
    *, text: str, rules: Iterable[ClassificationRule], fallback: Category
) -> Classification:
    """The category of the rule whose keywords match most often; ties go to the earlier rule."""
    best: tuple[int, ClassificationRule, list[str]] | None = None
    for rule in rules:
        found = keywords_found(rule.keyword_list, text)
        if found and (best is None or len(found) > best[0]):
            best = (len(found), rule, found)
    if best is None:
        return Classification(fallback, None, "No keyword rule matched: the default category.")
    _count, rule, found = best
    return Classification(
        rule.category, rule, f"Keyword rule #{rule.pk} matched: {', '.join(found)}."
    )


@dataclass(frozen=True)
class Arrival:
    """What routing rules may look at."""

    category: Category
    channel: str
    audience: str
    touchpoint: str
    text: str
    sentiment: float
    email: str


@dataclass
class Routing:
    team: Team | None = None
    priority: str = ""
    tags: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


def customer_matches(pattern: str, email: str) -> bool:
    """An exact address, or "@domain" for every address there."""
    pattern, email = pattern.strip().lower(), email.lower()
    if not pattern:
        return True
    if not email:
        return False
    return email.endswith(pattern) if pattern.startswith("@") else email == pattern


def rule_matches(rule: RoutingRule, arrival: Arrival) -> bool:
    return (
        (rule.category_id is None or rule.category_id == arrival.category.pk)
        and rule.channel in ("", arrival.channel)
        and rule.audience in ("", arrival.audience)
        and rule.touchpoint in ("", arrival.touchpoint)
        and (not rule.keyword_list or bool(keywords_found(rule.keyword_list, arrival.text)))
        and (rule.sentiment_at_most is None or arrival.sentiment <= rule.sentiment_at_most)
        and customer_matches(rule.customer, arrival.email)
    )


def route(*, arrival: Arrival, rules: Iterable[RoutingRule]) -> Routing:
    """Apply the matching rules in order (see RoutingRule for who wins what)."""
    routing = Routing()
    for rule in rules:
        if not rule_matches(rule, arrival):
            continue
        routing.rules.append(rule.name)
        if routing.team is None and rule.team is not None:
            routing.team = rule.team
        if not routing.priority and rule.priority:
            routing.priority = rule.priority
        routing.tags.extend(tag for tag in rule.tag_list if tag not in routing.tags)
    return routing


def normalised_subject(subject: str) -> str:
    return re.sub(r"^\s*((re|fwd?|aw|wg)\s*:\s*)+", "", subject, flags=re.IGNORECASE).lower()


def similar_subjects(a: str, b: str) -> bool:
    ratio = SequenceMatcher(None, normalised_subject(a), normalised_subject(b)).ratio()
    return ratio >= SIMILAR_SUBJECT_RATIO
