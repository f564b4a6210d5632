"""The access log of a case (issue 3): who read the case's data, when, from where.

``GET /api/v1/cases/{case_id}/access-log/`` — only the safeguarding lead or deputy of
the case's school; anyone else (police liaisons included) gets 404, as for a case that
does not exist. Reading the log is itself audited (``case.access_log``).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

from api.parsers import StrictJSONParser
from api.permissions import default_and
from api.serializers_cases import UserRefSerializer
from cases.audit import AuditContext, case_access_log, case_for_access_log, record_access
from cases.models import AccessEvent

AUDIT_TAG = ["audit"]


class AccessEventOutputSerializer(serializers.ModelSerializer):
    """One read of the case's data (UTC). The other case ids a read covered are not
    shown: they may belong to another school."""

    actor = UserRefSerializer(read_only=True, allow_null=True)
    organisation = serializers.SerializerMethodField()

    class Meta:
        model = AccessEvent
        fields = [
            "id",
            "occurred_at",
            "actor",
            "actor_role",
            "organisation",
            "channel",
            "action",
            "ip",
            "request_id",
            "row_hash",
        ]
        read_only_fields = fields

    def get_organisation(self, obj: AccessEvent) -> str | None:
        return obj.organisation.name if obj.organisation_id else None


class CaseAccessLogApi(GenericAPIView):
    """A case's access log: JSON, authenticated, cursor pagination (``-id``)."""

    parser_classes = [StrictJSONParser]
    permission_classes = default_and()
    filter_backends: list = []
    serializer_class = AccessEventOutputSerializer

    @extend_schema(tags=AUDIT_TAG, responses=AccessEventOutputSerializer(many=True))
    def get(self, request, case_id: int):
        """Reads of this case's data (``AccessEvent`` rows whose ``case_ids`` contain
        it), newest first, cursor-paginated. Lead or deputy of the case's school only;
        404 for everyone else. Writes an ``AccessEvent`` ``case.access_log``."""
        case = case_for_access_log(user=request.user, case_id=case_id)
        page = self.paginate_queryset(case_access_log(case=case))
        data = AccessEventOutputSerializer(page, many=True).data
        record_access(
            actor=request.user,
            action="case.access_log",
            case_ids=[case.pk],
            context=AuditContext.from_request(request, channel="api"),
            organisation=case.school_id,
        )
        request._request.has_case_data = True
        return self.get_paginated_response(data)
