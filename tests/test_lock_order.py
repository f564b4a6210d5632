"""Row locks taken before the audit chain's lock must not deadlock with an audit append.

The end-to-end test once deadlocked: a request adding a support plan held the case row
(``lock_open_case``) and waited for the case-event chain's advisory lock, while the beat's
overdue sweep held that advisory lock and waited to check its new row's ``case_id``
foreign key against the locked case row. The services now lock rows ``FOR NO KEY
UPDATE``, which a foreign-key check does not wait for. This test replays the exact
interleaving on two real connections, with a barrier in between.
"""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connections, transaction

from cases import services as case_services
from cases.audit import record_case_event
from cases.audit_chain import lock_chain
from cases.models import Case, CaseEvent
from cases.verbs import CaseVerb

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_case_writer_and_an_audit_append_on_that_case_do_not_deadlock(
    transactional_db, directory
):
    from cases.models import Organisation, Role
    from tests.conftest import make_user

    school = Organisation.objects.create(name="IES Lock", kind=Organisation.Kind.SCHOOL)
    lead = make_user("lead.lock", school, Role.SAFEGUARDING_LEAD)
    case = case_services.case_open(
        school=school, actor=lead, title="Lock order", category=Case.Category.AI_GENERATED
    )
    case_locked = threading.Event()
    chain_locked = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        # The request: case row first, then (inside record_case_event) the chain lock.
        try:
            with transaction.atomic():
                case_services.lock_open_case(case.pk)
                case_locked.set()
                chain_locked.wait(10)
                record_case_event(
                    school=school, case=case, actor=lead, verb="case.updated", obj=case
                )
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    def sweep() -> None:
        # The beat: the chain lock first, then a row whose foreign key is that case.
        try:
            case_locked.wait(10)
            with transaction.atomic():
                lock_chain("cases_caseevent")
                chain_locked.set()
                record_case_event(
                    school=school.pk,
                    case=Case(pk=case.pk),
                    actor=None,
                    verb=CaseVerb.TAKEDOWN_OVERDUE,
                    obj=case,
                )
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer), threading.Thread(target=sweep)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    assert not [e for e in errors if isinstance(e, OperationalError)], errors
    assert not errors, errors
    assert set(
        CaseEvent.objects.filter(
            case=case, verb__in=["case.updated", "takedown.overdue"]
        ).values_list("verb", flat=True)
    ) == {"case.updated", "takedown.overdue"}
