"""Run by the django-q2 cluster: read the intake mailbox every minute, send acknowledgements a
failed enqueue left behind, and forget idempotency keys after their 24 hours."""

from django.db import migrations

SCHEDULES = [
    ("Intake mailbox poll", "feedback.tasks.poll_mailbox", 1),
    ("Acknowledgement relay", "feedback.tasks.relay_acknowledgements", 5),
    ("Idempotency key purge", "feedback.tasks.purge_idempotency_keys", 60),
]


def schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1},
        )


def unschedule(apps, schema_editor):
    names = [name for name, _func, _minutes in SCHEDULES]
    apps.get_model("django_q", "Schedule").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0002_defaults"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
