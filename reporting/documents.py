"""Documents that leave the school — referral packets, takedown notices, reports to
authorities, the CyberTipline export — rendered, hashed and recorded.

Every generated document gets its SHA-256 recorded in the case (DESIGN "Documents"):
:func:`document_record` writes a :class:`~reporting.models.GeneratedDocument` row and a
``document.generated`` chronology line in the caller's transaction. The bytes are not
kept; they are rebuilt from the case on each download (a document shows the case as it
is then, through the one case view), and each download has its own row and hash.

PDFs are rendered by WeasyPrint from Django templates (:func:`render_pdf`), the same
templates the web pages use where there is one; nothing is fetched over the network
(``url_fetcher`` refuses every URL), and no image is ever part of a document (DESIGN
rule 1).
"""

from __future__ import annotations

import hashlib
from typing import Any, NoReturn

from django.template.loader import render_to_string
from django.utils import translation

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.models import Case, User
from cases.verbs import CaseVerb
from reporting.models import AuthorityReport, GeneratedDocument, Referral, TakedownRequest

# Languages a document can be written in (LAW.md: in Spanish or English).
DOCUMENT_LANGUAGES = ("es", "en")


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    # A document is built from the case alone: no stylesheet, font or image is fetched
    # (and no tracking pixel or remote image can ever enter a packet).
    raise ValueError(f"documents fetch nothing: {url}")


def render_pdf(template_name: str, context: dict[str, Any], *, language: str) -> bytes:
    """Render ``template_name`` with ``context`` in ``language`` (``"es"``/``"en"``)
    and return the PDF's bytes (WeasyPrint; A4, the template's own ``<style>``).
    Raises ``ValueError`` for a language not in :data:`DOCUMENT_LANGUAGES`."""
    from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s at start-up

    if language not in DOCUMENT_LANGUAGES:
        raise ValueError(f"language must be one of {DOCUMENT_LANGUAGES}")
    with translation.override(language):
        html = render_to_string(template_name, context)
    pdf = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    if pdf is None:  # write_pdf() with no target returns the bytes; never None here
        raise RuntimeError("WeasyPrint returned no PDF")
    return bytes(pdf)


def sha256_hex(content: bytes) -> str:
    """The SHA-256 of ``content`` as 64 lower-case hex characters."""
    return hashlib.sha256(content).hexdigest()


def document_record(
    *,
    case: Case,
    actor: User,
    kind: str,
    content: bytes,
    fmt: str,
    language: str,
    referral: Referral | None = None,
    takedown: TakedownRequest | None = None,
    authority_report: AuthorityReport | None = None,
    context: AuditContext = SYSTEM,
) -> GeneratedDocument:
    """Record that ``content`` (a document of ``kind``, a ``GeneratedDocument.Kind``, in
    format ``fmt`` — ``pdf``, ``json``, ``xml`` or ``txt`` — and ``language``) was
    generated for ``actor`` from ``case``: its SHA-256 and size in a row, and a
    ``document.generated`` chronology line (internal: the school's own) carrying the
    hash. Run it in the transaction that also writes the download's ``AccessEvent``.
    Returns the row."""
    document = GeneratedDocument.objects.create(
        case=case,
        kind=kind,
        referral=referral,
        takedown=takedown,
        authority_report=authority_report,
        format=fmt,
        language=language,
        sha256=sha256_hex(content),
        size_bytes=len(content),
        generated_by=actor,
    )
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb=CaseVerb.DOCUMENT_GENERATED,
        obj=document,
        context=context,
        data={"kind": kind, "format": fmt, "language": language, "sha256": document.sha256},
    )
    return document
