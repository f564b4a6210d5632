"""Which time zone a date and time typed without an offset is read in (issue 7).

A school's people type times on the school's clock: "14:30" on a form or in an API
call about a case of a school in Dubai means 14:30 in Dubai, whatever the server's
``settings.TIME_ZONE``. Someone acting on the record of a school they do not belong to
(a police liaison acknowledging a referral, an authority admin) types on their own
clock, which they may name (the API's ``Time-Zone`` header); :func:`input_zone` is the
one rule, and both faces (``api.fields.SchoolDateTimeField``, ``web.forms``) ask it.

Everything is stored in UTC; a time given with an offset (or ``Z``) is exact and read
as it is, whatever the zone.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _

from cases.memberships import user_memberships
from cases.models import Organisation, User

# The longest IANA name is 32 characters ("America/Argentina/ComodRivadavia").
MAX_ZONE_NAME_LENGTH = 64
MSG_NOT_A_ZONE = _("“%(value)s” is not a time zone name such as Europe/London.")


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: str) -> ZoneInfo | None:
    """The IANA time zone called ``name`` (``"Europe/London"``, ``"UTC"``), or ``None``
    if there is none by that name.

    Only names of the system's tz database are accepted (``zoneinfo.available_timezones``),
    never a path: ``ZoneInfo`` would otherwise try to open ``"../../etc/passwd"``-like
    keys as files.
    """
    name = name.strip()
    if not name or len(name) > MAX_ZONE_NAME_LENGTH or name not in _zone_names():
        return None
    return ZoneInfo(name)


def zone_of(org: Organisation) -> ZoneInfo:
    """``org.time_zone`` as a ``ZoneInfo`` (the admin form accepts only valid names)."""
    return ZoneInfo(org.time_zone)


def input_zone(
    *, user: User | AnonymousUser, school: Organisation | None, requested: ZoneInfo | None = None
) -> ZoneInfo:
    """The zone in which ``user``'s times without an offset are read, for a record of
    ``school`` (``None`` when the record's school is not known yet).

    1. ``user`` belongs to ``school`` (any role): the school's zone. The school's clock
       governs what its people type; a zone the client names does not override it.
    2. Otherwise (acting across schools, e.g. a police liaison on a referred case):
       ``requested``, the zone the client named (API: the ``Time-Zone`` header);
    3. else the zone of the user's own organisation(s), if they all share one;
    4. else ``settings.TIME_ZONE``.

    Source of the rule: issue 7, "a school's own zone must govern the times its people
    type". Raises nothing; one query (the user's memberships, none if this request read
    them already: ``cases.memberships``; none for an anonymous or inactive user: rule 2
    or 4 applies).
    """
    memberships = user_memberships(user) if user.is_authenticated and user.is_active else ()
    if school is not None and any(m.organisation_id == school.pk for m in memberships):
        return zone_of(school)
    if requested is not None:
        return requested
    own = {m.organisation.time_zone for m in memberships}
    if len(own) == 1:
        return ZoneInfo(own.pop())
    return ZoneInfo(settings.TIME_ZONE)


def is_skipped_or_repeated(value: datetime, zone: ZoneInfo) -> bool:
    """True if the wall time ``value`` (naive) never happened in ``zone`` (the hour
    skipped when clocks go forward) or happened twice (the hour repeated when they go
    back). Such a time cannot be read without an offset: it would be stored an hour
    off. PEP 495: the offset depends on ``fold`` exactly for those times."""
    first = value.replace(tzinfo=zone, fold=0).utcoffset()
    return first != value.replace(tzinfo=zone, fold=1).utcoffset()
