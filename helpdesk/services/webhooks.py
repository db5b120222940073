"""Outbound webhooks: a team's endpoints receive its tickets' events, signed and retried.

Each request carries

    X-Helpdesk-Event: ticket.sla_breached
    X-Helpdesk-Delivery: <delivery id, the same on every retry>
    X-Helpdesk-Timestamp: <unix seconds of this attempt>
    X-Helpdesk-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>

so a receiver checks the signature with `webhook_signature_valid` and refuses old timestamps
(replays). The body is the same on every attempt; only the timestamp and signature change.
"""

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime

import httpx
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from helpdesk.models import DeliveryStatus, Ticket, WebhookDelivery, WebhookEndpoint
from helpdesk.services.notifications import (
    enqueue_after_commit,
    enqueue_many_after_commit,
    site_url,
)
from helpdesk.services.outbound import outbound_claim, outbound_due, outbound_failed, outbound_sent

log = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds per attempt
REPLAY_TOLERANCE = 300  # seconds a receiver should accept a timestamp for


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def webhook_signature_valid(
    *, secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None
) -> bool:
    """What a receiver runs: a signature made with the secret, and not too old."""
    if not timestamp.isdigit():
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > REPLAY_TOLERANCE:
        return False
    return hmac.compare_digest(webhook_signature(secret, int(timestamp), body), signature)


def webhook_endpoints(team_id: int) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(team_id=team_id, is_active=True)


def ticket_webhook_state(ticket: Ticket) -> dict:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "team": ticket.team.slug,
        "assignee_id": ticket.assignee_id,
        "next_update_due": iso(ticket.next_update_due),
        "resolution_due": iso(ticket.resolution_due),
        "sla_breached": ticket.sla_breached,
        "url": site_url(reverse("admin:helpdesk_ticket_change", args=[ticket.pk])),
    }


def webhook_event_queue(
    *,
    ticket: Ticket,
    event: str,
    data: dict,
    at: datetime,
    endpoints: Iterable[WebhookEndpoint] | None = None,
) -> list[WebhookDelivery]:
    """Queue one event for every active endpoint of the ticket's team (in the change's
    transaction); pass `endpoints` when the caller already has them."""
    endpoints = list(webhook_endpoints(ticket.team_id) if endpoints is None else endpoints)
    deliveries = webhook_deliveries_build(
        ticket=ticket, event=event, data=data, at=at, endpoints=endpoints
    )
    for delivery in deliveries:
        delivery.save()
        enqueue_after_commit("helpdesk.tasks.deliver_webhook", delivery.pk)
    return deliveries


def webhook_deliveries_build(
    *, ticket: Ticket, event: str, data: dict, at: datetime, endpoints: list[WebhookEndpoint]
) -> list[WebhookDelivery]:
    """The (unsaved) deliveries of one event, its payload as the ticket stands now."""
    if not endpoints:
        return []
    payload = {
        "event": event,
        "at": at.isoformat(),
        "ticket": ticket_webhook_state(ticket),
        "data": data,
    }
    return [
        WebhookDelivery(
            endpoint=endpoint,
            ticket=ticket,
            event=event,
            payload=payload,
            created_at=at,
            send_after=at,
        )
        for endpoint in endpoints
    ]


def webhook_endpoints_by_team(team_ids: Iterable[int]) -> dict[int, list[WebhookEndpoint]]:
    by_team: dict[int, list[WebhookEndpoint]] = {team_id: [] for team_id in team_ids}
    for endpoint in WebhookEndpoint.objects.filter(team_id__in=list(by_team), is_active=True):
        by_team[endpoint.team_id].append(endpoint)
    return by_team


def webhook_deliveries_queue(deliveries: Sequence[WebhookDelivery]) -> list[WebhookDelivery]:
    """Write many built deliveries in one statement; tasks send them after commit."""
    saved = WebhookDelivery.objects.bulk_create(deliveries)
    enqueue_many_after_commit("helpdesk.tasks.deliver_webhooks", [d.pk for d in saved])
    return saved


def webhook_events_queue(
    events: Sequence[tuple[Ticket, str, dict, datetime]],
) -> list[WebhookDelivery]:
    """`webhook_event_queue` for many (ticket, event, data, at), in a few queries."""
    if not events:
        return []
    endpoints = webhook_endpoints_by_team({ticket.team_id for ticket, _, _, _ in events})
    deliveries = [
        delivery
        for ticket, event, data, at in events
        for delivery in webhook_deliveries_build(
            ticket=ticket, event=event, data=data, at=at, endpoints=endpoints[ticket.team_id]
        )
    ]
    return webhook_deliveries_queue(deliveries) if deliveries else []


def webhook_deliver(*, delivery_id: int) -> str:
    if not outbound_claim(WebhookDelivery, delivery_id, now=timezone.now()):
        return "not due"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "helpdesk-webhooks/1",
        "X-Helpdesk-Event": delivery.event,
        "X-Helpdesk-Delivery": str(delivery.pk),
        "X-Helpdesk-Timestamp": str(timestamp),
        "X-Helpdesk-Signature": webhook_signature(delivery.endpoint.secret, timestamp, body),
    }
    try:
        response = httpx.post(delivery.endpoint.url, content=body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        log.warning("Webhook %s failed: %s", delivery, exc)
        return outbound_failed(delivery, error=f"{type(exc).__name__}: {exc}")
    if response.is_success:
        return outbound_sent(delivery, response_status=response.status_code)
    return outbound_failed(
        delivery,
        error=f"HTTP {response.status_code}: {response.text[:500]}",
        response_status=response.status_code,
    )


def webhooks_deliver(*, delivery_ids: Sequence[int], budget: float = 60.0) -> int:
    """Send these deliveries in turn until the time budget runs out (the periodic sender
    carries on); returns how many were accepted."""
    deadline = time.monotonic() + budget
    sent = 0
    for pk in delivery_ids:
        if time.monotonic() > deadline:
            break
        sent += webhook_deliver(delivery_id=pk) == DeliveryStatus.SENT
    return sent


def webhooks_deliver_due(*, limit: int = 500, budget: float = 60.0) -> int:
    due = outbound_due(WebhookDelivery, now=timezone.now(), limit=limit)
    return webhooks_deliver(delivery_ids=due, budget=budget)
