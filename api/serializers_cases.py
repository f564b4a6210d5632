"""Serializers of the case-file API (``/api/v1/people/``, ``concerns/``, ``cases/``…).

Input serializers name every writable field and validate shape only: lengths, choices,
types. The domain rules (ages, dates in the future, "this person is a victim in this
case") live in ``cases.services``, which raise ``ValidationError`` (HTTP 400).

Foreign keys are resolved only inside querysets the view puts in the serializer
context (``context["scopes"]``), built from the visibility selectors. An id outside the
user's reach is therefore reported exactly like an id that does not exist ("object does
not exist"), and nothing tells a user that a record of another school exists.

Output serializers are read-only. Where one reader may see less than another (a police
liaison on a referred case, a member of staff on a concern they logged) the serializer
leaves the hidden fields empty *without reading them* (``RestrictedFieldsSerializer``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

from api.fields import (
    OptionalEmailOutputField,
    SchoolDateTimeField,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
    StrictSlugRelatedField,
    ZonedInputSerializer,
)
from api.serializers_refs import (
    CaseRefSerializer,
    DestinationRefSerializer,
    PersonRefSerializer,
    SchoolRefSerializer,
    UserRefSerializer,
)
from cases.models import (
    Action,
    Case,
    CaseEvent,
    CheckIn,
    Concern,
    EvidenceItem,
    GuardianContact,
    Organisation,
    Participant,
    Person,
    SupportMeasure,
    SupportPlan,
    User,
)
from cases.permissions import CASE_HEADER_FIELDS, CASE_RECORD_PARTS, CASE_RESTRICTED_FIELDS
from reporting.models import Platform, Referral, TakedownRequest

# Identifiers of a piece of evidence: platform ids, handles, invite links. Bounded so a
# client cannot store an arbitrary document in the JSON column.
MAX_IDENTIFIERS = 20
MAX_IDENTIFIER_KEY_LENGTH = 100
MAX_IDENTIFIER_VALUE_LENGTH = 500

HEX64 = r"^[0-9a-fA-F]{64}$"
HEX32 = r"^[0-9a-fA-F]{32}$"


def _max_length(model: type[models.Model], field: str) -> int:
    """The model column's ``max_length``, so input limits never drift from the schema."""
    return model._meta.get_field(field).max_length


def _text(model: type[models.Model], field: str, **kwargs) -> serializers.CharField:
    """An optional text input bounded by the model column (blank allowed)."""
    kwargs.setdefault("default", "")
    return serializers.CharField(
        max_length=_max_length(model, field), allow_blank=True, trim_whitespace=True, **kwargs
    )


class ScopedPrimaryKeyRelatedField(StrictPrimaryKeyRelatedField):
    """An id resolved only within ``context["scopes"][scope]`` (a visibility-scoped
    queryset the view provides). Only whole numbers are ids
    (``StrictPrimaryKeyRelatedField``: ``1.5`` is "incorrect type", never id 1).

    Declare it with ``queryset=Model.objects.none()``: that gives the field its type in
    the OpenAPI schema and makes it fail closed — without the scope in the context no
    id resolves. Ids outside the scope get DRF's "object does not exist" message, the
    same as ids that do not exist at all (DESIGN rule 2).
    """

    def __init__(self, *, scope: str, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        scoped = self.context.get("scopes", {}).get(self.scope)
        return self.queryset if scoped is None else scoped


class SchoolChoiceMixin:
    """``school`` is optional input: a user who owns (or may log for) one school need
    not give it; one with several must choose among their own (scope ``school``).

    With ``ZonedInputSerializer`` the chosen school is also the record's school whose
    clock the times are read on (:meth:`record_school`)."""

    def _only_school(self) -> Organisation | None:
        schools = list(self.fields["school"].get_queryset()[:2])
        return schools[0] if len(schools) == 1 else None

    def record_school(self, data: Any) -> Organisation | None:
        """The school ``data`` chooses (or the user's only one) before the fields are
        validated: times are read on its clock. ``None`` when it names no school of
        the user's; the ``school`` field then reports the error (400)."""
        raw = data.get("school") if isinstance(data, Mapping) else None
        if raw is None:
            return self._only_school()
        try:
            return self.fields["school"].to_internal_value(raw)
        except serializers.ValidationError:
            return None

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("school") is None:
            school = self._only_school()
            if school is None:
                raise serializers.ValidationError(
                    {"school": _("You belong to several schools: choose one.")}
                )
            attrs["school"] = school
        return attrs


def _school_field() -> ScopedPrimaryKeyRelatedField:
    return ScopedPrimaryKeyRelatedField(
        scope="school",
        queryset=Organisation.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("Id of one of your schools; needed only if you belong to several."),
    )


# --- Input --------------------------------------------------------------------------


class PersonCreateInputSerializer(SchoolChoiceMixin, serializers.Serializer):
    school = _school_field()
    kind = serializers.ChoiceField(choices=Person.Kind.choices)
    given_name = serializers.CharField(max_length=_max_length(Person, "given_name"))
    family_name = _text(Person, "family_name")
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    sex = serializers.ChoiceField(choices=Person.Sex.choices, default=Person.Sex.UNKNOWN)
    year_group = _text(Person, "year_group")
    email = serializers.EmailField(
        max_length=_max_length(Person, "email"), allow_blank=True, default=""
    )
    phone = _text(Person, "phone")


class ConcernLogInputSerializer(SchoolChoiceMixin, ZonedInputSerializer):
    school = _school_field()
    source = serializers.ChoiceField(choices=Concern.Source.choices, default=Concern.Source.STAFF)
    summary = serializers.CharField(max_length=_max_length(Concern, "summary"))
    # Kept verbatim: the child's own words are evidence.
    childs_own_words = serializers.CharField(
        max_length=_max_length(Concern, "childs_own_words"),
        allow_blank=True,
        default="",
        trim_whitespace=False,
    )
    occurred_at = SchoolDateTimeField(required=False, allow_null=True, default=None)
    logged_at = SchoolDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("When it was first written down, if earlier than now (e.g. on paper)."),
    )
    subject = ScopedPrimaryKeyRelatedField(
        scope="person",
        queryset=Person.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Id of the pupil the concern is about (safeguarding leads only)."),
    )


class CaseOpenInputSerializer(SchoolChoiceMixin, ZonedInputSerializer):
    school = _school_field()
    title = serializers.CharField(max_length=_max_length(Case, "title"))
    category = serializers.ChoiceField(choices=Case.Category.choices)
    summary = _text(Case, "summary")
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
    title = serializers.CharField(max_length=_max_length(Case, "title"), required=False)
    summary = serializers.CharField(
        max_length=_max_length(Case, "summary"), allow_blank=True, required=False
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
    reason = serializers.CharField(max_length=_max_length(Case, "closure_reason"))


class ParticipantAddInputSerializer(serializers.Serializer):
    person = ScopedPrimaryKeyRelatedField(scope="person", queryset=Person.objects.none())
    role = serializers.ChoiceField(choices=Participant.Role.choices)
    notes = _text(Participant, "notes")


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
    location = _text(EvidenceItem, "location", help_text=_("URL, message link or handle."))
    identifiers = serializers.DictField(
        child=serializers.CharField(max_length=MAX_IDENTIFIER_VALUE_LENGTH, allow_blank=True),
        required=False,
        default=dict,
    )
    first_seen_at = SchoolDateTimeField()
    seen_by = _text(EvidenceItem, "seen_by")
    description = _text(EvidenceItem, "description")

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
    summary = _text(SupportPlan, "summary")
    check_in_every_days = StrictIntegerField(min_value=1, max_value=90, default=7)
    first_check_in_at = SchoolDateTimeField(required=False, allow_null=True, default=None)


class CheckInRecordInputSerializer(ZonedInputSerializer):
    held_at = SchoolDateTimeField(required=False, allow_null=True, default=None)
    wellbeing = StrictIntegerField(
        min_value=1, max_value=5, required=False, allow_null=True, default=None
    )
    notes = _text(CheckIn, "notes")


class SupportMeasureAddInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SupportMeasure.Kind.choices)
    description = _text(SupportMeasure, "description")
    provider = _text(SupportMeasure, "provider")
    started_on = serializers.DateField(required=False, allow_null=True, default=None)


class GuardianContactRecordInputSerializer(ZonedInputSerializer):
    guardian = ScopedPrimaryKeyRelatedField(
        scope="person",
        queryset=Person.objects.none(),
        help_text=_("Id of a parent or guardian of the case's school."),
    )
    method = serializers.ChoiceField(choices=GuardianContact.Method.choices)
    contacted_at = SchoolDateTimeField(required=False, allow_null=True, default=None)
    notes = _text(GuardianContact, "notes")


class ActionCreateInputSerializer(ZonedInputSerializer):
    title = serializers.CharField(max_length=_max_length(Action, "title"))
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


class RestrictedFieldsSerializer(serializers.ModelSerializer):
    """A read-only serializer that leaves fields empty for readers who may not see
    them, without reading them (no data is touched, no query is run for them).

    Subclasses return the names to hide from ``hidden_fields(instance)``; hidden lists
    become ``[]``, hidden text ``""`` and anything else ``null``.
    """

    def hidden_fields(self, instance) -> frozenset[str]:
        raise NotImplementedError

    def to_representation(self, instance):
        hidden = self.hidden_fields(instance)
        ret = OrderedDict()
        for field in self._readable_fields:
            if field.field_name in hidden:
                ret[field.field_name] = _empty_value(field)
                continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[field.field_name] = (
                None if check_for_none is None else field.to_representation(attribute)
            )
        return ret


def _empty_value(field: serializers.Field):
    if isinstance(
        field, serializers.ListSerializer | serializers.ManyRelatedField | serializers.ListField
    ):
        return []
    if isinstance(field, serializers.CharField):
        return ""
    return None


class PersonOutputSerializer(serializers.ModelSerializer):
    email = OptionalEmailOutputField(help_text=_("null if none was recorded."))
    school = SchoolRefSerializer(read_only=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "school",
            "kind",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "year_group",
            "email",
            "phone",
            "created_at",
        ]
        read_only_fields = fields


class ConcernOutputSerializer(RestrictedFieldsSerializer):
    """A concern. Whoever logged it but does not own the school's cases (a member of
    staff) sees its status, not the case it led to nor the child's words (DESIGN
    "Users": staff afterwards see only the status of what they logged)."""

    school = SchoolRefSerializer(read_only=True)
    case = CaseRefSerializer(read_only=True, allow_null=True)
    logged_by = UserRefSerializer(read_only=True, allow_null=True)
    subject = PersonRefSerializer(read_only=True, allow_null=True)

    RESTRICTED = frozenset({"case", "subject", "childs_own_words"})

    class Meta:
        model = Concern
        fields = [
            "id",
            "school",
            "case",
            "source",
            "logged_by",
            "logged_at",
            "occurred_at",
            "subject",
            "summary",
            "childs_own_words",
            "status",
        ]
        read_only_fields = fields

    def hidden_fields(self, instance) -> frozenset[str]:
        # ``owned_schools`` is required: a view that forgets it fails, never leaks.
        if instance.school_id in self.context["owned_schools"]:
            return frozenset()
        return self.RESTRICTED


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


class ParticipantOutputSerializer(serializers.ModelSerializer):
    person = PersonRefSerializer(read_only=True)

    class Meta:
        model = Participant
        fields = ["id", "person", "role", "notes", "added_at"]
        read_only_fields = fields


class EvidenceItemOutputSerializer(serializers.ModelSerializer):
    """Evidence metadata and hashes. There is no content to return (DESIGN rule 1)."""

    platform = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
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
            "external_reference",
            "created_at",
            "sent_at",
            "acknowledged_at",
            "closed_at",
            "outcome",
        ]
        read_only_fields = fields


class CaseTakedownOutputSerializer(serializers.ModelSerializer):
    platform = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    legal_basis = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = TakedownRequest
        fields = [
            "id",
            "platform",
            "legal_basis",
            "channel",
            "status",
            "evidence_items",
            "submitted_at",
            "deadline_at",
            "resolved_at",
            "platform_ticket",
            "escalated_to",
            "escalated_at",
            "escalation_reference",
        ]
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
    data = serializers.DictField(read_only=True)

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


class CaseDetailOutputSerializer(CaseOutputSerializer):
    """A case with everything its page shows, cut to what the reader may see.

    The instance is a ``casefile.selectors.CaseView``: the header comes from
    ``view.case``, every other part from the view's attribute of the same name
    (``cases.permissions.CASE_PARTS``), already cut to the reader: a part outside their
    sections is empty (``[]``, ``""``) and ``visible_sections`` says which sections were
    shown. ``referrals`` are the reader's (all of them for the school, those sent to
    their unit for a police liaison); ``events`` are the chronology lines of their
    sections.
    """

    visible_sections = serializers.SerializerMethodField()
    summary = serializers.CharField(read_only=True)
    closure_reason = serializers.CharField(read_only=True)
    participants = ParticipantOutputSerializer(many=True, read_only=True)
    evidence = EvidenceItemOutputSerializer(many=True, read_only=True)
    referrals = CaseReferralOutputSerializer(many=True, read_only=True)
    takedowns = CaseTakedownOutputSerializer(many=True, read_only=True)
    support_plans = SupportPlanOutputSerializer(many=True, read_only=True)
    events = CaseEventOutputSerializer(many=True, read_only=True)
    actions = ActionOutputSerializer(many=True, read_only=True)
    guardian_contacts = GuardianContactOutputSerializer(many=True, read_only=True)
    concerns = LinkedConcernOutputSerializer(many=True, read_only=True)

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
