"""The IMAP poller against a real IMAP server: Debian's dovecot, started per test on a free
loopback port with a throwaway configuration and Maildir."""

import grp
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from feedback.imap import mailbox_poll
from helpdesk.models import Channel, Ticket
from tests.conftest import REQUIRE_SERVICES
from tests.live import free_port, wait_for_port

pytestmark = pytest.mark.django_db
USER, PASSWORD = "intake", "mailbox-password"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
first_valid_uid = {uid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def dovecot_binary() -> str | None:
    return shutil.which("dovecot", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


@pytest.fixture
def imap_server(tmp_path, settings):
    """A private dovecot serving one mailbox; the poller's settings point at it."""
    binary = dovecot_binary()
    if binary is None:
        if REQUIRE_SERVICES:
            pytest.fail("dovecot is missing: apt-get install -y dovecot-imapd")
        pytest.skip("needs Debian's dovecot-imapd")
    as_root = os.geteuid() == 0
    if as_root:
        # Dovecot never opens mail as root: run it rootless as the package's own user, in a
        # directory that user owns (pytest's tmp_path is private to root).
        account = pwd.getpwnam("dovecot")
        root = Path(tempfile.mkdtemp(prefix="dovecot-"))
        run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    else:
        account = pwd.getpwuid(os.geteuid())
        root = tmp_path / "dovecot"
        run_as = {}
    port = free_port()
    for directory in ("run", "state", "mail", "home"):
        (root / directory).mkdir(parents=True)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:::\n")
    (root / "dovecot.conf").write_text(
        CONFIG.format(
            root=root,
            port=port,
            user=account.pw_name,
            group=grp.getgrgid(account.pw_gid).gr_name,
            uid=account.pw_uid,
            gid=account.pw_gid,
        )
    )
    if as_root:
        for path in [root, *root.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid)
    process = subprocess.Popen(
        [binary, "-F", "-c", str(root / "dovecot.conf")],
        **run_as,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, timeout=20)
    except TimeoutError:
        process.kill()
        raise RuntimeError(process.stderr.read().decode()) from None
    settings.FEEDBACK_IMAP_HOST = "127.0.0.1"
    settings.FEEDBACK_IMAP_PORT = port
    settings.FEEDBACK_IMAP_SSL = False
    settings.FEEDBACK_IMAP_USER = USER
    settings.FEEDBACK_IMAP_PASSWORD = PASSWORD
    settings.FEEDBACK_IMAP_FOLDER = "INBOX"
    yield Mailbox(port)
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(root, ignore_errors=True)


class Mailbox:
    def __init__(self, port: int) -> None:
        self.port = port

    def connect(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(USER, PASSWORD)
        return imap

    def deliver(self, message: EmailMessage) -> None:
        with self.connect() as imap:
            status, detail = imap.append("INBOX", None, time.time(), message.as_bytes())
            assert status == "OK", detail

    def unseen(self) -> int:
        with self.connect() as imap:
            imap.select("INBOX", readonly=True)
            return len(imap.search(None, "UNSEEN")[1][0].split())


def email(subject: str = "Checkout fails", body: str = "Card payment errors out.", **headers):
    message = EmailMessage()
    message["From"] = "Ada <ada@example.com>"
    message["To"] = "help@helpdesk.example"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mail.example.com")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def test_the_poller_turns_unread_mail_into_tickets_and_marks_it_read(imap_server):
    imap_server.deliver(email())
    imap_server.deliver(email(subject="Out of office", Auto_Submitted="auto-replied"))

    outcomes = mailbox_poll()

    assert sorted(o.result for o in outcomes) == ["created", "ignored"]
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.channel) == ("Checkout fails", Channel.EMAIL)
    assert imap_server.unseen() == 0
    assert mailbox_poll() == []


def test_a_reply_in_the_mailbox_threads_into_its_ticket(imap_server):
    original = email()
    imap_server.deliver(original)
    mailbox_poll()

    imap_server.deliver(email(subject="Re: Checkout fails", body="Still failing.",
                              In_Reply_To=original["Message-ID"]))  # fmt: skip
    [outcome] = mailbox_poll()

    ticket = Ticket.objects.get()
    assert (outcome.result, outcome.reference) == ("threaded", ticket.reference)
    assert ticket.messages.get().body == "Still failing."


def test_a_message_that_fails_stays_unread_for_the_next_poll(imap_server, monkeypatch):
    imap_server.deliver(email())

    def fail(*, raw):
        raise RuntimeError("database away")

    monkeypatch.setattr("feedback.imap.email_receive", fail)
    assert mailbox_poll() == []
    assert imap_server.unseen() == 1

    monkeypatch.undo()
    assert [o.result for o in mailbox_poll()] == ["created"]


def test_the_command_polls_once_and_says_what_happened(imap_server, capsys):
    imap_server.deliver(email())

    call_command("poll_mailbox")

    out = capsys.readouterr().out
    assert f"created {Ticket.objects.get().reference}" in out
    assert "Handled 1 message(s)." in out


def test_the_cluster_polls_every_minute():
    schedule = Schedule.objects.get(func="feedback.tasks.poll_mailbox")

    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 1, -1)
