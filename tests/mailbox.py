"""Reading the e-mail Django's file backend wrote (``EMAIL_BACKEND =
"django.core.mail.backends.filebased.EmailBackend"``).

Count messages, never files: the backend writes every message sent through one
connection to the same file (``<timestamp>-<id(backend)>.log``, opened for appending),
each followed by a line of 79 dashes, and two connections opened in the same second can
even share a file name. So one file may hold several messages.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

# What ``filebased.EmailBackend.write_message`` puts after each message.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def messages_in(mail_dir: Path) -> list[EmailMessage]:
    """Every message in the files of ``mail_dir``, files in name order (the name starts
    with the time it was opened), messages in the order written. Raises
    ``AssertionError`` on a piece of a file that is not a message with a Message-ID."""
    found: list[EmailMessage] = []
    for path in sorted(p for p in mail_dir.iterdir() if p.is_file()):
        for chunk in path.read_bytes().split(SEPARATOR):
            if not chunk.strip():
                continue
            message = message_from_bytes(chunk, policy=policy.default)
            assert message["Message-ID"], f"not a whole message in {path.name}: {chunk[:200]!r}"
            found.append(message)  # type: ignore[arg-type]
    return found


def text_of(message: EmailMessage) -> str:
    """Subject and plain-text body, decoded."""
    body = message.get_body(preferencelist=("plain",))
    return f"{message['Subject']}\n{body.get_content() if body else ''}"
