"""Forms of the web pages. They check the shape of the input (choices, lengths, hex,
dates); the services check the domain rules and their ``ValidationError`` is mapped back
onto the form by :func:`add_service_errors`.

Date-time fields are ``<input type="datetime-local">``: the browser sends a wall time
with no offset. Every such field is a :class:`SchoolDateTimeField` in a
:class:`ZonedForm`, which reads it in the zone ``cases.zones.input_zone`` gives for the
user and the record's school: "14:30" on a case of a school in Dubai means 14:30 in
Dubai. Services receive aware datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Case,
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
from cases.validators import is_ascii_integer
from cases.zones import input_zone, zone_of

if TYPE_CHECKING:
    # A str or a lazy translation (django-stubs' alias; a dev dependency, so types only).
    from django_stubs_ext import StrOrPromise
from reporting.directory_selectors import destinations_for, legal_bases_for
from reporting.models import (
    GuardianPosition,
    LegalBasis,
    Platform,
    Referral,
    RequesterRelationship,
    TakedownRequest,
)
from reporting.services import (
    REFERRAL_DESTINATION_KINDS,
    TAKEDOWN_OUTCOMES,
    default_notice_language,
    validate_basis_applies,
)

HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
MAX_IDENTIFIERS = 20


class StrictIntegerField(forms.IntegerField):
    """A whole number in ASCII digits: Django's ``IntegerField`` runs ``int()``, which
    also reads "١٢" or "１２" as 12 (``cases.validators.is_ascii_integer``)."""

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and value.strip() and not is_ascii_integer(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


# Django's model choice fields are generic in the stubs only (not subscriptable at run
# time): unparametrised here, which --strict would call a missing type argument.
class StrictModelChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A record chosen by id: the id must be ASCII digits. Django's lookup runs
    ``int()``, which reads "١" or "１" as 1 and so picks a record nobody chose (the
    API's ``StrictPrimaryKeyRelatedField`` refuses them too). Other values get the
    field's own "not one of the available choices" message."""

    def to_python(self, value: Any) -> Any:
        typed = isinstance(value, str) and value.strip()
        if self.to_field_name is None and typed and not is_ascii_integer(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class StrictModelMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """``StrictModelChoiceField`` for several records."""

    def clean(self, value: Any) -> Any:
        if self.to_field_name is None and isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, str) and item.strip() and not is_ascii_integer(item):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": item},
                    )
        return super().clean(value)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class SchoolDateTimeField(forms.DateTimeField):
    """A date and time typed without an offset (``datetime-local``), read in the zone
    its :class:`ZonedForm` sets (``zone``); a wall time skipped or repeated there by a
    clock change is refused with Django's message naming the zone (nothing written).
    Outside a ``ZonedForm`` it fails loudly rather than guess a zone."""

    widget = DateTimeLocalInput
    zone: ZoneInfo | None = None  # per form instance: Django copies fields per form

    def _zone(self) -> ZoneInfo:
        if self.zone is None:
            raise ImproperlyConfigured("A SchoolDateTimeField belongs in a ZonedForm.")
        return self.zone

    def to_python(self, value: Any) -> datetime | None:
        # Django reads the wall time in the current zone, and refuses (PEP 495) a
        # skipped or repeated one there: make that zone the school's.
        with timezone.override(self._zone()):
            return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        if not isinstance(value, datetime):
            return super().prepare_value(value)
        with timezone.override(self._zone()):
            return super().prepare_value(value)


class ZonedForm(forms.Form):
    """A form with :class:`SchoolDateTimeField` fields, read in the zone of
    ``cases.zones.input_zone`` for ``user`` and the record's ``school`` (the school's
    zone for its own people; the user's own organisation's zone for someone acting
    across schools). Both keyword arguments are required, so no view can leave them out;
    ``web.views_actions.FormActionView`` passes them."""

    def __init__(self, *args: Any, user: User, school: Organisation | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.school = school
        self._zone: ZoneInfo | None = None

    def record_school(self) -> Organisation | None:
        """The school the record belongs to (forms that let the user choose override)."""
        return self.school

    @property
    def zone(self) -> ZoneInfo:
        return self.resolve_zone()

    def resolve_zone(self) -> ZoneInfo:
        """The zone of this form's times, resolved once (after ``__init__``: a chosen
        school is part of the data) and handed to its ``SchoolDateTimeField`` fields."""
        if self._zone is None:
            self._zone = input_zone(user=self.user, school=self.record_school())
            for field in self.fields.values():
                if isinstance(field, SchoolDateTimeField):
                    field.zone = self._zone
        return self._zone

    def full_clean(self) -> None:
        if self.is_bound:
            self.resolve_zone()  # before any field is cleaned
        super().full_clean()

    def zone_note(self) -> str:
        """One line telling the user which clock the times are on."""
        school = self.record_school()
        if school is None and len(getattr(self, "schools", ())) > 1:
            return str(_("Dates and times are in the time zone of the school you choose."))
        if school is not None and self.zone.key == school.time_zone:
            return str(
                _("Dates and times are in the school's time zone (%(zone)s).")
                % {"zone": self.zone.key}
            )
        return str(_("Dates and times are in your time zone (%(zone)s).") % {"zone": self.zone.key})


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _text(
    model: type[models.Model],
    name: str,
    *,
    required: bool = False,
    rows: int | None = None,
    **kwargs: Any,
) -> forms.CharField:
    """A CharField with the model field's label and max_length (over-long text is a field
    error, never a database error)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise ImproperlyConfigured(f"{model.__name__}.{name} is a relation, not a text field.")
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(
        label=kwargs.pop("label", capfirst(field.verbose_name)),
        max_length=field.max_length,
        required=required,
        widget=widget,
        **kwargs,
    )


def _choice(
    choices: Iterable[tuple[Any, Any]],
    *,
    label: StrOrPromise,
    required: bool = True,
    initial: Any = None,
) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=([("", "---------")] if not required else []) + list(choices),
        required=required,
        initial=initial,
    )


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ``ValidationError`` on ``form``: messages for a field the form has
    go under that field, all others (``__all__``, ``status``, ``plan``…) at the top."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            target = name if name in form.fields else None
            if target is not None and target not in form.errors:
                # add_error drops the field from cleaned_data; fine after the service ran.
                form.add_error(target, messages)
            elif target is not None:
                form.errors[target].extend(messages)
            else:
                form.add_error(None, messages)
    else:
        form.add_error(None, error.messages)


_Field = TypeVar("_Field", bound=forms.Field)


def form_field(form: forms.BaseForm, name: str, kind: type[_Field]) -> _Field:
    """``form``'s field ``name``, checked to be a ``kind`` (to set its choices or queryset
    per request). Raises ``ImproperlyConfigured`` if it is another kind of field."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise ImproperlyConfigured(f"{type(form).__name__}.{name} is not a {kind.__name__}.")
    return field


if TYPE_CHECKING:
    # The mixin's methods use the form's fields and data; at run time it is a plain
    # mixin placed before a ``forms.Form`` in each form's bases.
    _FormBase = forms.Form
else:
    _FormBase = object


class SchoolChoiceMixin(_FormBase):
    """Adds a ``school`` field only when the user belongs to several schools."""

    def _setup_school(self, schools: Iterable[Organisation]) -> None:
        self.schools = list(schools)
        if len(self.schools) > 1:
            self.fields = {
                "school": StrictModelChoiceField(
                    label=_("School"),
                    queryset=Organisation.objects.filter(pk__in=[s.pk for s in self.schools]),
                ),
                **self.fields,
            }

    def chosen_school(self) -> Organisation:
        if len(self.schools) == 1:
            return self.schools[0]
        school: Organisation = self.cleaned_data["school"]
        return school

    def record_school(self) -> Organisation | None:
        """The school chosen (before the other fields are cleaned: times are read on
        its clock), or the only one; ``None`` until a valid one is chosen."""
        if len(self.schools) == 1:
            return self.schools[0]
        if not self.is_bound:
            return None
        field = self.fields["school"]
        try:
            school: Organisation | None = field.clean(self["school"].data)
        except ValidationError:
            return None  # the school field reports it
        return school


class ConcernForm(SchoolChoiceMixin, ZonedForm):
    source = _choice(Concern.Source.choices, label=_("Who raised it"), initial="staff")
    summary = _text(Concern, "summary", required=True, label=_("What happened, in one line"))
    childs_own_words = _text(
        Concern,
        "childs_own_words",
        rows=6,
        label=_("What was said, in the child's own words"),
        help_text=_("Write down the words used. Do not ask to see, copy or forward any image."),
    )
    occurred_at = SchoolDateTimeField(label=_("When it happened (if known)"), required=False)

    def __init__(self, *args: Any, schools: Iterable[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Staff log in their own name; anonymous reports come from the pupil channel.
        form_field(self, "source", forms.ChoiceField).choices = [
            c for c in Concern.Source.choices if c[0] != Concern.Source.PUPIL_ANONYMOUS
        ]
        self._setup_school(schools)


class CaseOpenForm(SchoolChoiceMixin, forms.Form):
    title = _text(Case, "title", required=True)
    category = _choice(Case.Category.choices, label=_("Category"))
    risk_level = _choice(Case.Risk.choices, label=_("Risk level"), initial=Case.Risk.MEDIUM)
    summary = _text(Case, "summary", rows=5)
    adult_involved = forms.BooleanField(label=_("An adult is involved"), required=False)
    coercion_or_extortion = forms.BooleanField(label=_("Coercion or extortion"), required=False)
    under_13 = forms.BooleanField(label=_("A child under 13 is involved"), required=False)
    ai_generated = forms.BooleanField(label=_("AI-generated imagery"), required=False)

    def __init__(self, *args: Any, schools: Iterable[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_school(schools)


class ParticipantForm(forms.Form):
    """Give a role in the case to a person already recorded, or to a new one."""

    person = StrictModelChoiceField(
        label=_("Person already recorded"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("Leave empty to record a new person below."),
    )
    role = _choice(Participant.Role.choices, label=_("Role in this case"))
    notes = _text(Participant, "notes", rows=2)
    # An alleged perpetrator's date of the act: their age on it decides where the case
    # goes (LO 5/2000; ``reporting.routing``).
    act_on = forms.DateField(
        label=_("Date of the act (alleged perpetrator)"), required=False, widget=DateInput()
    )
    kind = forms.ChoiceField(
        label=_("Kind of person"),
        choices=Person.Kind.choices,
        initial=Person.Kind.PUPIL,
        required=False,
    )
    given_name = _text(Person, "given_name")
    family_name = _text(Person, "family_name")
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())
    sex = forms.ChoiceField(
        label=_("Sex"), choices=Person.Sex.choices, initial=Person.Sex.UNKNOWN, required=False
    )
    year_group = _text(Person, "year_group")

    def __init__(self, *args: Any, case: Case, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "person", forms.ModelChoiceField).queryset = people.filter(
            school_id=case.school_id
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("person") and not data.get("given_name"):
            self.add_error(
                "given_name", _("Choose a person already recorded or give a new person's name.")
            )
        data["kind"] = data.get("kind") or Person.Kind.PUPIL
        data["sex"] = data.get("sex") or Person.Sex.UNKNOWN
        return data


def parse_identifiers(text: str) -> dict[str, str]:
    """``key: value`` lines to a dict; raises ``ValidationError`` on a malformed line."""
    result: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise ValidationError(
                _("Line %(n)d: write identifiers as “name: value”."), params={"n": number}
            )
        if len(key) > 50 or len(value) > 500:
            raise ValidationError(_("Line %(n)d is too long."), params={"n": number})
        result[key] = value
    if len(result) > MAX_IDENTIFIERS:
        raise ValidationError(
            _("Give at most %(max)d identifiers."), params={"max": MAX_IDENTIFIERS}
        )
    return result


def _hex(value: str, pattern: re.Pattern[str], message: StrOrPromise) -> str:
    value = value.strip()
    if value and not pattern.match(value):
        raise ValidationError(message)
    return value.lower()


class EvidenceForm(ZonedForm):
    kind = _choice(EvidenceItem.Kind.choices, label=_("Kind"))
    platform = StrictModelChoiceField(
        label=_("Platform"), queryset=Platform.objects.all(), required=False, to_field_name="slug"
    )
    location = _text(
        EvidenceItem,
        "location",
        label=_("Where it is"),
        help_text=_("URL, message link, group or handle. Never attach or paste the image."),
    )
    identifiers = forms.CharField(
        label=_("Platform identifiers"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "group_invite_link: https://…"}),
        help_text=_("One per line, as “name: value”."),
    )
    first_seen_at = SchoolDateTimeField(label=_("First seen at"))
    seen_by = _text(EvidenceItem, "seen_by", label=_("Seen by"))
    description = _text(EvidenceItem, "description", rows=3, label=_("Description"))
    sha256 = forms.CharField(label="SHA-256", required=False, max_length=64)
    md5 = forms.CharField(label="MD5", required=False, max_length=32)
    pdq = forms.CharField(label="PDQ", required=False, max_length=64)
    pdq_quality = StrictIntegerField(
        label=_("PDQ quality (0–100)"), required=False, min_value=0, max_value=100
    )

    def clean_identifiers(self) -> dict[str, str]:
        return parse_identifiers(self.cleaned_data.get("identifiers", ""))

    def clean_sha256(self) -> str:
        return _hex(self.cleaned_data["sha256"], HEX64, _("Enter 64 hexadecimal characters."))

    def clean_md5(self) -> str:
        return _hex(self.cleaned_data["md5"], HEX32, _("Enter 32 hexadecimal characters."))

    def clean_pdq(self) -> str:
        return _hex(self.cleaned_data["pdq"], HEX64, _("Enter 64 hexadecimal characters."))


# Destinations for which "People and roles" is ticked by default: the police and the
# prosecutor need to know who the victim and the alleged perpetrators are (LAW.md §2.2–3).
PEOPLE_BY_DEFAULT_KINDS = frozenset({Organisation.Kind.POLICE_UNIT, Organisation.Kind.PROSECUTOR})


class ReferralForm(ZonedForm):
    """A referral of ``case`` to a destination that serves its school
    (``reporting.directory_selectors.destinations_for``). ``destination``: the initial
    destination (``?destination=<id>``); when it is the police or a prosecutor, or none
    is chosen yet, "People and roles" is ticked by default."""

    destination = StrictModelChoiceField(label=_("Refer to"), queryset=Organisation.objects.none())
    summary = _text(Referral, "summary", required=True, rows=5, label=_("Summary for them"))
    shared_sections = forms.MultipleChoiceField(
        label=_("What they will see"),
        choices=Referral.Section.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    legal_basis = _choice(Referral.Basis.choices, label=_("Legal basis for sharing"))
    legal_basis_note = _text(Referral, "legal_basis_note", label=_("Legal basis note"))
    complainant = StrictModelChoiceField(
        label=_("Complainant (a victim in this case)"),
        queryset=Person.objects.none(),
        required=False,
    )
    # No answer chosen in advance: the lead says what the guardians know (LAW.md §2.2).
    guardians = forms.ChoiceField(
        label=_("Do the parents or guardians know?"),
        choices=[("", "---------"), *GuardianPosition.choices],
    )
    guardians_note = _text(
        Referral,
        "guardians_note",
        rows=2,
        label=_("Why the parents or guardians were not asked"),
    )
    phoned_at = SchoolDateTimeField(
        label=_("Made by phone first, at (urgent referrals)"),
        required=False,
        help_text=_("The written confirmation (sending this referral) is due within 24 hours."),
    )
    phoned_to = forms.CharField(label=_("Call taken by"), max_length=200, required=False)
    send_now = forms.BooleanField(
        label=_("Send now"),
        required=False,
        initial=True,
        help_text=_("Unticked, the referral is kept as a draft to send later."),
    )

    def __init__(
        self, *args: Any, case: Case, destination: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        destinations = destinations_for(school=case.school, kinds=REFERRAL_DESTINATION_KINDS)
        form_field(
            self, "destination", forms.ModelChoiceField
        ).queryset = Organisation.objects.filter(pk__in=[d.pk for d in destinations]).order_by(
            "name"
        )
        form_field(self, "complainant", forms.ModelChoiceField).queryset = Person.objects.filter(
            participations__case=case, participations__role=Participant.Role.VICTIM
        ).distinct()
        chosen = next((d for d in destinations if str(d.pk) == destination), None)
        if chosen is not None:
            self.initial.setdefault("destination", chosen.pk)
        sections = [Referral.Section.CHRONOLOGY, Referral.Section.EVIDENCE]
        # No destination chosen yet: most referrals go to the police.
        if chosen is None or chosen.kind in PEOPLE_BY_DEFAULT_KINDS:
            sections.insert(1, Referral.Section.PARTICIPANTS)
        self.initial.setdefault("shared_sections", sections)


class AcknowledgeForm(ZonedForm):
    external_reference = forms.CharField(
        label=_("Your reference (atestado number)"), max_length=100
    )
    acknowledged_at = SchoolDateTimeField(label=_("Acknowledged at (empty: now)"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=5000, widget=forms.Textarea({"rows": 3}))


class OutcomeTextForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome"), max_length=5000, widget=forms.Textarea({"rows": 3})
    )


class LegalBasisChoiceField(StrictModelChoiceField):
    """A legal basis by its name and citation in the page's language, marked when its
    commencement is not yet confirmed (LAW.md §1: the UK OSA s.10(3A))."""

    def label_from_instance(self, obj: Any) -> str:
        label = f"{obj.name} — {obj.citation}"
        if obj.commencement_unconfirmed:
            label += f" ({_('commencement not yet confirmed')})"
        return label


class EvidenceChoiceField(StrictModelMultipleChoiceField):
    """Evidence items told apart: platform, kind, location, first seen (in ``zone``) and
    the start of a hash (items of one platform otherwise render as identical lines)."""

    zone: ZoneInfo | None = None

    def label_from_instance(self, obj: Any) -> str:
        platform = obj.platform.name if obj.platform is not None else _("no platform")
        location = obj.location if len(obj.location) <= 70 else f"{obj.location[:69]}…"
        seen = timezone.localtime(obj.first_seen_at, self.zone).strftime("%Y-%m-%d %H:%M")
        digest = obj.sha256 or obj.md5 or obj.pdq
        hashed = f" · {digest[:12]}…" if digest else ""
        kind = obj.get_kind_display()
        return f"{platform} · {kind} · {location or '—'} · {_('first seen')} {seen}{hashed}"


class TakedownForm(ZonedForm):
    """A takedown notice: the platform, a legal basis that applies (the school's
    jurisdiction's, enabled: ``legal_bases_for``; checked against the platform chosen),
    the evidence, and the signature block (LAW.md §1)."""

    platform = StrictModelChoiceField(
        label=_("Platform"), queryset=Platform.objects.all(), to_field_name="slug"
    )
    legal_basis = LegalBasisChoiceField(
        label=_("Legal basis"), queryset=LegalBasis.objects.none(), to_field_name="code"
    )
    evidence_items = EvidenceChoiceField(
        label=_("Evidence items to remove"),
        queryset=EvidenceItem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    channel = _choice(Platform.Channel.choices, label=_("Channel"), required=False)
    notes = _text(TakedownRequest, "notes", rows=3, label=_("Notes"))
    # The signature block: who asks, on whose behalf, how to reach them (TAKE IT DOWN
    # §223a(a)(1)(B)(i), (iv); OSA s.20A(2); DSA art. 16(2)(c)).
    victim = StrictModelChoiceField(
        label=_("Person depicted"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("A victim of the case. Never named in the notice: described by age."),
    )
    requester_name = forms.CharField(
        label=_("Name of the person signing"),
        max_length=200,
        required=False,
        help_text=_("Empty under the EU DSA: the notice says the notifier stays anonymous."),
    )
    requester_relationship = _choice(
        RequesterRelationship.choices, label=_("Acting as"), required=False
    )
    requester_email = forms.EmailField(label=_("Contact email"), required=False)
    requester_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    consent_note = forms.CharField(
        label=_("Consent given by (who, when)"),
        max_length=500,
        required=False,
        help_text=_("Required when the school asks with the guardians' consent."),
    )
    report_email = forms.EmailField(
        label=_("Site's abuse address"),
        required=False,
        help_text=_("Only for a site with no address in the directory (e-mail channel)."),
    )
    language = _choice(
        [("es", _("Spanish")), ("en", _("English"))],
        label=_("Language of the notice"),
        required=False,
    )
    submit_now = forms.BooleanField(
        label=_("Already submitted to the platform"),
        required=False,
        initial=True,
        help_text=_("Starts the clock: the deadline counts from the submission time."),
    )
    submitted_at = SchoolDateTimeField(label=_("Submitted at (empty: now)"), required=False)
    platform_ticket = forms.CharField(label=_("Platform ticket"), max_length=100, required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        evidence = form_field(self, "evidence_items", forms.ModelChoiceField)
        evidence.queryset = EvidenceItem.objects.filter(case=case).select_related("platform")
        if isinstance(evidence, EvidenceChoiceField):
            evidence.zone = zone_of(case.school)
        # Only the bases some platform owes this school (a Spanish school: the EU DSA;
        # never the UK or US bases, never a draft); per platform in ``clean``.
        school = case.school
        offered = {
            basis.pk
            for platform in Platform.objects.prefetch_related("legal_bases")
            for basis in legal_bases_for(platform=platform, school=school)
        }
        form_field(
            self, "legal_basis", forms.ModelChoiceField
        ).queryset = LegalBasis.objects.filter(pk__in=offered).order_by("code")
        form_field(self, "victim", forms.ModelChoiceField).queryset = Person.objects.filter(
            participations__case=case, participations__role=Participant.Role.VICTIM
        ).distinct()
        self.fields["language"].initial = default_notice_language(actor=self.user, school=school)
        self.fields["requester_relationship"].initial = RequesterRelationship.SCHOOL_WITH_CONSENT

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        platform, basis = data.get("platform"), data.get("legal_basis")
        if platform is not None and basis is not None:
            try:
                validate_basis_applies(
                    platform=platform,
                    legal_basis=basis,
                    school=self.case.school,
                    requester_name=data.get("requester_name") or "",
                )
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field, messages)
        return data


class TakedownSubmitForm(ZonedForm):
    submitted_at = SchoolDateTimeField(label=_("Submitted at (empty: now)"), required=False)
    platform_ticket = forms.CharField(label=_("Platform ticket"), max_length=100, required=False)


class TakedownOutcomeForm(forms.Form):
    status = _choice(
        [c for c in TakedownRequest.Status.choices if c[0] in TAKEDOWN_OUTCOMES],
        label=_("Platform's answer"),
    )
    platform_ticket = forms.CharField(label=_("Platform ticket"), max_length=100, required=False)
    expected_status = forms.CharField(widget=forms.HiddenInput, required=False, max_length=15)


class EscalateForm(forms.Form):
    escalated_to = StrictModelChoiceField(
        label=_("Escalate to"),
        queryset=Organisation.objects.filter(
            kind__in=[Organisation.Kind.REGULATOR, Organisation.Kind.HOTLINE]
        ),
        required=False,
        help_text=_("Empty: the body named by the legal basis."),
    )
    reference = forms.CharField(label=_("Their reference"), max_length=100, required=False)


class SupportPlanForm(ZonedForm):
    victim = StrictModelChoiceField(label=_("Victim"), queryset=Person.objects.none())
    summary = _text(SupportPlan, "summary", rows=3, label=_("Summary"))
    check_in_every_days = StrictIntegerField(
        label=_("Check in every (days)"), min_value=1, max_value=90, initial=7
    )
    first_check_in_at = SchoolDateTimeField(
        label=_("First check-in (empty: in that many days)"), required=False
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "victim", forms.ModelChoiceField).queryset = Person.objects.filter(
            participations__case=case, participations__role=Participant.Role.VICTIM
        ).distinct()


class CheckInForm(ZonedForm):
    held_at = SchoolDateTimeField(label=_("Held at (empty: now)"), required=False)
    wellbeing = forms.TypedChoiceField(
        label=_("Wellbeing (1 = very low, 5 = good)"),
        choices=[("", "---------")] + [(i, str(i)) for i in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    notes = _text(CheckIn, "notes", rows=3, label=_("Notes"))


class MeasureForm(forms.Form):
    kind = _choice(SupportMeasure.Kind.choices, label=_("Kind"))
    description = _text(SupportMeasure, "description", rows=2, label=_("Description"))
    provider = _text(SupportMeasure, "provider", label=_("Provider"))
    started_on = forms.DateField(
        label=_("Started on (empty: today)"), required=False, widget=DateInput()
    )


class GuardianContactForm(ZonedForm):
    guardian = StrictModelChoiceField(label=_("Parent or guardian"), queryset=Person.objects.none())
    method = _choice(GuardianContact.Method.choices, label=_("Method"))
    contacted_at = SchoolDateTimeField(label=_("Contacted at (empty: now)"), required=False)
    notes = _text(GuardianContact, "notes", rows=3, label=_("Notes"))

    def __init__(self, *args: Any, case: Case, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "guardian", forms.ModelChoiceField).queryset = people.filter(
            school_id=case.school_id, kind=Person.Kind.GUARDIAN
        )


class VersionField(forms.Field):
    """The record version the page was drawn from (``updated_at``, an ISO 8601 instant
    with its offset), carried in a hidden input so that a write made on a stale page
    loses to the write in between (409, DESIGN rule 6). Empty: no version check."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    def to_python(self, value: Any) -> datetime | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            parsed = datetime.fromisoformat(text) if len(text) <= 40 else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise ValidationError(
                _("This page is out of date; reload it and try again."), code="invalid"
            )
        return parsed


class CaseStatusForm(forms.Form):
    """A case status change (close, reopen): what the page showed, for compare-and-set."""

    expected_status = forms.CharField(widget=forms.HiddenInput, required=False, max_length=10)
    expected_updated_at = VersionField()


class CloseCaseForm(CaseStatusForm):
    reason = forms.CharField(
        label=_("Why the case can be closed"),
        max_length=5000,
        widget=forms.Textarea({"rows": 3}),
    )
    field_order = ["reason"]


class CaseFilterForm(forms.Form):
    """Filters of the case list (GET). Unknown values are ignored, never a 500."""

    status = _choice(Case.Status.choices, label=_("Status"), required=False)
    category = _choice(Case.Category.choices, label=_("Category"), required=False)


class CyberTiplineFiledForm(ZonedForm):
    """That the school submitted its CyberTipline report, and NCMEC's number for it
    (``reporting.services.cybertipline_filed``)."""

    reference = forms.CharField(
        label=_("CyberTipline report number"),
        max_length=18,
        help_text=_("The number NCMEC gave when the report was submitted (digits only)."),
    )
    filed_at = SchoolDateTimeField(label=_("Submitted at (empty: now)"), required=False)
