"""The directory as data: platforms, legal bases, authorities and services, and the
victims' own removal routes, each row with the source of its facts.

Everything here is editable in the admin afterwards (``reporting.admin``); this module
is the starting set that migrations load and tests restore. Sources: ``../shared/LAW.md``
§1–§3 (the laws, their clocks and the routing rules) and each row's ``source``.

``load_directory`` is idempotent (update_or_create by natural key). Data migrations call
it with historical models; tests call it to restore rows after a transactional flush.
An operator's later edits to a row are overwritten only when a migration calls it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps as global_apps
from django.apps.registry import Apps


@dataclass(frozen=True)
class BasisRow:
    code: str
    purpose: str  # removal | offence
    name_es: str
    name_en: str
    citation_es: str
    citation_en: str
    jurisdiction: str
    source: str
    deadline_hours: int | None = None
    statutory: bool = True
    status: str = "in_force"  # in_force | unconfirmed | not_enacted
    escalation: str = ""  # an authority's code
    enabled: bool = True


LEGAL_BASES: tuple[BasisRow, ...] = (
    # --- removal duties of platforms ---------------------------------------
    BasisRow(
        "us-take-it-down",
        "removal",
        "Ley TAKE IT DOWN (EE. UU.)",
        "TAKE IT DOWN Act",
        "Pub. L. 119-12 §3; 47 U.S.C. §223a (retirada en 48 h)",
        "Pub. L. 119-12 §3; 47 U.S.C. §223a (removal within 48 h)",
        "US",
        "47 U.S.C. §223a(a)(1)(B) and (a)(3); in force for platforms since 19 May 2026; "
        "enforced by the FTC",
        deadline_hours=48,
        escalation="FTC",
    ),
    BasisRow(
        "uk-osa-s10-3a",
        "removal",
        "Online Safety Act 2023 (Reino Unido): denuncia de imagen íntima",
        "Online Safety Act 2023: intimate image content report",
        "s.10(3A)–(3B) y s.20A, introducidos por la Crime and Policing Act 2026",
        "s.10(3A)–(3B) and s.20A, inserted by the Crime and Policing Act 2026",
        "GB",
        "Online Safety Act 2023 s.10(3A), s.20A(2); Crime and Policing Act 2026 (Royal "
        "Assent 29 Apr 2026); commencement date not yet confirmed",
        deadline_hours=48,
        status="unconfirmed",
        escalation="OFCOM",
    ),
    BasisRow(
        "eu-dsa-art16",
        "removal",
        "Reglamento de Servicios Digitales (UE)",
        "Digital Services Act (EU)",
        "Reglamento (UE) 2022/2065, art. 16 (notificación y acción)",
        "Regulation (EU) 2022/2065, art. 16 (notice and action)",
        "EU",
        "Regulation (EU) 2022/2065 art. 16(2), 16(4)–(5): 'without undue delay'; the hours "
        "are the school's follow-up target",
        deadline_hours=48,
        statutory=False,
        escalation="AEPDCP",
    ),
    BasisRow(
        # Kept for notices drafted before issue 10: the AEPD is now a route of its own
        # (``AuthorityReport``: Canal Prioritario and ordinary complaint), not a basis of
        # a notice to a platform.
        "es-lopdgdd-canal-prioritario",
        "removal",
        "LOPDGDD — Canal Prioritario de la AEPD (sustituido)",
        "LOPDGDD — AEPD Canal Prioritario (superseded)",
        "Ley Orgánica 3/2018; Canal Prioritario de la AEPD",
        "Organic Law 3/2018; AEPD Canal Prioritario",
        "ES",
        "Superseded: the AEPD's two routes are reports to the AEPD, not notices to a platform",
        deadline_hours=48,
        statutory=False,
        escalation="AEPDCP",
        enabled=False,
    ),
    # --- offences: why the content is illegal ------------------------------
    BasisRow(
        "es-cp-189",
        "offence",
        "Código Penal, art. 189 (material de abuso sexual infantil)",
        "Spanish Criminal Code, art. 189 (child sexual abuse material)",
        "Ley Orgánica 10/1995, art. 189.1",
        "Organic Law 10/1995, art. 189.1",
        "ES",
        "Cited by the Juzgado de Menores de Badajoz, 20 Jun 2024",
    ),
    BasisRow(
        "es-cp-173-1",
        "offence",
        "Código Penal, art. 173.1 (integridad moral)",
        "Spanish Criminal Code, art. 173.1 (moral integrity)",
        "Ley Orgánica 10/1995, art. 173.1",
        "Organic Law 10/1995, art. 173.1",
        "ES",
        "Cited by the Juzgado de Menores de Badajoz, 20 Jun 2024",
    ),
    BasisRow(
        "es-cp-173-bis",
        "offence",
        "Código Penal, art. 173 bis (imágenes sexuales generadas con IA) — proyecto",
        "Spanish Criminal Code, art. 173 bis (AI-generated sexual images) — draft",
        "Proyecto de Ley Orgánica de protección de menores en entornos digitales",
        "Draft Organic Law on the protection of minors in digital environments",
        "ES",
        "Not enacted (unconfirmed): present and disabled until enacted; meanwhile cite "
        "arts. 189 and 173.1",
        status="not_enacted",
        enabled=False,
    ),
    BasisRow(
        "eu-dir-2011-93-art5",
        "offence",
        "Directiva 2011/93/UE, art. 5 (pornografía infantil)",
        "Directive 2011/93/EU, art. 5 (child sexual abuse material)",
        "Directiva 2011/93/UE, arts. 3–7",
        "Directive 2011/93/EU, arts. 3–7",
        "EU",
        "DSA art. 16(2)(c): for offences under arts. 3–7 of Directive 2011/93/EU the "
        "notifier may stay anonymous",
    ),
    BasisRow(
        "gb-soa-66b",
        "offence",
        "Sexual Offences Act 2003, s.66B (compartir una imagen íntima)",
        "Sexual Offences Act 2003, s.66B (sharing an intimate image)",
        "Sexual Offences Act 2003 s.66B(1)–(3)",
        "Sexual Offences Act 2003 s.66B(1)–(3)",
        "GB",
        "OSA s.20A(2)(a) refers to intimate image content as in SOA 2003 s.66B",
    ),
    BasisRow(
        "gb-poca-1978-s1",
        "offence",
        "Protection of Children Act 1978, s.1 (imágenes indecentes de menores)",
        "Protection of Children Act 1978, s.1 (indecent images of children)",
        "Protection of Children Act 1978 s.1",
        "Protection of Children Act 1978 s.1",
        "GB",
        "UKCIS 'Sharing nudes and semi-nudes' (Mar 2024)",
    ),
    BasisRow(
        "us-18-usc-2252a",
        "offence",
        "18 U.S.C. §2252A (material de abuso sexual infantil)",
        "18 U.S.C. §2252A (child sexual abuse material)",
        "18 U.S.C. §2252A; 47 U.S.C. §223(h) (publicación de imágenes íntimas)",
        "18 U.S.C. §2252A; 47 U.S.C. §223(h) (publication of intimate depictions)",
        "US",
        "TAKE IT DOWN Act §2 (47 U.S.C. §223(h)) and 18 U.S.C. §2252A",
    ),
)

# The removal duties each kind of platform answers to: every platform here serves users
# in the EU, the UK and the US. Adult-content platforms are very large online platforms
# under the DSA and covered platforms under TAKE IT DOWN; a nudify site is asked under
# the DSA only where it has an EU establishment or representative (it usually has
# neither: the notice then rests on the offence alone).
_ALL_REMOVAL = ("us-take-it-down", "uk-osa-s10-3a", "eu-dsa-art16")


@dataclass(frozen=True)
class PlatformRow:
    slug: str
    name: str
    kind: str
    channel: str
    url: str
    identifiers: tuple[str, ...]
    operator: str = ""
    email: str = ""
    bases: tuple[str, ...] = _ALL_REMOVAL
    source: str = "The platform's own reporting pages (report_url), read 2026-11"


PLATFORMS: tuple[PlatformRow, ...] = (
    PlatformRow(
        "whatsapp", "WhatsApp", "messaging", "in_app", "https://www.whatsapp.com/contact/forms/",
        ("phone_number", "group_invite_link", "message_link"), "WhatsApp Ireland Ltd",
    ),
    PlatformRow(
        "telegram", "Telegram", "messaging", "email", "https://telegram.org/faq_spam",
        ("channel_username", "message_link"), "Telegram Messenger Inc.", "abuse@telegram.org",
    ),
    PlatformRow(
        "instagram", "Instagram", "social", "web_form", "https://help.instagram.com/contact/",
        ("account_handle", "post_url"), "Meta Platforms Ireland Ltd",
    ),
    PlatformRow(
        "facebook", "Facebook", "social", "web_form", "https://www.facebook.com/help/contact/",
        ("profile_url", "post_url"), "Meta Platforms Ireland Ltd",
    ),
    PlatformRow(
        "tiktok", "TikTok", "video", "web_form", "https://www.tiktok.com/legal/report",
        ("account_handle", "video_url"), "TikTok Technology Ltd",
    ),
    PlatformRow(
        "snapchat", "Snapchat", "messaging", "web_form",
        "https://help.snapchat.com/hc/requests/new", ("username", "snap_link"),
        "Snap B.V.",
    ),
    PlatformRow(
        "x", "X", "social", "web_form", "https://help.x.com/forms",
        ("account_handle", "post_url"), "Twitter International Unlimited Company",
    ),
    PlatformRow(
        "discord", "Discord", "messaging", "web_form", "https://dis.gd/request",
        ("user_id", "server_id", "channel_id", "message_id", "message_link"),
        "Discord Netherlands B.V.",
    ),
    PlatformRow(
        "youtube", "YouTube", "video", "web_form", "https://support.google.com/youtube/",
        ("channel_url", "video_url", "timestamp"), "Google Ireland Ltd",
    ),
    PlatformRow(
        "reddit", "Reddit", "forum", "web_form", "https://www.reddit.com/report",
        ("username", "post_url"), "Reddit Netherlands B.V.",
    ),
    # Adult-content platforms and porn sites (SCENARIO: "some images also reached an
    # adult-content platform and porn websites").
    PlatformRow(
        "pornhub", "Pornhub", "adult", "web_form",
        "https://www.pornhub.com/content-removal", ("video_url", "uploader_account"),
        "Aylo Freesites Ltd",
    ),
    PlatformRow(
        "xvideos", "XVideos", "adult", "web_form", "https://info.xvideos.com/legal/abuse",
        ("video_url", "uploader_account"), "WebGroup Czech Republic a.s.",
    ),
    PlatformRow(
        "onlyfans", "OnlyFans", "adult", "email", "https://onlyfans.com/legal/",
        ("profile_url", "post_url"), "Fenix International Ltd", "support@onlyfans.com",
    ),
    PlatformRow(
        "stripchat", "Stripchat", "adult", "web_form", "https://stripchat.com/support",
        ("profile_url", "video_url"), "Technius Ltd",
    ),
    PlatformRow(
        # A porn website not listed here: its abuse address is typed into the notice.
        "adult-site", "Otro sitio para adultos / Other adult website", "adult", "email", "",
        ("site_url", "uploader_account"), bases=("eu-dsa-art16", "us-take-it-down"),
        source="Generic row for sites with no entry of their own",
    ),
    PlatformRow(
        "clothoff", "ClothOff (nudify app)", "nudify", "email", "", ("site_url",),
        bases=("eu-dsa-art16",),
        source="Named in press reports of the Almendralejo case (SCENARIO.md)",
    ),
)  # fmt: skip


@dataclass(frozen=True)
class AuthorityRow:
    code: str
    name: str
    kind: str
    jurisdiction: str
    url: str
    source: str
    phone: str = ""
    email: str = ""


AUTHORITIES: tuple[AuthorityRow, ...] = (
    AuthorityRow(
        "AEPDCP", "AEPD Canal Prioritario", "regulator", "ES",
        "https://www.aepd.es/canalprioritario",
        "AEPD: urgent removal of sexual or violent content spread without consent; third "
        "parties may report; 14–17-year-olds may report themselves",
    ),
    AuthorityRow(
        "AEPDREC", "AEPD — reclamación (procedimiento sancionador)", "regulator", "ES",
        "https://sedeagpd.gob.es/sede-electronica-web/",
        "AEPD ordinary complaint, which can end in a fine: in Almendralejo €2,000 "
        "(€1,200 paid early), 2025",
    ),
    AuthorityRow(
        "INC017", "INCIBE 017", "hotline", "ES",
        "https://www.incibe.es/linea-de-ayuda-en-ciberseguridad",
        "INCIBE's free, confidential cybersecurity help line, 017", phone="017",
    ),
    AuthorityRow(
        "IWFRR", "IWF / Childline Report Remove", "hotline", "GB",
        "https://www.childline.org.uk/info-advice/bullying-abuse-safety/online-mobile-safety/remove-nude-image-shared-online/",
        "IWF and NSPCC Childline: under-18s in the UK report their own image",
    ),
    AuthorityRow(
        "NCMECCT", "NCMEC CyberTipline", "hotline", "US", "https://report.cybertip.org/",
        "NCMEC: the US reporting point for child sexual exploitation",
    ),
    AuthorityRow(
        "NCMECTD", "NCMEC Take It Down", "hotline", "US", "https://takeitdown.ncmec.org/",
        "NCMEC: anyone depicted under 18 hashes their own image on their own device",
    ),
    AuthorityRow(
        "STOPNCII", "StopNCII.org", "hotline", "GB", "https://stopncii.org/",
        "Revenge Porn Helpline (SWGfL): adults (18+) hash their own intimate images",
    ),
    AuthorityRow(
        "FTC", "US Federal Trade Commission", "regulator", "US",
        "https://takeitdown.ftc.gov/",
        "The FTC enforces the TAKE IT DOWN Act; complaints at TakeItDown.ftc.gov",
    ),
    AuthorityRow(
        "OFCOM", "Ofcom", "regulator", "GB",
        "https://www.ofcom.org.uk/make-a-complaint",
        "Ofcom enforces the Online Safety Act 2023",
    ),
    # Police, prosecutors and child protection that serve every Spanish school: the
    # schools' own local units are added per deployment (the demo adds Almendralejo's).
    AuthorityRow(
        "PNCIBER", "Policía Nacional — Unidad Central de Ciberdelincuencia", "police_unit",
        "ES", "https://www.policia.es/_es/colabora.php",
        "Policía Nacional: reporting of online crimes against minors",
        email="denuncias.pornografia.infantil@policia.es",
    ),
    AuthorityRow(
        "GCEMUME", "Guardia Civil — EMUME", "police_unit", "ES",
        "https://www.guardiacivil.es/es/servicios/denuncias/",
        "Guardia Civil: Equipos Mujer-Menor (EMUME)",
    ),
    AuthorityRow(
        "SPMEX", "Junta de Extremadura — Servicio de Protección de Menores",
        "child_protection", "ES-EX", "https://www.juntaex.es/",
        "LO 1/1996 de protección jurídica del menor, art. 12; Ley 4/1994 de Extremadura de "
        "protección y atención a menores: the region's child-protection service, where "
        "an alleged perpetrator under 14 goes (LO 5/2000 art. 3)",
    ),
    AuthorityRow(
        "CEOP", "CEOP (National Crime Agency)", "police_unit", "GB",
        "https://www.ceop.police.uk/Safety-Centre/",
        "NCA CEOP Safety Centre: online child sexual abuse reports (UK)",
    ),
)  # fmt: skip


@dataclass(frozen=True)
class RouteRow:
    code: str
    authority: str
    name_es: str
    name_en: str
    description_es: str
    description_en: str
    url: str
    source: str
    min_age: int | None = None
    max_age: int | None = None
    jurisdiction: str = ""
    phone: str = ""


REMOVAL_ROUTES: tuple[RouteRow, ...] = (
    RouteRow(
        "take-it-down", "NCMECTD", "Take It Down (NCMEC)", "Take It Down (NCMEC)",
        "Para cualquier persona que aparezca en la imagen con menos de 18 años: calcula un "
        "hash de la imagen en su propio dispositivo y las plataformas participantes la "
        "retiran. La imagen no sale del dispositivo.",
        "For anyone depicted under 18: the image is hashed on their own device and "
        "participating platforms remove it. The image never leaves the device.",
        "https://takeitdown.ncmec.org/",
        "NCMEC Take It Down (anyone depicted under 18)", max_age=17,
    ),
    RouteRow(
        "report-remove", "IWFRR", "Report Remove (IWF y Childline)",
        "Report Remove (IWF and Childline)",
        "Reino Unido, menores de 18 años: la propia persona denuncia su imagen y la IWF "
        "pide su retirada.",
        "UK, under 18: the young person reports their own image and the IWF has it "
        "removed.",
        "https://www.childline.org.uk/info-advice/bullying-abuse-safety/online-mobile-safety/remove-nude-image-shared-online/",
        "IWF/Childline Report Remove (UK, under 18)", max_age=17,
        jurisdiction="GB",
    ),
    RouteRow(
        "stopncii", "STOPNCII", "StopNCII.org", "StopNCII.org",
        "Para adultos (18+), también el personal del centro: calcula un hash de sus imágenes "
        "íntimas en su propio dispositivo para que las plataformas las bloqueen.",
        "For adults (18+), staff included: hashes their intimate images on their own device "
        "so that platforms block them.",
        "https://stopncii.org/", "StopNCII (adults — staff can be victims too)",
        min_age=18,
    ),
    RouteRow(
        "aepd-canal-prioritario", "AEPDCP", "Canal Prioritario de la AEPD",
        "AEPD Canal Prioritario",
        "España: retirada urgente de contenido sexual difundido sin consentimiento. Desde "
        "los 14 años se puede presentar personalmente; antes, la familia.",
        "Spain: urgent removal of sexual content spread without consent. From 14 one may "
        "report oneself; younger, the family.",
        "https://www.aepd.es/canalprioritario",
        "AEPD Canal Prioritario (14+ may report themselves)",
        jurisdiction="ES",
    ),
    RouteRow(
        "incibe-017", "INC017", "INCIBE 017", "INCIBE 017",
        "España: línea de ayuda gratuita y confidencial en ciberseguridad, también para "
        "menores y familias (teléfono 017, WhatsApp y chat).",
        "Spain: free, confidential cybersecurity help line, also for minors and families "
        "(phone 017, WhatsApp and chat).",
        "https://www.incibe.es/linea-de-ayuda-en-ciberseguridad",
        "INCIBE 017 help line", jurisdiction="ES", phone="017",
    ),
)  # fmt: skip


def load_directory(apps: Apps = global_apps) -> None:
    """Create or update the authorities, legal bases, platforms and removal routes
    above, each with its ``source``.

    ``apps`` is a migration's historical registry, or the project's by default.
    """
    Platform = apps.get_model("reporting", "Platform")
    LegalBasis = apps.get_model("reporting", "LegalBasis")
    RemovalRoute = apps.get_model("reporting", "RemovalRoute")
    Organisation = apps.get_model("cases", "Organisation")
    orgs = {}
    for a in AUTHORITIES:
        orgs[a.code], _ = Organisation.objects.update_or_create(
            code=a.code,
            defaults={
                "name": a.name,
                "kind": a.kind,
                "jurisdiction": a.jurisdiction,
                "report_url": a.url,
                "time_zone": "Europe/Madrid" if a.jurisdiction.startswith("ES") else "UTC",
                "phone": a.phone,
                "email": a.email,
                "source": a.source,
            },
        )
    bases = {}
    for b in LEGAL_BASES:
        bases[b.code], _ = LegalBasis.objects.update_or_create(
            code=b.code,
            defaults={
                "purpose": b.purpose,
                "name_es": b.name_es,
                "name_en": b.name_en,
                "citation_es": b.citation_es,
                "citation_en": b.citation_en,
                "jurisdiction": b.jurisdiction,
                "deadline_hours": b.deadline_hours,
                "statutory": b.statutory,
                "status": b.status,
                "enabled": b.enabled,
                "escalation_to": orgs.get(b.escalation),
                "source": b.source,
            },
        )
    for p in PLATFORMS:
        platform, _ = Platform.objects.update_or_create(
            slug=p.slug,
            defaults={
                "name": p.name,
                "kind": p.kind,
                "operator": p.operator,
                "report_channel": p.channel,
                "report_url": p.url,
                "report_email": p.email,
                "required_identifiers": list(p.identifiers),
                "source": p.source,
            },
        )
        platform.legal_bases.set([bases[code] for code in p.bases])
    for r in REMOVAL_ROUTES:
        RemovalRoute.objects.update_or_create(
            code=r.code,
            defaults={
                "organisation": orgs[r.authority],
                "name_es": r.name_es,
                "name_en": r.name_en,
                "description_es": r.description_es,
                "description_en": r.description_en,
                "url": r.url,
                "phone": r.phone,
                "min_age": r.min_age,
                "max_age": r.max_age,
                "jurisdiction": r.jurisdiction,
                "source": r.source,
            },
        )
