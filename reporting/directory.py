"""The platform and authority directory, and the legal bases with their clocks, as data.

Sources: each platform's public reporting pages; TAKE IT DOWN Act (47 U.S.C. §223a,
48 h removal); UK Online Safety Act 2023 s.10(3A) (48 h, to be confirmed); EU Digital
Services Act art. 16 ("without undue delay"; 48 h is our follow-up target, editable in
the admin); Spain: AEPD Canal Prioritario for urgent removal.

``load_directory`` is idempotent (update_or_create by natural key). Data migrations call
it with historical models; tests call it to restore rows after a transactional flush.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.apps.registry import Apps

PLATFORMS = [
    (
        "whatsapp",
        "WhatsApp",
        "in_app",
        "https://www.whatsapp.com/contact/forms/",
        ["phone_number", "group_invite_link", "message_link"],
    ),
    (
        "telegram",
        "Telegram",
        "email",
        "https://telegram.org/faq_spam",
        ["channel_username", "message_link"],
    ),
    (
        "instagram",
        "Instagram",
        "web_form",
        "https://help.instagram.com/contact/",
        ["account_handle", "post_url"],
    ),
    (
        "facebook",
        "Facebook",
        "web_form",
        "https://www.facebook.com/help/contact/",
        ["profile_url", "post_url"],
    ),
    (
        "tiktok",
        "TikTok",
        "web_form",
        "https://www.tiktok.com/legal/report",
        ["account_handle", "video_url"],
    ),
    (
        "snapchat",
        "Snapchat",
        "web_form",
        "https://help.snapchat.com/hc/requests/new",
        ["username", "snap_link"],
    ),
    ("x", "X", "web_form", "https://help.x.com/forms", ["account_handle", "post_url"]),
    (
        "discord",
        "Discord",
        "web_form",
        "https://dis.gd/request",
        ["user_id", "server_id", "message_link"],
    ),
    (
        "youtube",
        "YouTube",
        "web_form",
        "https://support.google.com/youtube/",
        ["channel_url", "video_url"],
    ),
    ("reddit", "Reddit", "web_form", "https://www.reddit.com/report", ["username", "post_url"]),
    ("clothoff", "ClothOff (nudify app)", "email", "", ["site_url"]),
]

AUTHORITIES = [
    # name, kind, code, jurisdiction, report_url
    ("AEPD Canal Prioritario", "regulator", "AEPDCP", "ES", "https://www.aepd.es/canalprioritario"),
    (
        "INCIBE 017",
        "hotline",
        "INC017",
        "ES",
        "https://www.incibe.es/linea-de-ayuda-en-ciberseguridad",
    ),
    ("IWF Report Remove", "hotline", "IWFRR", "GB", "https://www.iwf.org.uk/en/report-remove/"),
    ("NCMEC CyberTipline", "hotline", "NCMECCT", "US", "https://report.cybertip.org/"),
    ("NCMEC Take It Down", "hotline", "NCMECTD", "US", "https://takeitdown.ncmec.org/"),
    ("US Federal Trade Commission", "regulator", "FTC", "US", "https://reportfraud.ftc.gov/"),
    ("Ofcom", "regulator", "OFCOM", "GB", "https://www.ofcom.org.uk/"),
]

LEGAL_BASES = [
    # code, name, citation, jurisdiction, hours, statutory, escalation code
    ("us-take-it-down", "TAKE IT DOWN Act", "47 U.S.C. §223a", "US", 48, True, "FTC"),
    (
        "uk-osa-s10-3a",
        "Online Safety Act 2023",
        "s.10(3A) (to be confirmed)",
        "GB",
        48,
        True,
        "OFCOM",
    ),
    (
        "eu-dsa-art16",
        "Digital Services Act",
        "Regulation (EU) 2022/2065 art. 16 and 22",
        "EU",
        48,
        False,
        "AEPDCP",
    ),
    (
        "es-lopdgdd-canal-prioritario",
        "LOPDGDD — AEPD Canal Prioritario",
        "Ley Orgánica 3/2018; AEPD Canal Prioritario",
        "ES",
        48,
        False,
        "AEPDCP",
    ),
]


def load_directory(apps: Apps = global_apps) -> None:
    """Create or update the platforms, authorities and legal bases above.

    ``apps`` is a migration's historical registry, or the project's by default.
    """
    Platform = apps.get_model("reporting", "Platform")
    LegalBasis = apps.get_model("reporting", "LegalBasis")
    Organisation = apps.get_model("cases", "Organisation")
    for slug, name, channel, url, identifiers in PLATFORMS:
        Platform.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "report_channel": channel,
                "report_url": url,
                "required_identifiers": identifiers,
            },
        )
    orgs = {}
    for name, kind, code, jurisdiction, url in AUTHORITIES:
        orgs[code], _ = Organisation.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "jurisdiction": jurisdiction,
                "report_url": url,
                "time_zone": "UTC",
            },
        )
    for code, name, citation, jurisdiction, hours, statutory, esc in LEGAL_BASES:
        LegalBasis.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "citation": citation,
                "jurisdiction": jurisdiction,
                "deadline_hours": hours,
                "statutory": statutory,
                "escalation_to": orgs[esc],
            },
        )
