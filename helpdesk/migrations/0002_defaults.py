"""What a fresh install starts with (DOMAIN.md): calendars, the owner teams, the eight
categories and the SLA tiers. Admins change all of it afterwards."""

from datetime import timedelta

from django.db import migrations

WEEKDAYS_9_TO_5 = {str(day): [[540, 1020]] for day in range(5)}
ALWAYS = {str(day): [[0, 1440]] for day in range(7)}

TEAMS = [
    ("engineering", "Engineering"),
    ("billing", "Billing"),
    ("product", "Product"),
    ("support", "Support"),
    ("cx-insights", "CX / Insights"),
    ("content", "Content"),
    ("operations", "Operations"),
]

# slug, name, owner team, default tier, resolution target, counted around the clock?
# Targets given in hours are business hours; those given in days are calendar days.
CATEGORIES = [
    ("bug-report", "Bug report", "engineering", "high", timedelta(hours=1), False),
    ("billing", "Billing issue", "billing", "high", timedelta(hours=2), False),
    ("feature-request", "Feature request", "product", "low", timedelta(days=5), True),
    ("onboarding", "Onboarding / help", "support", "normal", timedelta(hours=4), False),
    ("performance", "Performance problem", "engineering", "high", timedelta(hours=4), False),
    ("experience", "Sentiment / experience", "cx-insights", "normal", timedelta(hours=24), True),
    ("content", "Content / communication", "content", "normal", timedelta(hours=24), True),
    ("other", "Other", "operations", "normal", timedelta(days=1), True),
]

# tier: first response, public update cadence, resolution, 24/7?
# Critical runs around the clock. The others count business hours, so DOMAIN.md's "every
# 24 hours" (normal) and "72 hours" (low) become one and three business days of 8 hours.
TIERS = [
    ("critical", timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=4), True),
    ("high", timedelta(hours=1), timedelta(hours=4), timedelta(hours=8), False),
    ("normal", timedelta(hours=4), timedelta(hours=8), timedelta(hours=24), False),
    ("low", timedelta(hours=8), timedelta(hours=24), timedelta(hours=40), False),
]


def seed(apps, schema_editor):
    Calendar = apps.get_model("helpdesk", "Calendar")
    Team = apps.get_model("helpdesk", "Team")
    Category = apps.get_model("helpdesk", "Category")
    SlaPolicy = apps.get_model("helpdesk", "SlaPolicy")
    office = Calendar.objects.create(
        name="Office hours (UTC)", timezone="UTC", weekly=WEEKDAYS_9_TO_5
    )
    Calendar.objects.create(name="Around the clock", timezone="UTC", weekly=ALWAYS)
    teams = {
        slug: Team.objects.create(slug=slug, name=name, calendar=office) for slug, name in TEAMS
    }
    for slug, name, team, tier, resolution, always in CATEGORIES:
        category = Category.objects.create(
            slug=slug, name=name, team=teams[team], default_priority=tier
        )
        SlaPolicy.objects.create(
            category=category, priority="", resolution=resolution, resolution_24x7=always
        )
    for tier, first_response, update, resolution, always in TIERS:
        SlaPolicy.objects.create(
            priority=tier,
            first_response=first_response,
            first_response_24x7=always,
            update_interval=update,
            update_24x7=always,
            resolution=resolution,
            resolution_24x7=always,
        )


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
