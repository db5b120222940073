"""The public side: an outbox of public events per stream, and the public board's issues."""

from django.conf import settings
from django.db import models
from django.utils import timezone

BOARD_STREAM = "board"


def ticket_stream(ticket_id: int) -> str:
    return f"ticket:{ticket_id}"


class PublicStream(models.Model):
    """The last sequence number handed out on one stream (a ticket's page, or the board)."""

    name = models.CharField(max_length=64, unique=True)
    last_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seq}"


class PublicEvent(models.Model):
    """One public change, written in the transaction that made it and published after commit.

    `payload` is exactly what clients receive (besides `type` and `seq`), so nothing private
    can reach a public surface unless a service put it here.
    """

    stream = models.CharField(max_length=64)
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=40)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="public_event_seq_once")
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(published_at__isnull=True),
                name="public_event_unpublished",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stream}#{self.seq} {self.kind}"

    def as_message(self) -> dict:
        return {"type": "event", "seq": self.seq, "kind": self.kind, **self.payload}


class PublicIssue(models.Model):
    """A known problem or a planned change shown on the public board; tickets link to it."""

    class Kind(models.TextChoices):
        INCIDENT = "incident", "Incident"
        REQUEST = "request", "Feature request"

    class Status(models.TextChoices):
        INVESTIGATING = "investigating", "Investigating"
        IDENTIFIED = "identified", "Identified"
        MONITORING = "monitoring", "Monitoring"
        RESOLVED = "resolved", "Resolved"
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    STATUSES_BY_KIND = {
        Kind.INCIDENT: (
            Status.INVESTIGATING,
            Status.IDENTIFIED,
            Status.MONITORING,
            Status.RESOLVED,
        ),
        Kind.REQUEST: (Status.PLANNED, Status.IN_PROGRESS, Status.DONE),
    }
    CLOSED_STATUSES = (Status.RESOLVED, Status.DONE)

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INCIDENT)
    status = models.CharField(max_length=15, choices=Status.choices)
    is_public = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["is_public", "updated_at"], name="public_issue_board")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED_STATUSES


class PublicIssueUpdate(models.Model):
    issue = models.ForeignKey(PublicIssue, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=15, choices=PublicIssue.Status.choices)
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["issue", "created_at"], name="public_issue_update")]

    def __str__(self) -> str:
        return f"{self.issue}: {self.get_status_display()}"


class PublicIssueLink(models.Model):
    issue = models.ForeignKey(PublicIssue, on_delete=models.CASCADE, related_name="links")
    ticket = models.OneToOneField(
        "helpdesk.Ticket", on_delete=models.CASCADE, related_name="public_issue_link"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.ticket_id} -> {self.issue_id}"
