"""How a message leaves: e-mail through Django's ``EMAIL_BACKEND``, or a signed HTTPS
``POST`` to a webhook endpoint. Each carries the message's idempotency key where the
receiver sees it, so a repeat (a crash between "sent" and "recorded", ADR 0010) is
recognisable: the e-mail's ``Message-ID``, the webhook's ``Idempotency-Key``.

A send either returns (the receiver accepted the message) or raises
:class:`DeliveryError`, saying whether trying again may help.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time

import requests
from django.conf import settings
from django.core.mail import EmailMessage

from outbox.models import Message, WebhookEndpoint

SIGNATURE_HEADER = "X-Salvaguarda-Signature"
TIMESTAMP_HEADER = "X-Salvaguarda-Timestamp"
KEY_ID_HEADER = "X-Salvaguarda-Key-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
KIND_HEADER = "X-Salvaguarda-Kind"


class DeliveryError(Exception):
    """The receiver did not take the message. ``permanent``: trying again cannot help
    (no address, an address refused, a webhook answering 4xx other than 408/429)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def send_email(message: Message, address: str) -> None:
    """Send ``message`` as one plain-text e-mail to ``address``.

    Headers: ``Message-ID: <idempotency key@OUTBOX_MESSAGE_ID_DOMAIN>`` (RFC 5322
    §3.6.4: a receiver or a mail rule can drop a second copy), ``Content-Language``
    (RFC 3282), ``X-Salvaguarda-Kind`` (the kind, for mail rules and tests), and
    ``Reply-To`` when the message names one (``Message.reply_to``). The
    connection times out after ``EMAIL_TIMEOUT`` seconds. Raises ``DeliveryError``:
    permanent when the server refused the recipient or the sender (SMTP 5xx), else
    temporary (connection errors, 4xx)."""
    email = EmailMessage(
        message.subject,
        message.body,
        settings.DEFAULT_FROM_EMAIL,
        [address],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers={
            "Message-ID": message.message_id,
            "Content-Language": message.language,
            KIND_HEADER: message.kind,
        },
    )
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"recipient refused: {exc.recipients}", permanent=True) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            f"mail server answered {exc.smtp_code}", permanent=exc.smtp_code >= 500
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"mail server: {exc.__class__.__name__}: {exc}") from exc


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA-256 (RFC 2104) keyed with ``secret`` over
    ``timestamp``, a full stop and the raw ``body``. Signing the timestamp with the body
    lets a receiver refuse a replayed request older than a few minutes."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, headers: dict[str, str], body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver does (and the tests): ``True`` if ``headers`` carry a valid
    signature of ``body`` made with ``secret`` no more than ``tolerance`` seconds ago
    (constant-time comparison)."""
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(
        headers.get(SIGNATURE_HEADER, ""), signature(secret, timestamp, body)
    )


def webhook_body(message: Message) -> bytes:
    """The JSON body posted for ``message``: ``{"id": idempotency key, "kind": …,
    "created_at": ISO 8601 UTC, "data": message.payload}`` (UTF-8, keys sorted)."""
    document = {
        "id": str(message.idempotency_key),
        "kind": message.kind,
        "created_at": message.created_at.isoformat(),
        "data": message.payload or {},
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False).encode()


def send_webhook(message: Message, endpoint: WebhookEndpoint) -> None:
    """``POST`` ``message`` to ``endpoint.url`` as JSON (:func:`webhook_body`), with the
    headers ``Idempotency-Key``, ``X-Salvaguarda-Key-Id``, ``X-Salvaguarda-Timestamp``
    (Unix seconds, UTC) and ``X-Salvaguarda-Signature`` (:func:`signature`). Redirects are
    not followed; the request times out after ``OUTBOX_WEBHOOK_TIMEOUT`` seconds. A 2xx
    answer is success. Raises ``DeliveryError``: permanent on 4xx other than 408, 425 and
    429, temporary on those, 5xx and network errors."""
    body = webhook_body(message)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        IDEMPOTENCY_HEADER: str(message.idempotency_key),
        KEY_ID_HEADER: endpoint.key_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(endpoint.secret, timestamp, body),
        KIND_HEADER: message.kind,
    }
    try:
        response = requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=settings.OUTBOX_WEBHOOK_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"webhook: {exc.__class__.__name__}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return
    permanent = 400 <= status < 500 and status not in {408, 425, 429}
    raise DeliveryError(f"webhook answered {status}", permanent=permanent)
