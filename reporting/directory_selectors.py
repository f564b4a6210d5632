"""Reads of the directory for one school: which legal bases, destinations and removal
routes apply to it. Forms and the API offer only these ("forms offer only the bases
and destinations that apply": the platform's obligations, the school's jurisdiction).

The directory is public reference data, not case data: these reads are not audited.
Each is one query (the directory is small: tens of rows), filtered by jurisdiction in
Python with ``reporting.jurisdictions.covers`` (containment is not a column).
"""

from __future__ import annotations

from collections.abc import Iterable

from cases.models import Organisation
from reporting.jurisdictions import covers
from reporting.models import LegalBasis, Platform, RemovalRoute


def legal_bases_for(*, platform: Platform, school: Organisation) -> list[LegalBasis]:
    """The removal duties a notice from ``school`` to ``platform`` may rest on: the
    bases the platform answers under (``Platform.legal_bases``), enabled, whose
    jurisdiction covers the school's (a Spanish school: the EU DSA, not the UK OSA or
    the US TAKE IT DOWN Act). Ordered by code. LAW.md §1."""
    return [
        basis
        for basis in platform.legal_bases.filter(
            purpose=LegalBasis.Purpose.REMOVAL, enabled=True
        ).order_by("code")
        if covers(basis.jurisdiction, school.jurisdiction)
    ]


def offence_bases_for(*, school: Organisation) -> list[LegalBasis]:
    """The offences, enabled, that make the content illegal where ``school`` is: cited
    in a notice's statement of illegality (DSA art. 16(2)(a)) and in packets. A draft
    (Spain's art. 173 bis) is never among them. Ordered by code. LAW.md §3."""
    return [
        basis
        for basis in LegalBasis.objects.filter(
            purpose=LegalBasis.Purpose.OFFENCE, enabled=True
        ).order_by("code")
        if covers(basis.jurisdiction, school.jurisdiction)
    ]


def destinations_for(*, school: Organisation, kinds: Iterable[str]) -> list[Organisation]:
    """Organisations of ``kinds`` (``Organisation.Kind`` values) that serve ``school``:
    their jurisdiction covers the school's (the Fiscalía de Menores de Badajoz, ES-BA,
    and Spain's national units, ES, for a school in ES-BA; not CEOP, GB). Ordered by
    name."""
    return [
        organisation
        for organisation in Organisation.objects.filter(kind__in=list(kinds)).order_by("name")
        if covers(organisation.jurisdiction, school.jurisdiction)
    ]


def removal_routes_for(*, school: Organisation, age: int | None) -> list[RemovalRoute]:
    """The victims' own removal routes open to a person of ``age`` (years on the day;
    ``None``: unknown, every route of the place) at ``school``: Take It Down under 18,
    StopNCII from 18, Report Remove in the UK only, the AEPD Canal Prioritario in Spain.
    Ordered by code. LAW.md §3."""
    return [
        route
        for route in RemovalRoute.objects.select_related("organisation").order_by("code")
        if covers(route.jurisdiction, school.jurisdiction) and route.fits_age(age)
    ]
