"""``tests.mailbox`` counts messages, not files: Django's file backend writes all the
messages of one connection to one file."""

from __future__ import annotations

from django.core import mail
from django.core.mail.backends.filebased import EmailBackend

from tests.mailbox import messages_in, text_of


def test_two_messages_through_one_connection_are_two_messages_in_one_file(tmp_path):
    backend = EmailBackend(file_path=str(tmp_path))
    sent = [
        mail.EmailMessage("Primera", "Cuerpo uno\n" + "-" * 20, to=["a@example.org"]),
        mail.EmailMessage("Segunda", "Cuerpo dos, ñ", to=["b@example.org"]),
    ]
    assert backend.send_messages(sent) == 2

    assert len(list(tmp_path.iterdir())) == 1
    messages = messages_in(tmp_path)
    assert [m["Subject"] for m in messages] == ["Primera", "Segunda"]
    assert [m["To"] for m in messages] == ["a@example.org", "b@example.org"]
    assert "Cuerpo dos, ñ" in text_of(messages[1])


def test_messages_from_several_connections_are_all_counted(tmp_path):
    for subject in ("uno", "dos", "tres"):
        with EmailBackend(file_path=str(tmp_path)) as backend:
            backend.send_messages([mail.EmailMessage(subject, "x", to=["a@example.org"])])

    assert sorted(m["Subject"] for m in messages_in(tmp_path)) == ["dos", "tres", "uno"]
