"""The queue indexes that are not per team end in the team, so an agent's queue counts are
answered from the index alone (see Ticket.Meta)."""

from django.db import migrations, models

OPEN = models.Q(("status__in", ("new", "open", "pending", "on_hold")))


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0010_reports"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="ticket", name="ticket_agent_queue"),
        migrations.RemoveIndex(model_name="ticket", name="ticket_unassigned"),
        migrations.RemoveIndex(model_name="ticket", name="ticket_breached"),
        migrations.RemoveIndex(model_name="ticket", name="ticket_by_status"),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=OPEN,
                fields=["assignee", "sla_due", "id", "team"],
                name="ticket_agent_queue",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("assignee__isnull", True)) & OPEN,
                fields=["sla_due", "id", "team"],
                name="ticket_unassigned",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("sla_breached", True)) & OPEN,
                fields=["sla_due", "id", "team"],
                name="ticket_breached",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["status", "sla_due", "id", "team"], name="ticket_by_status"),
        ),
    ]
