"""The survey follow-ups' category (on the CX team, 48-hour resolution around the clock; each
follow-up is moved to the original ticket's team when it opens), and the survey schedules:
survey emails every minute, relationship NPS invitations every hour."""

from datetime import timedelta

from django.db import migrations

SCHEDULES = [
    ("Survey emails", "feedback.surveys.tasks.deliver_due", 1),
    ("NPS invitations", "feedback.surveys.tasks.invite_nps", 60),
]


def seed(apps, schema_editor):
    Team = apps.get_model("helpdesk", "Team")
    Category = apps.get_model("helpdesk", "Category")
    SlaPolicy = apps.get_model("helpdesk", "SlaPolicy")
    team = Team.objects.filter(slug="cx-insights").first() or Team.objects.order_by("pk").first()
    if team is not None and not Category.objects.filter(slug="survey-follow-up").exists():
        category = Category.objects.create(
            slug="survey-follow-up", name="Survey follow-up", team=team, default_priority="normal"
        )
        SlaPolicy.objects.create(
            category=category, priority="", resolution=timedelta(hours=48), resolution_24x7=True
        )
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1},
        )


def unseed(apps, schema_editor):
    names = [name for name, _func, _minutes in SCHEDULES]
    apps.get_model("django_q", "Schedule").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0004_surveys"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
