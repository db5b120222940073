"""`Idempotency-Key` for the intake API: a retried request gets the first answer again.

The key's row is inserted in the same transaction that creates the ticket. A concurrent
request with the same key blocks on the unique index until that transaction ends, then
finds the committed row and replays it, so twenty simultaneous retries make one ticket.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from feedback.models import IdempotencyKey
from feedback.services import Receipt

KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyConflict(Exception):
    """The key was already used with a different request body."""


def key_is_valid(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()


def request_digest(data: object) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key_digest(key: str) -> str:
    return salted_hmac("feedback.idempotency.key", key, algorithm="sha256").hexdigest()


def _pad(key: str) -> bytes:
    return salted_hmac("feedback.idempotency.seal", key, algorithm="sha512").digest()


def _seal(key: str, token: str | None) -> str:
    if token is None:
        return ""
    raw = token.encode()
    if len(raw) > 64:
        raise ValueError("Progress tokens longer than 64 bytes cannot be sealed.")
    return bytes(a ^ b for a, b in zip(raw, _pad(key), strict=False)).hex()


def _unseal(key: str, sealed: str) -> str | None:
    if not sealed:
        return None
    return bytes(a ^ b for a, b in zip(bytes.fromhex(sealed), _pad(key), strict=False)).decode()


def feedback_submit_once(
    *, key: str, digest: str, submit: Callable[[], Receipt]
) -> tuple[dict, str | None, bool]:
    """Run `submit` once per key: returns (summary, progress token, replayed?).

    Raises IdempotencyConflict when the key came with a different body before.
    """
    now = timezone.now()
    with transaction.atomic():
        record, created = IdempotencyKey.objects.get_or_create(
            key_digest=_key_digest(key), defaults={"request_digest": digest, "created_at": now}
        )
        if not created:
            record = IdempotencyKey.objects.select_for_update().get(pk=record.pk)
            if record.created_at > now - KEY_LIFETIME:
                if record.request_digest != digest:
                    raise IdempotencyConflict
                return record.receipt, _unseal(key, record.sealed_token), True
            record.request_digest, record.created_at = digest, now  # expired: a fresh start
        receipt = submit()
        record.receipt = receipt.summary()
        record.sealed_token = _seal(key, receipt.token)
        record.save()
    return record.receipt, receipt.token, False


def idempotency_keys_purge() -> int:
    deleted, _ = IdempotencyKey.objects.filter(
        created_at__lte=timezone.now() - KEY_LIFETIME
    ).delete()
    return deleted
