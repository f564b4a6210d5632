"""The access log of a case (issue 3) and the denied accesses of a school (issue 7).

``GET /api/v1/cases/{case_id}/access-log/`` — who read the case's data, when, from
where: only the safeguarding lead or deputy of the case's school; anyone else (police
liaisons included) gets 404, as for a case that does not exist. Reading the log is
itself audited (``case.access_log``).

``GET /api/v1/security/denials/`` — who asked for a record of your schools and was
refused (answered 404 as if it did not exist): leads and deputies only, of their own
schools; anyone else gets 404. Reading it is audited (``denial.list``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.base import GenericApi, record_read
from api.parsers import StrictJSONParser
from api.serializers_refs import UserRefSerializer
from cases.audit import case_access_log, case_for_access_log, denials_for_user
from cases.models import AccessEvent, DenialEvent
from cases.verbs import AccessAction
from config.http import AuthenticatedRequest

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
        return obj.organisation.name if obj.organisation is not None else None


class CaseAccessLogApi(GenericApi):
    """A case's access log: JSON, cursor pagination (``-id``)."""

    parser_classes = [StrictJSONParser]
    filter_backends: list = []
    serializer_class = AccessEventOutputSerializer

    @extend_schema(tags=AUDIT_TAG, responses=AccessEventOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Reads of this case's data (``AccessEvent`` rows whose ``case_ids`` contain
        it), newest first, cursor-paginated. Lead or deputy of the case's school only;
        404 for everyone else. Writes an ``AccessEvent`` ``case.access_log``."""
        case = case_for_access_log(user=request.user, case_id=case_id)
        page = self.paginate_queryset(case_access_log(case=case))
        data = AccessEventOutputSerializer(page, many=True).data
        record_read(
            request,
            action=AccessAction.CASE_ACCESS_LOG,
            case_ids=[case.pk],
            organisation=case.school_id,
        )
        return self.get_paginated_response(data)


class DenialEventOutputSerializer(serializers.ModelSerializer):
    """One refused access to a record of your school (UTC): who asked (user, username
    at the time, roles, organisation), for what (``object_type`` is the kind of
    record: case, person, concern, supportplan, action, referral, takedownrequest, or
    organisation for the school's statistics; ``object_id`` its id), how (channel,
    method, path), from where (IP, request id)."""

    actor = UserRefSerializer(read_only=True, allow_null=True)
    actor_organisation = serializers.SerializerMethodField()
    school = serializers.SerializerMethodField()

    class Meta:
        model = DenialEvent
        fields = [
            "id",
            "occurred_at",
            "actor",
            "actor_username",
            "actor_role",
            "actor_organisation",
            "school",
            "object_type",
            "object_id",
            "channel",
            "method",
            "path",
            "ip",
            "request_id",
            "row_hash",
        ]
        read_only_fields = fields

    def get_actor_organisation(self, obj: DenialEvent) -> str | None:
        organisation = obj.actor_organisation
        return organisation.name if organisation is not None else None

    def get_school(self, obj: DenialEvent) -> str:
        return obj.school.name


class DenialListApi(GenericApi):
    """Denied accesses to your schools' records: JSON, cursor pagination (``-id``)."""

    parser_classes = [StrictJSONParser]
    filter_backends: list = []
    serializer_class = DenialEventOutputSerializer

    @extend_schema(
        tags=AUDIT_TAG,
        responses={
            200: DenialEventOutputSerializer(many=True),
            404: OpenApiResponse(description=_("Not a safeguarding lead or deputy.")),
        },
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        """Refused accesses to records of the schools where you are safeguarding lead
        or deputy (``DenialEvent``): someone asked for one of your records and got 404,
        as for a record that does not exist. Newest first, cursor-paginated. 404 for
        anyone else. Writes an ``AccessEvent`` ``denial.list``."""
        page = self.paginate_queryset(denials_for_user(user=request.user))
        data = DenialEventOutputSerializer(page, many=True).data
        record_read(request, action=AccessAction.DENIAL_LIST, case_ids=[])
        return self.get_paginated_response(data)
