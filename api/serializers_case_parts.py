"""Serializers of what hangs off a case (``/api/v1/cases/{id}/participants/``,
``evidence/``, ``events/``, ``support-plans/``, ``guardian-contacts/``, ``actions/``;
``/api/v1/support-plans/{id}/check-ins/`` and ``measures/``), and of the parts the case
page shows (``api.serializers_cases.CaseDetailOutputSerializer``).

Input serializers name every writable field and validate shape only; the domain rules
("this person is a victim in this case", dates not in the future) live in
``cases.services`` (``ValidationError``, HTTP 400). People are resolved only among those
of the case's school the user sees (``context["scopes"]``, ``api.fields``).
Output serializers are read-only; evidence carries metadata and hashes, never content.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.fields import (
    InputSerializer,
    SchoolDateTimeField,
    ScopedPrimaryKeyRelatedField,
    StrictIntegerField,
    StrictSlugRelatedField,
    ZonedInputSerializer,
    model_max_length,
    model_text,
)
from api.serializers_refs import DestinationRefSerializer, PersonRefSerializer, UserRefSerializer
from cases.models import (
    Action,
    CaseEvent,
    CheckIn,
    Concern,
    EvidenceItem,
    GuardianContact,
    Participant,
    Person,
    SupportMeasure,
    SupportPlan,
    User,
)
from reporting.models import (
    TAKEDOWN_NOTICE_FIELDS_IN_CASE,
    AuthorityReport,
    LegalBasis,
    Platform,
    Referral,
    TakedownRequest,
)

# Identifiers of a piece of evidence: platform ids, handles, invite links. Bounded so a
# client cannot store an arbitrary document in the JSON column.
MAX_IDENTIFIERS = 20
MAX_IDENTIFIER_KEY_LENGTH = 100
MAX_IDENTIFIER_VALUE_LENGTH = 500

HEX64 = r"^[0-9a-fA-F]{64}$"
HEX32 = r"^[0-9a-fA-F]{32}$"


# --- Input --------------------------------------------------------------------------


class ParticipantAddInputSerializer(InputSerializer):
    person = ScopedPrimaryKeyRelatedField(scope="person", queryset=Person.objects.none())
    role = serializers.ChoiceField(choices=Participant.Role.choices)
    notes = model_text(Participant, "notes")
    act_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "An alleged perpetrator's date of the act: their age on it decides where the "
            "case goes (LO 5/2000)."
        ),
    )


class EvidenceMetadataInputSerializer(ZonedInputSerializer):
    """Where a piece of evidence is and when it was seen (no hashes, no content).
    Shared by ``evidence/`` and the hash-only file intake (``evidence/upload/``)."""

    kind = serializers.ChoiceField(choices=EvidenceItem.Kind.choices)
    platform = StrictSlugRelatedField(
        slug_field="slug",
        queryset=Platform.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Platform slug, e.g. whatsapp."),
    )
    location = model_text(EvidenceItem, "location", help_text=_("URL, message link or handle."))
    identifiers = serializers.DictField(
        child=serializers.CharField(max_length=MAX_IDENTIFIER_VALUE_LENGTH, allow_blank=True),
        required=False,
        default=dict,
    )
    first_seen_at = SchoolDateTimeField()
    seen_by = model_text(EvidenceItem, "seen_by")
    description = model_text(EvidenceItem, "description")

    def validate_identifiers(self, value: dict[str, str]) -> dict[str, str]:
        if len(value) > MAX_IDENTIFIERS:
            raise serializers.ValidationError(
                _("Give at most %(n)d identifiers.") % {"n": MAX_IDENTIFIERS}
            )
        for key in value:
            if not key or len(key) > MAX_IDENTIFIER_KEY_LENGTH or "\x00" in key:
                raise serializers.ValidationError(
                    _("Identifier names are 1 to %(n)d characters.")
                    % {"n": MAX_IDENTIFIER_KEY_LENGTH}
                )
        return value


class EvidenceRecordInputSerializer(EvidenceMetadataInputSerializer):
    sha256 = serializers.RegexField(HEX64, allow_blank=True, default="")
    md5 = serializers.RegexField(HEX32, allow_blank=True, default="")
    pdq = serializers.RegexField(
        HEX64, allow_blank=True, default="", help_text=_("256-bit PDQ hash, 64 hex characters.")
    )
    pdq_quality = StrictIntegerField(
        min_value=0, max_value=100, required=False, allow_null=True, default=None
    )


class SupportPlanCreateInputSerializer(ZonedInputSerializer):
    victim = ScopedPrimaryKeyRelatedField(
        scope="person",
        queryset=Person.objects.none(),
        help_text=_("Id of a person who is a victim in this case."),
    )
    summary = model_text(SupportPlan, "summary")
    check_in_every_days = StrictIntegerField(min_value=1, max_value=90, default=7)
    first_check_in_at = SchoolDateTimeField(required=False, allow_null=True, default=None)


class CheckInRecordInputSerializer(ZonedInputSerializer):
    held_at = SchoolDateTimeField(required=False, allow_null=True, default=None)
    wellbeing = StrictIntegerField(
        min_value=1, max_value=5, required=False, allow_null=True, default=None
    )
    notes = model_text(CheckIn, "notes")


class SupportMeasureAddInputSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=SupportMeasure.Kind.choices)
    description = model_text(SupportMeasure, "description")
    provider = model_text(SupportMeasure, "provider")
    started_on = serializers.DateField(required=False, allow_null=True, default=None)


class GuardianContactRecordInputSerializer(ZonedInputSerializer):
    guardian = ScopedPrimaryKeyRelatedField(
        scope="person",
        queryset=Person.objects.none(),
        help_text=_("Id of a parent or guardian of the case's school."),
    )
    method = serializers.ChoiceField(choices=GuardianContact.Method.choices)
    contacted_at = SchoolDateTimeField(required=False, allow_null=True, default=None)
    notes = model_text(GuardianContact, "notes")


class ActionCreateInputSerializer(ZonedInputSerializer):
    title = serializers.CharField(max_length=model_max_length(Action, "title"))
    owner = ScopedPrimaryKeyRelatedField(
        scope="user",
        queryset=User.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Id of a user of the case's school (default: you)."),
    )
    due_at = SchoolDateTimeField()


# --- Output -------------------------------------------------------------------------


class ParticipantOutputSerializer(serializers.ModelSerializer):
    person = PersonRefSerializer(read_only=True)

    class Meta:
        model = Participant
        fields = ["id", "person", "role", "notes", "act_on", "added_at"]
        read_only_fields = fields


class EvidenceItemOutputSerializer(serializers.ModelSerializer):
    """Evidence metadata and hashes. There is no content to return (DESIGN rule 1)."""

    platform: serializers.SlugRelatedField[Platform] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    identifiers = serializers.DictField(child=serializers.CharField(), read_only=True)
    recorded_by = UserRefSerializer(read_only=True)

    class Meta:
        model = EvidenceItem
        fields = [
            "id",
            "kind",
            "platform",
            "location",
            "identifiers",
            "first_seen_at",
            "seen_by",
            "description",
            "sha256",
            "md5",
            "pdq",
            "pdq_quality",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class CaseReferralOutputSerializer(serializers.ModelSerializer):
    destination = DestinationRefSerializer(read_only=True)
    confirmation_due_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=_("Phoned in: when the written confirmation (the send) is due, UTC."),
    )
    shared_sections = serializers.ListField(
        child=serializers.ChoiceField(choices=Referral.Section.choices), read_only=True
    )

    class Meta:
        model = Referral
        fields = [
            "id",
            "destination",
            "status",
            "summary",
            "shared_sections",
            "legal_basis",
            "legal_basis_note",
            "complainant",
            # Issue 10: the guardians' position and the phone-first clock (LAW.md §2).
            "guardians",
            "guardians_note",
            "phoned_at",
            "phoned_to",
            "confirmation_due_at",
            "external_reference",
            "created_at",
            "sent_at",
            "acknowledged_at",
            "closed_at",
            "outcome",
        ]
        read_only_fields = fields


class CaseTakedownOutputSerializer(serializers.ModelSerializer):
    platform: serializers.SlugRelatedField[Platform] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    legal_basis: serializers.SlugRelatedField[LegalBasis] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = TakedownRequest
        fields = ["id", *TAKEDOWN_NOTICE_FIELDS_IN_CASE]
        read_only_fields = fields


# What a reader is shown of a report to an authority (the API's case part and its list).
AUTHORITY_REPORT_FIELDS: tuple[str, ...] = (
    "id",
    "case",
    "takedown",
    "route",
    "authority",
    "status",
    "language",
    "body",
    "reference",
    "created_at",
    "filed_at",
    "notes",
)


class AuthorityReportOutputSerializer(serializers.ModelSerializer):
    """A report to a regulator or hotline (the FTC, Ofcom, the AEPD): its draft text
    (``body``), status and the authority's reference once filed."""

    authority = serializers.CharField(source="authority.name", read_only=True)
    case = serializers.IntegerField(source="case_id", read_only=True)
    takedown = serializers.IntegerField(source="takedown_id", read_only=True, allow_null=True)

    class Meta:
        model = AuthorityReport
        fields = list(AUTHORITY_REPORT_FIELDS)
        read_only_fields = fields


class CheckInOutputSerializer(serializers.ModelSerializer):
    held_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CheckIn
        fields = ["id", "plan", "due_at", "held_at", "held_by", "wellbeing", "notes"]
        read_only_fields = fields


class SupportMeasureOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupportMeasure
        fields = ["id", "plan", "kind", "description", "provider", "started_on"]
        read_only_fields = fields


class SupportPlanOutputSerializer(serializers.ModelSerializer):
    victim = PersonRefSerializer(read_only=True)
    owner = UserRefSerializer(read_only=True)
    measures = SupportMeasureOutputSerializer(many=True, read_only=True)
    check_ins = CheckInOutputSerializer(many=True, read_only=True)

    class Meta:
        model = SupportPlan
        fields = [
            "id",
            "victim",
            "owner",
            "summary",
            "check_in_every_days",
            "status",
            "created_at",
            "measures",
            "check_ins",
        ]
        read_only_fields = fields


class CaseEventOutputSerializer(serializers.ModelSerializer):
    """One line of the chronology (UTC). ``data`` holds non-identifying details."""

    actor = UserRefSerializer(read_only=True, allow_null=True)
    # DRF's metaclass takes declared fields off the class, so a field may be called
    # ``data``; djangorestframework-stubs type it as ``Serializer.data`` (the output).
    data = serializers.DictField(read_only=True)  # type: ignore[assignment]

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "occurred_at",
            "verb",
            "object_type",
            "object_id",
            "actor",
            "actor_role",
            "data",
        ]
        read_only_fields = fields


class GuardianContactOutputSerializer(serializers.ModelSerializer):
    guardian = PersonRefSerializer(read_only=True)
    contacted_by = UserRefSerializer(read_only=True)

    class Meta:
        model = GuardianContact
        fields = ["id", "guardian", "method", "contacted_at", "contacted_by", "notes"]
        read_only_fields = fields


class ActionOutputSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer(read_only=True)

    class Meta:
        model = Action
        fields = ["id", "case", "title", "owner", "due_at", "done_at", "created_at"]
        read_only_fields = fields


class LinkedConcernOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Concern
        fields = ["id", "source", "logged_at", "summary", "status"]
        read_only_fields = fields
