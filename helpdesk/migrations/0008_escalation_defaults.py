"""A default escalation policy, and the schedules of the background SLA work.

The SLA sweep gets a second schedule half a minute after the first: django-q2's scheduler
wakes about every 30 s, so two per-minute schedules half a minute apart keep the gap between
sweeps near 30 s (docs/sla.md, "Detection lag"). Sweeps that overlap are safe (SKIP LOCKED).
"""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

# at percent of the target, notify the assignee, notify the team lead
DEFAULT_STEPS = [(75, True, False), (90, True, False), (100, True, True)]


def seed(apps, schema_editor):
    Policy = apps.get_model("helpdesk", "EscalationPolicy")
    Step = apps.get_model("helpdesk", "EscalationStep")
    policy, created = Policy.objects.get_or_create(team=None, priority="")
    if created:
        for at_percent, assignee, lead in DEFAULT_STEPS:
            Step.objects.create(
                policy=policy,
                at_percent=at_percent,
                notify_assignee=assignee,
                notify_team_lead=lead,
            )

    Schedule = apps.get_model("django_q", "Schedule")
    sweep = Schedule.objects.filter(name="SLA sweep").first()
    first = sweep.next_run if sweep and sweep.next_run else timezone.now()
    Schedule.objects.update_or_create(
        name="SLA sweep (half past)",
        defaults={
            "func": "helpdesk.tasks.sweep_sla",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
            "next_run": first + timedelta(seconds=30),
        },
    )
    Schedule.objects.update_or_create(
        name="Emails and webhooks",
        defaults={
            "func": "helpdesk.tasks.deliver_due",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
        },
    )


def unseed(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=["SLA sweep (half past)", "Emails and webhooks"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0007_escalation_notifications"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
