"""Serializers of people and concerns (``/api/v1/people/``, ``/api/v1/concerns/``).

Input serializers name every writable field and validate shape only: lengths, choices,
types. The domain rules (ages, dates in the future) live in ``cases.services``, which
raise ``ValidationError`` (HTTP 400). Foreign keys are resolved only inside querysets the
view puts in the serializer context (``context["scopes"]``, ``api.fields``): an id
outside the user's reach is "object does not exist", like one that does not exist.

Output serializers are read-only. Where one reader may see less than another (a member
of staff on a concern they logged) the serializer leaves the hidden fields empty
*without reading them* (``RestrictedFieldsSerializer``).
"""

from __future__ import annotations

from collections import OrderedDict

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

from api.fields import (
    InputSerializer,
    OptionalEmailOutputField,
    SchoolChoiceMixin,
    SchoolDateTimeField,
    ScopedPrimaryKeyRelatedField,
    ZonedInputSerializer,
    model_max_length,
    model_text,
    school_field,
)
from api.serializers_refs import (
    CaseRefSerializer,
    PersonRefSerializer,
    SchoolRefSerializer,
    UserRefSerializer,
)
from cases.models import Concern, Person

# --- Input --------------------------------------------------------------------------


class PersonCreateInputSerializer(SchoolChoiceMixin, InputSerializer):
    school = school_field()
    kind = serializers.ChoiceField(choices=Person.Kind.choices)
    given_name = serializers.CharField(max_length=model_max_length(Person, "given_name"))
    family_name = model_text(Person, "family_name")
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    sex = serializers.ChoiceField(choices=Person.Sex.choices, default=Person.Sex.UNKNOWN)
    year_group = model_text(Person, "year_group")
    email = serializers.EmailField(
        max_length=model_max_length(Person, "email"), allow_blank=True, default=""
    )
    phone = model_text(Person, "phone")


class ConcernLogInputSerializer(SchoolChoiceMixin, ZonedInputSerializer):
    school = school_field()
    # DRF's metaclass takes declared fields off the class, so a field may be called
    # ``source``; djangorestframework-stubs type it as ``Field.source`` (str | None).
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=Concern.Source.choices, default=Concern.Source.STAFF
    )
    summary = serializers.CharField(max_length=model_max_length(Concern, "summary"))
    # Kept verbatim: the child's own words are evidence.
    childs_own_words = serializers.CharField(
        max_length=model_max_length(Concern, "childs_own_words"),
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
