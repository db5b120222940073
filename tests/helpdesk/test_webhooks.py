"""Team webhooks, delivered to a real HTTP server on loopback."""

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django_q.conf import Conf

from helpdesk.models import (
    DeliveryStatus,
    EscalationPolicy,
    Team,
    WebhookDelivery,
    WebhookEndpoint,
)
from helpdesk.services.assignment import ticket_assign
from helpdesk.services.sla_sweep import sla_sweep
from helpdesk.services.tickets import ticket_reply
from helpdesk.services.webhooks import webhook_signature, webhook_signature_valid
from helpdesk.tasks import deliver_due
from tests.live import free_port

pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


class Receiver:
    """An HTTP server that records each request and answers with the next queued status."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict, bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/helpdesk"

    def events(self) -> list[str]:
        return [json.loads(body)["event"] for _, body in self.requests]

    def __enter__(self) -> "Receiver":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def hook(ticket, receiver: Receiver) -> WebhookEndpoint:
    """An endpoint for the ticket's team, made after the ticket so its creation is not sent."""
    return WebhookEndpoint.objects.create(team=ticket.team, url=receiver.url)


@pytest.fixture
def inline_tasks(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture
def grace(make_agent):
    return make_agent("grace")


def test_sla_events_are_delivered_signed(
    clock, make_ticket, receiver, inline_tasks, team, django_capture_on_commit_callbacks
):
    EscalationPolicy.objects.create(team=team)  # no steps: only the marks are sent
    ticket = make_ticket(priority="high")
    endpoint = hook(ticket, receiver)
    clock.set(at(2, 9, 46))

    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()

    [(headers, body)] = receiver.requests
    assert headers["X-Helpdesk-Event"] == "ticket.sla_warning"
    assert webhook_signature_valid(
        secret=endpoint.secret,
        timestamp=headers["X-Helpdesk-Timestamp"],
        body=body,
        signature=headers["X-Helpdesk-Signature"],
    )
    payload = json.loads(body)
    assert payload["ticket"]["reference"] == ticket.reference
    assert payload["data"] == {
        "clock": "first_response",
        "cycle": 0,
        "threshold": 0.75,
        "reached_at": at(2, 9, 45).isoformat(),
    }
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.SENT, 204)


def test_escalations_and_assignments_are_delivered(
    clock, make_ticket, receiver, inline_tasks, grace, django_capture_on_commit_callbacks
):
    ticket = make_ticket(priority="high")
    hook(ticket, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=ticket, agent=grace, actor=None)
    clock.set(at(2, 9, 46))
    EscalationPolicy.objects.create(team=ticket.team).steps.create(at_percent=75)

    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()

    assert receiver.events() == ["ticket.assigned", "ticket.sla_warning", "ticket.escalated"]


def test_public_events_are_delivered(
    clock, make_ticket, receiver, inline_tasks, grace, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    hook(ticket, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, body="On it.", public=True, author=grace.user)

    assert receiver.events() == ["ticket.public_reply"]
    assert json.loads(receiver.requests[0][1])["data"]["message"] == "On it."


def test_a_failed_delivery_is_retried_with_backoff_until_accepted(
    clock, make_ticket, receiver, inline_tasks, grace, django_capture_on_commit_callbacks
):
    receiver.statuses = [500, 503]
    ticket = make_ticket()
    hook(ticket, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, body="On it.", public=True, author=grace.user)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.RETRYING, 500)
    assert delivery.send_after == at(2, 9, 1)

    clock.set(at(2, 9, 1))
    deliver_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.RETRYING, 503)
    assert delivery.send_after == at(2, 9, 3)

    clock.set(at(2, 9, 3))
    deliver_due()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status, delivery.attempts) == (
        DeliveryStatus.SENT,
        204,
        3,
    )
    bodies = {body for _, body in receiver.requests}
    ids = {headers["X-Helpdesk-Delivery"] for headers, _ in receiver.requests}
    assert (len(receiver.requests), len(bodies), ids) == (3, 1, {str(delivery.pk)})


def test_an_unreachable_endpoint_is_recorded_and_retried(
    clock, make_ticket, team, inline_tasks, grace, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    WebhookEndpoint.objects.create(team=team, url=f"http://127.0.0.1:{free_port()}/")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, body="On it.", public=True, author=grace.user)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert "ConnectError" in delivery.last_error


def test_inactive_endpoints_and_other_teams_get_nothing(
    clock, make_ticket, team, office, receiver, grace
):
    other = Team.objects.create(name="Other", slug="other", calendar=office)
    WebhookEndpoint.objects.create(team=other, url=receiver.url)
    WebhookEndpoint.objects.create(team=team, url=receiver.url, is_active=False)

    ticket_reply(ticket=make_ticket(), body="On it.", public=True, author=grace.user)

    assert not WebhookDelivery.objects.exists()


def test_a_tampered_body_fails_verification():
    body = b'{"event":"ticket.sla_breached"}'
    signature = webhook_signature("secret", 1_772_442_000, body)

    assert webhook_signature_valid(
        secret="secret", timestamp="1772442000", body=body, signature=signature, now=1_772_442_000
    )
    assert not webhook_signature_valid(
        secret="secret",
        timestamp="1772442000",
        body=body.replace(b"breached", b"met"),
        signature=signature,
        now=1_772_442_000,
    )


def test_an_old_signature_fails_verification():
    body = b"{}"
    signature = webhook_signature("secret", 1_772_442_000, body)

    assert not webhook_signature_valid(
        secret="secret",
        timestamp="1772442000",
        body=body,
        signature=signature,
        now=1_772_442_000 + 301,
    )


def test_the_delivery_log_is_in_the_admin(clock, make_ticket, receiver, grace, admin_client):
    ticket = make_ticket()
    hook(ticket, receiver)
    ticket_reply(ticket=ticket, body="On it.", public=True, author=grace.user)

    response = admin_client.get("/admin/helpdesk/webhookdelivery/")

    assert response.status_code == 200
    assert "ticket.public_reply" in response.content.decode()
