"""Email intake: a raw MIME message becomes a new ticket or a reply on the ticket it answers.

Robots are not feedback: auto-replies, bounces and our own mail coming back are ignored, and a
Message-ID seen before is not processed twice (a mailbox re-read or a retried POST).
"""

import hashlib
import html
import logging
import re
from dataclasses import dataclass
from email import policy
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parseaddr

import nh3
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from feedback.models import MailMessage
from feedback.selectors import mail_known, ticket_for_mail
from feedback.services import Intake, feedback_submit, own_address
from helpdesk.models import Channel, Status, Ticket
from helpdesk.selectors import ticket_by_reference
from helpdesk.services.attachments import (
    MAX_ATTACHMENTS,
    AttachmentRefused,
    CheckedFile,
    attachment_check,
)
from helpdesk.services.tickets import ticket_customer_reply

log = logging.getLogger(__name__)
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
REFERENCE = re.compile(rf"\b{re.escape(Ticket.REFERENCE_PREFIX)}\d+\b", re.IGNORECASE)
AUTOMATIC_PRECEDENCE = {"bulk", "auto_reply", "junk"}
QUOTE_ATTRIBUTION = re.compile(r"^(On .+ wrote:|-+ ?Original Message ?-+)$", re.IGNORECASE)


@dataclass(frozen=True)
class InboundMail:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    body: str
    refers_to: list[str]  # In-Reply-To, then References newest first
    attachments: list[tuple[str, bytes]]
    robot: str  # why this is an automatic message, or "" for a person's


@dataclass(frozen=True)
class MailOutcome:
    result: str  # created | linked | threaded | ignored
    reference: str | None = None
    reason: str = ""


def robot_reason(headers: Message, sender: str) -> str:
    """Why a message was sent by a machine (RFC 3834 and common practice), or ""."""
    auto_submitted = _header(headers, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for header in ("X-Autoreply", "X-Autorespond"):
        if header in headers:
            return f"{header} header"
    precedence = _header(headers, "Precedence").strip().lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    if sender.partition("@")[0] in ("mailer-daemon", "postmaster"):
        return "a delivery report"
    if headers.get_content_type() == "multipart/report":
        return "a delivery report"
    if own_address() in (_header(headers, "X-Loop").strip().lower(), sender):
        return "our own mail came back"
    return ""


def without_quoted_reply(text: str) -> str:
    """Drop the quoted earlier message a reply usually ends with."""
    lines = text.rstrip().splitlines()
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()
    if lines and QUOTE_ATTRIBUTION.match(lines[-1].strip()):
        lines.pop()
    return "\n".join(lines).strip()


def _text(value: str) -> str:
    return value.replace("\x00", "")  # PostgreSQL stores no NUL characters in text


def _header(headers: Message, name: str) -> str:
    """A header as text, encoded words decoded; the raw value if they do not decode."""
    value = headers.get(name, "")
    try:
        return _text(str(make_header(decode_header(str(value)))))
    except (MessageError, LookupError, UnicodeError, ValueError):
        return _text(str(value))


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except LookupError:  # a charset Python does not know: keep what decodes
        content = (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")
    if part.get_content_subtype() == "html":
        content = html.unescape(nh3.clean(content, tags=set()))
    return without_quoted_reply(content)


def _content(raw: bytes) -> tuple[str, list[tuple[str, bytes]]]:
    """The text and the attached files of a message."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    try:
        attachments = []
        for part in message.iter_attachments():
            content = part.get_payload(decode=True)
            if isinstance(content, bytes):
                attachments.append((_text(part.get_filename() or "attachment"), content))
        return _text(_body_text(message)), attachments
    except Exception:
        # The structured parser raises on some malformed MIME headers where it should record
        # a defect; the mail still counts, with what its headers say.
        log.warning("Unreadable MIME structure; keeping only the headers", exc_info=True)
        return "(The message could not be read.)", []


def mail_parse(raw: bytes) -> InboundMail:
    # Headers are read by the lenient compat32 parser: the structured one raises on some
    # malformed addresses and Message-IDs instead of recording a defect.
    headers = BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
    name, address = parseaddr(_header(headers, "From"))
    address = address.strip().lower()
    sender = address if "@" in address and len(address) <= 254 else ""
    found_id = MESSAGE_ID.search(_header(headers, "Message-ID"))
    # Without a usable Message-ID, the content's digest still recognises a re-delivery.
    message_id = (
        found_id.group(0)
        if found_id and len(found_id.group(0)) <= 255
        else f"<{hashlib.sha256(raw).hexdigest()}@digest>"
    )
    refers_to = MESSAGE_ID.findall(_header(headers, "In-Reply-To"))
    refers_to += reversed(MESSAGE_ID.findall(_header(headers, "References")))
    subject = " ".join(_header(headers, "Subject").split())[:200] or "(no subject)"
    body, attachments = _content(raw)
    return InboundMail(
        message_id=message_id,
        sender=sender,
        sender_name=name.strip()[:200],
        subject=subject,
        body=body,
        refers_to=refers_to,
        attachments=attachments,
        robot=robot_reason(headers, sender),
    )


def _checked_files(mail: InboundMail) -> tuple[list[CheckedFile], list[str]]:
    """The attachments we keep, and a line for each one we refused."""
    kept, refused = [], []
    for filename, content in mail.attachments:
        if len(kept) == MAX_ATTACHMENTS:
            refused.append(f"{filename}: only {MAX_ATTACHMENTS} files are kept per message.")
            continue
        try:
            kept.append(attachment_check(SimpleUploadedFile(filename, content)))
        except AttachmentRefused as refusal:
            refused.append(str(refusal))
    return kept, refused


def _thread(mail: InboundMail) -> Ticket | None:
    """The open ticket this mail answers: by the Message-IDs it refers to, or by the
    reference in its subject when it comes from that ticket's requester."""
    ticket = ticket_for_mail(mail.refers_to)
    if ticket is None and (found := REFERENCE.search(mail.subject)):
        candidate = ticket_by_reference(found.group(0), Ticket.objects.select_related("requester"))
        if candidate and candidate.requester and candidate.requester.email.lower() == mail.sender:
            ticket = candidate
    if ticket is not None and ticket.status == Status.CLOSED:
        return None  # a closed ticket takes no replies; this becomes a new request
    return ticket


def email_receive(*, raw: bytes) -> MailOutcome:
    """Turn one raw email into a ticket, a reply on its ticket, or nothing (and say why)."""
    mail = mail_parse(raw)
    if mail.robot:
        return MailOutcome("ignored", reason=f"Automatic message: {mail.robot}.")
    if not mail.sender:
        return MailOutcome("ignored", reason="No sender address.")
    known = mail_known(mail.message_id)
    if known is not None:
        reason = (
            "Our own message came back."
            if known.direction == MailMessage.Direction.OUTBOUND
            else "Already received."
        )
        return MailOutcome("ignored", known.ticket.reference, reason)
    files, refused = _checked_files(mail)
    body = "\n\n".join([mail.body or "(no text)", *(f"[Not kept: {r}]" for r in refused)])
    try:
        with transaction.atomic():
            ticket = _thread(mail)
            if ticket is not None:
                ticket_customer_reply(ticket=ticket, body=body, files=files)
                result = "threaded"
            else:
                receipt = feedback_submit(
                    intake=Intake(
                        subject=mail.subject,
                        message=body,
                        email=mail.sender,
                        name=mail.sender_name,
                        channel=Channel.EMAIL,
                    ),
                    files=files,
                    in_reply_to=mail.message_id,
                )
                ticket, result = receipt.ticket, "linked" if receipt.linked else "created"
            MailMessage.objects.create(
                message_id=mail.message_id, ticket=ticket, direction=MailMessage.Direction.INBOUND
            )
    except IntegrityError:
        if mail_known(mail.message_id) is None:
            raise
        # The same mail arrived twice at once; the other delivery made the ticket.
        return MailOutcome("ignored", reason="Already received.")
    return MailOutcome(result, ticket.reference, "")
