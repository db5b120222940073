"""Daily rollups of the SLA report (helpdesk/reports/rollups.py), refreshed every minute.

Every day that already has tickets is marked dirty, so reports read those days' report rows
until the refresh (the schedule, or `manage.py report_rollups_refresh`) has rolled them up.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import TruncDate

SCHEDULE = "Report rollups"


def mark_every_day(apps, schema_editor):
    from zoneinfo import ZoneInfo

    TicketOutcome = apps.get_model("helpdesk", "TicketOutcome")
    ReportDirtyDay = apps.get_model("helpdesk", "ReportDirtyDay")
    ReportRollupState = apps.get_model("helpdesk", "ReportRollupState")
    day = TruncDate("created_at", tzinfo=ZoneInfo(settings.TIME_ZONE))
    days = TicketOutcome.objects.annotate(day=day).values_list("day", flat=True).distinct()
    ReportDirtyDay.objects.bulk_create(ReportDirtyDay(day=d) for d in days)
    ReportRollupState.objects.create(pk=1, time_zone=settings.TIME_ZONE)


def schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=SCHEDULE,
        defaults={
            "func": "helpdesk.reports.tasks.refresh_report_rollups",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE).delete()


class Migration(migrations.Migration):
    # 0010_reports is where the report rows come from; 0011 is another change's (queue
    # indexes), depended on only to keep one line of migrations.
    dependencies = [
        ("helpdesk", "0011_queue_indexes_end_in_team"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportDirtyDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(db_index=True)),
            ],
        ),
        migrations.CreateModel(
            name="ReportRollupState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("time_zone", models.CharField(max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="BreachRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(help_text="The day, or the first day of the month.")),
                ("whole_month", models.BooleanField(default=False)),
                ("audience", models.CharField(blank=True, max_length=10)),
                ("weekday", models.PositiveSmallIntegerField()),
                ("hour", models.PositiveSmallIntegerField()),
                ("breaches", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("audience", "day", "whole_month", "weekday", "hour"),
                        name="breach_rollup_once",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SlaRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(help_text="The day, or the first day of the month.")),
                ("whole_month", models.BooleanField(default=False)),
                ("audience", models.CharField(blank=True, max_length=10)),
                (
                    "dimension",
                    models.CharField(
                        choices=[
                            ("team", "Team"),
                            ("category", "Category"),
                            ("priority", "Priority"),
                            ("agent", "Agent"),
                            ("channel", "Channel"),
                            ("all", "All tickets"),
                        ],
                        max_length=10,
                    ),
                ),
                ("group_key", models.CharField(blank=True, max_length=20)),
                ("clock", models.CharField(max_length=20)),
                ("n", models.IntegerField(default=0)),
                ("n_met", models.IntegerField(default=0)),
                ("by_reply", models.IntegerField(default=0)),
                ("by_reply_met", models.IntegerField(default=0)),
                ("paused_total", models.BigIntegerField(default=0)),
                ("paused_tickets", models.IntegerField(default=0)),
                ("missed_running", models.IntegerField(default=0)),
                ("missed_by_15m", models.IntegerField(default=0)),
                ("missed_by_1h", models.IntegerField(default=0)),
                ("missed_by_4h", models.IntegerField(default=0)),
                ("missed_by_1d", models.IntegerField(default=0)),
                ("missed_by_over_1d", models.IntegerField(default=0)),
                ("b00", models.IntegerField(default=0)),
                ("b01", models.IntegerField(default=0)),
                ("b02", models.IntegerField(default=0)),
                ("b03", models.IntegerField(default=0)),
                ("b04", models.IntegerField(default=0)),
                ("b05", models.IntegerField(default=0)),
                ("b06", models.IntegerField(default=0)),
                ("b07", models.IntegerField(default=0)),
                ("b08", models.IntegerField(default=0)),
                ("b09", models.IntegerField(default=0)),
                ("b10", models.IntegerField(default=0)),
                ("b11", models.IntegerField(default=0)),
                ("b12", models.IntegerField(default=0)),
                ("b13", models.IntegerField(default=0)),
                ("b14", models.IntegerField(default=0)),
                ("b15", models.IntegerField(default=0)),
                ("b16", models.IntegerField(default=0)),
                ("b17", models.IntegerField(default=0)),
                ("b18", models.IntegerField(default=0)),
                ("b19", models.IntegerField(default=0)),
                ("b20", models.IntegerField(default=0)),
                ("b21", models.IntegerField(default=0)),
                ("b22", models.IntegerField(default=0)),
                ("b23", models.IntegerField(default=0)),
                ("b24", models.IntegerField(default=0)),
                ("b25", models.IntegerField(default=0)),
                ("b26", models.IntegerField(default=0)),
                ("b27", models.IntegerField(default=0)),
                ("b28", models.IntegerField(default=0)),
                ("b29", models.IntegerField(default=0)),
                ("b30", models.IntegerField(default=0)),
                ("b31", models.IntegerField(default=0)),
                ("b32", models.IntegerField(default=0)),
                ("b33", models.IntegerField(default=0)),
                ("b34", models.IntegerField(default=0)),
                ("b35", models.IntegerField(default=0)),
                ("b36", models.IntegerField(default=0)),
                ("b37", models.IntegerField(default=0)),
                ("b38", models.IntegerField(default=0)),
                ("b39", models.IntegerField(default=0)),
                ("b40", models.IntegerField(default=0)),
                ("b41", models.IntegerField(default=0)),
                ("b42", models.IntegerField(default=0)),
                ("b43", models.IntegerField(default=0)),
                ("b44", models.IntegerField(default=0)),
                ("b45", models.IntegerField(default=0)),
                ("b46", models.IntegerField(default=0)),
                ("b47", models.IntegerField(default=0)),
                ("b48", models.IntegerField(default=0)),
                ("b49", models.IntegerField(default=0)),
                ("b50", models.IntegerField(default=0)),
                ("b51", models.IntegerField(default=0)),
                ("b52", models.IntegerField(default=0)),
                ("b53", models.IntegerField(default=0)),
                ("b54", models.IntegerField(default=0)),
                ("b55", models.IntegerField(default=0)),
                ("b56", models.IntegerField(default=0)),
                ("b57", models.IntegerField(default=0)),
                ("b58", models.IntegerField(default=0)),
                ("b59", models.IntegerField(default=0)),
                ("b60", models.IntegerField(default=0)),
                ("b61", models.IntegerField(default=0)),
                ("b62", models.IntegerField(default=0)),
                ("b63", models.IntegerField(default=0)),
                ("b64", models.IntegerField(default=0)),
                ("b65", models.IntegerField(default=0)),
                ("b66", models.IntegerField(default=0)),
                ("b67", models.IntegerField(default=0)),
                ("b68", models.IntegerField(default=0)),
                ("b69", models.IntegerField(default=0)),
                ("b70", models.IntegerField(default=0)),
                ("b71", models.IntegerField(default=0)),
                ("b72", models.IntegerField(default=0)),
                ("b73", models.IntegerField(default=0)),
                ("b74", models.IntegerField(default=0)),
                ("b75", models.IntegerField(default=0)),
                ("b76", models.IntegerField(default=0)),
                ("b77", models.IntegerField(default=0)),
                ("b78", models.IntegerField(default=0)),
                ("b79", models.IntegerField(default=0)),
                ("b80", models.IntegerField(default=0)),
                ("b81", models.IntegerField(default=0)),
                ("b82", models.IntegerField(default=0)),
                ("b83", models.IntegerField(default=0)),
                ("b84", models.IntegerField(default=0)),
                ("b85", models.IntegerField(default=0)),
                ("b86", models.IntegerField(default=0)),
                ("b87", models.IntegerField(default=0)),
                ("b88", models.IntegerField(default=0)),
                ("b89", models.IntegerField(default=0)),
                ("b90", models.IntegerField(default=0)),
                ("b91", models.IntegerField(default=0)),
                ("b92", models.IntegerField(default=0)),
                ("b93", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=(
                            "dimension",
                            "audience",
                            "day",
                            "whole_month",
                            "group_key",
                            "clock",
                        ),
                        name="sla_rollup_once",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="TicketRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(help_text="The day, or the first day of the month.")),
                ("whole_month", models.BooleanField(default=False)),
                ("audience", models.CharField(blank=True, max_length=10)),
                (
                    "dimension",
                    models.CharField(
                        choices=[
                            ("team", "Team"),
                            ("category", "Category"),
                            ("priority", "Priority"),
                            ("agent", "Agent"),
                            ("channel", "Channel"),
                            ("all", "All tickets"),
                        ],
                        max_length=10,
                    ),
                ),
                ("group_key", models.CharField(blank=True, max_length=20)),
                ("tickets", models.IntegerField(default=0)),
                ("open", models.IntegerField(default=0)),
                ("breaches_open", models.IntegerField(default=0)),
                ("ever_resolved", models.IntegerField(default=0)),
                ("reopened", models.IntegerField(default=0)),
                ("fcr", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("dimension", "audience", "day", "whole_month", "group_key"),
                        name="ticket_rollup_once",
                    )
                ],
            },
        ),
        migrations.RunPython(mark_every_day, migrations.RunPython.noop),
        migrations.RunPython(schedule, unschedule),
    ]
