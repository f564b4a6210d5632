"""Serializers for hash-only file intake (``api/views_intake.py``).

Input serializers take a ``file`` (multipart) that is hashed in memory and dropped;
output serializers carry hashes, never the file, its name or its content.
"""

from __future__ import annotations

from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.fields import SchoolDateTimeField, StrictSlugRelatedField, ZonedInputSerializer
from api.parsers import strict_loads
from api.serializers_case_parts import EvidenceItemOutputSerializer
from cases.models import EvidenceItem
from reporting.models import Platform

MAX_IDENTIFIERS = 50
MAX_IDENTIFIER_KEY = 100
MAX_IDENTIFIER_VALUE = 2000


class _UploadFileField(serializers.FileField):
    """A file to hash. The name is ignored (never stored), so its length is not checked."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_empty_file", False)
        kwargs.setdefault("use_url", False)
        super().__init__(**kwargs)


class HashRequestSerializer(serializers.Serializer):
    """``POST hash/``: only the file."""

    file = _UploadFileField(
        help_text=_("An image or video; hashed in memory and discarded, never stored.")
    )


class FileHashesSerializer(serializers.Serializer):
    """Hashes of a file (``cases.hashing.FileHashes``). Hex is lower case."""

    sha256 = serializers.CharField(min_length=64, max_length=64)
    md5 = serializers.CharField(min_length=32, max_length=32)
    pdq = serializers.CharField(
        max_length=64,
        allow_blank=True,
        help_text=_("PDQ perceptual hash, 64 hex digits; empty for videos."),
    )
    pdq_quality = serializers.IntegerField(
        min_value=0,
        max_value=100,
        allow_null=True,
        help_text=_("PDQ quality 0–100 (below 50 is not used for matching); null for videos."),
    )
    content_kind = serializers.ChoiceField(choices=[("image", _("Image")), ("video", _("Video"))])
    size_bytes = serializers.IntegerField(min_value=1)


class EvidenceUploadSerializer(ZonedInputSerializer):
    """``POST cases/{id}/evidence/upload/``: a file plus where and when it was seen.

    ``identifiers`` is a JSON object encoded as a string (multipart has no objects), e.g.
    ``{"group_invite_link": "https://chat.whatsapp.com/…"}``. ``kind`` defaults to the
    kind of content detected (image or video).
    """

    file = _UploadFileField(
        help_text=_("An image or video; hashed in memory and discarded, never stored.")
    )
    kind = serializers.ChoiceField(choices=EvidenceItem.Kind.choices, required=False)
    platform = StrictSlugRelatedField(
        slug_field="slug",
        queryset=Platform.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Platform slug, e.g. whatsapp."),
    )
    location = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    identifiers = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20_000,
        help_text=_("JSON object of platform identifiers (text keys and values)."),
    )
    first_seen_at = SchoolDateTimeField(help_text=_("When it was first seen."))
    seen_by = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)

    def validate_identifiers(self, value: str) -> dict[str, str]:
        if not value.strip():
            return {}
        try:
            # Strict: no RecursionError on deep nesting, no lone surrogates (a 500 before).
            parsed = strict_loads(value)
        except ValueError:
            raise serializers.ValidationError(_("Give the identifiers as a JSON object.")) from None
        if not isinstance(parsed, dict):
            raise serializers.ValidationError(_("Give the identifiers as a JSON object."))
        if len(parsed) > MAX_IDENTIFIERS:
            raise serializers.ValidationError(
                _("At most %(count)d identifiers.") % {"count": MAX_IDENTIFIERS}
            )
        for key, item in parsed.items():
            if not isinstance(item, str) or not key.strip():
                raise serializers.ValidationError(
                    _("Each identifier needs a name and a text value.")
                )
            if len(key) > MAX_IDENTIFIER_KEY or len(item) > MAX_IDENTIFIER_VALUE:
                raise serializers.ValidationError(_("An identifier is too long."))
            # JSON's "\u0000" is valid here but not in PostgreSQL's jsonb (a 500 on save).
            ProhibitNullCharactersValidator()(key)
            ProhibitNullCharactersValidator()(item)
        return parsed


class UploadedEvidenceSerializer(EvidenceItemOutputSerializer):
    """The evidence item recorded from an upload: the same shape as every evidence item
    (metadata and hashes, no file), plus the case it was recorded on."""

    class Meta(EvidenceItemOutputSerializer.Meta):
        fields = [*EvidenceItemOutputSerializer.Meta.fields, "case"]
        read_only_fields = fields
