"""E-mail notifications sent by the domain apps (referral notices, check-in reminders):
rendered from templates in the recipient's language, with links built from settings.

Domain apps never reverse a face's URL names (``web:...``) nor name its templates
(ADR 0007): a link is ``SITE_URL`` + a path of ``EMAIL_LINK_PATHS`` (settings), and each
app keeps its e-mail templates under its own ``templates/<app>/email/``. A message
carries a link and a reference, never a child's name or case details (DESIGN rule 1,
UK guidance on sharing nudes: the minimum needed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from cases.models import User


def site_link(name: str, **params: object) -> str:
    """The absolute address of the page ``name`` of ``settings.EMAIL_LINK_PATHS``, its
    ``{placeholders}`` filled from ``params`` (``site_link("referral", id=7)`` ->
    ``"https://…/referrals/7/"``). Raises ``KeyError`` for an unknown ``name`` or a
    missing parameter (a programming error, caught by the tests)."""
    return settings.SITE_URL.rstrip("/") + settings.EMAIL_LINK_PATHS[name].format(**params)


def recipient_language(user: User | None) -> str:
    """The language code to write to ``user`` in (``None``: an organisation's address).

    ``cases.models.User`` has no language preference yet, so every recipient gets
    ``settings.LANGUAGE_CODE`` (``es``): the project's default, and what the notices
    used before they were templates. A per-user preference, when added, is read here."""
    del user  # no preference stored yet (see above)
    return settings.LANGUAGE_CODE


def render_email(template: str, context: Mapping[str, Any], *, language: str) -> tuple[str, str]:
    """``(subject, body)`` rendered from ``<template>_subject.txt`` and
    ``<template>_body.txt`` in ``language`` (``translation.override``). The subject is
    joined onto one line (a header may not hold a newline); both are stripped."""
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", dict(context))
        body = render_to_string(f"{template}_body.txt", dict(context))
    return " ".join(subject.split()), body.strip()


def send_email(subject: str, body: str, recipients: Iterable[str], *, kind: str) -> None:
    """Send one plain-text e-mail through ``EMAIL_BACKEND``; ``X-Salvaguarda-Kind``
    (``referral-notice``, ``check-in-reminder``) lets mail rules and tests tell notices
    from reminders without reading them. Errors of the mail server propagate
    (``OSError``, ``smtplib.SMTPException``): the caller's task retries."""
    EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        list(recipients),
        headers={"X-Salvaguarda-Kind": kind},
    ).send()
