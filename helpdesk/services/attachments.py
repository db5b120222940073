"""Files customers and agents attach to messages: checked at the edge, stored under random names."""

from dataclasses import dataclass
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile

from helpdesk.models import Attachment, Message

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5

# Extension -> (content type, magic prefixes; empty means plain text that must decode).
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".txt": ("text/plain", ()),
    ".log": ("text/plain", ()),
    ".csv": ("text/csv", ()),
}


class AttachmentRefused(ValueError):
    """A file we will not keep; the message says why in the sender's words."""


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    filename: str
    content_type: str


def attachment_check(upload: UploadedFile) -> CheckedFile:
    """Accept a file only if its size, extension and actual content agree with the allow-list."""
    filename = PurePath(upload.name or "file").name[-200:]
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise AttachmentRefused(
            f"{filename} is {upload.size / 1_048_576:.1f} MB; the limit is "
            f"{MAX_ATTACHMENT_BYTES // 1_048_576} MB per file."
        )
    if upload.size == 0:
        raise AttachmentRefused(f"{filename} is empty.")
    suffix = PurePath(filename).suffix.lower()
    if suffix not in ALLOWED_TYPES:
        allowed = ", ".join(sorted(ALLOWED_TYPES))
        raise AttachmentRefused(f"{filename}: this type of file is not accepted (use {allowed}).")
    content_type, magic = ALLOWED_TYPES[suffix]
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    if magic and not head.startswith(magic):
        raise AttachmentRefused(f"{filename} does not look like a {suffix} file.")
    if not magic and not _is_text(head):
        raise AttachmentRefused(f"{filename} does not look like a text file.")
    return CheckedFile(upload=upload, filename=filename, content_type=content_type)


def attachments_check(uploads: list[UploadedFile]) -> list[CheckedFile]:
    if len(uploads) > MAX_ATTACHMENTS:
        raise AttachmentRefused(f"Attach at most {MAX_ATTACHMENTS} files to one message.")
    return [attachment_check(upload) for upload in uploads]


def attachments_add(*, message: Message, files: list[CheckedFile]) -> list[Attachment]:
    """Store checked files on a message; call inside the transaction that creates the message."""
    attachments = []
    for checked in files:
        attachment = Attachment(
            message=message,
            filename=checked.filename,
            content_type=checked.content_type,
            size=checked.upload.size,
        )
        attachment.file.save(checked.filename, checked.upload, save=False)
        attachment.save()
        attachments.append(attachment)
    return attachments


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a multi-byte character cut at the 4 KiB edge
    return True
