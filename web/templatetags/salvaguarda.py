"""Template filters: times in a school's time zone, and clock durations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import verbs
from cases.models import Participant, Person
from cases.permissions import Role
from cases.selectors import schools_of, schools_owned_by, units_of
from reporting.identifiers import identifier_label as reporting_identifier_label

register = template.Library()


@register.filter
def identifier_label(key: str) -> str:
    """An evidence identifier's key (a platform form's field, e.g. ``group_invite_link``)
    in words in the active language (``reporting.identifiers``)."""
    return reporting_identifier_label(key, (translation.get_language() or "es")[:2])


@register.filter
def school_time(value: datetime | None, org: object) -> str:
    """``value`` (aware, UTC) as local date and time in ``org.time_zone``, with the zone
    abbreviation, e.g. ``12/09/2023 14:30 CEST``. Empty for ``None``."""
    if value is None:
        return ""
    zone = ZoneInfo(getattr(org, "time_zone", None) or "UTC")
    local = timezone.localtime(value, zone)
    return f"{date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"


@register.filter
def school_date(value: datetime | None, org: object) -> str:
    """The local date of ``value`` in ``org.time_zone``."""
    if value is None:
        return ""
    zone = ZoneInfo(getattr(org, "time_zone", None) or "UTC")
    return date_format(timezone.localtime(value, zone), "SHORT_DATE_FORMAT")


@register.filter
def duration(value: timedelta | None) -> str:
    """A clock reading such as ``1 d 3 h`` or ``45 min`` (absolute value)."""
    if value is None:
        return ""
    minutes = int(abs(value.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": mins}
    return _("%(minutes)d min") % {"minutes": mins}


@register.filter
def is_past(value: timedelta | datetime | None) -> bool:
    """True for a negative time left, or a moment before now."""
    if value is None:
        return False
    if isinstance(value, timedelta):
        return value.total_seconds() < 0
    return value < timezone.now()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]``, or ``None`` if absent or ``mapping`` is not a mapping."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag(takes_context=True)
def nav_roles(context: template.Context) -> dict[str, bool]:
    """Which menu entries the signed-in user gets (lead, police liaison, school member)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return {"lead": False, "police": False, "school": False}
    # No query of its own: the request read the memberships already (cases.memberships).
    return {
        "lead": bool(schools_owned_by(user)),
        "police": bool(units_of(user)),
        "school": bool(schools_of(user)),
    }


@register.filter
def age(person: Person) -> int | None:
    """Whole years of age today (school's calendar day is close enough for display)."""
    return person.age_on(timezone.localdate())


# Chronology details worth showing; hashes stay on the evidence section.
EVENT_DETAILS = ("reference", "destination", "external_reference", "platform", "role", "to")


@register.filter
def verb_label(verb: str) -> str:
    """A chronology verb (``CaseEvent.verb``) as its label in the reader's language
    (``cases.verbs.CaseVerb``)."""
    return verbs.verb_label(verb)


@register.filter
def access_label(action: str) -> str:
    """A read-audit action (``AccessEvent.action``) as its label in the reader's
    language (``cases.verbs.AccessAction``)."""
    return verbs.access_label(action)


@register.filter
def event_details(data: object) -> str:
    """The readable details of a chronology event (roles in the reader's language)."""
    if not isinstance(data, dict):
        return ""
    roles = dict(Participant.Role.choices)
    parts = []
    for key in EVENT_DETAILS:
        value = data.get(key)
        if value:
            parts.append(str(roles.get(value, value)) if key == "role" else str(value))
    return " · ".join(parts)


@register.filter
def role_labels(codes: str) -> str:
    """``"head,safeguarding_lead"`` (``AccessEvent.actor_role``) as the roles' names in
    the current language; an unknown code (``superuser``, a retired role) as it is."""
    labels = []
    for code in filter(None, (codes or "").split(",")):
        try:
            labels.append(str(Role(code).label))
        except ValueError:
            labels.append(code)
    return ", ".join(labels) or "—"


# ``DenialEvent.object_type`` (a model's name) as what the reader calls it.
RECORD_KINDS = {
    "case": gettext_lazy("Case"),
    "person": gettext_lazy("Person"),
    "concern": gettext_lazy("Concern"),
    "supportplan": gettext_lazy("Support plan"),
    "action": gettext_lazy("Action"),
    "referral": gettext_lazy("Referral"),
    "takedownrequest": gettext_lazy("Takedown notice"),
    "organisation": gettext_lazy("School statistics"),
    "message": gettext_lazy("Message sent"),
}


@register.filter
def record_kind(object_type: str) -> str:
    return str(RECORD_KINDS.get(object_type, object_type))
