"""Notifications written by the domain apps into the outbox (``outbox.relay``, ADR 0010):
rendered from templates in each recipient's language, with links built from settings,
in the same transaction as the change that causes them.

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
from django.db import models
from django.template.loader import render_to_string
from django.utils import translation

from cases.models import Case, Membership, Organisation, User
from cases.permissions import Role
from outbox.kinds import MessageKind
from outbox.models import Message, WebhookEndpoint
from outbox.relay import Recipient, enqueue


def site_link(name: str, **params: object) -> str:
    """The absolute address of the page ``name`` of ``settings.EMAIL_LINK_PATHS``, its
    ``{placeholders}`` filled from ``params`` (``site_link("referral", id=7)`` ->
    ``"https://…/referrals/7/"``). Raises ``KeyError`` for an unknown ``name`` or a
    missing parameter (a programming error, caught by the tests)."""
    return settings.SITE_URL.rstrip("/") + settings.EMAIL_LINK_PATHS[name].format(**params)


def recipient_language(user: User | None) -> str:
    """The language code to write to ``user`` in: their ``language`` if set, else
    ``settings.LANGUAGE_CODE`` (``es``; also for an organisation's own address,
    ``user=None``)."""
    if user is not None and user.language:
        return user.language
    return settings.LANGUAGE_CODE


def render_email(template: str, context: Mapping[str, Any], *, language: str) -> tuple[str, str]:
    """``(subject, body)`` rendered from ``<template>_subject.txt`` and
    ``<template>_body.txt`` in ``language`` (``translation.override``). The subject is
    joined onto one line (a header may not hold a newline); both are stripped."""
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", dict(context))
        body = render_to_string(f"{template}_body.txt", dict(context))
    return " ".join(subject.split()), body.strip()


def school_leads(school: Organisation | int) -> list[User]:
    """The active safeguarding leads and deputies of ``school``, by id: who is told of a
    new concern or a failed delivery."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation=school,
            memberships__role__in=[Role.SAFEGUARDING_LEAD, Role.DEPUTY_LEAD],
        )
        .distinct()
        .order_by("pk")
    )


def case_leads(case: Case) -> list[User]:
    """Who is told about ``case``: its lead if it has an active one, else the school's
    leads and deputies (:func:`school_leads`)."""
    lead = case.lead
    if (
        lead is not None
        and lead.is_active
        and Membership.objects.filter(
            user=lead,
            organisation_id=case.school_id,
            role__in=[Role.SAFEGUARDING_LEAD, Role.DEPUTY_LEAD],
        ).exists()
    ):
        return [lead]
    return school_leads(case.school_id)


def notify(
    kind: MessageKind,
    recipients: Iterable[User | Organisation],
    template: str,
    context: Mapping[str, Any],
    *,
    school: Organisation | int | None,
    case: Case | None = None,
    about: models.Model | None = None,
) -> list[Message]:
    """Write one e-mail per recipient into the outbox, in the current transaction:
    ``template`` (``<app>/email/<name>``, see :func:`render_email`) rendered with
    ``context`` in each recipient's language (:func:`recipient_language`; an
    organisation's own address gets the default). A recipient without an address still
    gets a row, which fails visibly ("no address") and is reported to the leads.
    Recipients are de-duplicated; the template is rendered once per language. Returns
    the rows written."""
    school_obj = Organisation(pk=school) if isinstance(school, int) else school
    written: list[Message] = []
    seen: set[tuple[str, int]] = set()
    rendered: dict[str, tuple[str, str]] = {}
    for recipient in recipients:
        key = ("user" if isinstance(recipient, User) else "org", recipient.pk)
        if key in seen:
            continue
        seen.add(key)
        user = recipient if isinstance(recipient, User) else None
        language = recipient_language(user)
        if language not in rendered:
            rendered[language] = render_email(template, context, language=language)
        subject, body = rendered[language]
        written.append(
            enqueue(
                kind=kind,
                recipient=Recipient(
                    language=language,
                    user=user,
                    organisation=None if user is not None else recipient,
                ),
                subject=subject,
                body=body,
                school=school_obj,
                case=case,
                about=about,
            )
        )
    return written


def notify_webhooks(
    kind: MessageKind,
    organisation: Organisation | int,
    payload: Mapping[str, Any],
    *,
    school: Organisation | int | None,
    case: Case | None = None,
    about: models.Model | None = None,
) -> list[Message]:
    """Write one signed webhook message per active endpoint ``organisation`` registered
    (``outbox.models.WebhookEndpoint``) with ``payload`` (a JSON object: references and
    links, never a child's details). Returns the rows written (none without endpoints)."""
    school_obj = Organisation(pk=school) if isinstance(school, int) else school
    endpoints = WebhookEndpoint.objects.filter(organisation=organisation, active=True)
    return [
        enqueue(
            kind=kind,
            recipient=Recipient(language=settings.LANGUAGE_CODE, endpoint=endpoint),
            payload=payload,
            school=school_obj,
            case=case,
            about=about,
        )
        for endpoint in endpoints
    ]
