"""The directory as data (issue 10): legal bases, platforms, authorities and the victims'
own removal routes, each row with its source; what applies to which school
(``reporting.jurisdictions``, ``reporting.directory_selectors``); its API faces and its
admin pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cases.models import Organisation, User
from reporting import services as reporting_services
from reporting.directory import (
    AUTHORITIES,
    LEGAL_BASES,
    PLATFORMS,
    REMOVAL_ROUTES,
    load_directory,
)
from reporting.directory_selectors import (
    destinations_for,
    legal_bases_for,
    offence_bases_for,
    removal_routes_for,
)
from reporting.jurisdictions import covers
from reporting.models import LegalBasis, Platform, RemovalRoute
from tests.conftest import PASSWORD, client_for
from tests.factories import EvidenceItemFactory, SchoolFactory, UserFactory

LEGAL_BASES_URL = "/api/v1/legal-bases/"
PLATFORMS_URL = "/api/v1/platforms/"
ROUTES_URL = "/api/v1/removal-routes/"


@pytest.fixture
def school_gb(db) -> Organisation:
    return SchoolFactory.create(name="Oakfield Academy", code="OAK", jurisdiction="GB-LND")


@pytest.fixture
def school_us(db) -> Organisation:
    return SchoolFactory.create(name="Lincoln High", code="LHS", jurisdiction="US-CA")


def codes(rows) -> list[str]:
    return [row.code for row in rows]


# --- The rows and their sources -------------------------------------------------------


def test_every_row_of_the_directory_has_a_source(db):
    for rows in (LEGAL_BASES, PLATFORMS, AUTHORITIES, REMOVAL_ROUTES):
        assert all(row.source.strip() for row in rows)
    authority_codes = [a.code for a in AUTHORITIES]
    assert LegalBasis.objects.filter(source="").count() == 0
    assert Platform.objects.filter(source="").count() == 0
    assert RemovalRoute.objects.filter(source="").count() == 0
    assert not Organisation.objects.filter(code__in=authority_codes, source="").exists()


def test_load_directory_is_idempotent(db):
    def snapshot():
        return (
            list(LegalBasis.objects.values().order_by("code")),
            list(Platform.objects.values().order_by("slug")),
            list(RemovalRoute.objects.values().order_by("code")),
            list(Organisation.objects.exclude(kind="school").values().order_by("code")),
            sorted(
                Platform.legal_bases.through.objects.values_list("platform_id", "legalbasis_id")
            ),
        )

    load_directory()
    before = snapshot()
    load_directory()

    assert snapshot() == before
    assert LegalBasis.objects.count() == len(LEGAL_BASES)
    assert Platform.objects.count() == len(PLATFORMS)
    assert RemovalRoute.objects.count() == len(REMOVAL_ROUTES)


# --- Status: a draft never offered, an unconfirmed commencement said so ---------------


def test_the_draft_article_173_bis_is_present_disabled_and_never_offered(
    school_a, school_gb, school_us
):
    draft = LegalBasis.objects.get(code="es-cp-173-bis")
    assert (draft.status, draft.enabled) == (LegalBasis.Status.NOT_ENACTED, False)
    for school in (school_a, school_gb, school_us):
        assert "es-cp-173-bis" not in codes(offence_bases_for(school=school))
        for platform in Platform.objects.all():
            assert "es-cp-173-bis" not in codes(legal_bases_for(platform=platform, school=school))
    # Spain's offences in force are offered instead.
    assert codes(offence_bases_for(school=school_a))


def test_the_uk_online_safety_act_basis_is_marked_unconfirmed(lead_a):
    osa = LegalBasis.objects.get(code="uk-osa-s10-3a")
    assert osa.commencement_unconfirmed

    bases = {
        b["code"]: b
        for b in client_for(lead_a).get(LEGAL_BASES_URL, HTTP_ACCEPT_LANGUAGE="en").json()
    }
    assert bases["uk-osa-s10-3a"]["status"] == "unconfirmed"
    assert bases["uk-osa-s10-3a"]["status_label"] == "Enacted; commencement not yet confirmed"
    assert bases["es-cp-173-bis"]["enabled"] is False
    assert bases["es-cp-173-bis"]["status"] == "not_enacted"
    assert all(b["source"] for b in bases.values())


# --- What applies to which school -----------------------------------------------------


def test_jurisdictions_nest_badajoz_in_extremadura_in_spain_in_the_eu():
    assert covers("ES-EX", "ES-BA")
    assert covers("ES", "ES-BA") and covers("ES", "ES-EX")
    assert covers("EU", "ES-BA") and covers("EU", "ES-EX") and covers("EU", "ES")
    assert covers("ES-BA", "ES-BA")
    assert not covers("ES-BA", "ES-EX") and not covers("ES", "EU")
    assert not covers("ES-EX", "ES-M")
    assert not covers("EU", "GB") and not covers("EU", "GB-LND")
    assert covers("GB", "GB-LND") and covers("US", "US-CA")
    assert not covers("US", "ES-BA")


def test_whatsapp_bases_follow_the_schools_jurisdiction(school_a, school_gb, school_us):
    whatsapp = Platform.objects.get(slug="whatsapp")

    assert codes(legal_bases_for(platform=whatsapp, school=school_a)) == ["eu-dsa-art16"]
    assert codes(legal_bases_for(platform=whatsapp, school=school_gb)) == ["uk-osa-s10-3a"]
    assert codes(legal_bases_for(platform=whatsapp, school=school_us)) == ["us-take-it-down"]


def test_the_api_offers_a_spanish_lead_only_the_eu_basis_for_whatsapp(lead_a):
    response = client_for(lead_a).get(LEGAL_BASES_URL, {"platform": "whatsapp"})

    assert response.status_code == 200
    assert [b["code"] for b in response.json()] == ["eu-dsa-art16"]


def test_the_api_offers_a_gb_and_a_us_lead_their_own_law(school_gb, school_us):
    for school, expected in ((school_gb, "uk-osa-s10-3a"), (school_us, "us-take-it-down")):
        lead = UserFactory.create(organisation=school, role="safeguarding_lead")
        got = client_for(lead).get(LEGAL_BASES_URL, {"platform": "whatsapp"}).json()
        assert [b["code"] for b in got] == [expected]


def test_legal_bases_filter_by_purpose_and_refuse_unknown_platforms(lead_a):
    client = client_for(lead_a)

    offences = client.get(LEGAL_BASES_URL, {"purpose": "offence"}).json()
    assert offences and {b["purpose"] for b in offences} == {"offence"}
    assert client.get(LEGAL_BASES_URL, {"platform": "myspace"}).status_code == 400
    assert client.get(LEGAL_BASES_URL, {"platform": "a\x00b"}).status_code == 400
    assert client.get(LEGAL_BASES_URL, {"purpose": "revenge"}).status_code == 400
    # Removal duties for a platform, asked for offences: none.
    both = client.get(LEGAL_BASES_URL, {"platform": "whatsapp", "purpose": "offence"})
    assert both.json() == []


def test_names_and_citations_come_in_the_requests_language(lead_a):
    client = client_for(lead_a)

    es = {b["code"]: b for b in client.get(LEGAL_BASES_URL, HTTP_ACCEPT_LANGUAGE="es").json()}
    en = {b["code"]: b for b in client.get(LEGAL_BASES_URL, HTTP_ACCEPT_LANGUAGE="en").json()}

    assert es["eu-dsa-art16"]["name"] == "Reglamento de Servicios Digitales (UE)"
    assert es["eu-dsa-art16"]["citation"].startswith("Reglamento (UE) 2022/2065")
    assert en["eu-dsa-art16"]["name"] == "Digital Services Act (EU)"
    assert en["eu-dsa-art16"]["citation"].startswith("Regulation (EU) 2022/2065")
    for rows in (es, en):
        basis = rows["eu-dsa-art16"]
        assert basis["name_es"] == "Reglamento de Servicios Digitales (UE)"
        assert basis["name_en"] == "Digital Services Act (EU)"
        assert basis["citation_en"].startswith("Regulation")
    with translation.override("es"):
        label_es = str(LegalBasis.Status.COMMENCEMENT_UNCONFIRMED.label)
    assert es["uk-osa-s10-3a"]["status_label"] == label_es
    assert label_es == "Aprobada; entrada en vigor sin confirmar"


def test_platforms_list_kind_operator_report_email_bases_and_source(lead_a):
    platforms = {p["slug"]: p for p in client_for(lead_a).get(PLATFORMS_URL).json()}

    telegram = platforms["telegram"]
    assert telegram["kind"] == "messaging"
    assert telegram["operator"] == "Telegram Messenger Inc."
    assert telegram["report_email"] == "abuse@telegram.org"
    assert sorted(telegram["legal_bases"]) == ["eu-dsa-art16", "uk-osa-s10-3a", "us-take-it-down"]
    assert telegram["source"]
    assert platforms["whatsapp"]["report_email"] is None
    assert platforms["pornhub"]["kind"] == "adult"
    assert platforms["clothoff"]["legal_bases"] == ["eu-dsa-art16"]


def test_destinations_for_a_badajoz_school_include_extremaduras_child_protection_not_ceop(
    school_a,
):
    kinds = [Organisation.Kind.POLICE_UNIT, Organisation.Kind.CHILD_PROTECTION]
    names = [o.name for o in destinations_for(school=school_a, kinds=kinds)]

    assert "Junta de Extremadura — Servicio de Protección de Menores" in names
    assert "Policía Nacional — Unidad Central de Ciberdelincuencia" in names
    assert "CEOP (National Crime Agency)" not in names
    madrid = SchoolFactory.create(name="IES Madrid", code="MAD", jurisdiction="ES-M")
    assert "Junta de Extremadura — Servicio de Protección de Menores" not in [
        o.name for o in destinations_for(school=madrid, kinds=kinds)
    ]


def test_organisations_show_phone_and_source(lead_a):
    rows = client_for(lead_a).get("/api/v1/organisations/", {"kind": "hotline"}).json()
    incibe = next(o for o in rows["results"] if o["code"] == "INC017")

    assert incibe["phone"] == "017"
    assert incibe["source"]


# --- The victims' own removal routes ----------------------------------------------------


def test_removal_routes_by_age_and_place(school_a, school_gb):
    assert "take-it-down" in codes(removal_routes_for(school=school_a, age=15))
    assert "stopncii" not in codes(removal_routes_for(school=school_a, age=15))
    assert "take-it-down" not in codes(removal_routes_for(school=school_a, age=18))
    assert "stopncii" in codes(removal_routes_for(school=school_a, age=18))
    assert "report-remove" not in codes(removal_routes_for(school=school_a, age=15))
    assert "report-remove" in codes(removal_routes_for(school=school_gb, age=15))
    assert "aepd-canal-prioritario" in codes(removal_routes_for(school=school_a, age=15))
    assert "aepd-canal-prioritario" not in codes(removal_routes_for(school=school_gb, age=15))
    # Age unknown: every route of the place.
    assert {"take-it-down", "stopncii"} <= set(codes(removal_routes_for(school=school_a, age=None)))


def test_the_removal_routes_api_filters_by_age_and_school_in_the_requests_language(lead_a):
    client = client_for(lead_a)

    young = client.get(ROUTES_URL, {"age": "15", "serves_my_school": "true"})
    assert young.status_code == 200
    got = [r["code"] for r in young.json()]
    assert "take-it-down" in got and "stopncii" not in got and "report-remove" not in got
    adult = [r["code"] for r in client.get(ROUTES_URL, {"age": 18}).json()]
    assert "stopncii" in adult and "take-it-down" not in adult
    everywhere = [r["code"] for r in client.get(ROUTES_URL).json()]
    assert "report-remove" in everywhere

    es = {r["code"]: r for r in client.get(ROUTES_URL, HTTP_ACCEPT_LANGUAGE="es").json()}
    en = {r["code"]: r for r in client.get(ROUTES_URL, HTTP_ACCEPT_LANGUAGE="en").json()}
    assert es["take-it-down"]["description"].startswith("Para cualquier persona")
    assert en["take-it-down"]["description"].startswith("For anyone depicted under 18")
    assert es["aepd-canal-prioritario"]["name"] == "Canal Prioritario de la AEPD"
    assert en["aepd-canal-prioritario"]["name"] == "AEPD Canal Prioritario"
    assert en["take-it-down"]["max_age"] == 17
    assert en["take-it-down"]["organisation"] == "NCMECTD"
    assert en["incibe-017"]["phone"] == "017"


@pytest.mark.parametrize("age", ["-1", "121", "quince", "1.5", "١٥"])
def test_the_removal_routes_api_refuses_an_age_that_is_not_one(lead_a, age):
    response = client_for(lead_a).get(ROUTES_URL, {"age": age})

    assert response.status_code == 400
    assert "age" in response.json()


# --- The admin --------------------------------------------------------------------------


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser(
        username="root", password=PASSWORD, email="root@example.org"
    )


@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        (Platform, {"slug": "whatsapp"}),
        (LegalBasis, {"code": "uk-osa-s10-3a"}),
        (RemovalRoute, {"code": "take-it-down"}),
    ],
)
def test_the_directorys_admin_pages_load_for_a_superuser(root, model, lookup):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(root)
    row = model.objects.get(**lookup)
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}"

    for url in (
        reverse(f"{name}_changelist"),
        reverse(f"{name}_add"),
        reverse(f"{name}_change", args=[row.pk]),
    ):
        assert client.get(url).status_code == 200, url
    search = client.get(reverse(f"{name}_changelist"), {"q": next(iter(lookup.values()))})
    assert search.status_code == 200
    assert str(row.pk) in search.content.decode()


@pytest.mark.parametrize("code", ["es-cp-173-bis", "es-cp-189", "es-lopdgdd-canal-prioritario"])
def test_a_notice_never_rests_on_an_offence_or_a_disabled_basis(case_a, lead_a, code):
    """The service itself refuses what the forms never offer: an offence has no clock,
    and a disabled basis (the draft art. 173 bis CP) is not law (LAW.md §3)."""
    whatsapp = Platform.objects.get(slug="whatsapp")
    item = EvidenceItemFactory.create(case=case_a, actor=lead_a, platform=whatsapp)
    with pytest.raises(ValidationError) as refused:
        reporting_services.takedown_create(
            case=case_a,
            actor=lead_a,
            platform=whatsapp,
            legal_basis=LegalBasis.objects.get(code=code),
            evidence_items=[item],
            requester_relationship="school_duty",
        )
    assert "legal_basis" in refused.value.message_dict
    assert not case_a.takedowns.exists()
