"""django-q2 entry points of the intake."""

from feedback.idempotency import idempotency_keys_purge
from feedback.imap import mailbox_configured, mailbox_poll
from feedback.services import acknowledgement_send, acknowledgements_relay


def send_acknowledgement(acknowledgement_id: int) -> bool:
    return acknowledgement_send(acknowledgement_id=acknowledgement_id)


def relay_acknowledgements() -> int:
    return acknowledgements_relay()


def poll_mailbox() -> str:
    if not mailbox_configured():
        return "No intake mailbox configured (FEEDBACK_IMAP_HOST)."
    return f"{len(mailbox_poll())} message(s) handled"


def purge_idempotency_keys() -> int:
    return idempotency_keys_purge()
