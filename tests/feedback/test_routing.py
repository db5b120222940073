"""Triage: every category lands on its team and SLA; rules, sentiment and classification."""

from datetime import UTC, datetime

import pytest

from feedback.models import ClassificationRule, RoutingRule
from feedback.triage import Arrival, classify, route, rule_matches, similar_subjects
from helpdesk.models import Category, Team
from tests.feedback.conftest import feedback, post, ticket_of

pytestmark = pytest.mark.django_db


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


# DOMAIN.md's taxonomy as seeded, submitted Monday 2 March 2026 09:00 UTC (office hours 9–17).
TAXONOMY = [
    # slug, owner team, tier, resolution due, words that classify it
    ("bug-report", "engineering", "high", at(2, 10), "The app crashes when I press save"),
    ("billing", "billing", "high", at(2, 11), "I was charged twice on my invoice"),
    ("feature-request", "product", "low", at(7, 9), "Please add a dark mode, it would be nice"),
    ("onboarding", "support", "normal", at(2, 13), "How do I invite my team when getting started?"),
    ("performance", "engineering", "high", at(2, 13), "Pages are slow and time out while loading"),
    ("experience", "cx-insights", "normal", at(3, 9), "I love the new design, great experience"),
    ("content", "content", "normal", at(3, 9), "There is a typo in the help centre article"),
    ("other", "operations", "normal", at(3, 9), "Where is your office located?"),
]


@pytest.mark.parametrize(("slug", "team", "tier", "resolution_due", "text"), TAXONOMY)
def test_each_category_lands_on_its_team_with_its_sla(
    api, clock, slug, team, tier, resolution_due, text
):
    response = post(api, feedback(subject="About your product", message=text, category=slug))

    ticket = ticket_of(response)
    assert (ticket.category.slug, ticket.team.slug, ticket.priority) == (slug, team, tier)
    assert ticket.resolution_due == resolution_due
    assert response.json()["sla"]["resolution_due"] == resolution_due.isoformat()


@pytest.mark.parametrize(("slug", "team", "tier", "resolution_due", "text"), TAXONOMY)
def test_feedback_without_a_category_is_classified_by_keywords(
    api, clock, slug, team, tier, resolution_due, text
):
    ticket = ticket_of(post(api, feedback(subject="Hello", message=text)))

    assert (ticket.category.slug, ticket.team.slug) == (slug, team)
    if slug == "other":
        assert ticket.triage.classified_by is None
        assert "No keyword rule matched" in ticket.triage.classification
    else:
        assert ticket.triage.classified_by.category.slug == slug
        assert ticket.triage.classification.startswith("Keyword rule #")


def test_a_chosen_category_is_kept_whatever_the_words(api):
    ticket = ticket_of(post(api, feedback(message="crash crash crash", category="content")))

    assert ticket.category.slug == "content"
    assert ticket.triage.classification == "Chosen by the requester."


def test_a_strongly_negative_bug_report_is_raised_in_priority(api):
    angry = feedback(
        subject="Your app crashed AGAIN",
        message="This is terrible. I lost all my work and I am furious, it is useless!",
        category="bug-report",
    )

    ticket = ticket_of(post(api, angry))

    assert ticket.triage.sentiment <= -0.6
    assert ticket.priority == "critical"
    assert ticket.triage.routed_by == ["Strongly negative bug report: critical"]
    assert ticket.triage.tags == ["angry"]


def test_a_calm_bug_report_keeps_its_categorys_tier(api):
    calm = feedback(message="The export button does nothing.", category="bug-report")

    ticket = ticket_of(post(api, calm))

    assert ticket.priority == "high"
    assert ticket.triage.routed_by == []


def test_a_routing_rule_moves_the_team_before_assignment(api, make_agent):
    vip_team = Team.objects.get(slug="support")
    agent = make_agent("vera", teams=[vip_team])
    RoutingRule.objects.create(
        name="Key accounts", customer="@bigcorp.example", team=vip_team, priority="high"
    )

    ticket = ticket_of(post(api, feedback(email="cfo@bigcorp.example", category="billing")))

    assert (ticket.team, ticket.priority, ticket.assignee) == (vip_team, "high", agent)


def test_rules_apply_in_order_and_their_tags_add_up(api):
    product, content = Team.objects.get(slug="product"), Team.objects.get(slug="content")
    RoutingRule.objects.create(name="Checkout", position=1, touchpoint="checkout", tags="checkout")
    RoutingRule.objects.create(name="Widget", position=2, channel="widget", team=product, tags="ux")
    RoutingRule.objects.create(name="Late", position=3, channel="widget", team=content, tags="ux")

    ticket = ticket_of(post(api, feedback(channel="widget", touchpoint="checkout")))

    assert ticket.team == product
    assert ticket.triage.routed_by == ["Checkout", "Widget", "Late"]
    assert ticket.triage.tags == ["checkout", "ux"]


@pytest.fixture
def arrival():
    def make(**overrides) -> Arrival:
        fields = {
            "category": Category.objects.get(slug="billing"),
            "channel": "web",
            "audience": "customer",
            "touchpoint": "",
            "text": "My invoice is wrong",
            "sentiment": 0.0,
            "email": "ada@shop.example",
        }
        fields.update(overrides)
        return Arrival(**fields)

    return make


@pytest.mark.parametrize(
    ("condition", "matching", "other"),
    [
        ({"channel": "email"}, {"channel": "email"}, {"channel": "web"}),
        ({"audience": "employee"}, {"audience": "employee"}, {"audience": "customer"}),
        ({"touchpoint": "delivery"}, {"touchpoint": "delivery"}, {"touchpoint": ""}),
        ({"keywords": "refund, chargeback"}, {"text": "I want a REFUND"}, {"text": "Hello"}),
        ({"sentiment_at_most": -0.5}, {"sentiment": -0.7}, {"sentiment": -0.2}),
        ({"customer": "@shop.example"}, {"email": "bo@shop.example"}, {"email": "bo@x.example"}),
        ({"customer": "ada@shop.example"}, {"email": "ADA@shop.example"}, {"email": ""}),
    ],
)
def test_each_rule_condition_matches_only_its_arrivals(arrival, condition, matching, other):
    rule = RoutingRule(name="Rule", priority="high", **condition)

    assert rule_matches(rule, arrival(**matching))
    assert not rule_matches(rule, arrival(**other))


def test_a_rule_on_a_category_ignores_other_categories(arrival):
    rule = RoutingRule(name="Bugs", category=Category.objects.get(slug="bug-report"), tags="x")

    assert not rule_matches(rule, arrival())
    assert rule_matches(rule, arrival(category=Category.objects.get(slug="bug-report")))


def test_an_inactive_rule_does_nothing(api):
    RoutingRule.objects.update(is_active=False)
    angry = feedback(message="Terrible, useless, I am furious!", category="bug-report")

    assert ticket_of(post(api, angry)).priority == "high"


def test_route_without_matching_rules_changes_nothing(arrival):
    routing = route(arrival=arrival(), rules=[RoutingRule(name="x", channel="phone", tags="t")])

    assert (routing.team, routing.priority, routing.tags, routing.rules) == (None, "", [], [])


def test_the_rule_with_most_keyword_matches_wins_and_says_why():
    billing = Category.objects.get(slug="billing")
    bugs = Category.objects.get(slug="bug-report")
    rules = [
        ClassificationRule(pk=1, position=1, category=bugs, keywords="error"),
        ClassificationRule(pk=2, position=2, category=billing, keywords="invoice, charge"),
    ]

    result = classify(text="Error: the invoice charged me twice", rules=rules, fallback=bugs)

    assert result.category == billing
    assert result.reason == "Keyword rule #2 matched: invoice, charge."


def test_keywords_match_the_start_of_words_only():
    bugs = Category.objects.get(slug="bug-report")
    other = Category.objects.get(slug="other")
    rules = [ClassificationRule(pk=1, category=bugs, keywords="crash")]

    assert classify(text="It crashes", rules=rules, fallback=other).category == bugs
    assert classify(text="A car-crash", rules=rules, fallback=other).category == bugs
    assert classify(text="Mycrash", rules=rules, fallback=other).category == other


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        ("Cannot export my report", "Re: Cannot export my report", True),
        ("Cannot export my report", "Cannot export my reports", True),
        ("Cannot export my report", "Invoice is wrong", False),
    ],
)
def test_similar_subjects(a, b, similar):
    assert similar_subjects(a, b) is similar
