"""`Idempotency-Key` on POST /api/v1/feedback/: retries get the first answer, kept 24 hours."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from rest_framework.test import APIClient

from feedback.idempotency import idempotency_keys_purge
from feedback.models import IdempotencyKey
from helpdesk.models import Ticket
from tests.feedback.conftest import feedback, post

KEY = "3f0c2b9e-6a55-4c1e-9d2a-1f6f9b7f0a11"


@pytest.mark.django_db
def test_the_same_key_and_body_replay_the_first_answer(api):
    first = post(api, feedback(), **{"Idempotency-Key": KEY})
    again = post(api, feedback(), **{"Idempotency-Key": KEY})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_the_replay_keeps_the_first_answer_after_the_ticket_changes(api):
    first = post(api, feedback(), **{"Idempotency-Key": KEY}).json()
    Ticket.objects.update(priority="critical")

    again = post(api, feedback(), **{"Idempotency-Key": KEY}).json()

    assert again["priority"] == first["priority"] != "critical"


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_422(api):
    post(api, feedback(), **{"Idempotency-Key": KEY})

    response = post(api, feedback(message="Something else"), **{"Idempotency-Key": KEY})

    assert response.status_code == 422
    assert "detail" in response.json()
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_key_order_and_spacing_of_the_json_do_not_make_another_body(api):
    post(api, feedback(), **{"Idempotency-Key": KEY})
    reordered = '{"email": "ada@example.com", "message": "The export button does nothing.", "subject": "Cannot export my report"}'  # noqa: E501

    response = api.post(
        "/api/v1/feedback/",
        reordered,
        content_type="application/json",
        headers={"Idempotency-Key": KEY},
    )

    assert response.status_code == 201
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_different_keys_make_different_tickets(api):
    post(api, feedback(subject="First thing"), **{"Idempotency-Key": "a"})
    post(api, feedback(subject="Second, unrelated matter"), **{"Idempotency-Key": "b"})

    assert Ticket.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
def test_a_malformed_key_is_a_400(api, key):
    response = post(api, feedback(), **{"Idempotency-Key": key})

    assert response.status_code == 400
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_key_is_kept_for_24_hours_then_forgotten(api, clock):
    first = post(api, feedback(), **{"Idempotency-Key": KEY}).json()
    clock.set(clock.now() + timedelta(hours=23, minutes=59))
    assert post(api, feedback(), **{"Idempotency-Key": KEY}).json() == first
    assert idempotency_keys_purge() == 0

    clock.set(clock.now() + timedelta(minutes=2))
    assert idempotency_keys_purge() == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_an_expired_key_starts_afresh(api, clock):
    post(api, feedback(subject="Monday's problem"), **{"Idempotency-Key": KEY})
    clock.set(clock.now() + timedelta(days=2))

    response = post(api, feedback(subject="Wednesday's problem"), **{"Idempotency-Key": KEY})

    assert response.status_code == 201
    assert Ticket.objects.count() == 2


@pytest.mark.django_db
def test_the_stored_answer_holds_no_progress_link(api):
    body = post(api, feedback(), **{"Idempotency-Key": KEY}).json()
    token = body["status_url"].rstrip("/").rsplit("/", 1)[1]

    record = IdempotencyKey.objects.values().get()

    assert token not in str(record)
    assert KEY not in str(record)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_requests_with_one_key_make_one_ticket(settings):
    settings.FEEDBACK_THROTTLE_RATE = "1000/minute"
    start = threading.Barrier(20)
    responses = []

    def send():
        try:
            start.wait()
            responses.append(post(APIClient(), feedback(), **{"Idempotency-Key": KEY}))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status_code for r in responses] == [201] * 20
    assert len({r.json()["reference"] for r in responses}) == 1
    assert sum(r.has_header("Idempotent-Replayed") for r in responses) == 19
    assert Ticket.objects.count() == 1
