"""Where an unanswered or refused takedown notice escalates, and the draft text of that
report to the authority (``AuthorityReport.body``), in Spanish or English.

Routes by the notice's legal basis (``../shared/LAW.md`` §1):

- US TAKE IT DOWN Act → a complaint to the FTC (TakeItDown.ftc.gov) with the request
  and its timestamps (``ftc_complaint``);
- UK Online Safety Act → a complaint to Ofcom (``ofcom_complaint``);
- EU Digital Services Act, for a school in Spain → the AEPD Canal Prioritario
  (``aepd_priority``): the circumstances and means of spread, the locations, the action
  already taken before other authorities (the notice and its dates), and the
  vulnerability flags (minor, gender violence, sexual abuse). Try the platform first:
  the escalation follows the notice.

The AEPD's ordinary complaint (``aepd_complaint``, to ``AEPDREC``), which can end in a
fine, is drafted by hand for a case (``reporting.services.authority_report_create``).
As for notices (``reporting.notices``), the wording is kept here in both languages and
the child is described by age, never by name.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import translation

from cases.models import Case, Organisation
from reporting.jurisdictions import covers
from reporting.models import AuthorityReport, Referral, TakedownRequest
from reporting.notices import (
    EU,
    GB,
    US,
    basis_citation,
    describe_person,
    family_of,
    notice_reference,
    notice_text,
    phrase,
    utc_text,
)

AR = AuthorityReport.Route

# Route → the authority's directory code (``reporting.directory.AUTHORITIES``).
AUTHORITY_OF_ROUTE: dict[str, str] = {
    AR.FTC_COMPLAINT: "FTC",
    AR.OFCOM_COMPLAINT: "OFCOM",
    AR.AEPD_PRIORITY: "AEPDCP",
    AR.AEPD_COMPLAINT: "AEPDREC",
}

# Routes a lead may open by hand for a case (with or without a notice).
MANUAL_ROUTES = (AR.AEPD_PRIORITY, AR.AEPD_COMPLAINT)


def escalation_route(notice: TakedownRequest) -> str | None:
    """The route an escalation of ``notice`` takes (an ``AuthorityReport.Route``), or
    ``None`` where the law names none for the school (a DSA notice from a school outside
    Spain: its national Digital Services Coordinator is not in the directory yet)."""
    family = family_of(notice.legal_basis)
    if family == US:
        return AR.FTC_COMPLAINT
    if family == GB:
        return AR.OFCOM_COMPLAINT
    if family == EU and covers("ES", notice.case.school.jurisdiction):
        return AR.AEPD_PRIORITY
    return None


def authority_for(route: str) -> Organisation | None:
    """The directory's organisation for ``route`` (``None`` if it was deleted)."""
    code = AUTHORITY_OF_ROUTE.get(route)
    if code is None:
        return None
    return Organisation.objects.filter(code=code).first()


# key: (Spanish, English)
PHRASES: dict[str, tuple[str, str]] = {
    "title_ftc_complaint": (
        "Denuncia ante la FTC (TakeItDown.ftc.gov): incumplimiento de la Ley TAKE IT DOWN "
        "(47 U.S.C. §223a)",
        "Complaint to the FTC (TakeItDown.ftc.gov): failure to comply with the TAKE IT DOWN "
        "Act (47 U.S.C. §223a)",
    ),
    "title_ofcom_complaint": (
        "Queja ante Ofcom: incumplimiento de la Online Safety Act 2023, s.10(3A)",
        "Complaint to Ofcom: failure to comply with the Online Safety Act 2023, s.10(3A)",
    ),
    "title_aepd_priority": (
        "Canal Prioritario de la AEPD: solicitud de retirada urgente de contenido sexual "
        "difundido sin consentimiento",
        "AEPD Canal Prioritario: request for urgent removal of sexual content spread without "
        "consent",
    ),
    "title_aepd_complaint": (
        "Reclamación ante la AEPD: tratamiento ilícito de la imagen de una persona menor de edad",
        "Complaint to the AEPD: unlawful processing of a minor's image",
    ),
    "school": ("Centro educativo: %(school)s", "School: %(school)s"),
    "reference": ("Referencia del caso: %(ref)s", "Case reference: %(ref)s"),
    "what_overdue": (
        "%(platform)s no respondió a nuestra solicitud de retirada dentro del plazo.",
        "%(platform)s did not act on our removal request within the deadline.",
    ),
    "what_refused": (
        "%(platform)s rechazó nuestra solicitud de retirada.",
        "%(platform)s refused our removal request.",
    ),
    "what_open": (
        "Solicitud de retirada a %(platform)s: estado «%(status)s».",
        "Removal request to %(platform)s: status “%(status)s”.",
    ),
    "request_title": ("La solicitud y sus fechas", "The request and its timestamps"),
    "request_ref": ("Referencia de la solicitud: %(ref)s", "Request reference: %(ref)s"),
    "request_basis": ("Base legal: %(basis)s", "Legal basis: %(basis)s"),
    "submitted_at": ("Enviada: %(at)s", "Submitted: %(at)s"),
    "deadline_at": ("Plazo: %(at)s", "Deadline: %(at)s"),
    "resolved_at": ("Respuesta de la plataforma: %(at)s", "Platform's answer: %(at)s"),
    "ticket": ("Número de caso de la plataforma: %(ticket)s", "Platform ticket: %(ticket)s"),
    "not_submitted": ("no enviada", "not submitted"),
    "none": ("ninguno", "none"),
    "circumstances_title": (
        "Circunstancias y medios de difusión",
        "Circumstances and means of spread",
    ),
    "circumstances": (
        "Imágenes de carácter sexual de %(who)s%(ai)s, difundidas sin consentimiento a través "
        "de: %(platforms)s.",
        "Sexual images of %(who)s%(ai)s, spread without consent through: %(platforms)s.",
    ),
    "locations_title": ("Localizaciones", "Locations"),
    "actions_title": (
        "Actuaciones ya realizadas ante otras autoridades y plataformas",
        "Action already taken before other authorities and platforms",
    ),
    "notice_line": (
        "Solicitud de retirada a %(platform)s (%(basis)s): enviada %(submitted)s; plazo "
        "%(deadline)s; estado «%(status)s»; número de caso %(ticket)s.",
        "Removal request to %(platform)s (%(basis)s): submitted %(submitted)s; deadline "
        "%(deadline)s; status “%(status)s”; ticket %(ticket)s.",
    ),
    "referral_line": (
        "Comunicación a %(unit)s: enviada %(sent)s; referencia %(ref)s.",
        "Referral to %(unit)s: sent %(sent)s; reference %(ref)s.",
    ),
    "flags_title": ("Indicadores de vulnerabilidad", "Vulnerability flags"),
    "flag_minor": ("Persona menor de edad: %(v)s", "Minor: %(v)s"),
    "flag_gender": (
        "Violencia de género: %(v)s (a valorar por el centro)",
        "Gender violence: %(v)s (for the school to assess)",
    ),
    "flag_sexual": ("Abuso sexual: %(v)s", "Sexual abuse: %(v)s"),
    "yes": ("sí", "yes"),
    "no": ("no", "no"),
    "unknown": ("no consta", "not recorded"),
    "ask_ftc": (
        "Pedimos a la FTC que investigue el incumplimiento de la obligación de retirada en 48 "
        "horas (§223a(a)(3)). Adjuntamos el texto de la solicitud.",
        "We ask the FTC to investigate the failure to remove within 48 hours (§223a(a)(3)). "
        "The text of the request is attached.",
    ),
    "ask_ofcom": (
        "Pedimos a Ofcom que valore el incumplimiento del deber de retirada en 48 horas "
        "(s.10(3A)). Adjuntamos el texto de la denuncia.",
        "We ask Ofcom to consider the failure to take down within 48 hours (s.10(3A)). The "
        "text of the report is attached.",
    ),
    "ask_aepd_priority": (
        "Solicitamos la intervención urgente de la AEPD para la retirada de este contenido.",
        "We ask the AEPD to intervene urgently to have this content removed.",
    ),
    "ask_aepd_complaint": (
        "Presentamos reclamación por el tratamiento ilícito de la imagen de una persona menor "
        "de edad, para que la AEPD valore la apertura de un procedimiento sancionador.",
        "We file a complaint for the unlawful processing of a minor's image, for the AEPD to "
        "consider opening sanctioning proceedings.",
    ),
    "attached": ("Texto de la solicitud enviada", "Text of the request sent"),
}


def _e(key: str, language: str, **values: object) -> str:
    es, en = PHRASES[key]
    text = es if language == "es" else en
    return text % values if values else text


def _when(moment: datetime | None, language: str) -> str:
    return utc_text(moment) if isinstance(moment, datetime) else _e("not_submitted", language)


def _status_label(notice: TakedownRequest, language: str) -> str:
    with translation.override(language):
        return str(TakedownRequest.Status(notice.status).label)


def _notice_lines(notice: TakedownRequest, language: str) -> list[str]:
    return [
        _e("request_ref", language, ref=notice_reference(notice)),
        _e("request_basis", language, basis=basis_citation(notice.legal_basis, language)),
        _e("submitted_at", language, at=_when(notice.submitted_at, language)),
        _e("deadline_at", language, at=_when(notice.deadline_at, language)),
        *(
            [_e("resolved_at", language, at=utc_text(notice.resolved_at))]
            if notice.resolved_at
            else []
        ),
        _e("ticket", language, ticket=notice.platform_ticket or _e("none", language)),
    ]


def _actions_lines(case: Case, language: str) -> list[str]:
    """Notices and referrals already made, with their dates (AEPD Canal Prioritario:
    "any action already taken before other authorities", LAW.md §1)."""
    lines = []
    notices = (
        TakedownRequest.objects.filter(case=case)
        .exclude(status=TakedownRequest.Status.DRAFT)
        .select_related("platform", "legal_basis")
        .order_by("submitted_at", "pk")
    )
    for notice in notices:
        lines.append(
            " - "
            + _e(
                "notice_line",
                language,
                platform=notice.platform.name,
                basis=basis_citation(notice.legal_basis, language),
                submitted=_when(notice.submitted_at, language),
                deadline=_when(notice.deadline_at, language),
                status=_status_label(notice, language),
                ticket=notice.platform_ticket or _e("none", language),
            )
        )
    referrals = (
        Referral.objects.filter(case=case, sent_at__isnull=False)
        .select_related("destination")
        .order_by("sent_at", "pk")
    )
    for referral in referrals:
        lines.append(
            " - "
            + _e(
                "referral_line",
                language,
                unit=referral.destination.name,
                sent=utc_text(referral.sent_at) if referral.sent_at else "",
                ref=referral.external_reference or _e("none", language),
            )
        )
    return lines or [" - " + _e("none", language)]


def _aepd_lines(case: Case, notice: TakedownRequest | None, language: str) -> list[str]:
    """The AEPD Canal Prioritario's elements (LAW.md §1 "Spain — AEPD")."""
    victim = notice.victim if notice is not None else None
    who, minor = describe_person(victim, language)
    ai = phrase("intro_ai", language) if case.ai_generated else ""
    items = (
        list(notice.evidence_items.select_related("platform").all())
        if notice is not None
        else list(case.evidence_items.select_related("platform").all())
    )
    platforms = sorted({item.platform.name for item in items if item.platform is not None})
    if notice is not None and notice.platform.name not in platforms:
        platforms.append(notice.platform.name)
    lines = [
        _e("circumstances_title", language),
        _e(
            "circumstances",
            language,
            who=who,
            ai=ai,
            platforms=", ".join(platforms) or _e("unknown", language),
        ),
        "",
        _e("locations_title", language),
    ]
    for item in items:
        where = item.location or _e("unknown", language)
        hashes = f" (SHA-256 {item.sha256})" if item.sha256 else ""
        lines.append(f" - {where}{hashes}")
    lines += ["", _e("actions_title", language), *_actions_lines(case, language), ""]
    yes, no, unknown = _e("yes", language), _e("no", language), _e("unknown", language)
    lines += [
        _e("flags_title", language),
        " - " + _e("flag_minor", language, v=yes if minor else no),
        " - " + _e("flag_gender", language, v=unknown),
        " - " + _e("flag_sexual", language, v=yes if minor else unknown),
    ]
    return lines


def report_text(
    *, case: Case, route: str, language: str, notice: TakedownRequest | None = None
) -> str:
    """The draft text of a report on ``route`` for ``case`` (about ``notice`` where
    there is one) in ``language``: the FTC complaint and the Ofcom complaint carry the
    request and its timestamps and the request's own text; the AEPD's carry the Canal
    Prioritario's elements (LAW.md §1). Times are UTC. Writes nothing."""
    lines = [
        _e(f"title_{route}", language),
        "",
        _e("school", language, school=case.school.name),
        _e("reference", language, ref=case.reference),
        "",
    ]
    if notice is not None:
        if notice.status == TakedownRequest.Status.REFUSED:
            lines.append(_e("what_refused", language, platform=notice.platform.name))
        elif notice.status == TakedownRequest.Status.OVERDUE:
            lines.append(_e("what_overdue", language, platform=notice.platform.name))
        else:
            lines.append(
                _e(
                    "what_open",
                    language,
                    platform=notice.platform.name,
                    status=_status_label(notice, language),
                )
            )
        lines += ["", _e("request_title", language), *_notice_lines(notice, language), ""]
    if route in (AR.AEPD_PRIORITY, AR.AEPD_COMPLAINT):
        lines += [*_aepd_lines(case, notice, language), ""]
    ask = {
        str(AR.FTC_COMPLAINT): "ask_ftc",
        str(AR.OFCOM_COMPLAINT): "ask_ofcom",
        str(AR.AEPD_PRIORITY): "ask_aepd_priority",
        str(AR.AEPD_COMPLAINT): "ask_aepd_complaint",
    }.get(route)
    if ask:
        lines.append(_e(ask, language))
    if notice is not None:
        document = notice_text(notice, language=language)
        lines += ["", "—" * 20, _e("attached", language), "", document.text]
    return "\n".join(lines).strip()
