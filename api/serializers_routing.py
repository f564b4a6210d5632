"""Serializers of a case's routing advice (``/api/v1/cases/{id}/routing/``,
``/api/v1/routing/{id}/accept/`` and ``dismiss/``) and of the victims' own removal
reports (``/api/v1/cases/{id}/removal-reports/``), also parts of the case page
(``api.serializers_cases.CaseDetailOutputSerializer``).

A suggestion's ``reason`` and ``sources`` are rendered in the reader's language
(``reporting.routing.reason_of``/``sources_of``); ``params`` keeps what they were
rendered from. Input serializers validate shape only; the rules ("a victim of this
case", "a route that fits them") are the services' (400).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.fields import InputSerializer, ScopedPrimaryKeyRelatedField, StrictSlugRelatedField
from api.serializers_refs import DestinationRefSerializer, PersonRefSerializer, UserRefSerializer
from api.serializers_reporting import RemovalRouteOutputSerializer
from cases.models import Person
from reporting import routing
from reporting.models import RemovalRoute, RemovalRouteReport, RoutingSuggestion


class RoutingSuggestionOutputSerializer(serializers.ModelSerializer):
    """One piece of routing advice: where (``destination``, or a victim's ``route``),
    how urgent, why (``reason``) and on what authority (``sources``), and the lead's
    decision (``status``, ``decided_by``, ``decided_at``, ``decision_note``)."""

    destination = DestinationRefSerializer(read_only=True, allow_null=True)
    route = RemovalRouteOutputSerializer(read_only=True, allow_null=True)
    person = PersonRefSerializer(read_only=True, allow_null=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)
    reason = serializers.SerializerMethodField()
    sources = serializers.SerializerMethodField()

    class Meta:
        model = RoutingSuggestion
        fields = [
            "id",
            "key",
            "rule",
            "urgency",
            "destination",
            "destination_kind",
            "route",
            "person",
            "params",
            "reason",
            "sources",
            "status",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_reason(self, obj: RoutingSuggestion) -> str:
        return routing.reason_of(obj)

    def get_sources(self, obj: RoutingSuggestion) -> list[str]:
        return routing.sources_of(obj)


class RemovalReportOutputSerializer(serializers.ModelSerializer):
    """What a victim told the school of their own report (never filed by the school).

    ``victim`` is the person's id only: the ledger belongs to the evidence section, which
    a referral may share without the participants; who the victim is comes with the
    participants (``/participants/``), to those who may see them."""

    victim: serializers.PrimaryKeyRelatedField[Person] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    route = RemovalRouteOutputSerializer(read_only=True)
    recorded_by = UserRefSerializer(read_only=True)

    class Meta:
        model = RemovalRouteReport
        fields = [
            "id",
            "victim",
            "route",
            "case_number",
            "reported_on",
            "status",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


# --- Input --------------------------------------------------------------------------


class RoutingAcceptInputSerializer(InputSerializer):
    note = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        required=False,
        default="",
        help_text=_("What was done (optional)."),
    )


class RoutingDismissInputSerializer(InputSerializer):
    reason = serializers.CharField(
        max_length=2000, help_text=_("Why this advice is not followed (required).")
    )


class RemovalReportRecordInputSerializer(InputSerializer):
    victim = ScopedPrimaryKeyRelatedField(scope="person", queryset=Person.objects.none())
    route = StrictSlugRelatedField(
        slug_field="code",
        queryset=RemovalRoute.objects.all(),
        help_text=_("The route's code, e.g. take-it-down."),
    )
    case_number = serializers.CharField(max_length=100, allow_blank=True, default="")
    reported_on = serializers.DateField()
    status = serializers.ChoiceField(
        choices=RemovalRouteReport.Status.choices, default=RemovalRouteReport.Status.REPORTED
    )


class RemovalReportUpdateInputSerializer(InputSerializer):
    case_number = serializers.CharField(max_length=100, allow_blank=True, required=False)
    reported_on = serializers.DateField(required=False)
    status = serializers.ChoiceField(choices=RemovalRouteReport.Status.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(
                _("Give the case number, the date or the status to change.")
            )
        return attrs
