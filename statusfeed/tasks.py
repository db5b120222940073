"""django-q2 entry points of the public feed."""

from statusfeed.outbox import outbox_relay


def relay_outbox() -> int:
    return outbox_relay()
