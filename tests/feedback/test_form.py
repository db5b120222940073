"""The public feedback form at /feedback/: server-rendered, no JavaScript needed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from helpdesk.models import Attachment, Channel, Contact, Ticket
from tests.feedback.conftest import PNG

pytestmark = pytest.mark.django_db


def fields(**overrides) -> dict:
    data = {
        "audience": "customer",
        "subject": "Cannot export my report",
        "message": "The export button does nothing.",
        "email": "ada@example.com",
        "name": "Ada",
        "category": "",
        "touchpoint": "",
        "website": "",
    }
    data.update(overrides)
    return data


def test_the_form_renders_with_csrf_and_a_hidden_honeypot(client):
    html = client.get("/feedback/").content.decode()

    assert 'name="csrfmiddlewaretoken"' in html
    assert 'enctype="multipart/form-data"' in html
    assert '<div class="hp" aria-hidden="true">' in html
    assert 'name="website"' in html
    assert 'value="bug-report"' in html  # the categories to choose from


def test_a_plain_post_opens_a_ticket_and_thanks_with_the_reference_and_link(client):
    response = client.post("/feedback/", fields(touchpoint="checkout"))

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    html = response.content.decode()
    assert ticket.reference in html
    assert 'id="progress-link" href="http://testserver/status/t/' in html
    assert (ticket.channel, ticket.triage.touchpoint) == (Channel.WEB, "checkout")
    assert response["Cache-Control"] == "no-store"


def test_the_progress_link_on_the_thank_you_page_works(client):
    html = client.post("/feedback/", fields()).content.decode()
    link = html.split('id="progress-link" href="http://testserver', 1)[1].split('"', 1)[0]

    assert client.get(link).status_code == 200


def test_a_post_without_the_csrf_token_is_refused():
    response = Client(enforce_csrf_checks=True).post("/feedback/", fields())

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_a_good_attachment_is_kept_on_the_ticket(client):
    client.post("/feedback/", fields(files=[SimpleUploadedFile("screen.png", PNG)]))

    attachment = Attachment.objects.get()
    assert attachment.filename == "screen.png"
    assert attachment.message.ticket == Ticket.objects.get()


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("run.exe", b"MZ\x90\x00", "run.exe: this type of file is not accepted"),
        ("fake.png", b"<script>alert(1)</script>", "fake.png does not look like a .png file"),
    ],
)
def test_a_bad_attachment_is_refused_clearly_keeping_what_was_typed(client, name, content, why):
    typed = fields(subject="My words stay here", message="And these too")

    response = client.post("/feedback/", {**typed, "files": [SimpleUploadedFile(name, content)]})

    assert response.status_code == 400
    html = response.content.decode()
    assert why in html
    assert "please choose them again" in html
    assert 'value="My words stay here"' in html
    assert "And these too</textarea>" in html
    assert not Ticket.objects.exists()


def test_the_email_is_required_unless_anonymous(client):
    response = client.post("/feedback/", fields(email=""))

    assert response.status_code == 400
    assert "Please give your email so we can reply." in response.content.decode()


def test_an_anonymous_employee_leaves_no_identity(client):
    response = client.post(
        "/feedback/", fields(audience="employee", anonymous="on", email="bob@corp.example")
    )

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.audience, ticket.triage.anonymous) == (None, "employee", True)
    assert not Contact.objects.exists()


def test_customers_cannot_be_anonymous(client):
    response = client.post("/feedback/", fields(anonymous="on"))

    assert response.status_code == 400
    assert "Only employees may send feedback anonymously." in response.content.decode()


def test_a_filled_honeypot_is_thanked_and_dropped(client):
    response = client.post("/feedback/", fields(website="http://spam.example"))

    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_same_requester_on_the_same_subject_is_told_it_joined_the_open_ticket(client):
    client.post("/feedback/", fields())

    html = client.post("/feedback/", fields(message="Me again")).content.decode()

    assert 'id="linked"' in html
    assert Ticket.objects.get().reference in html
    assert "progress-link" not in html


def test_the_form_shares_the_apis_throttle(client, settings):
    settings.FEEDBACK_THROTTLE_RATE = "1/minute"
    client.post("/feedback/", fields())

    response = client.post("/feedback/", fields(subject="Second"))

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Ticket.objects.count() == 1
