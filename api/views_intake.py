"""Hash-only file intake (DESIGN rule 1: no imagery, ever).

A file sent here is received by Django's in-memory upload handler only (settings),
hashed by ``cases.hashing.hash_stream`` and dropped; what is kept is its SHA-256, MD5
and, for images, PDQ + quality. These views answer in JSON only (no browsable API that
could echo a form back), parse multipart only, mark every POST parameter sensitive for
error reports, and close every uploaded file before returning, whatever the outcome.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.datastructures import MultiValueDict
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.base import Api, audit_context, mark_case_data
from api.fields import zoned_context
from api.serializers_intake import (
    EvidenceUploadSerializer,
    FileHashesSerializer,
    HashRequestSerializer,
    UploadedEvidenceSerializer,
)
from cases import services
from cases.hashing import MSG_TOO_LARGE, FileHashes, hash_stream
from cases.selectors import can_edit_case, case_get_for_user, schools_of

MSG_READ_ONLY = _("Only the school's safeguarding lead or deputy can record evidence.")
MSG_SCHOOL_ONLY = _("Only members of a school can hash files.")

_ERRORS = {
    400: OpenApiResponse(description=_("Not an image or video, undecodable, too large.")),
    401: OpenApiResponse(description=_("Not signed in.")),
    403: OpenApiResponse(description=_("Signed in, but not allowed to do this.")),
}


class IsSchoolMember(permissions.BasePermission):
    """Any role in a school (lead, deputy, staff, head)."""

    message = MSG_SCHOOL_ONLY

    def has_permission(self, request, view) -> bool:
        return bool(schools_of(request.user))


def _refuse_oversized(request) -> None:
    """400 before the body is parsed if it cannot fit the in-memory limit.

    Django's memory handler silently drops a file over ``FILE_UPLOAD_MAX_MEMORY_SIZE``
    (there is no disk handler to fall back to), which would read as "no file sent".
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    if length > limit:
        raise exceptions.ValidationError({"file": [MSG_TOO_LARGE % {"limit": limit}]})


def _drop_uploads(request) -> None:
    """Close every uploaded file of ``request`` (frees the in-memory copy)."""
    seen: set[int] = set()
    for holder in (request, getattr(request, "_request", None)):
        files = getattr(holder, "_files", None) if holder is not None else None
        if not isinstance(files, MultiValueDict):
            continue
        for _name, uploads in files.lists():
            for upload in uploads:
                if id(upload) not in seen:
                    seen.add(id(upload))
                    upload.close()


def _hash_upload(upload) -> FileHashes:
    return hash_stream(upload, max_bytes=settings.EVIDENCE_MAX_UPLOAD_BYTES)


class _IntakeApi(Api):
    parser_classes = [MultiPartParser]
    renderer_classes = [JSONRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        _drop_uploads(request)
        return super().finalize_response(request, response, *args, **kwargs)


@method_decorator(sensitive_post_parameters(), name="dispatch")
class EvidenceUploadApi(_IntakeApi):
    """``POST cases/{case_id}/evidence/upload/``: hash a file and record evidence."""

    @extend_schema(
        operation_id="evidence_upload",
        tags=["evidence"],
        summary=_("Record evidence from a file (hashed in memory, never stored)"),
        description=_(
            "The file is hashed in memory (SHA-256, MD5; PDQ and quality for images) and "
            "discarded; an evidence item with the hashes and the metadata is recorded. "
            "Only images (JPEG, PNG, GIF, WebP, BMP, TIFF) and videos (MP4, MOV, WebM) are "
            "accepted. Only the school's safeguarding lead or deputy may record evidence."
        ),
        parameters=[OpenApiParameter("case_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={
            201: UploadedEvidenceSerializer,
            **_ERRORS,
            404: OpenApiResponse(description=_("No such case, or not visible to you.")),
        },
    )
    def post(self, request, case_id: int) -> Response:
        """Record an evidence item from an uploaded image or video.

        Case from ``case_get_for_user`` (404 if not visible, DESIGN rule 2); writing
        needs ``can_edit_case`` (403 for a police liaison who may only read it).
        ``first_seen_at`` is ISO 8601 (without an offset: the school's clock), stored
        in UTC, not in the future. Errors: 400 with
        field errors (``file``: not an image or video, undecodable, too many pixels, too
        large; metadata fields), nothing written.
        """
        mark_case_data(request)
        case = case_get_for_user(user=request.user, case_id=case_id)
        if not can_edit_case(request.user, case):
            raise exceptions.PermissionDenied(MSG_READ_ONLY)
        _refuse_oversized(request)
        serializer = EvidenceUploadSerializer(
            data=request.data, context=zoned_context(request, school=case.school)
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data.pop("file")
        hashes = _hash_upload(upload)
        del upload
        item = services.evidence_record(
            case=case,
            actor=request.user,
            kind=data.get("kind") or hashes.content_kind,
            first_seen_at=data["first_seen_at"],
            platform=data.get("platform"),
            location=data.get("location", ""),
            identifiers=data.get("identifiers") or {},
            seen_by=data.get("seen_by", ""),
            description=data.get("description", ""),
            sha256=hashes.sha256,
            md5=hashes.md5,
            pdq=hashes.pdq,
            pdq_quality=hashes.pdq_quality,
            context=audit_context(request),
        )
        return Response(UploadedEvidenceSerializer(item).data, status=status.HTTP_201_CREATED)


class HashFileApi(_IntakeApi):
    """``POST hash/``: hashes of a file, nothing recorded."""

    extra_permission_classes = (IsSchoolMember,)

    @extend_schema(
        operation_id="hash_file",
        tags=["evidence"],
        summary=_("Hash a file without recording anything"),
        description=_(
            "Returns SHA-256, MD5 and, for images, PDQ and quality. The file is hashed in "
            "memory and discarded; nothing is recorded. For any member of a school."
        ),
        request={"multipart/form-data": HashRequestSerializer},
        responses={200: FileHashesSerializer, **_ERRORS},
    )
    def post(self, request) -> Response:
        """Hash an image or video (``cases.hashing.hash_stream``); 400 as for the upload."""
        _refuse_oversized(request)
        serializer = HashRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hashes = _hash_upload(serializer.validated_data.pop("file"))
        return Response(
            FileHashesSerializer(
                {
                    "sha256": hashes.sha256,
                    "md5": hashes.md5,
                    "pdq": hashes.pdq,
                    "pdq_quality": hashes.pdq_quality,
                    "content_kind": hashes.content_kind,
                    "size_bytes": hashes.size_bytes,
                }
            ).data
        )
