"""Input fields shared by the API serializers: strict numbers and ids, ids resolved
within the reader's reach (``ScopedPrimaryKeyRelatedField``), times read on the record
school's clock (``ZonedInputSerializer``, ``SchoolDateTimeField``), text bounded by its
model column, and optional output text shown as ``null``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.request import Request

from cases.models import Organisation
from cases.validators import is_ascii_integer
from cases.zones import MSG_NOT_A_ZONE, input_zone, is_skipped_or_repeated, zone_named

# django.core.validators.slug_re: what a models.SlugField holds.
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField[Any]):
    """A related id that must be a whole number: a JSON integer or a string of digits.

    DRF's ``PrimaryKeyRelatedField`` hands the raw value to the database lookup, which
    casts ``1.5`` to ``1`` and so silently resolves a fractional id to another row. Here
    a float (``1.5`` and ``1.0`` alike), a bool, a string with a fraction (``"1.5"``) or
    any other type is refused with DRF's ``incorrect_type`` message (HTTP 400) before
    any query is run. Ids that are whole numbers go on to the usual lookup ("does not
    exist" for an unknown id, however large).
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str) and not is_ascii_integer(data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A whole number: a JSON integer, or a string of ASCII digits.

    DRF's ``IntegerField`` runs ``int()`` on the text, which also reads "١٢" (Arabic-Indic)
    or "１２" (full-width) as 12, and takes ``true`` as 1. Those get DRF's ``invalid``
    message (HTTP 400, translated). Every number an API client sends goes through this
    field (a test walks the input serializers)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or (isinstance(data, str) and not is_ascii_integer(data)):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictSlugRelatedField(serializers.SlugRelatedField[Any]):
    """A related object named by a slug (``models.SlugField``: ASCII letters, digits,
    ``-`` and ``_``).

    DRF's ``SlugRelatedField`` hands the raw string to the database lookup: one holding
    NUL (``"a\x00b"``) made PostgreSQL raise ``DataError`` (a 500). A string that is not
    a slug cannot name a row, so it gets DRF's ``does_not_exist`` answer (HTTP 400),
    exactly like an unknown slug, before any query.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and not _SLUG.match(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=data[:100])
        return super().to_internal_value(data)


# --- Times typed on the school's clock ---------------------------------------------

# The request header in which a client acting across schools names its own clock.
TIME_ZONE_HEADER = "Time-Zone"

ZONE_RULE = _(
    "ISO 8601. Without an offset, read in the time zone of the school the record belongs "
    "to; for a user outside that school, in the zone named by the Time-Zone header "
    "(e.g. Europe/London), else their own organisation's zone. A wall time that does not "
    "exist or happens twice there (clock changes) is refused: send it with its offset."
)


MSG_UNKNOWN_FIELD = _("This field is not accepted here; nothing was saved.")


class InputSerializer(serializers.Serializer[Any]):
    """The base of every API input serializer: a key it does not declare is a 400 on
    that key, before anything is written.

    DRF drops unknown keys silently, so a client that misspells an optional field
    (``"adult_involvd": true``) gets a 201 and believes the flag is recorded. Refusing
    the write instead keeps the house rule "bad input is a clear 4xx and changes
    nothing". ``tests/api/test_unknown_fields.py`` checks that every input serializer
    derives from this class.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError({key: [MSG_UNKNOWN_FIELD] for key in unknown})
        return super().to_internal_value(data)


class ZonedInputSerializer(InputSerializer):
    """An input serializer whose times without an offset are read on the right clock:
    ``cases.zones.input_zone`` for the requesting user and the record's school.

    Context (required, the view provides it):
    - ``request``: the user, and the ``Time-Zone`` header (a zone name; any other value
      is a 400 on that key, nothing written);
    - ``school``: the ``Organisation`` the record belongs to. Serializers in which the
      client chooses the school override :meth:`record_school` instead.

    A view that forgets either fails loudly (``ImproperlyConfigured``), never silently
    reads times in ``settings.TIME_ZONE``. Every ``SchoolDateTimeField`` must sit in one
    of these (checked when the field is bound, and by
    ``tests/test_time_zone_rules.py``).
    """

    # Set by ``to_internal_value`` for the fields of this validation.
    input_zone: ZoneInfo | None = None

    def record_school(self, data: Any) -> Organisation | None:
        """The school the record belongs to (``context["school"]``)."""
        try:
            school: Organisation | None = self.context["school"]
        except KeyError:
            raise ImproperlyConfigured(
                f"{type(self).__name__} needs context['school'] (the record's school)."
            ) from None
        return school

    def requested_zone(self) -> ZoneInfo | None:
        """The zone the ``Time-Zone`` header names, ``None`` without the header; a
        ``ValidationError`` (400) for a value that names no zone."""
        raw = self._request().headers.get(TIME_ZONE_HEADER)
        if raw is None:
            return None
        zone = zone_named(raw)
        if zone is None:
            raise serializers.ValidationError(
                {TIME_ZONE_HEADER: [MSG_NOT_A_ZONE % {"value": raw[:64]}]}
            )
        return zone

    def _request(self) -> Request:
        try:
            request: Request = self.context["request"]
        except KeyError:
            raise ImproperlyConfigured(
                f"{type(self).__name__} needs context['request'] (user and Time-Zone header)."
            ) from None
        return request

    def to_internal_value(self, data: Any) -> Any:
        self.input_zone = input_zone(
            user=self._request().user,
            school=self.record_school(data),
            requested=self.requested_zone(),
        )
        return super().to_internal_value(data)


class SchoolDateTimeField(serializers.DateTimeField):
    """A date and time. One given with an offset or ``Z`` is exact and always accepted;
    one without is read in the zone its ``ZonedInputSerializer`` chose
    (``cases.zones.input_zone``: the record's school for the school's own people) and
    must exist there.

    A wall time that never happened (the hour skipped when clocks go forward: 02:30 on
    the last Sunday of March in Europe/Madrid) or happened twice (the hour repeated when
    they go back, last Sunday of October) would be stored an hour off. DRF 3.18 means to
    refuse them but does not (its check compares aware datetimes across zones, which
    Python never reports equal for such times, PEP 495). Both are refused here with
    DRF's own ``make_aware`` message, naming the zone (HTTP 400, translated).

    The rule is appended to the field's help text, so the OpenAPI description says it.
    """

    def __init__(self, **kwargs: Any) -> None:
        help_text = kwargs.pop("help_text", None)
        kwargs["help_text"] = format_lazy("{} {}", help_text, ZONE_RULE) if help_text else ZONE_RULE
        super().__init__(**kwargs)

    def bind(self, field_name: str, parent: serializers.BaseSerializer[Any]) -> None:
        super().bind(field_name, parent)
        if not isinstance(self.root, ZonedInputSerializer):
            raise ImproperlyConfigured(
                f"{type(self.root).__name__}.{field_name}: a SchoolDateTimeField belongs "
                "in a ZonedInputSerializer (the zone its times are read in)."
            )

    def default_timezone(self) -> ZoneInfo:
        zone: ZoneInfo | None = getattr(self.root, "input_zone", None)
        if zone is None:
            raise ImproperlyConfigured(
                f"{self.field_name}: no input zone; validate through the serializer."
            )
        return zone

    def enforce_timezone(self, value: datetime) -> datetime:
        if value.tzinfo is None:
            zone = self.default_timezone()
            if is_skipped_or_repeated(value, zone):
                self.fail("make_aware", timezone=zone)
        return super().enforce_timezone(value)


def zoned_context(
    request: HttpRequest, *, school: Organisation | None, **context: Any
) -> dict[str, Any]:
    """The context a ``ZonedInputSerializer`` needs: the ``request`` (user, ``Time-Zone``
    header) and the ``school`` the record belongs to; ``context`` adds more keys."""
    return {"request": request, "school": school, **context}


if TYPE_CHECKING:
    # The mixin sits before a text field in each class's bases (below).
    _TextField = serializers.CharField
else:
    _TextField = object


class _BlankAsNull(_TextField):
    """Output of an optional text column (stored as ``""`` when absent) as ``null``, so
    that a value carrying a ``format`` (``uri``, ``email``) is either valid or absent:
    ``""`` would break the published schema (issue 7)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    # ``None`` for a blank value: wider than the text field's ``str``.
    def to_representation(self, value: Any) -> Any:
        return super().to_representation(value) if value else None


class OptionalURLOutputField(_BlankAsNull, serializers.URLField):
    """An optional address, ``null`` when absent (read-only)."""


class OptionalEmailOutputField(_BlankAsNull, serializers.EmailField):
    """An optional e-mail address, ``null`` when absent (read-only)."""


class OptionalTextOutputField(_BlankAsNull, serializers.CharField):
    """An optional text (a phone number, a source), ``null`` when absent (read-only)."""


# --- Model-bounded text, scoped ids, the school chosen in the input ------------------


def model_max_length(model: type[models.Model], field: str) -> int:
    """The model column's ``max_length``, so input limits never drift from the schema.
    ``ImproperlyConfigured`` if ``field`` is not a column with a ``max_length``."""
    max_length = getattr(model._meta.get_field(field), "max_length", None)
    if not isinstance(max_length, int):
        raise ImproperlyConfigured(f"{model.__name__}.{field} has no max_length.")
    return max_length


def model_text(model: type[models.Model], field: str, **kwargs: Any) -> serializers.CharField:
    """An optional text input bounded by the model column (blank allowed, default ``""``)."""
    kwargs.setdefault("default", "")
    return serializers.CharField(
        max_length=model_max_length(model, field), allow_blank=True, trim_whitespace=True, **kwargs
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

    def __init__(self, *, scope: str, **kwargs: Any) -> None:
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        scoped: QuerySet[Any] | None = self.context.get("scopes", {}).get(self.scope)
        if scoped is not None:
            return scoped
        declared = super().get_queryset()  # ``Model.objects.none()``: resolves no id
        if declared is None:
            raise ImproperlyConfigured(f"{self.field_name}: declare queryset=Model.objects.none().")
        return declared


class SchoolChoiceMixin(serializers.Serializer[Any]):
    """``school`` is optional input: a user who owns (or may log for) one school need
    not give it; one with several must choose among their own (scope ``school``).

    With ``ZonedInputSerializer`` the chosen school is also the record's school whose
    clock the times are read on (:meth:`record_school`)."""

    # The serializer declares ``school = school_field()``. (Not said in the docstring:
    # drf-spectacular publishes it as the description of each serializer that has none.)

    def _school_field(self) -> ScopedPrimaryKeyRelatedField:
        field = self.fields["school"]
        if not isinstance(field, ScopedPrimaryKeyRelatedField):
            raise ImproperlyConfigured(f"{type(self).__name__}.school: use school_field().")
        return field

    def _only_school(self) -> Organisation | None:
        schools = list(self._school_field().get_queryset()[:2])
        return schools[0] if len(schools) == 1 else None

    def record_school(self, data: Any) -> Organisation | None:
        """The school ``data`` chooses (or the user's only one) before the fields are
        validated: times are read on its clock. ``None`` when it names no school of
        the user's; the ``school`` field then reports the error (400)."""
        raw = data.get("school") if isinstance(data, Mapping) else None
        if raw is None:
            return self._only_school()
        try:
            school: Organisation = self._school_field().to_internal_value(raw)
        except serializers.ValidationError:
            return None
        return school

    def validate(self, attrs: Any) -> Any:
        attrs = super().validate(attrs)
        if attrs.get("school") is None:
            school = self._only_school()
            if school is None:
                raise serializers.ValidationError(
                    {"school": _("You belong to several schools: choose one.")}
                )
            attrs["school"] = school
        return attrs


def school_field() -> ScopedPrimaryKeyRelatedField:
    """The optional ``school`` input of a :class:`SchoolChoiceMixin` serializer."""
    return ScopedPrimaryKeyRelatedField(
        scope="school",
        queryset=Organisation.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("Id of one of your schools; needed only if you belong to several."),
    )
