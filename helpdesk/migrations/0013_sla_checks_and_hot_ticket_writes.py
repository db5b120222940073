"""The SLA sweep's writes to a ticket become HOT updates (no new index entries).

- The next-check instant moves from an indexed ticket column to its own table, SlaCheck.
- The ticket table keeps a sixth of each page free (PostgreSQL's fillfactor), so the new
  version of a row fits beside the old one. Pages written before this keep their fill until
  the table is rewritten (VACUUM FULL or pg_repack), which is left to the operator.
- Indexes nothing reads go: the token hash's LIKE index (it becomes a unique constraint),
  and the single-column indexes of ticket and requester foreign keys that composite indexes
  starting with the same column already cover.
"""

import django.db.models.deletion
from django.db import migrations, models

TICKET_FILLFACTOR = 85


def checks_copy(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO helpdesk_slacheck (ticket_id, at) "
        "SELECT id, sla_next_check_at FROM helpdesk_ticket WHERE sla_next_check_at IS NOT NULL"
    )


def checks_copy_back(apps, schema_editor):
    schema_editor.execute(
        "UPDATE helpdesk_ticket SET sla_next_check_at = "
        "(SELECT at FROM helpdesk_slacheck c WHERE c.ticket_id = helpdesk_ticket.id)"
    )


def fillfactor(value):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE helpdesk_ticket SET (fillfactor = {value})")

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0012_report_rollups"),
    ]

    operations = [
        migrations.CreateModel(
            name="SlaCheck",
            fields=[
                (
                    "ticket",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="sla_check",
                        serialize=False,
                        to="helpdesk.ticket",
                    ),
                ),
                ("at", models.DateTimeField()),
            ],
            options={
                "indexes": [models.Index(fields=["at"], name="sla_check_at")],
            },
        ),
        migrations.RunPython(checks_copy, checks_copy_back),
        migrations.RemoveIndex(model_name="ticket", name="ticket_sla_next_check"),
        migrations.RemoveField(model_name="ticket", name="sla_next_check_at"),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.UniqueConstraint(
                fields=("public_token_hash",), name="ticket_public_token_hash"
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="public_token_hash",
            field=models.CharField(max_length=64),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="requester",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="tickets",
                to="helpdesk.contact",
            ),
        ),
        migrations.AlterField(
            model_name="ticketevent",
            name="ticket",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="helpdesk.ticket",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="ticket",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notifications",
                to="helpdesk.ticket",
            ),
        ),
        migrations.RunPython(fillfactor(TICKET_FILLFACTOR), fillfactor(100)),
    ]
