"""Recording that the school submitted its CyberTipline report to NCMEC (LAW.md §4).

The report itself is built and downloaded by ``casefile.cybertipline``; the lead submits
it through NCMEC's public form or a provider partner, outside Salvaguarda, and then
records here the report number NCMEC gave: an ``AuthorityReport`` (route
``cybertipline``, status filed) with a ``authority_report.filed`` chronology line.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.models import Case, Organisation, User
from cases.services import lock_open_case, validate_plausible
from cases.verbs import CaseVerb
from reporting.models import AuthorityReport

# The directory's row for NCMEC's CyberTipline (``reporting.directory.AUTHORITIES``).
NCMEC_CYBERTIPLINE_CODE = "NCMECCT"
# A CyberTipline report number (the schema's ``reportId``: xs:long): 1–18 ASCII digits.
MAX_REFERENCE_DIGITS = 18


@transaction.atomic
def cybertipline_filed(
    *,
    case: Case,
    actor: User,
    reference: str,
    filed_at: datetime | None = None,
    context: AuditContext = SYSTEM,
) -> AuthorityReport:
    """Record that ``actor`` (the school's lead or deputy: the caller checks) submitted
    the CyberTipline report of open ``case`` to NCMEC at ``filed_at`` (aware; default
    now; not in the future nor before 2000), and that NCMEC numbered it ``reference``
    (the CyberTipline report number, ``reportId`` in NCMEC's schema: 1–18 digits).

    Writes an ``AuthorityReport`` (route cybertipline, status filed, authority the
    directory's NCMEC CyberTipline row) and an ``authority_report.filed`` chronology
    line. A case may have several (a supplemental report), never the same number twice.
    Raises ``ValidationError`` (bad or repeated number, bad time, no NCMEC row in the
    directory) or ``Conflict`` (the case is closed). Source: LAW.md §4."""
    lock_open_case(case.pk)
    reference = reference.strip()
    if not (
        reference.isascii() and reference.isdecimal() and len(reference) <= MAX_REFERENCE_DIGITS
    ):
        raise ValidationError(
            {"reference": _("Enter the CyberTipline report number: digits only.")}
        )
    filed_at = filed_at or timezone.now()
    validate_plausible(filed_at, "filed_at")
    if filed_at > timezone.now():
        raise ValidationError({"filed_at": _("This date and time is in the future.")})
    authority = Organisation.objects.filter(code=NCMEC_CYBERTIPLINE_CODE).first()
    if authority is None:
        raise ValidationError(_("The directory has no NCMEC CyberTipline entry."))
    if AuthorityReport.objects.filter(
        case=case, route=AuthorityReport.Route.CYBERTIPLINE, reference=reference
    ).exists():
        raise ValidationError(
            {"reference": _("This CyberTipline report number is already recorded.")}
        )
    report = AuthorityReport.objects.create(
        case=case,
        authority=authority,
        route=AuthorityReport.Route.CYBERTIPLINE,
        status=AuthorityReport.Status.FILED,
        language="en",
        reference=reference,
        created_by=actor,
        filed_at=filed_at,
        filed_by=actor,
    )
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb=CaseVerb.AUTHORITY_REPORT_FILED,
        obj=report,
        context=context,
        data={"route": report.route, "reference": reference, "filed_at": filed_at.isoformat()},
    )
    return report
