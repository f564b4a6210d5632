"""The identifiers a platform's report form asks for (``Platform.required_identifiers``),
named in words for notices and pages, in Spanish and English.

Keys are the ones of ``reporting.directory.PLATFORMS`` and of ``EvidenceItem.identifiers``.
The words are kept here side by side (not through gettext) because they are part of the
text of a takedown notice, which is written in the notice's own language whatever the
reader's (LAW.md §1 "Every notice also carries … the platform's required identifiers").
"""

from __future__ import annotations

# key: (Spanish, English)
IDENTIFIER_LABELS: dict[str, tuple[str, str]] = {
    "phone_number": ("Número de teléfono", "Phone number"),
    "group_invite_link": ("Enlace de invitación al grupo", "Group invite link"),
    "group_name": ("Nombre del grupo", "Group name"),
    "message_link": ("Enlace al mensaje", "Message link"),
    "channel_username": ("Canal o usuario (t.me)", "Channel or username (t.me link)"),
    "account_handle": ("Cuenta (@usuario)", "Account handle"),
    "post_url": ("URL de la publicación", "Post URL"),
    "profile_url": ("URL del perfil", "Profile URL"),
    "video_url": ("URL del vídeo", "Video URL"),
    "username": ("Nombre de usuario", "Username"),
    "snap_link": ("Enlace al snap", "Snap link"),
    "user_id": ("ID de usuario", "User ID"),
    "server_id": ("ID del servidor", "Server ID"),
    "channel_id": ("ID del canal", "Channel ID"),
    "message_id": ("ID del mensaje", "Message ID"),
    "channel_url": ("URL del canal", "Channel URL"),
    "timestamp": ("Minuto y segundo en el vídeo", "Timestamp in the video"),
    "uploader_account": ("Cuenta que lo subió", "Uploader's account"),
    "site_url": ("URL del sitio", "Site URL"),
}

# Identifiers that name the account that uploaded or shared the content, in order of
# preference: the notice names "the uploader's account" from the first one recorded.
UPLOADER_KEYS: tuple[str, ...] = (
    "uploader_account",
    "account_handle",
    "username",
    "user_id",
    "profile_url",
    "phone_number",
)


def identifier_label(key: str, language: str) -> str:
    """``key`` in words in ``language`` (``"es"``/``"en"``); an unknown key is shown
    with its underscores as spaces (an operator may add identifiers in the admin)."""
    labels = IDENTIFIER_LABELS.get(key)
    if labels is None:
        return key.replace("_", " ").capitalize()
    return labels[0] if language == "es" else labels[1]
