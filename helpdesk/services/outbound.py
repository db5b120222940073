"""The delivery cycle shared by emails and webhooks: claim, send, record, retry with backoff.

A row is claimed by one conditional UPDATE (queued/retrying and due -> sending), so the task
started after commit and the periodic sender never both send it. The send happens outside
any transaction; a sender that dies mid-send leaves a claim that expires after `LEASE` and is
retried, so delivery is at least once.
"""

from datetime import datetime, timedelta

from django.db import models
from django.db.models import F
from django.utils import timezone

from helpdesk.models import DeliveryStatus
from helpdesk.models.notifications import DUE_STATUSES, Outbound

MAX_ATTEMPTS = 10
LEASE = timedelta(minutes=10)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, … minutes after the n-th failure, at most an hour (about 5 h over 10 tries)."""
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


def outbound_claim(model: type[Outbound], pk: int, *, now: datetime) -> bool:
    return bool(
        model.objects.filter(pk=pk, status__in=DUE_STATUSES, send_after__lte=now).update(
            status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    )


def outbound_sent(row: Outbound, **fields) -> str:
    _finish(row, status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="", **fields)
    return DeliveryStatus.SENT


def outbound_failed(row: Outbound, *, error: str, permanent: bool = False, **fields) -> str:
    if permanent or row.attempts >= MAX_ATTEMPTS:
        _finish(row, status=DeliveryStatus.FAILED, last_error=error, **fields)
        return DeliveryStatus.FAILED
    _finish(
        row,
        status=DeliveryStatus.RETRYING,
        send_after=timezone.now() + retry_delay(row.attempts),
        last_error=error,
        **fields,
    )
    return DeliveryStatus.RETRYING


def outbound_skipped(row: Outbound, *, reason: str) -> str:
    _finish(row, status=DeliveryStatus.SKIPPED, last_error=reason)
    return DeliveryStatus.SKIPPED


def _finish(row: Outbound, **fields) -> None:
    # Only the holder of the claim records the outcome.
    type(row).objects.filter(pk=row.pk, status=DeliveryStatus.SENDING).update(**fields)
    for name, value in fields.items():
        setattr(row, name, value)


def outbound_due(model: type[Outbound], *, now: datetime, limit: int) -> list[int]:
    """Ids due for a (re)send, oldest first, after releasing claims whose sender died."""
    model.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - LEASE).update(
        status=DeliveryStatus.RETRYING,
        send_after=now,
        last_error="The sender stopped before recording the outcome.",
    )
    return list(
        model.objects.filter(status__in=DUE_STATUSES, send_after__lte=now)
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def outbound_retry_now(queryset: models.QuerySet) -> int:
    """An admin's "retry now" for failed or waiting rows; attempts start over."""
    return queryset.filter(
        status__in=[DeliveryStatus.FAILED, DeliveryStatus.RETRYING, DeliveryStatus.QUEUED]
    ).update(status=DeliveryStatus.RETRYING, send_after=timezone.now(), attempts=0)
