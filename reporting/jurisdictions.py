"""Which laws and destinations cover which schools: ISO 3166 codes and what contains
what.

A school's ``jurisdiction`` is an ISO 3166-2 subdivision (``ES-BA``, the province of
Badajoz) or a country (``ES``). A law, an authority or a route covers it when its own
code is the same place or contains it: the country (``ES``), the autonomous community
(``ES-EX``, Extremadura, contains ``ES-BA`` and ``ES-CC``), or the European Union (``EU``
contains every member state). Sources: ISO 3166-2:ES (provinces and autonomous
communities); the EU's 27 member states (TEU art. 52).
"""

from __future__ import annotations

EU_MEMBER_STATES: frozenset[str] = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "HU",
    ]
)

# ISO 3166-2:ES: the autonomous community of each province (and the two autonomous cities).
SPANISH_PROVINCES: dict[str, str] = {
    **dict.fromkeys(("AL", "CA", "CO", "GR", "H", "J", "MA", "SE"), "AN"),
    **dict.fromkeys(("HU", "TE", "Z"), "AR"),
    "O": "AS",
    "PM": "IB",
    **dict.fromkeys(("GC", "TF"), "CN"),
    "S": "CB",
    **dict.fromkeys(("AV", "BU", "LE", "P", "SA", "SG", "SO", "VA", "ZA"), "CL"),
    **dict.fromkeys(("AB", "CR", "CU", "GU", "TO"), "CM"),
    **dict.fromkeys(("B", "GI", "L", "T"), "CT"),
    **dict.fromkeys(("BA", "CC"), "EX"),
    **dict.fromkeys(("C", "LU", "OR", "PO"), "GA"),
    "M": "MD",
    "MU": "MC",
    "NA": "NC",
    **dict.fromkeys(("VI", "SS", "BI"), "PV"),
    "LO": "RI",
    **dict.fromkeys(("A", "CS", "V"), "VC"),
    "CE": "CE",
    "ML": "ML",
}


def places_of(jurisdiction: str) -> frozenset[str]:
    """Every code that contains ``jurisdiction``, itself included: for ``ES-BA``
    ``{"ES-BA", "ES-EX", "ES", "EU"}``; for ``GB`` ``{"GB"}``. Upper-cased; ``""`` gives
    the empty set."""
    code = jurisdiction.strip().upper()
    if not code:
        return frozenset()
    country, _, subdivision = code.partition("-")
    places = {code, country}
    if country == "ES" and subdivision:
        community = SPANISH_PROVINCES.get(subdivision)
        if community:
            places.add(f"ES-{community}")
    if country in EU_MEMBER_STATES:
        places.add("EU")
    return frozenset(places)


def covers(area: str, jurisdiction: str) -> bool:
    """Whether a law or body of ``area`` (``"EU"``, ``"ES"``, ``"ES-EX"``, ``"ES-BA"``…)
    covers a school of ``jurisdiction``. ``area`` blank covers everywhere."""
    if not area.strip():
        return True
    return area.strip().upper() in places_of(jurisdiction)
