"""Shared fixtures: two schools (A, B), a police unit holding A's referral, another
unit, and the personas of STYLE.md (lead of A, staff of A, head of A, lead of B,
police liaison, other police liaison, anonymous)."""

from __future__ import annotations

import fcntl
import fnmatch
import itertools
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import models
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent, Organisation, Person, Role, User
from outbox.kinds import MessageKind
from outbox.models import Message
from reporting.models import Referral
from tests.factories import (
    PASSWORD,
    CaseFactory,
    ParticipantFactory,
    PoliceUnitFactory,
    PupilFactory,
    ReferralFactory,
    SchoolFactory,
    member,
)
from tests.outbox import deliver_outbox
from tests.webhooks import WebhookReceiver

__all__ = ["PASSWORD", "client_for", "make_user", "nothing_written"]


def make_user(username: str, org: Organisation | None, role: str | None) -> User:
    """A user ``username`` signing in with ``PASSWORD``, with the membership ``role`` in
    ``org`` when both are given (``tests.factories.member``)."""
    return member(username, org, role)


@pytest.fixture
def school_a(db) -> Organisation:
    return SchoolFactory.create(name="IES Alfa", code="ALF", email="alfa@example.org")


@pytest.fixture
def school_b(db) -> Organisation:
    return SchoolFactory.create(name="IES Beta", code="BET")


@pytest.fixture
def police_unit(db) -> Organisation:
    return PoliceUnitFactory.create(name="Comisaría Uno", code="POL1")


@pytest.fixture
def other_unit(db) -> Organisation:
    return PoliceUnitFactory.create(name="Comisaría Dos", code="POL2")


@pytest.fixture
def lead_a(school_a) -> User:
    return make_user("lead.a", school_a, Role.SAFEGUARDING_LEAD)


@pytest.fixture
def staff_a(school_a) -> User:
    return make_user("staff.a", school_a, Role.STAFF)


@pytest.fixture
def head_a(school_a) -> User:
    return make_user("head.a", school_a, Role.HEAD)


@pytest.fixture
def lead_b(school_b) -> User:
    return make_user("lead.b", school_b, Role.SAFEGUARDING_LEAD)


@pytest.fixture
def police(police_unit) -> User:
    return make_user("police.one", police_unit, Role.POLICE_LIAISON)


@pytest.fixture
def other_police(other_unit) -> User:
    return make_user("police.two", other_unit, Role.POLICE_LIAISON)


def _pupil(school: Organisation, actor: User, given: str) -> Person:
    """A 14-year-old girl, "<given> Prueba", 3º ESO, born on 15 January."""
    return PupilFactory.create(
        school=school, actor=actor, given_name=given, family_name="Prueba", sex="female"
    )


@pytest.fixture
def case_a(school_a, lead_a) -> Case:
    case = CaseFactory.create(
        school=school_a, actor=lead_a, title="Imágenes manipuladas", category="ai_generated"
    )
    ParticipantFactory.create(case=case, person=_pupil(school_a, lead_a, "Lucía"))
    return case


@pytest.fixture
def case_b(school_b, lead_b) -> Case:
    case = CaseFactory.create(
        school=school_b,
        actor=lead_b,
        title="Difusión sin consentimiento",
        category="non_consensual_sharing",
    )
    ParticipantFactory.create(case=case, person=_pupil(school_b, lead_b, "Marta"))
    return case


@pytest.fixture
def referral_a(case_a, lead_a, police_unit, police) -> Referral:
    """A referral of case A, sent to ``police_unit`` (live: the unit sees case A)."""
    return ReferralFactory.create(
        case=case_a,
        actor=lead_a,
        destination=police_unit,
        summary="Denuncia",
        legal_basis="legal_obligation",
        shared_sections=["chronology", "evidence"],
        sent=True,
    )


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@contextmanager
def nothing_written(*written: type[models.Model]) -> Iterator[None]:
    """Assert that no row of ``written`` nor any ``CaseEvent`` was added or removed."""
    counted = (*written, CaseEvent)
    before = {model.__name__: model.objects.count() for model in counted}
    yield
    after = {model.__name__: model.objects.count() for model in counted}
    assert after == before


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def one_day():
    return timedelta(days=1)


# Open lock file of the test-database slot this process holds (``make mutants``).
_db_slot_lock = None


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Under ``make mutants`` (``MUTANTS_DB_SLOTS=N``, scripts/mutants.py) up to N test
    runs go at once, each in a process of its own: each takes the first free one of N
    slots (an exclusive ``flock`` held until the process ends) and the test database
    of that slot, ``<name>_slot<i>``, so no two runs share a database. Otherwise
    nothing changes."""
    global _db_slot_lock
    slots = int(os.environ.get("MUTANTS_DB_SLOTS") or 0)
    if not slots or _db_slot_lock is not None:
        return
    from django.conf import settings

    lock_dir = Path(settings.VAR_DIR) / "mutants"
    lock_dir.mkdir(parents=True, exist_ok=True)
    for slot in itertools.cycle(range(slots)):
        handle = (lock_dir / f"db-slot-{slot}.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            if slot == slots - 1:
                time.sleep(0.05)  # every slot taken: a run is just ending
            continue
        _db_slot_lock = handle
        break
    for db_settings in settings.DATABASES.values():
        test = db_settings.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + db_settings['NAME']}_slot{slot}"


def pytest_collection_modifyitems(config, items):
    """Under ``make mutants``: a mutant is tested only by the test files its rule names
    (``MUTANTS_TEST_MAP``, a JSON list of ``[mutant glob, [test file, ...]]`` set by
    scripts/mutants.py), not by every test that happens to call its function (nearly
    every test writes an audit row). Otherwise nothing changes."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    test_map = os.environ.get("MUTANTS_TEST_MAP")
    if not test_map or "__mutmut_" not in mutant:
        return
    allowed = next(
        (set(tests) for glob, tests in json.loads(test_map) if fnmatch.fnmatchcase(mutant, glob)),
        None,
    )
    if allowed is None:
        return
    keep = [item for item in items if item.nodeid.split("::")[0] in allowed]
    dropped = [item for item in items if item.nodeid.split("::")[0] not in allowed]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Make sure the directory rows of migration reporting/0002 exist: a reused test
    database may have been emptied by the last transactional test's flush."""
    from reporting.directory import load_directory

    with django_db_blocker.unblock():
        load_directory()


@pytest.fixture
def directory(transactional_db):
    """For transactional tests: the flush after each one empties every table."""
    from reporting.directory import load_directory

    load_directory()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the project's default language: a request through the test
    client leaves its language active on the thread (``LocaleMiddleware`` activates it
    and nothing resets it), which would make a later test's messages depend on the
    order the tests ran in."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _second_factor_and_lockout_off(settings):
    """Most tests sign in with ``force_login``/``force_authenticate`` and no second
    factor, and some fail a sign-in many times to test the rate limit alone.
    ``tests/test_login_security.py`` turns ``OTP_REQUIRED`` and ``AXES_ENABLED`` back on."""
    settings.OTP_REQUIRED = False
    settings.AXES_ENABLED = False


@pytest.fixture
def secure(settings):
    """Second factor and lockout on, as in production (undoing the autouse fixture above)."""
    settings.OTP_REQUIRED = True
    settings.AXES_ENABLED = True


@pytest.fixture
def clock():
    """A frozen clock at ``tests.second_factor.START`` (shift it with ``clock.shift``)."""
    from tests.second_factor import START

    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def webhook_receiver():
    """A police system's webhook: a real HTTP server recording each POST
    (tests/webhooks.py)."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def failed(case_a, lead_a):
    """A referral of case A to a unit with no liaison and no address: its notice fails
    at once ("no address") and the leads are told (a ``delivery-failed`` message).
    Returns the failed ``outbox.models.Message``."""
    unit = PoliceUnitFactory.create(name="Unidad sin correo", code="NOMAIL", email="")
    referral = ReferralFactory.create(case=case_a, actor=lead_a, destination=unit, sent=True)
    deliver_outbox()
    return Message.objects.get(about_id=referral.pk, kind=MessageKind.REFERRAL_NOTICE)


@pytest.fixture
def notice(referral_a):
    """The notice of A's referral to the unit's liaison (``police``), delivered: its
    ``outbox.models.Message``."""
    deliver_outbox()
    return Message.objects.get(about_id=referral_a.pk, kind=MessageKind.REFERRAL_NOTICE)
