"""django-q2 entry points of the core."""

from django.conf import settings
from django_q.tasks import async_task

from helpdesk.services.notifications import (
    notification_deliver,
    notifications_deliver,
    notifications_deliver_due,
)
from helpdesk.services.sla_policies import calendar_reapply
from helpdesk.services.sla_sweep import sla_backlog, sla_sweep
from helpdesk.services.webhooks import webhook_deliver, webhooks_deliver, webhooks_deliver_due

# A task that sends a sweep's chunk stops after this long, within the cluster's 120 s timeout;
# what it leaves is due, and the periodic sender sends it.
CHUNK_BUDGET = 40


def sweep_sla() -> str:
    """The scheduled sweep. With more due than one batch, it first asks the cluster's other
    workers to sweep alongside it: their claims skip the rows it holds, so the backlog is
    shared out batch by batch, and a worker that finds nothing left ends at once."""
    helpers = settings.Q_CLUSTER["workers"] - 1
    if helpers > 0 and sla_backlog():
        for _ in range(helpers):
            async_task("helpdesk.tasks.sweep_sla_alongside")
    return sweep_sla_alongside()


def sweep_sla_alongside() -> str:
    result = sla_sweep()
    warnings, breaches = len(result.warnings), len(result.breaches)
    return (
        f"{result.tickets} tickets, {warnings} warnings, {breaches} breaches, "
        f"{len(result.escalations)} escalation steps, {len(result.holding_updates)} holding updates"
    )


def deliver_notification(notification_id: int) -> str:
    return notification_deliver(notification_id=notification_id)


def deliver_notifications(notification_ids: list[int]) -> str:
    sent = notifications_deliver(notification_ids=notification_ids, budget=CHUNK_BUDGET)
    return f"{sent} of {len(notification_ids)} email(s) sent"


def deliver_webhook(delivery_id: int) -> str:
    return webhook_deliver(delivery_id=delivery_id)


def deliver_webhooks(delivery_ids: list[int]) -> str:
    sent = webhooks_deliver(delivery_ids=delivery_ids, budget=CHUNK_BUDGET)
    return f"{sent} of {len(delivery_ids)} webhook(s) delivered"


def deliver_due() -> str:
    """Every minute: closed requester batches, retries, and rows a failed enqueue left behind."""
    # Both within the cluster's 120 s task timeout, counting one last slow send each.
    emails = notifications_deliver_due(budget=40)
    webhooks = webhooks_deliver_due(budget=40)
    return f"{emails} email(s) and {webhooks} webhook(s) sent"


def reapply_calendar(calendar_id: int) -> str:
    moved = calendar_reapply(calendar_id=calendar_id)
    return f"calendar {calendar_id}: {moved} ticket promise(s) moved"
