"""The intake rules a fresh install starts with (DOMAIN.md); admins change all of them.

Keyword rules classify feedback sent without a category. The routing rule raises a strongly
negative bug report from high to critical: DOMAIN.md uses sentiment to triage bug reports.
"""

from django.db import migrations

KEYWORDS = [
    (
        "billing",
        "invoice, billing, bill, charge, refund, payment, paid, pay, subscription, receipt, vat, price",
    ),
    (
        "performance",
        "slow, latency, lag, timeout, timing out, takes forever, loading, freez, hang, performance",
    ),
    (
        "bug-report",
        "bug, error, crash, broken, exception, not working, doesn't work, does not work, fails, failed, glitch",
    ),
    (
        "onboarding",
        "how do i, how to, getting started, set up, setup, onboarding, tutorial, log in, login, sign up, password, invite",
    ),
    (
        "feature-request",
        "feature, would be nice, please add, could you add, wish, suggest, idea, roadmap, support for",
    ),
    (
        "content",
        "typo, wording, spelling, documentation, docs, help centre, help center, article, newsletter, translation, tone",
    ),
    (
        "experience",
        "love, hate, frustrat, disappoint, annoy, delight, rude, terrible, awful, great, experience, thank",
    ),
]


def seed(apps, schema_editor):
    Category = apps.get_model("helpdesk", "Category")
    ClassificationRule = apps.get_model("feedback", "ClassificationRule")
    RoutingRule = apps.get_model("feedback", "RoutingRule")
    categories = {c.slug: c for c in Category.objects.all()}
    for position, (slug, keywords) in enumerate(KEYWORDS, start=1):
        if slug in categories:
            ClassificationRule.objects.create(
                position=position * 10, category=categories[slug], keywords=keywords
            )
    if "bug-report" in categories:
        RoutingRule.objects.create(
            name="Strongly negative bug report: critical",
            position=10,
            category=categories["bug-report"],
            sentiment_at_most=-0.6,
            priority="critical",
            tags="angry",
        )


def unseed(apps, schema_editor):
    apps.get_model("feedback", "ClassificationRule").objects.all().delete()
    apps.get_model("feedback", "RoutingRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial"), ("helpdesk", "0002_defaults")]

    operations = [migrations.RunPython(seed, unseed)]
