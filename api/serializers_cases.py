"""Serializers of cases (``/api/v1/cases/``, ``cases/{id}/``, ``close/``, ``reopen/``,
``/api/v1/dashboard/``): the case header in and out, the case list and the whole case
page. What hangs off a case (participants, evidence, support plans…) is in
``api.serializers_case_parts``.

Input serializers name every writable field and validate shape only; the domain rules
live in ``cases.services`` (``ValidationError``, HTTP 400). The case page is a
``casefile.selectors.CaseView``, already cut to the reader: a police liaison on a
referred case gets the parts of the sections shared with their unit, the rest empty.
"""

from __future__ import annotations

from collections import OrderedDict

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import (
    SchoolChoiceMixin,
    SchoolDateTimeField,
    ScopedPrimaryKeyRelatedField,
    ZonedInputSerializer,
    model_max_length,
    model_text,
    school_field,
)
from api.serializers_case_parts import (
    ActionOutputSerializer,
    AuthorityReportOutputSerializer,
    CaseEventOutputSerializer,
    CaseReferralOutputSerializer,
    CaseTakedownOutputSerializer,
    EvidenceItemOutputSerializer,
    GuardianContactOutputSerializer,
    LinkedConcernOutputSerializer,
    ParticipantOutputSerializer,
    SupportPlanOutputSerializer,
)
from api.serializers_deliveries import DeliveryOutputSerializer
from api.serializers_refs import SchoolRefSerializer, UserRefSerializer
from api.serializers_routing import (
    RemovalReportOutputSerializer,
    RoutingSuggestionOutputSerializer,
)
from cases.models import Case, Concern
from cases.permissions import CASE_HEADER_FIELDS, CASE_RECORD_PARTS, CASE_RESTRICTED_FIELDS

# --- Input --------------------------------------------------------------------------


class CaseOpenInputSerializer(SchoolChoiceMixin, ZonedInputSerializer):
    school = school_field()
    title = serializers.CharField(max_length=model_max_length(Case, "title"))
    category = serializers.ChoiceField(choices=Case.Category.choices)
    summary = model_text(Case, "summary")
    risk_level = serializers.ChoiceField(choices=Case.Risk.choices, default=Case.Risk.MEDIUM)
    concern = ScopedPrimaryKeyRelatedField(
        scope="concern",
        queryset=Concern.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Id of the new concern of your school this case follows."),
    )
    adult_involved = serializers.BooleanField(default=False)
    coercion_or_extortion = serializers.BooleanField(default=False)
    under_13 = serializers.BooleanField(default=False)
    ai_generated = serializers.BooleanField(default=False)
    opened_at = SchoolDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("When the case was opened, if earlier than now (not in the future)."),
    )


class CaseUpdateInputSerializer(ZonedInputSerializer):
    title = serializers.CharField(max_length=model_max_length(Case, "title"), required=False)
    summary = serializers.CharField(
        max_length=model_max_length(Case, "summary"), allow_blank=True, required=False
    )
    risk_level = serializers.ChoiceField(choices=Case.Risk.choices, required=False)
    adult_involved = serializers.BooleanField(required=False)
    coercion_or_extortion = serializers.BooleanField(required=False)
    under_13 = serializers.BooleanField(required=False)
    ai_generated = serializers.BooleanField(required=False)
    expected_updated_at = SchoolDateTimeField(
        help_text=_(
            "The case's updated_at as you read it; 409 if anyone wrote to the case since "
            "(an edit, a close or a reopen)."
        )
    )

    def validate(self, attrs):
        if len(attrs) <= 1:
            raise serializers.ValidationError(_("Give at least one field to change."))
        return attrs


class CaseStatusInputSerializer(ZonedInputSerializer):
    """What the caller read before a status change (compare-and-set, DESIGN rule 6)."""

    expected_status = serializers.ChoiceField(
        choices=Case.Status.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The status you saw; if it changed meanwhile the answer is 409."),
    )
    expected_updated_at = SchoolDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "The case's updated_at as you read it; 409 if anyone wrote to the case since "
            "(an edit, a close or a reopen)."
        ),
    )


class CaseCloseInputSerializer(CaseStatusInputSerializer):
    reason = serializers.CharField(max_length=model_max_length(Case, "closure_reason"))


# --- Output -------------------------------------------------------------------------


class CaseOutputSerializer(serializers.ModelSerializer):
    """A case's header: what any reader of the case may see
    (``cases.permissions.CASE_HEADER_FIELDS``, shared with the admin's case page)."""

    school = SchoolRefSerializer(read_only=True)
    lead = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = ["id", *CASE_HEADER_FIELDS]
        read_only_fields = fields


class CaseListItemOutputSerializer(CaseOutputSerializer):
    victim_count = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text=_("Victims in the case; null when its participants are not shared with you."),
    )

    class Meta(CaseOutputSerializer.Meta):
        fields = [*CaseOutputSerializer.Meta.fields, "victim_count"]
        read_only_fields = fields


class CaseDetailOutputSerializer(CaseOutputSerializer):
    """A case with everything its page shows, cut to what the reader may see.

    The instance is a ``casefile.selectors.CaseView``: the header comes from
    ``view.case``, every other part from the view's attribute of the same name
    (``cases.permissions.CASE_PARTS``), already cut to the reader: a part outside their
    sections is empty (``[]``, ``""``) and ``visible_sections`` says which sections were
    shown. ``referrals`` are the reader's (all of them for the school, those sent to
    their unit for a police liaison); ``events`` are the chronology lines of their
    sections; ``deliveries`` the messages sent about the case that they may see (pass
    the reader as ``context["reader"]``).
    """

    visible_sections = serializers.SerializerMethodField()
    summary = serializers.CharField(read_only=True)
    closure_reason = serializers.CharField(read_only=True)
    participants = ParticipantOutputSerializer(many=True, read_only=True)
    evidence = EvidenceItemOutputSerializer(many=True, read_only=True)
    referrals = CaseReferralOutputSerializer(many=True, read_only=True)
    takedowns = CaseTakedownOutputSerializer(many=True, read_only=True)
    routing = RoutingSuggestionOutputSerializer(many=True, read_only=True)
    removal_reports = RemovalReportOutputSerializer(many=True, read_only=True)
    authority_reports = AuthorityReportOutputSerializer(many=True, read_only=True)
    support_plans = SupportPlanOutputSerializer(many=True, read_only=True)
    events = CaseEventOutputSerializer(many=True, read_only=True)
    actions = ActionOutputSerializer(many=True, read_only=True)
    guardian_contacts = GuardianContactOutputSerializer(many=True, read_only=True)
    concerns = LinkedConcernOutputSerializer(many=True, read_only=True)
    # Cut again per field to ``context["reader"]`` (``api.serializers_deliveries``).
    deliveries = DeliveryOutputSerializer(many=True, read_only=True)

    # Read from ``view.case``; every other field from the view.
    FROM_CASE = frozenset(CaseOutputSerializer.Meta.fields)

    class Meta(CaseOutputSerializer.Meta):
        fields = [
            *CaseOutputSerializer.Meta.fields,
            *CASE_RESTRICTED_FIELDS,
            "visible_sections",
            *CASE_RECORD_PARTS,
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_visible_sections(self, view) -> list[str]:
        return sorted(view.sections)

    def to_representation(self, view):
        ret = OrderedDict()
        for field in self._readable_fields:
            source = view.case if field.field_name in self.FROM_CASE else view
            attribute = field.get_attribute(source)
            ret[field.field_name] = (
                None if attribute is None else field.to_representation(attribute)
            )
        return ret


class DashboardOutputSerializer(serializers.Serializer):
    open_cases = serializers.IntegerField(read_only=True)
    overdue_takedowns = serializers.IntegerField(read_only=True)
    check_ins_due_this_week = serializers.IntegerField(read_only=True)
