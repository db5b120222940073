"""A ticket's whole story for the agent: messages, their files and events, in one query."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import CharField, F, TextField, Value
from django.db.models.functions import Cast
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from helpdesk.models import Attachment, Message, Ticket, TicketEvent
from helpdesk.workspace.badges import duration_text

# Timeline events that a message already shows.
MESSAGE_EVENTS = (
    TicketEvent.Kind.PUBLIC_REPLY,
    TicketEvent.Kind.INTERNAL_NOTE,
    TicketEvent.Kind.CUSTOMER_REPLY,
)
MESSAGE_LABELS = dict(Message.Kind.choices)
EVENT_LABELS = dict(TicketEvent.Kind.choices)
COLUMNS = ("source", "id", "kind", "at", "who", "text")


@dataclass
class Entry:
    source: str  # "message" or "event"
    id: int
    kind: str
    at: datetime
    who: str | None
    text: str
    at_text: str = ""  # `at` as the page shows it (short_local_format)
    files: list[dict] = field(default_factory=list)

    @property
    def label(self) -> str:
        labels = MESSAGE_LABELS if self.source == "message" else EVENT_LABELS
        return labels.get(self.kind, self.kind)


def short_local_format() -> Callable[[datetime], str]:
    """What `{{ value|date:"D j M, H:i e" }}` writes, in the current language and time zone,
    looked up once: the date filter parses its format and translates the day and month names
    for every date, and a timeline page writes a hundred of them."""
    days = {number: str(name) for number, name in WEEKDAYS_ABBR.items()}
    months = {number: str(name).title() for number, name in MONTHS_3.items()}
    zone = timezone.get_current_timezone()

    def short_local(value: datetime) -> str:
        if timezone.is_aware(value):
            value = value.astimezone(zone)
        return (
            f"{days[value.weekday()]} {value.day} {months[value.month]}, "
            f"{value.hour:02d}:{value.minute:02d} {value.tzname() or ''}"
        )

    return short_local


def ticket_timeline(ticket: Ticket, *, limit: int | None = None) -> list[Entry]:
    """Messages and events merged, newest first, up to `limit` rows; a message's files come
    as rows of their own (name in `kind`, message id in `who`, size in `text`), so the page
    needs one UNION query whatever the length of the story."""
    messages = ticket.messages.annotate(
        source=Value("message", CharField()),
        at=F("created_at"),
        who=F("author__username"),
        text=F("body"),
    )
    files = Attachment.objects.filter(message__ticket=ticket).annotate(
        source=Value("file", CharField()),
        kind=F("filename"),
        at=F("message__created_at"),
        who=Cast("message_id", CharField()),
        text=Cast("size", TextField()),
    )
    events = ticket.events.exclude(kind__in=MESSAGE_EVENTS).annotate(
        source=Value("event", CharField()),
        who=F("actor__username"),
        text=Cast("data", TextField()),
    )
    parts = [part.values_list(*COLUMNS).order_by() for part in (messages, files, events)]
    if limit is not None and connection.features.supports_slicing_ordering_in_compound:
        # Each part's newest `limit` rows first (from its (ticket, time) index), so the
        # database sorts a few hundred rows, not the whole story, and turns only those
        # events' data into text. SQLite cannot limit the parts of a UNION.
        parts = [part.order_by("-at", "-id")[:limit] for part in parts]
    rows = parts[0].union(*parts[1:], all=True).order_by("-at", "-source", "-id")
    if limit is not None:
        rows = rows[:limit]
    entries: list[Entry] = []
    by_message: dict[int, Entry] = {}
    pending_files = []
    short_local = short_local_format()
    for source, pk, kind, at, who, text in rows:
        if source == "file":
            pending_files.append({"id": pk, "name": kind, "message": int(who), "size": int(text)})
            continue
        entry = Entry(
            source,
            pk,
            kind,
            at,
            who,
            _event_text(text) if source == "event" else text,
            short_local(at),
        )
        entries.append(entry)
        if source == "message":
            by_message[pk] = entry
    for file in pending_files:
        if file["message"] in by_message:  # its message may lie beyond the limit
            by_message[file["message"]].files.append(file)
    return entries


# Bookkeeping an agent cannot act on: policy ids, warning fractions, step ids and the step's
# percent (the threshold says it), the users notified, the message (shown itself).
HIDDEN_DETAILS = frozenset({"policies", "warn_at", "step", "at_percent", "notified", "message"})
SECONDS_DETAILS = frozenset({"first_response", "update", "resolution", "target", "missed_by"})


def _event_text(data: str) -> str:
    """An event's details as 'key: value' pairs an agent can read: durations as "4h 00m",
    thresholds as percentages, bookkeeping left out."""
    try:
        values = json.loads(data or "{}")
    except ValueError:
        return data
    if not isinstance(values, dict):
        return str(values)
    parts = []
    for key, value in values.items():
        name = key.replace("_", " ")
        if key in HIDDEN_DETAILS or (key == "cycle" and value == 0):
            continue
        if key.endswith("_24x7"):
            if value is True:
                parts.append(f"{name.removesuffix(' 24x7')} round the clock")
            continue
        if key in SECONDS_DETAILS and isinstance(value, int | float) and value is not True:
            value = duration_text(timedelta(seconds=value))
        elif key == "threshold" and isinstance(value, int | float):
            value = f"{round(value * 100)}%"
        elif key == "clock" and isinstance(value, str):
            value = value.replace("_", " ")
        parts.append(f"{name}: {value}")
    return " · ".join(parts)


MESSAGE_TAGS = {
    "internal_note": "Internal note · not visible to the customer",
    "public_reply": "Public reply",
}


def timeline_html(
    entries: list[Entry], *, requester: object, file_url: Callable[[int], str]
) -> SafeString:
    """The ticket page's timeline items, as its template's loop wrote them (every entry through
    the template engine cost more than reading the story): `requester` names the customer's
    messages, `file_url` gives an attachment's link from its id."""
    customer = conditional_escape(requester or "Requester")
    parts = []
    for entry in entries:
        at = (
            f'<time datetime="{conditional_escape(entry.at.isoformat())}">'
            f"{conditional_escape(entry.at_text)}</time>"
        )
        if entry.source == "message":
            who = (
                customer if entry.kind == "customer" else conditional_escape(entry.who or "System")
            )
            files = ""
            if entry.files:
                files = (
                    "<ul>"
                    + "".join(
                        f'\n            <li><a href="{conditional_escape(file_url(file["id"]))}">'
                        f"{conditional_escape(file['name'])}</a> "
                        f"({conditional_escape(filesizeformat(file['size']))})</li>\n          "
                        for file in entry.files
                    )
                    + "</ul>"
                )
            parts.append(
                f'\n        \n        <li class="entry-{conditional_escape(entry.kind)}">\n'
                f'          <span class="who">{who}</span>\n'
                f'          <span class="tag">{MESSAGE_TAGS.get(entry.kind, "Customer")}</span>\n'
                f"          · {at}\n"
                f'          <div class="body">{conditional_escape(entry.text)}</div>\n'
                f"          {files}\n"
                f"        </li>\n        \n        "
            )
        else:
            by = f" by {conditional_escape(entry.who)}" if entry.who else ""
            details = (
                f'<span class="details">{conditional_escape(entry.text)}</span>'
                if entry.text
                else ""
            )
            parts.append(
                "\n        \n        "
                f'<li class="entry-event">{conditional_escape(entry.label)}{by}\n'
                f"          {details}\n"
                f"          · {at}</li>\n        \n        "
            )
    return mark_safe("".join(parts))  # every value in it is escaped above
