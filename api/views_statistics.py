"""API view for school statistics (issue 3, "Heads see statistics, not case contents").

Aggregates only (``reporting.statistics.school_statistics``): no case data, so no
``AccessEvent`` is written. Heads, safeguarding leads and deputies see their own schools;
anyone else gets 404, as for an object that does not exist.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.response import Response

from api.base import Api
from api.fields import StrictIntegerField
from config.http import AuthenticatedRequest
from reporting.statistics import AGE_BANDS, SUPPRESSED, school_statistics

STATISTICS_TAG = ["statistics"]

SUPPRESSION_HELP = _(
    'A count from 1 to 2 is shown as "<3" (small-number suppression, ONS/ICO '
    "guidance on small cells); zero is shown as 0."
)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 0},
            {"type": "string", "enum": [SUPPRESSED]},
        ]
    }
)
class SuppressedCountField(serializers.Field):
    """An integer count, or ``"<3"`` for a suppressed small count."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", SUPPRESSION_HELP)
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value


class StatisticsQuerySerializer(serializers.Serializer):
    school = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text=_("One of your schools; all of them when left out."),
    )


class StatisticsSchoolSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CategoryCountSerializer(serializers.Serializer):
    category = serializers.CharField()
    # The API's key ``label``. The stubs see it shadow ``Field.label`` (a serializer is a
    # field); DRF's metaclass takes declared fields off the class, so it does not.
    label = serializers.CharField()  # type: ignore[assignment]
    open = SuppressedCountField()
    closed = SuppressedCountField()


class AgeBandCountSerializer(serializers.Serializer):
    band = serializers.ChoiceField(choices=[(b, b) for b in AGE_BANDS])
    count = SuppressedCountField()


class PlatformCountSerializer(serializers.Serializer):
    platform = serializers.CharField(
        allow_null=True, help_text=_("Directory slug; null when no platform was recorded.")
    )
    name = serializers.CharField()
    count = SuppressedCountField()


class DurationStatisticsSerializer(serializers.Serializer):
    count = SuppressedCountField()
    median_hours = serializers.FloatField(
        allow_null=True, help_text=_("Hours; null with fewer than 3 cases.")
    )
    p90_hours = serializers.FloatField(
        allow_null=True, help_text=_("90th percentile in hours; null with fewer than 3 cases.")
    )


class TakedownCountsSerializer(serializers.Serializer):
    overdue = SuppressedCountField()
    escalated = SuppressedCountField()


class StatisticsOutputSerializer(serializers.Serializer):
    schools = StatisticsSchoolSerializer(many=True)
    cases_by_category = CategoryCountSerializer(many=True)
    victims_by_age_band = AgeBandCountSerializer(many=True)
    evidence_by_platform = PlatformCountSerializer(many=True)
    concern_to_referral = DurationStatisticsSerializer(
        help_text=_("From the first concern logged to the first referral sent, per case.")
    )
    takedown_to_removal = DurationStatisticsSerializer(
        help_text=_("From submission to removal, per takedown notice removed.")
    )
    takedowns = TakedownCountsSerializer()
    generated_at = serializers.DateTimeField(read_only=True, help_text=_("With offset."))


class StatisticsApi(Api):
    @extend_schema(
        tags=STATISTICS_TAG,
        parameters=[
            OpenApiParameter(
                "school",
                int,
                required=False,
                description=_("One of your schools; all of them when left out."),
            )
        ],
        responses={
            200: StatisticsOutputSerializer,
            400: OpenApiResponse(description=_("Invalid input.")),
            404: OpenApiResponse(
                description=_(
                    "Not a head, lead, deputy or authority admin of a school, or not your school."
                )
            ),
        },
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        """Statistics of the schools where you are head teacher, safeguarding lead,
        deputy or authority admin (``cases.permissions.STATISTICS_ROLES``): cases by
        category and status, victims by age band at case opening, evidence items by
        platform, hours from concern to first referral and from takedown submission to
        removal (median, 90th percentile), overdue and escalated
        takedown notices. Aggregates only: never a name or a case reference. Counts of
        1 or 2 are shown as "<3". Times UTC. 404 for anyone else, or for a school that
        is not yours."""
        query = StatisticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = school_statistics(user=request.user, school_id=query.validated_data.get("school"))
        return Response(StatisticsOutputSerializer(data).data)
