"""Input and output serializers for the directory, referrals, takedown
notices and case clusters. Input serializers list their writable fields explicitly;
related ids are resolved only among rows the requesting user may see, so a foreign id
is "does not exist" (400) and nothing is written.

Each serializer has a unique class name: drf-spectacular names schema components
after them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import (
    InputSerializer,
    OptionalEmailOutputField,
    OptionalTextOutputField,
    OptionalURLOutputField,
    SchoolDateTimeField,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
    StrictSlugRelatedField,
    ZonedInputSerializer,
)
from api.serializers_refs import CaseRefSerializer, DestinationRefSerializer, PersonRefSerializer
from cases.models import Case, EvidenceItem, Organisation, Person
from cases.selectors import schools_owned_by
from reporting.models import (
    TAKEDOWN_NOTICE_FIELDS,
    AuthorityReport,
    GuardianPosition,
    LegalBasis,
    Platform,
    Referral,
    RemovalRoute,
    RequesterRelationship,
    TakedownRequest,
)
from reporting.services import (
    REFERRAL_DESTINATION_KINDS,
    TAKEDOWN_OUTCOMES,
    validate_basis_applies,
)

# --- Directory ----------------------------------------------------------------------


class OrganisationFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices, required=False)
    serves_my_school = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "Only the organisations that serve one of your schools (their jurisdiction "
            "covers the school's: a school in Badajoz gets Spain's national units and "
            "Extremadura's child-protection service, not CEOP), and your own schools."
        ),
    )


class OrganisationOutputSerializer(serializers.ModelSerializer):
    report_url = OptionalURLOutputField(help_text=_("Where to report online; null if none."))
    phone = OptionalTextOutputField(help_text=_("Telephone; null if none."))
    # ``source`` shadows ``Field.source`` for mypy only: the metaclass takes the field.
    source = OptionalTextOutputField(  # type: ignore[assignment]
        help_text=_("Where the directory's facts about it come from; null if none.")
    )

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "kind",
            "code",
            "jurisdiction",
            "time_zone",
            "report_url",
            "phone",
            "source",
        ]
        read_only_fields = fields


class PlatformOutputSerializer(serializers.ModelSerializer):
    required_identifiers = serializers.ListField(child=serializers.CharField(), read_only=True)
    report_url = OptionalURLOutputField(help_text=_("Where to report online; null if none."))
    report_email = OptionalEmailOutputField(help_text=_("Where to report by e-mail; null if none."))
    operator = OptionalTextOutputField(help_text=_("The company that runs it; null if unknown."))
    legal_bases: serializers.SlugRelatedField[LegalBasis] = serializers.SlugRelatedField(
        many=True,
        read_only=True,
        slug_field="code",
        help_text=_("Codes of the removal duties it must answer under (see legal-bases)."),
    )
    # ``source`` shadows ``Field.source`` for mypy only: the metaclass takes the field.
    source = OptionalTextOutputField(  # type: ignore[assignment]
        help_text=_("Where these facts come from; null if none.")
    )

    class Meta:
        model = Platform
        fields = [
            "slug",
            "name",
            "kind",
            "operator",
            "report_channel",
            "report_url",
            "report_email",
            "required_identifiers",
            "legal_bases",
            "source",
        ]
        read_only_fields = fields


class LegalBasisFilterSerializer(serializers.Serializer):
    platform = StrictSlugRelatedField(
        slug_field="slug",
        queryset=Platform.objects.all(),
        required=False,
        help_text=_(
            "A platform's slug: only the removal duties it answers under that apply to "
            "your schools (their jurisdiction covers the school's), enabled ones only."
        ),
    )
    purpose = serializers.ChoiceField(choices=LegalBasis.Purpose.choices, required=False)


class LegalBasisOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text=_("In the request's language."))
    citation = serializers.CharField(read_only=True, help_text=_("In the request's language."))
    status_label = serializers.CharField(
        source="get_status_display",
        read_only=True,
        help_text=_("The status in words, e.g. 'Enacted; commencement not yet confirmed'."),
    )
    # ``source`` shadows ``Field.source`` for mypy only: the metaclass takes the field.
    source = OptionalTextOutputField(  # type: ignore[assignment]
        help_text=_("Where these facts come from; null if none.")
    )

    class Meta:
        model = LegalBasis
        fields = [
            "code",
            "purpose",
            "name",
            "citation",
            "name_es",
            "name_en",
            "citation_es",
            "citation_en",
            "jurisdiction",
            "status",
            "status_label",
            "enabled",
            "deadline_hours",
            "statutory",
            "escalation_to",
            "source",
        ]
        read_only_fields = fields


class RemovalRouteFilterSerializer(serializers.Serializer):
    age = StrictIntegerField(
        required=False,
        min_value=0,
        max_value=120,
        help_text=_("The age of the person depicted, in years: only the routes open to them."),
    )
    serves_my_school = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Only the routes open where your schools are (Report Remove: the UK)."),
    )


class RemovalRouteOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text=_("In the request's language."))
    description = serializers.CharField(read_only=True, help_text=_("In the request's language."))
    organisation: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        read_only=True, slug_field="code", help_text=_("The code of the organisation running it.")
    )
    url = OptionalURLOutputField(help_text=_("Its address; null if none."))
    phone = OptionalTextOutputField(help_text=_("Telephone; null if none."))
    jurisdiction = OptionalTextOutputField(help_text=_("Where it is open; null: anywhere."))
    # ``source`` shadows ``Field.source`` for mypy only: the metaclass takes the field.
    source = OptionalTextOutputField(  # type: ignore[assignment]
        help_text=_("Where these facts come from; null if none.")
    )

    class Meta:
        model = RemovalRoute
        fields = [
            "code",
            "name",
            "name_es",
            "name_en",
            "description",
            "description_es",
            "description_en",
            "organisation",
            "url",
            "phone",
            "min_age",
            "max_age",
            "jurisdiction",
            "source",
        ]
        read_only_fields = fields


# --- Input scoping ------------------------------------------------------------------


def _user(serializer: serializers.Serializer):
    """The requesting user, or ``None`` (e.g. the schema generator instantiates
    serializers without a request: then no related row "exists")."""
    request = serializer.context.get("request")
    return getattr(request, "user", None)


# --- Referrals ----------------------------------------------------------------------


class ReferralCreateInputSerializer(ZonedInputSerializer):
    """A referral's draft. ``destination`` must serve the case's school (its
    jurisdiction covers the school's; ``GET /api/v1/organisations/``), checked by the
    service (400). ``phoned_at`` without an offset is read on the case's school's clock."""

    case = StrictPrimaryKeyRelatedField(queryset=Case.objects.none())
    destination = StrictPrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(kind__in=REFERRAL_DESTINATION_KINDS)
    )
    summary = serializers.CharField(max_length=10000)
    legal_basis = serializers.ChoiceField(choices=Referral.Basis.choices)
    shared_sections = serializers.ListField(
        child=serializers.ChoiceField(choices=Referral.Section.choices),
        allow_empty=False,
        max_length=len(Referral.Section.choices),
    )
    legal_basis_note = serializers.CharField(max_length=500, required=False, allow_blank=True)
    complainant = StrictPrimaryKeyRelatedField(
        queryset=Person.objects.none(), required=False, allow_null=True
    )
    guardians = serializers.ChoiceField(
        choices=GuardianPosition.choices,
        required=False,
        allow_blank=True,
        help_text=_(
            "Whether the victim's parents or guardians consented, were informed or were "
            "not asked (then give guardians_note). Omitted: not recorded."
        ),
    )
    guardians_note = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        help_text=_("Why the parents or guardians were not asked (required then)."),
    )
    phoned_at = SchoolDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "An urgent referral made by phone first: when (not in the future). The written "
            "confirmation, sending this referral, is due within 24 hours."
        ),
    )
    phoned_to = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=_("Who took the call (required with phoned_at)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user(self)
        if user is None:
            return
        # Only cases and people of schools the user owns "exist" for this form.
        owned = schools_owned_by(user)
        self.fields["case"].queryset = Case.objects.visible_to(user).filter(school_id__in=owned)
        self.fields["complainant"].queryset = Person.objects.filter(school_id__in=owned)

    def record_school(self, data):
        # The client names the case: its school's clock reads ``phoned_at``. An id that
        # is not one of the user's cases is refused by the ``case`` field itself.
        raw = data.get("case") if hasattr(data, "get") else None
        if isinstance(raw, int) or (isinstance(raw, str) and raw.isascii() and raw.isdecimal()):
            case = self.fields["case"].queryset.filter(pk=int(raw)).select_related("school")
            found = case.first()
            return found.school if found is not None else None
        return None


class ReferralAboutSerializer(serializers.Serializer):
    """Who a referral is about: the complainant and the case's victims. ``shared`` is
    false (and the people empty) for a liaison of a referral that does not share
    "People and roles" or is no longer live."""

    shared = serializers.BooleanField()
    complainant = PersonRefSerializer(allow_null=True)
    victims = PersonRefSerializer(many=True)


class ReferralOutputSerializer(serializers.Serializer):
    """A referral. When ``case_data_visible`` is false (a police liaison after the
    referral stopped being live) the case and what was shared are null. ``about``
    needs ``context["people"]`` (``reporting.selectors.referral_people_for_user``);
    without it, it is null."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    school = serializers.CharField(source="case.school.name")
    destination = DestinationRefSerializer(read_only=True)
    case_data_visible = serializers.BooleanField()
    case = CaseRefSerializer(read_only=True, allow_null=True)
    summary = serializers.CharField(allow_null=True)
    shared_sections = serializers.ListField(
        child=serializers.ChoiceField(choices=Referral.Section.choices), allow_null=True
    )
    legal_basis = serializers.ChoiceField(choices=Referral.Basis.choices, allow_null=True)
    legal_basis_note = serializers.CharField(allow_null=True)
    complainant = serializers.IntegerField(source="complainant_id", allow_null=True)
    guardians = serializers.ChoiceField(
        choices=GuardianPosition.choices,
        allow_blank=True,
        allow_null=True,
        help_text=_("Blank: not recorded."),
    )
    guardians_note = serializers.CharField(allow_null=True)
    phoned_at = serializers.DateTimeField(read_only=True, allow_null=True)
    phoned_to = serializers.CharField(allow_null=True)
    confirmation_due_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=_(
            "A referral phoned in: when its written confirmation (the send) is due, 24 h "
            "after the call (UTC); null otherwise."
        ),
    )
    confirmation_overdue = serializers.SerializerMethodField(
        help_text=_("Phoned in, not yet sent, and the 24 h have passed.")
    )
    outcome = serializers.CharField(allow_null=True)
    about = serializers.SerializerMethodField()
    external_reference = serializers.CharField()
    created_at = serializers.DateTimeField(read_only=True)
    sent_at = serializers.DateTimeField(read_only=True, allow_null=True)
    acknowledged_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)

    CASE_DATA_FIELDS = (
        "case",
        "summary",
        "shared_sections",
        "legal_basis",
        "legal_basis_note",
        "complainant",
        "guardians",
        "guardians_note",
        "phoned_to",
        "outcome",
    )

    @extend_schema_field(ReferralAboutSerializer(allow_null=True))
    def get_about(self, instance: Referral):
        people = self.context.get("people")
        if people is None or instance.pk not in people:
            return None
        return ReferralAboutSerializer(people[instance.pk]).data

    def get_confirmation_overdue(self, instance: Referral) -> bool:
        due = instance.confirmation_due_at
        return due is not None and instance.sent_at is None and due < timezone.now()

    def to_representation(self, instance: Referral):
        data = super().to_representation(instance)
        if not getattr(instance, "case_data_visible", False):
            data["case_data_visible"] = False
            for name in self.CASE_DATA_FIELDS:
                data[name] = None
        return data


class ReferralAcknowledgeInputSerializer(ZonedInputSerializer):
    external_reference = serializers.CharField(
        max_length=100, help_text=_("Your own reference, e.g. the atestado number.")
    )
    acknowledged_at = SchoolDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("When you acknowledged it, if earlier than now (not in the future)."),
    )


class ReferralCloseInputSerializer(InputSerializer):
    outcome = serializers.CharField(max_length=5000)


class ReferralReasonInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=5000)


# --- Takedown notices ---------------------------------------------------------------


class SignatureBlockInputSerializer(InputSerializer):
    """The signature block of a takedown notice (LAW.md §1: TAKE IT DOWN
    §223a(a)(1)(B)(i), (iv); OSA s.20A(2); DSA art. 16(2)(c)), said once for the notice
    and for draft-all; checked by ``reporting.services.validate_signature``. Each
    subclass scopes ``victim`` to the people the requester may name."""

    victim = StrictPrimaryKeyRelatedField(
        queryset=Person.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("The person depicted: a victim of the case (never named in the notice)."),
    )
    requester_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    requester_relationship = serializers.ChoiceField(
        choices=RequesterRelationship.choices,
        required=False,
        help_text=_(
            "Who asks for the person depicted; default school_duty. school_consent needs "
            "consent_note (who consented, when)."
        ),
    )
    requester_email = serializers.EmailField(required=False, allow_blank=True)
    requester_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    consent_note = serializers.CharField(max_length=500, required=False, allow_blank=True)

    @staticmethod
    def signature_of(validated: Mapping[str, Any]) -> dict[str, Any]:
        """The service's keyword arguments for the signature block, with their
        defaults: no victim, unsigned, the school acting under its duty."""
        return {
            "victim": validated.get("victim"),
            "requester_name": validated.get("requester_name", ""),
            "requester_relationship": validated.get(
                "requester_relationship", RequesterRelationship.SCHOOL_DUTY
            ),
            "requester_email": validated.get("requester_email", ""),
            "requester_phone": validated.get("requester_phone", ""),
            "consent_note": validated.get("consent_note", ""),
        }


class TakedownCreateInputSerializer(SignatureBlockInputSerializer):
    case = StrictPrimaryKeyRelatedField(queryset=Case.objects.none())
    platform = StrictSlugRelatedField(slug_field="slug", queryset=Platform.objects.all())
    legal_basis = StrictSlugRelatedField(slug_field="code", queryset=LegalBasis.objects.all())
    evidence_items = StrictPrimaryKeyRelatedField(
        queryset=EvidenceItem.objects.none(), many=True, allow_empty=False
    )
    channel = serializers.ChoiceField(choices=Platform.Channel.choices, required=False)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    report_email = serializers.EmailField(
        required=False,
        allow_blank=True,
        help_text=_("The site's abuse address, where the directory has none (e-mail channel)."),
    )
    language = serializers.ChoiceField(
        choices=[("es", _("Spanish")), ("en", _("English"))],
        required=False,
        help_text=_("Language of the notice; default the lead's, else the school's."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user(self)
        if user is None:
            return
        editable = Case.objects.visible_to(user).filter(school_id__in=schools_owned_by(user))
        self.fields["case"].queryset = editable
        self.fields["evidence_items"].child_relation.queryset = EvidenceItem.objects.filter(
            case__in=editable
        )
        self.fields["victim"].queryset = Person.objects.filter(school_id__in=schools_owned_by(user))

    def validate(self, attrs):
        """Only a basis that applies to this platform and school (LAW.md §1; a Spanish
        school is never offered the UK or US bases, a draft never): else 400."""
        try:
            validate_basis_applies(
                platform=attrs["platform"],
                legal_basis=attrs["legal_basis"],
                school=attrs["case"].school,
                requester_name=attrs.get("requester_name", ""),
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return attrs


class TakedownsDraftAllInputSerializer(SignatureBlockInputSerializer):
    """Draft the notices of an incident in one step: one per platform of the case's
    evidence and legal basis that applies (``takedowns_draft_for_case``)."""

    language = serializers.ChoiceField(
        choices=[("es", _("Spanish")), ("en", _("English"))], required=False
    )
    evidence_items = StrictPrimaryKeyRelatedField(
        queryset=EvidenceItem.objects.none(), many=True, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        case = self.context.get("case")
        if case is None:
            return
        self.fields["victim"].queryset = Person.objects.filter(school_id=case.school_id)
        self.fields["evidence_items"].child_relation.queryset = EvidenceItem.objects.filter(
            case=case
        )


class NoticeQuerySerializer(InputSerializer):
    lang = serializers.ChoiceField(
        choices=[("es", _("Spanish")), ("en", _("English"))],
        required=False,
        help_text=_("Language of the text; default the notice's own."),
    )


class NoticeOutputSerializer(serializers.Serializer):
    """A notice's text to paste into the platform's form or read before it is e-mailed."""

    subject = serializers.CharField()
    body = serializers.CharField()
    text = serializers.CharField()
    language = serializers.CharField()
    channel = serializers.CharField()
    report_url = serializers.CharField(allow_blank=True)
    report_email = serializers.CharField(
        allow_blank=True, help_text=_("Where the notice is e-mailed (e-mail channel only).")
    )
    email_state = serializers.CharField(
        allow_blank=True,
        help_text=_("State of the e-mail in the outbox; blank if none was sent."),
    )
    sha256 = serializers.CharField(help_text=_("SHA-256 of the text, as recorded."))


class AuthorityReportFileInputSerializer(ZonedInputSerializer):
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    filed_at = SchoolDateTimeField(
        required=False, help_text=_("When it was filed; default now; not in the future.")
    )


class AuthorityReportAnswerInputSerializer(InputSerializer):
    answer = serializers.CharField(
        max_length=2000, help_text=_("What the authority answered (appended to the notes).")
    )


# Named in settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] (ManualAuthorityReportRouteEnum).
MANUAL_ROUTE_CHOICES = [
    (AuthorityReport.Route.AEPD_PRIORITY.value, AuthorityReport.Route.AEPD_PRIORITY.label),
    (AuthorityReport.Route.AEPD_COMPLAINT.value, AuthorityReport.Route.AEPD_COMPLAINT.label),
]


class AuthorityReportCreateInputSerializer(InputSerializer):
    route = serializers.ChoiceField(choices=MANUAL_ROUTE_CHOICES)
    takedown = StrictPrimaryKeyRelatedField(
        queryset=TakedownRequest.objects.none(), required=False, allow_null=True
    )
    language = serializers.ChoiceField(
        choices=[("es", _("Spanish")), ("en", _("English"))], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        case = self.context.get("case")
        if case is not None:
            self.fields["takedown"].queryset = TakedownRequest.objects.filter(case=case)


class TakedownSubmitInputSerializer(ZonedInputSerializer):
    submitted_at = SchoolDateTimeField(
        required=False, help_text=_("When it was filed; default now; not in the future.")
    )
    platform_ticket = serializers.CharField(max_length=100, required=False, allow_blank=True)


# Named in settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] (TakedownOutcomeEnum).
TAKEDOWN_OUTCOME_CHOICES = [
    (value, TakedownRequest.Status(value).label) for value in sorted(TAKEDOWN_OUTCOMES)
]


class TakedownOutcomeInputSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=TAKEDOWN_OUTCOME_CHOICES)
    platform_ticket = serializers.CharField(max_length=100, required=False, allow_blank=True)
    expected_status = serializers.ChoiceField(
        choices=TakedownRequest.Status.choices,
        required=False,
        help_text=_("The status you saw; 409 if it changed meanwhile."),
    )


class TakedownEscalateInputSerializer(InputSerializer):
    escalated_to = StrictPrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(
            kind__in=[Organisation.Kind.REGULATOR, Organisation.Kind.HOTLINE]
        ),
        required=False,
        allow_null=True,
        help_text=_("Regulator or hotline; default: the legal basis's escalation body."),
    )
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True)


class TakedownOutputSerializer(serializers.ModelSerializer):
    case = CaseRefSerializer(read_only=True)
    school = serializers.CharField(source="case.school.name")
    platform: serializers.SlugRelatedField[Platform] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    legal_basis: serializers.SlugRelatedField[LegalBasis] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    evidence_items: serializers.PrimaryKeyRelatedField[EvidenceItem] = (
        serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    )
    seconds_left = serializers.SerializerMethodField(
        help_text=_("Seconds until the deadline (negative when past); null with no clock.")
    )
    victim = serializers.IntegerField(source="victim_id", read_only=True, allow_null=True)

    class Meta:
        model = TakedownRequest
        fields = ["id", *TAKEDOWN_NOTICE_FIELDS, "school", "seconds_left"]
        read_only_fields = fields

    def get_seconds_left(self, notice: TakedownRequest) -> int | None:
        left = notice.time_left()
        return None if left is None else int(left.total_seconds())


# --- Clusters -----------------------------------------------------------------------


class ClusterCaseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    school = serializers.CharField(source="school.name")


class ClusterOutputSerializer(serializers.Serializer):
    cases = ClusterCaseOutputSerializer(many=True)
    match = serializers.ChoiceField(
        choices=[("sha256", "SHA-256"), ("pdq", "PDQ")],
        help_text=_("sha256: identical files link every case; pdq: near-identical images."),
    )
    hashes = serializers.ListField(child=serializers.CharField())


# --- The CyberTipline report (issue 10) ---------------------------------------------


class CyberTiplineFiledInputSerializer(ZonedInputSerializer):
    reference = serializers.CharField(
        max_length=18,
        help_text=_("The CyberTipline report number NCMEC gave (digits only)."),
    )
    filed_at = SchoolDateTimeField(
        required=False, help_text=_("When it was submitted; default now; not in the future.")
    )


class CyberTiplineFiledOutputSerializer(serializers.ModelSerializer):
    case = CaseRefSerializer(read_only=True)
    authority: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = AuthorityReport
        fields = ["id", "case", "authority", "route", "status", "reference", "filed_at"]
        read_only_fields = fields
