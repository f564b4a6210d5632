"""``manage.py load_scenario almendralejo`` builds SCENARIO.md's table through the
services, once: counts, ages, the cross-school cluster, who sees what, idempotency."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from lxml import etree
from rest_framework.test import APIClient

from casefile.cybertipline import build_cybertipline_report
from casefile.packets import referral_packet
from casefile.selectors import case_view_for_user
from cases.models import (
    Case,
    CheckIn,
    Concern,
    EvidenceItem,
    GuardianContact,
    Membership,
    Organisation,
    Participant,
    Person,
    Role,
    SupportMeasure,
    SupportPlan,
    User,
)
from demo import images
from demo.almendralejo import ALMENDRALEJO, DEMO_PASSWORD
from demo.loader import logins
from reporting.models import AuthorityReport, Referral, RoutingSuggestion, TakedownRequest
from reporting.notices import notice_text
from reporting.selectors import overdue_takedowns_for_user, referral_get_for_user
from tests.test_cybertipline import _xsd_path

SCHOOLS = ("NOR", "SUR", "CEN")
POLICE = "PNALM"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # PBKDF2 at Django's default cost takes ~0.4 s per demo account; the test checks
    # the password, not the hasher.
    settings.PASSWORD_HASHERS = FAST_HASHERS


def load() -> str:
    out = StringIO()
    call_command("load_scenario", "almendralejo", stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture(scope="class")
def scenario(django_db_setup, django_db_blocker):
    """Load once per class, inside a transaction rolled back after the class: each load
    takes about two seconds. Every test still runs in its own savepoint (``db``)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
                output = load()
        except BaseException:
            atomic.__exit__(None, None, None)
            raise
    yield output
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def loaded(scenario, db) -> str:
    return scenario


def ages(role: str) -> list[tuple[str, int]]:
    today = timezone.localdate()
    people = Person.objects.filter(participations__role=role).distinct().select_related("school")
    return [(p.school.code, p.age_on(today)) for p in people]


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


@pytest.mark.django_db
class TestTheLoadedScenario:
    """One load shared by the class (see ``scenario``)."""

    def test_it_creates_three_schools_each_with_a_lead_and_two_staff(self, loaded):
        for code in SCHOOLS:
            school = Organisation.objects.get(code=code)
            assert school.kind == Organisation.Kind.SCHOOL
            assert school.jurisdiction == "ES-BA"
            assert school.time_zone == "Europe/Madrid"
            roles = list(
                Membership.objects.filter(organisation=school).values_list("role", flat=True)
            )
            assert roles.count(Role.SAFEGUARDING_LEAD) == 1
            assert roles.count(Role.STAFF) == 2
        assert Organisation.objects.get(code=POLICE).kind == Organisation.Kind.POLICE_UNIT
        assert Organisation.objects.get(code="FMBA").kind == Organisation.Kind.PROSECUTOR
        assert (
            Membership.objects.get(user__username="police.almendralejo").organisation.code == POLICE
        )
        assert Membership.objects.get(user__username="fiscalia.badajoz").organisation.code == "FMBA"
        assert Membership.objects.get(user__username="head.norte").role == Role.HEAD

    def test_demo_accounts_use_the_demo_password_which_passes_the_validators(self, loaded):
        usernames = {u.username for u in ALMENDRALEJO.users}
        assert {"lead.norte", "lead.sur", "lead.centro", "staff.norte", "head.norte"} <= usernames
        assert {"police.almendralejo", "fiscalia.badajoz"} <= usernames
        assert len(DEMO_PASSWORD) >= 12
        for user in User.objects.filter(username__in=usernames):
            validate_password(DEMO_PASSWORD, user)
            assert user.check_password(DEMO_PASSWORD)
            assert user.email.startswith(user.username + "@")
            assert user.email.endswith(".example")
        assert User.objects.filter(username__in=usernames).count() == len(usernames)

    def test_it_prints_the_logins_and_the_counts(self, loaded):
        for user in ALMENDRALEJO.users:
            assert re.search(
                rf"^\s+{re.escape(user.username)}\s+.*{DEMO_PASSWORD}\s*$", loaded, re.M
            )
        assert re.search(r"victims\s+24$", loaded, re.M)
        assert re.search(r"referrals to the police unit\s+11$", loaded, re.M)

    def test_it_records_24_victims_aged_11_to_17_over_the_three_schools(self, loaded):
        victims = ages(Participant.Role.VICTIM)
        assert len(victims) == 24
        assert all(11 <= age <= 17 for _, age in victims)
        assert {age for _, age in victims} == set(range(11, 18))
        assert {code for code, _ in victims} == set(SCHOOLS)
        girls = Person.objects.filter(participations__role=Participant.Role.VICTIM).distinct()
        assert set(girls.values_list("sex", flat=True)) == {Person.Sex.FEMALE}
        assert any("ñ" in f"{p.given_name} {p.family_name}" for p in girls)

    def test_it_records_11_alleged_perpetrators_aged_12_to_14_two_under_14(self, loaded):
        boys = ages(Participant.Role.ALLEGED_PERPETRATOR)
        assert len(boys) == 11
        assert all(12 <= age <= 14 for _, age in boys)
        assert len({code for code, _ in boys}) == 2
        assert sum(1 for _, age in boys if age < 14) == 2

    def test_every_victim_has_a_guardian_in_the_case(self, loaded):
        specs = {p.key: p for p in ALMENDRALEJO.people}
        key_of = {(p.given_name, p.family_name): p.key for p in ALMENDRALEJO.people}
        for victim in Participant.objects.filter(role=Participant.Role.VICTIM).select_related(
            "person"
        ):
            person = victim.person
            guardian = specs[f"g-{key_of[(person.given_name, person.family_name)]}"]
            assert Participant.objects.filter(
                case=victim.case,
                role=Participant.Role.GUARDIAN,
                person__kind=Person.Kind.GUARDIAN,
                person__given_name=guardian.given_name,
                person__family_name=guardian.family_name,
            ).exists()
        assert GuardianContact.objects.count() >= 24

    def test_cases_start_from_concerns_and_carry_their_flags(self, loaded):
        cases = Case.objects.all()
        assert cases.count() == 4
        for case in cases:
            concern = Concern.objects.get(case=case)
            assert concern.status == Concern.Status.CASE_OPENED
            assert concern.logged_by.memberships.get().role == Role.STAFF
            assert concern.childs_own_words
            assert concern.occurred_at < concern.logged_at <= case.opened_at < timezone.now()
            today = timezone.localdate()
            victim_ages = [
                p.person.age_on(today)
                for p in case.participants.filter(role=Participant.Role.VICTIM)
            ]
            assert case.under_13 == any(age < 13 for age in victim_ages)
            assert case.ai_generated
        assert cases.filter(category=Case.Category.AI_GENERATED).count() == 3
        extortion = cases.get(coercion_or_extortion=True)
        assert extortion.category == Case.Category.SEXTORTION
        assert extortion.participants.filter(role=Participant.Role.VICTIM).count() == 1
        # The same pupil: a victim in one case, a witness in another (DESIGN rule 4).
        witnesses = Participant.objects.filter(role=Participant.Role.WITNESS)
        assert any(
            Participant.objects.filter(person=w.person, role=Participant.Role.VICTIM)
            .exclude(case=w.case)
            .exists()
            for w in witnesses
        )

    def test_evidence_is_hash_only_and_clusters_across_schools(self, loaded):
        items = EvidenceItem.objects.select_related("case__school", "platform")
        # About 30 (SCENARIO.md): 30, and the image later found on an adult-content site.
        assert items.count() == 31
        assert items.filter(platform__kind="adult", kind="image").count() == 1
        kinds = {(i.platform.slug if i.platform else None, i.kind) for i in items}
        assert ("whatsapp", "group") in kinds
        assert ("telegram", "group") in kinds
        assert ("instagram", "account") in kinds
        assert any("group_invite_link" in i.identifiers for i in items if i.kind == "group")
        images_ = [i for i in items if i.kind == EvidenceItem.Kind.IMAGE]
        assert len(images_) >= 20
        assert all(i.sha256 and i.md5 and i.pdq and i.pdq_quality >= 50 for i in images_)

        schools_by_sha: dict[str, set[str]] = defaultdict(set)
        schools_by_pdq: dict[str, set[str]] = defaultdict(set)
        for i in images_:
            schools_by_sha[i.sha256].add(i.case.school.code)
            schools_by_pdq[i.pdq].add(i.case.school.code)
        linked = {sha for sha, schools in schools_by_sha.items() if len(schools) >= 2}
        assert len(linked) >= 3
        assert any(len(s) == 3 for s in schools_by_sha.values())
        assert any(len(s) >= 2 for s in schools_by_pdq.values())
        # A forwarded (recompressed) copy: other bytes, the same picture to PDQ.
        forwarded = images.hashes(4, "forwarded")
        original = images.hashes(4, "original")
        assert forwarded.sha256 != original.sha256
        assert images.hamming(forwarded.pdq, original.pdq) <= 31

    def test_it_sends_11_referrals_to_the_police_unit_from_all_schools(self, loaded):
        to_police = Referral.objects.filter(destination__code=POLICE).select_related("case__school")
        assert to_police.count() == 11
        assert {r.case.school.code for r in to_police} == set(SCHOOLS)
        assert all(r.sent_at is not None and r.status != Referral.Status.DRAFT for r in to_police)
        assert all(
            r.case.participants.filter(person=r.complainant, role="victim").exists()
            for r in to_police
        )
        assert len({r.complainant_id for r in to_police}) == 11
        acknowledged = to_police.filter(status=Referral.Status.ACKNOWLEDGED)
        assert acknowledged.count() >= 8
        assert all(
            re.fullmatch(r"ATESTADO \d{4}/\d{4}-ALM", r.external_reference) for r in acknowledged
        )
        assert {r.acknowledged_by.username for r in acknowledged} == {"police.almendralejo"}
        # Additional, not among the 11: the Fiscalía (boys aged 14 at the date of the act)
        # and the region's child-protection service (under 14: LO 5/2000 art. 3).
        others = Referral.objects.exclude(destination__code=POLICE)
        assert set(others.values_list("destination__kind", flat=True)) == {
            Organisation.Kind.PROSECUTOR,
            Organisation.Kind.CHILD_PROTECTION,
        }

    def test_takedown_notices_have_live_clocks_and_one_escalation_to_the_aepd(self, loaded):
        notices = TakedownRequest.objects.select_related("platform", "legal_basis", "escalated_to")
        assert {n.platform.slug for n in notices} >= {"whatsapp", "telegram", "instagram"}
        assert {n.legal_basis.code for n in notices} == {"eu-dsa-art16"}
        now = timezone.now()
        escalated = notices.get(status=TakedownRequest.Status.ESCALATED)
        assert escalated.escalated_to.code == "AEPDCP"
        assert escalated.deadline_at < now - timedelta(hours=48)
        assert escalated.case.events.filter(verb="takedown.overdue").exists()
        removed = notices.filter(status=TakedownRequest.Status.REMOVED)
        assert {n.platform.slug for n in removed} == {"telegram", "pornhub"}
        assert all(n.resolved_at is not None for n in removed)
        acknowledged = notices.get(status=TakedownRequest.Status.ACKNOWLEDGED)
        assert acknowledged.deadline_at > now

    def test_the_routing_shows_the_scenarios_later_facts(self, loaded):
        """Issue 10, "Done when" 4: under-14s (at the date of the act) to the region's
        child protection, 14–17 to the Fiscalía de Menores, the adult-site notice under
        the DSA, and the AEPD's two routes — advice accepted where the scenario did it."""
        accepted = RoutingSuggestion.objects.filter(status=RoutingSuggestion.Status.ACCEPTED)
        to_child_protection = accepted.filter(rule="child_protection")
        assert {s.destination.code for s in to_child_protection} == {"SPMEX"}
        under_14 = {(p.given_name, p.family_name) for p in (s.person for s in to_child_protection)}
        assert under_14 == {("Marcos", "Ibáñez Solano"), ("Daniel", "Espino Castillo")}
        to_fiscalia = accepted.filter(rule="fiscalia_menores")
        assert {s.destination.code for s in to_fiscalia} == {"FMBA"}
        assert to_fiscalia.count() == 9
        assert not RoutingSuggestion.objects.filter(
            rule="fiscalia_menores", person__in=[s.person for s in to_child_protection]
        ).exists()
        # Every case's police advice was followed (the town's unit) or dismissed with a
        # reason (the national units); nothing decided lacks who and when.
        decided = RoutingSuggestion.objects.exclude(status=RoutingSuggestion.Status.OPEN)
        assert all(s.decided_by_id and s.decided_at for s in decided)
        assert all(
            s.decision_note for s in decided.filter(status=RoutingSuggestion.Status.DISMISSED)
        )
        assert accepted.filter(rule="police", destination__code=POLICE).count() == 4
        # Signposts the families have not used yet stay open, as a lead finds them.
        assert RoutingSuggestion.objects.filter(
            status=RoutingSuggestion.Status.OPEN, rule="victim_route"
        ).exists()
        # The adult-content platform's notice, under the DSA, removed.
        adult = TakedownRequest.objects.get(platform__kind="adult")
        assert adult.legal_basis.code == "eu-dsa-art16"
        assert adult.status == TakedownRequest.Status.REMOVED
        # The AEPD's two routes: the Canal Prioritario (the WhatsApp notice's escalation,
        # drafted once by the sweep and filed) and the ordinary complaint, answered.
        priority = AuthorityReport.objects.get(route="aepd_priority")
        assert priority.takedown.platform.slug == "whatsapp"
        assert priority.status == AuthorityReport.Status.FILED
        assert priority.reference == "AEPD-CP-DEMO-0417"
        complaint = AuthorityReport.objects.get(route="aepd_complaint")
        assert complaint.status == AuthorityReport.Status.ANSWERED
        assert "2.000 €" in complaint.notes
        assert accepted.filter(rule="aepd_priority", case=priority.case).exists()
        assert accepted.filter(rule="aepd_complaint", case=complaint.case).exists()

    def test_the_scenarios_referral_packets_notices_and_cybertipline_are_generated(self, loaded):
        """Issue 10, "Done when" 1 and 2, on the demo itself: a packet of every
        referral and the text of every notice, in Spanish and English (a PDF of one of
        each), and the sextortion case's CyberTipline export valid against NCMEC's XSD."""
        referrals = Referral.objects.select_related("case__lead", "destination")
        assert referrals.count() == 15  # 11 complaints, 2 to the Fiscalía, 2 to child protection
        for referral in referrals:
            lead = referral.case.lead
            mine = referral_get_for_user(user=lead, referral_id=referral.pk)
            for language in ("es", "en"):
                data = referral_packet(user=lead, referral=mine, language=language).data
                assert data["case_reference"] == referral.case.reference
                assert set(data["shared_sections"]) == set(referral.shared_sections)
                assert ("victims" in data) == ("participants" in referral.shared_sections)
                assert ("evidence" in data) == ("evidence" in referral.shared_sections)
        first = referrals.filter(destination__code=POLICE).first()
        pdf = referral_packet(
            user=first.case.lead,
            referral=referral_get_for_user(user=first.case.lead, referral_id=first.pk),
            language="es",
        ).as_pdf()
        assert pdf.startswith(b"%PDF")

        notices = TakedownRequest.objects.prefetch_related("evidence_items")
        for notice in notices:
            for language in ("es", "en"):
                document = notice_text(notice, language=language)
                assert notice.case.reference in document.text
                for item in notice.evidence_items.all():
                    assert item.location in document.text
                    if item.sha256:
                        assert item.sha256 in document.text
                assert "173 bis" not in document.text

        extortion = Case.objects.get(coercion_or_extortion=True)
        report = build_cybertipline_report(
            view=case_view_for_user(user=extortion.lead, case_id=extortion.pk),
            reporter=extortion.lead,
        )
        assert "sextortion" in report.annotations
        schema = etree.XMLSchema(etree.parse(str(_xsd_path())))
        assert schema.validate(etree.fromstring(report.content)), schema.error_log

    def test_every_victim_has_a_support_plan_with_weekly_check_ins(self, loaded):
        plans = SupportPlan.objects.all()
        assert plans.count() == 24
        assert plans.values("victim").distinct().count() == 24
        assert set(plans.values_list("check_in_every_days", flat=True)) == {7}
        for plan in plans:
            kinds = set(plan.measures.values_list("kind", flat=True))
            assert {
                SupportMeasure.Kind.COUNSELLING,
                SupportMeasure.Kind.PARENT_SUPPORT_GROUP,
            } <= kinds
        week = timezone.now() + timedelta(days=7)
        due = CheckIn.objects.filter(held_at__isnull=True, due_at__lte=week)
        assert due.count() >= 5
        assert CheckIn.objects.filter(held_at__isnull=False).values("plan").distinct().count() >= 5

    def test_each_lead_sees_only_their_schools_cases(self, loaded):
        for code, username in (("NOR", "lead.norte"), ("SUR", "lead.sur"), ("CEN", "lead.centro")):
            visible = Case.objects.visible_to(User.objects.get(username=username))
            assert visible.exists()
            assert set(visible.values_list("school__code", flat=True)) == {code}
        for username in ("staff.norte", "head.norte"):
            assert not Case.objects.visible_to(User.objects.get(username=username)).exists()

    def test_the_police_liaison_sees_the_cases_of_the_11_referrals_from_all_schools(self, loaded):
        police = User.objects.get(username="police.almendralejo")
        visible = Case.objects.visible_to(police)
        referred = Referral.objects.filter(destination__code=POLICE).values("case")
        assert set(visible.values_list("pk", flat=True)) == set(
            referred.values_list("case", flat=True)
        )
        assert set(visible.values_list("school__code", flat=True)) == set(SCHOOLS)
        assert Referral.objects.filter(destination__code=POLICE, case__in=visible).count() == 11
        fiscalia = User.objects.get(username="fiscalia.badajoz")
        assert set(Case.objects.visible_to(fiscalia).values_list("school__code", flat=True)) == {
            "NOR",
            "SUR",
        }

    def test_a_second_run_changes_nothing_and_says_so(self, loaded):
        before = row_counts()
        output = load()
        assert "already loaded" in output
        assert row_counts() == before
        assert "lead.norte" in output  # the logins are printed again for `make run`

    def test_the_escalated_whatsapp_notice_is_overdue_on_both_of_lead_nortes_dashboards(
        self, loaded
    ):
        lead = User.objects.get(username="lead.norte")
        escalated = TakedownRequest.objects.get(status=TakedownRequest.Status.ESCALATED)
        assert escalated.platform.slug == "whatsapp"
        assert escalated.case.school.code == "NOR"
        expected = set(overdue_takedowns_for_user(user=lead).values_list("pk", flat=True))
        assert escalated.pk in expected

        api = APIClient()
        api.force_authenticate(lead)
        counted = api.get("/api/v1/dashboard/").json()["overdue_takedowns"]
        web = Client()
        web.force_login(lead)
        rows = web.get(reverse("web:dashboard")).context["overdue_takedowns"]
        listed = {row.notice.pk for row in rows}

        assert counted == len(expected) and listed == expected

    def test_the_logins_table_names_the_liaisons_organisation_kind(self, loaded):
        with translation.override("es"):
            spanish = {x.username: x.role for x in logins(ALMENDRALEJO)}
        with translation.override("en"):
            english = {x.username: x.role for x in logins(ALMENDRALEJO)}
        assert spanish["fiscalia.badajoz"] == "Enlace (fiscalía)"
        assert english["fiscalia.badajoz"] == "Liaison (prosecutor)"
        assert spanish["police.almendralejo"] == "Enlace (policía)"
        assert english["police.almendralejo"] == "Liaison (police)"
        assert "policial" not in spanish["fiscalia.badajoz"]
        assert english["lead.norte"] == "Safeguarding lead"
        # The printed table, in whichever language the command ran.
        printed = r"^\s+fiscalia\.badajoz\s+(Enlace \(fiscalía\)|Liaison \(prosecutor\))\s"
        assert re.search(printed, loaded, re.M)


def test_harmless_images_are_deterministic():
    assert images.render(3) == images.render(3)
    assert images.render(3) != images.render(4)
    assert images.render(3).startswith(b"\x89PNG")
    assert images.render(3, variant="forwarded").startswith(b"\xff\xd8")


def test_it_refuses_to_mix_with_rows_it_did_not_create(db):
    Organisation.objects.create(
        name="IES Norte (real)", kind="school", code="NOR", jurisdiction="ES-BA"
    )
    before = row_counts()
    with pytest.raises(CommandError, match="NOR"):
        load()
    assert row_counts() == before
