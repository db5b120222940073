"""The intake mailbox poller: every unread message becomes a ticket, a reply or nothing.

A message is marked read only once it was handled; one that fails stays unread and is tried
again on the next poll (the Message-ID record stops a second ticket if it half succeeded).
"""

import imaplib
import logging

from django.conf import settings

from feedback.inbound import MailOutcome, email_receive

log = logging.getLogger(__name__)


class MailboxError(Exception):
    pass


def mailbox_configured() -> bool:
    return bool(settings.FEEDBACK_IMAP_HOST)


def mailbox_poll(*, limit: int = 200) -> list[MailOutcome]:
    """Handle up to `limit` unread messages of the configured folder."""
    client = imaplib.IMAP4_SSL if settings.FEEDBACK_IMAP_SSL else imaplib.IMAP4
    outcomes = []
    with client(settings.FEEDBACK_IMAP_HOST, settings.FEEDBACK_IMAP_PORT, timeout=30) as imap:
        imap.login(settings.FEEDBACK_IMAP_USER, settings.FEEDBACK_IMAP_PASSWORD)
        status, detail = imap.select(settings.FEEDBACK_IMAP_FOLDER)
        if status != "OK":
            raise MailboxError(f"Cannot open {settings.FEEDBACK_IMAP_FOLDER!r}: {detail}")
        _status, found = imap.uid("SEARCH", None, "UNSEEN")
        for uid in found[0].split()[:limit]:
            _status, fetched = imap.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next(item[1] for item in fetched if isinstance(item, tuple))
            try:
                outcome = email_receive(raw=raw)
            except Exception:
                log.exception("Mail UID %s could not be handled; it stays unread", uid.decode())
                continue
            imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            outcomes.append(outcome)
    return outcomes
