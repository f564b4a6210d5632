"""Evidence: where it is and its hashes, never the content (DESIGN rule 1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.extensions import case_changed
from cases.models import Case, EvidenceItem, User
from cases.services._common import clean, not_in_future
from cases.services.cases import lock_open_case
from cases.verbs import CaseVerb


@transaction.atomic
def evidence_record(
    *,
    case: Case,
    actor: User,
    kind: str,
    first_seen_at: datetime,
    # A ``reporting.Platform`` or None: cases never imports reporting (ADR 0007), so the
    # type cannot be named here; the model's foreign key checks it.
    platform: Any = None,
    location: str = "",
    identifiers: dict[str, str] | None = None,
    seen_by: str = "",
    description: str = "",
    sha256: str = "",
    md5: str = "",
    pdq: str = "",
    pdq_quality: int | None = None,
    context: AuditContext = SYSTEM,
) -> EvidenceItem:
    """Record where evidence is and its hashes (never the content, DESIGN rule 1).

    ``first_seen_at`` is an aware datetime, not in the future. Hashes are lower-case
    hex: SHA-256 (64), MD5 (32), PDQ (64, with ``pdq_quality`` 0–100).
    Raises ``ValidationError``.
    """
    lock_open_case(case.pk)
    not_in_future(first_seen_at, "first_seen_at")
    if pdq and pdq_quality is None:
        raise ValidationError({"pdq_quality": _("Give the PDQ quality with the PDQ hash.")})
    if pdq_quality is not None and not pdq:
        raise ValidationError({"pdq_quality": _("A PDQ quality needs its PDQ hash.")})
    if not (location or sha256 or md5 or pdq):
        raise ValidationError(
            {"location": _("Give where the evidence is, or at least one of its hashes.")}
        )
    item = EvidenceItem(
        case=case,
        platform=platform,
        kind=kind,
        location=location,
        identifiers=identifiers or {},
        first_seen_at=first_seen_at,
        seen_by=seen_by,
        description=description,
        sha256=sha256.lower(),
        md5=md5.lower(),
        pdq=pdq.lower(),
        pdq_quality=pdq_quality,
        recorded_by=actor,
    )
    clean(item)
    item.save()
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb=CaseVerb.EVIDENCE_RECORDED,
        obj=item,
        context=context,
        data={
            "kind": kind,
            "sha256": item.sha256,
            "pdq": item.pdq,
            "platform": platform.slug if platform else None,
        },
    )
    case_changed(case, context)  # the date of the act may follow (cases.extensions)
    return item
