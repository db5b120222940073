"""Everything the helpdesk sends out: emails to agents and requesters, and team webhooks.

Each row is written in the transaction of the change that calls for it (an outbox), sent by a
django-q2 task after commit, retried with backoff, and kept as the record of the send.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from helpdesk.models.teams import Team
from helpdesk.models.tickets import Ticket


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


DUE_STATUSES = (DeliveryStatus.QUEUED, DeliveryStatus.RETRYING)


class Outbound(models.Model):
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Not before: the end of a batching window, or the next retry.
    send_after = models.DateTimeField(default=timezone.now)
    # When a sender claimed it; a claim older than the lease is presumed dead and retried.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Notification(Outbound):
    """One email: to an agent about one thing, or to a requester about a batch of public events."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "Assigned to you"
        SLA_WARNING = "sla_warning", "SLA warning"
        SLA_BREACH = "sla_breach", "SLA breach"
        PUBLIC_UPDATE = "public_update", "Update for the requester"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    ticket = models.ForeignKey(  # indexed by notification_batch, which starts with it
        Ticket, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The agent it is for; blank for the requester.",
    )
    email = models.EmailField()
    # What the agent is told (clock, threshold, instants), fixed when the notification is made.
    context = models.JSONField(default=dict, blank=True)
    # The ids of the public events a requester email reports, in order.
    public_events = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["send_after"],
                condition=models.Q(status__in=["queued", "retrying"]),
                name="notification_due",
            ),
            models.Index(fields=["ticket", "email", "created_at"], name="notification_batch"),
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="sending"),
                name="notification_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.email}"


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A URL of a team's that receives its tickets' events, signed with the team's secret."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=100,
        default=new_webhook_secret,
        help_text="Shared with the receiver, which checks the HMAC-SHA256 signature with it.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.team}: {self.url}"


class WebhookDelivery(Outbound):
    """One event sent (or being sent) to one endpoint: the delivery log."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(
                fields=["send_after"],
                condition=models.Q(status__in=["queued", "retrying"]),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["endpoint", "created_at"], name="webhook_delivery_log"),
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="sending"),
                name="webhook_delivery_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint.url}"
