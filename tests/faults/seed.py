"""Data of a fault test, in a database it migrated itself (``DATABASE_URL``).

``python -m tests.faults.seed`` writes one school, its safeguarding lead with an API
token, and a case; prints one JSON line ``{"token": …, "school": id, "case": id}``.

``python -m tests.faults.seed written PREFIX`` prints, as one JSON line, what the load
wrote: ``{"concerns": [ids of concerns whose summary starts with PREFIX], "all_concerns":
[ids of every concern], "logged_events": [object ids of every "concern.logged" case
event]}``.
"""

from __future__ import annotations

import json
import os
import sys


def seed() -> dict[str, object]:
    from knox.models import AuthToken

    from cases.models import Role
    from tests.factories import CaseFactory, SchoolFactory, member

    school = SchoolFactory.create(name="IES Fallos", code="FAL")
    lead = member("lead.faults", school, Role.SAFEGUARDING_LEAD)
    case = CaseFactory.create(school=school, actor=lead, title="Caso de prueba")
    _, token = AuthToken.objects.create(lead)
    return {"token": token, "school": school.pk, "case": case.pk}


def written(prefix: str) -> dict[str, object]:
    from cases.models import CaseEvent, Concern
    from cases.verbs import CaseVerb

    mine = Concern.objects.filter(summary__startswith=prefix)
    events = CaseEvent.objects.filter(verb=CaseVerb.CONCERN_LOGGED, object_type="concern")
    return {
        "concerns": sorted(mine.values_list("pk", flat=True)),
        "all_concerns": sorted(Concern.objects.values_list("pk", flat=True)),
        "logged_events": sorted(events.values_list("object_id", flat=True)),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if sys.argv[1:2] == ["written"]:
        print(json.dumps(written(sys.argv[2])))
    else:
        print(json.dumps(seed()))


if __name__ == "__main__":
    main()
