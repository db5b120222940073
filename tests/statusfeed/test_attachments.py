"""Files a customer attaches on the progress page, and who may download them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk.models import Attachment, Message
from helpdesk.services.attachments import attachment_check
from helpdesk.services.tickets import ticket_reply

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def agent_user(make_agent):
    return make_agent("grace").user


def reply(client, token, message, *files):
    return client.post(f"/status/t/{token}/reply", {"message": message, "files": list(files)})


def test_a_reply_keeps_its_attachment_and_the_page_links_it(client, make_ticket_link):
    ticket, token = make_ticket_link()

    response = reply(client, token, "Screenshot attached", SimpleUploadedFile("shot.png", PNG))

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.message.ticket, attachment.filename) == (ticket, "shot.png")
    assert attachment.content_type == "image/png"
    assert "shot.png" not in attachment.file.name  # stored under a random name
    html = client.get(f"/status/t/{token}/").content.decode()
    assert f'href="/status/t/{token}/files/{attachment.pk}"' in html


def test_the_customer_downloads_the_file_as_an_attachment(client, make_ticket_link):
    ticket, token = make_ticket_link()
    reply(client, token, "See file", SimpleUploadedFile("log.txt", b"line 1\nline 2\n"))
    attachment = Attachment.objects.get()

    response = client.get(f"/status/t/{token}/files/{attachment.pk}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"line 1\nline 2\n"
    assert response["Content-Disposition"] == 'attachment; filename="log.txt"'
    assert response["Content-Type"] == "text/plain"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("run.exe", b"MZ\x90\x00", "this type of file is not accepted"),
        ("fake.png", b"<script>alert(1)</script>", "does not look like a .png file"),
        ("empty.txt", b"", "is empty"),
    ],
)
def test_a_refused_file_keeps_the_message_and_says_why(
    client, make_ticket_link, name, content, why
):
    ticket, token = make_ticket_link()

    response = reply(client, token, "My words stay here", SimpleUploadedFile(name, content))

    assert response.status_code == 400
    html = response.content.decode()
    assert why in html
    assert "My words stay here" in html  # nothing the customer typed is lost
    assert not Message.objects.filter(ticket=ticket).exists()
    assert not Attachment.objects.exists()


def test_an_oversized_file_is_refused_before_it_is_read(settings):
    upload = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 32)
    upload.size = 11 * 1024 * 1024

    with pytest.raises(ValueError, match="the limit is 10 MB"):
        attachment_check(upload)


def test_an_internal_notes_file_is_never_served(client, make_ticket_link, agent_user):
    ticket, token = make_ticket_link()
    note = ticket_reply(ticket=ticket, body="private", public=False, author=agent_user)
    attachment = Attachment.objects.create(
        message=note, file="attachments/x", filename="secret.txt", content_type="text/plain", size=1
    )

    assert client.get(f"/status/t/{token}/files/{attachment.pk}").status_code == 404


def test_another_tickets_file_is_not_served(client, make_ticket_link):
    _, token = make_ticket_link()
    _, other_token = make_ticket_link()
    reply(client, other_token, "mine", SimpleUploadedFile("a.txt", b"other customer's"))
    attachment = Attachment.objects.get()

    assert client.get(f"/status/t/{token}/files/{attachment.pk}").status_code == 404


def test_an_agents_public_attachment_reaches_the_page(client, make_ticket_link, agent_user):
    ticket, token = make_ticket_link()
    checked = attachment_check(SimpleUploadedFile("fix.pdf", b"%PDF-1.7 ..."))
    ticket_reply(
        ticket=ticket, body="Steps attached", public=True, author=agent_user, files=[checked]
    )

    snapshot = client.get(f"/status/t/{token}.json").json()

    event = snapshot["events"][-1]
    assert event["kind"] == "public_reply"
    assert event["attachments"] == [
        {"id": Attachment.objects.get().pk, "name": "fix.pdf", "size": len(b"%PDF-1.7 ...")}
    ]
