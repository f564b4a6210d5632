"""Who may do what, per URL pattern: the table ``tests/test_access_matrix.py`` checks.

For each URL name and HTTP method: the outcome class for each persona, against an object
of school A and one of school B (URLs with no object: owner ``-``). Outcome classes:

- ``ok``: access granted (2xx/3xx, or 400/409/415 for a write: a validation error or a
  state conflict means the persona reached the data);
- ``not_found``: 404, identical to "does not exist" (DESIGN rule 2);
- ``forbidden``: 403, only where the persona already sees the object (checked below);
- ``login``: 401/403 for an anonymous API call, 302 to the sign-in page on the web;
- ``method``: 405.

Write it down before the endpoint ships: a URL pattern missing here fails the test.
``docs/access.md`` is generated from this table (``python -m tests.access_expectations``).

World (``tests/access_world.py``): A's case has a live referral to unit 1 (``police``),
B's to unit 2 (``other_police``), both sharing chronology and evidence. A's concern was
logged by ``staff_a``.
"""

from __future__ import annotations

from cases import permissions
from cases.permissions import Ability, Resource

# The personas of issue 3 ("Done when" 1); ``tests/access_world.py`` builds them.
PERSONAS = ("lead_a", "staff_a", "head_a", "lead_b", "police", "other_police", "anon")

# Who each persona is: (role, organisation). Schools "A" and "B"; police units "1" and
# "2". ``tests/access_world.py`` builds the world from these facts, and
# ``tests/test_role_policy.py`` derives each persona's rights from ``cases.permissions``.
PERSONA_ROLES = {
    "lead_a": ("safeguarding_lead", "A"),
    "staff_a": ("staff", "A"),
    "head_a": ("head", "A"),
    "lead_b": ("safeguarding_lead", "B"),
    "police": ("police_liaison", "1"),
    "other_police": ("police_liaison", "2"),
}
# The unit holding each school's live (sent) referral, and what both referrals share.
REFERRAL_UNIT = {"A": "1", "B": "2"}
SHARED_SECTIONS = ("chronology", "evidence")
# Who logged each school's concern (B's by a staff member who is not a persona).
CONCERN_LOGGED_BY = {"A": "staff_a", "B": None}

OK = "ok"
NOT_FOUND = "not_found"
FORBIDDEN = "forbidden"
LOGIN = "login"
METHOD = "method"

# URL prefixes the matrix does not request, and why.
EXCLUDED_PREFIXES = {
    # Django admin: staff-only (is_staff), behind the second factor; case data in it is
    # read-only, scoped and audited, tested per persona in its own file.
    "admin/": "staff-only Django admin; tested separately in tests/test_admin_access.py",
    # Language switch: no data, no object, a redirect for everyone.
    "i18n/": "django.conf.urls.i18n set_language: no data",
    # Static files are served by the web server (whitenoise) outside the URLconf.
    "static/": "static files",
}

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ALL_METHODS = ("GET", *WRITE_METHODS)

# The mirror of each persona in the other school's world (B's lead is A's lead's twin).
MIRROR = {
    "lead_a": "lead_b",
    "lead_b": "lead_a",
    "police": "other_police",
    "other_police": "police",
    "staff_a": None,  # members of A only: nothing of B
    "head_a": None,
    "anon": "anon",
}


def row(default: str, anon: str = LOGIN, **outcomes: str) -> dict[str, str]:
    """Outcome per persona: ``default`` for the authenticated ones not named."""
    table = dict.fromkeys(PERSONAS, default)
    table["anon"] = anon
    table.update(outcomes)
    return table


def mirrored(a_row: dict[str, str], outsider: str = NOT_FOUND) -> dict[str, dict[str, str]]:
    """The A row as given, and B's by symmetry; A's staff and head get ``outsider`` on
    B's objects (they see nothing of B)."""
    b_row = {}
    for persona in PERSONAS:
        twin = MIRROR[persona]
        b_row[persona] = a_row[twin] if twin else outsider
    return {"A": a_row, "B": b_row}


# --- Object rows (per school, mirrored) -------------------------------------------
# The school's lead/deputy only; everyone else 404.
SCHOOL_ONLY = mirrored(row(NOT_FOUND, lead_a=OK))
# Read by the lead and by the unit holding a live referral sharing this section.
SHARED_READ = mirrored(row(NOT_FOUND, lead_a=OK, police=OK))
# Written by the lead; the referred unit sees the case, so it gets 403; others 404.
SCHOOL_WRITE = mirrored(row(NOT_FOUND, lead_a=OK, police=FORBIDDEN))
# Acted on by the destination unit's liaison; the school's lead sees it: 403.
DESTINATION_WRITE = mirrored(row(NOT_FOUND, lead_a=FORBIDDEN, police=OK))
# A concern: the school's lead and the staff member who logged it.
CONCERN_READ = mirrored(row(NOT_FOUND, lead_a=OK, staff_a=OK))
# Method not allowed, after authentication.
NO_METHOD = mirrored(row(METHOD), outsider=METHOD)

# --- Rows for URLs with no object (owner "-") ---------------------------------------
EVERYONE_SIGNED_IN = {"-": row(OK)}
NO_METHOD_LIST = {"-": row(METHOD)}
# Collections whose write permission (DRF) is checked before the method: 403 for
# anyone who is not a lead, whatever the method (no object, so no hint).
LEADS_ONLY_LIST_WRITE = {"-": row(FORBIDDEN, lead_a=OK, lead_b=OK)}
LEADS_ONLY_LIST_OTHER = {"-": row(FORBIDDEN, lead_a=METHOD, lead_b=METHOD)}
SCHOOL_MEMBERS_WRITE = {"-": row(OK, police=FORBIDDEN, other_police=FORBIDDEN)}
SCHOOL_MEMBERS_OTHER = {"-": row(METHOD, police=FORBIDDEN, other_police=FORBIDDEN)}
# School statistics (aggregates only): heads, leads and deputies see their own schools'
# numbers; staff and police get 404, as if the page did not exist.
STATISTICS_READERS = {"-": row(NOT_FOUND, lead_a=OK, head_a=OK, lead_b=OK)}
# Denied accesses to a school's records: its leads and deputies see their own schools'
# (``cases.audit.denials_for_user``); everyone else 404, as if the page did not exist.
DENIAL_READERS = {"-": row(NOT_FOUND, lead_a=OK, lead_b=OK)}
PUBLIC = {"-": row(OK, anon=OK)}
PUBLIC_NO_METHOD = {"-": row(METHOD, anon=METHOD)}


def endpoint(*, default: dict, **methods: dict) -> dict[str, dict]:
    """Rows per method; methods not named get ``default``."""
    return {m: methods.get(m, default) for m in ALL_METHODS}


def detail(get: dict, **writes: dict) -> dict[str, dict]:
    """An object URL: GET and the named writes; other methods 405."""
    return endpoint(default=NO_METHOD, GET=get, **writes)


def action(post: dict) -> dict[str, dict]:
    """An object action URL taking POST only."""
    return endpoint(default=NO_METHOD, POST=post)


def web_form(post: dict) -> dict[str, dict]:
    """A web form on an object: GET shows it, POST submits it, with the same rule."""
    return endpoint(default=NO_METHOD, GET=post, POST=post)


def web_list() -> dict[str, dict]:
    return endpoint(default=NO_METHOD_LIST, GET=EVERYONE_SIGNED_IN)


EXPECTATIONS: dict[str, dict[str, dict]] = {
    # --- API: case file ---
    "api:people": endpoint(
        default=LEADS_ONLY_LIST_OTHER, GET=EVERYONE_SIGNED_IN, POST=LEADS_ONLY_LIST_WRITE
    ),
    "api:person-detail": detail(SCHOOL_ONLY),
    "api:concerns": endpoint(
        default=SCHOOL_MEMBERS_OTHER, GET=EVERYONE_SIGNED_IN, POST=SCHOOL_MEMBERS_WRITE
    ),
    "api:concern-detail": detail(CONCERN_READ),
    "api:cases": endpoint(
        default=LEADS_ONLY_LIST_OTHER, GET=EVERYONE_SIGNED_IN, POST=LEADS_ONLY_LIST_WRITE
    ),
    "api:case-detail": detail(SHARED_READ, PATCH=SCHOOL_WRITE),
    "api:case-close": action(SCHOOL_WRITE),
    "api:case-reopen": action(SCHOOL_WRITE),
    # Participants, support plans, guardian contacts and actions are not shared by the
    # referral (chronology + evidence): the liaison gets 404 on reading them, but sees
    # the case, so 403 on writing.
    "api:case-participants": detail(SCHOOL_ONLY, POST=SCHOOL_WRITE),
    "api:case-evidence": detail(SHARED_READ, POST=SCHOOL_WRITE),
    "api:case-events": detail(SHARED_READ),
    "api:case-support-plans": detail(SCHOOL_ONLY, POST=SCHOOL_WRITE),
    "api:case-guardian-contacts": detail(SCHOOL_ONLY, POST=SCHOOL_WRITE),
    "api:case-actions": detail(SCHOOL_ONLY, POST=SCHOOL_WRITE),
    # Plans and actions are fetched "for an editor": 404 for anyone who cannot write.
    "api:support-plan-check-ins": action(SCHOOL_ONLY),
    "api:support-plan-measures": action(SCHOOL_ONLY),
    "api:action-complete": action(SCHOOL_ONLY),
    # Messages sent about a case: each reader those they may see (the unit holding the
    # live referral: the notices addressed to it), so the referred unit reads the list.
    "api:case-deliveries": detail(SHARED_READ),
    # The case's access log: its school's leads only (a referred unit gets 404 too).
    "api:case-access-log": detail(SCHOOL_ONLY),
    "api:dashboard": endpoint(default=NO_METHOD_LIST, GET=EVERYONE_SIGNED_IN),
    # Denied accesses to the school's records (issue 7): its leads only.
    "api:denial-list": endpoint(default=NO_METHOD_LIST, GET=DENIAL_READERS),
    # --- API: sign-in, directory ---
    "api:auth-token": endpoint(default=PUBLIC_NO_METHOD, POST=PUBLIC),
    "api:auth-logout": endpoint(default=NO_METHOD_LIST, POST=EVERYONE_SIGNED_IN),
    "api:organisation-list": endpoint(default=NO_METHOD_LIST, GET=EVERYONE_SIGNED_IN),
    "api:platform-list": endpoint(default=NO_METHOD_LIST, GET=EVERYONE_SIGNED_IN),
    "api:legal-basis-list": endpoint(default=NO_METHOD_LIST, GET=EVERYONE_SIGNED_IN),
    "api:removal-route-list": endpoint(default=NO_METHOD_LIST, GET=EVERYONE_SIGNED_IN),
    # --- API: referrals and takedowns ---
    # The POST body names the case; the case is looked up through the visibility
    # selectors (an empty body is a 400 for everyone: no object named, no hint).
    "api:referral-list": endpoint(
        default=NO_METHOD_LIST, GET=EVERYONE_SIGNED_IN, POST=EVERYONE_SIGNED_IN
    ),
    "api:referral-detail": detail(SHARED_READ),
    "api:referral-send": action(SCHOOL_WRITE),
    "api:referral-withdraw": action(SCHOOL_WRITE),
    "api:referral-acknowledge": action(DESTINATION_WRITE),
    "api:referral-close": action(DESTINATION_WRITE),
    "api:referral-reject": action(DESTINATION_WRITE),
    "api:takedown-list": endpoint(
        default=NO_METHOD_LIST, GET=EVERYONE_SIGNED_IN, POST=EVERYONE_SIGNED_IN
    ),
    "api:takedown-detail": detail(SHARED_READ),
    "api:takedown-submit": action(SCHOOL_WRITE),
    "api:takedown-outcome": action(SCHOOL_WRITE),
    "api:takedown-escalate": action(SCHOOL_WRITE),
    # A notice's text and PDF: whoever sees the notice (the referred unit included);
    # each download is recorded (issue 10).
    "api:takedown-notice": detail(SHARED_READ),
    "api:takedown-notice-pdf": detail(SHARED_READ),
    "api:case-takedowns-draft-all": action(SCHOOL_WRITE),
    # Reports to authorities go with the notices (evidence section).
    "api:authority-report-list": endpoint(default=NO_METHOD_LIST, GET=EVERYONE_SIGNED_IN),
    "api:authority-report-file": detail(SHARED_READ, POST=SCHOOL_WRITE),
    "api:authority-report-answer": action(SCHOOL_WRITE),
    "api:case-authority-reports": action(SCHOOL_WRITE),
    "api:cluster-list": endpoint(default=NO_METHOD_LIST, GET=EVERYONE_SIGNED_IN),
    # --- API: routing advice (internal: the school's leads) and the victims' own reports
    # (evidence section: the referred unit reads them, cannot write them) ---
    "api:case-routing": detail(SCHOOL_ONLY),
    # Suggestions are fetched "for an editor": 404 for anyone who cannot write.
    "api:routing-accept": action(SCHOOL_ONLY),
    "api:routing-dismiss": action(SCHOOL_ONLY),
    "api:case-removal-reports": detail(SHARED_READ, POST=SCHOOL_WRITE),
    "api:removal-report-detail": endpoint(default=NO_METHOD, PATCH=SCHOOL_ONLY),
    # The CyberTipline export (LAW.md §4): the school's lead or deputy only; the referred
    # unit sees the case but not this report (404, not 403: the export is the school's).
    "api:case-cybertipline": detail(SCHOOL_ONLY),
    # Recording that it was submitted (NCMEC's number): the referred unit sees the case: 403.
    "api:case-cybertipline-filed": action(SCHOOL_WRITE),
    # --- API: messages sent (the outbox) ---
    # The world's message is the referral notice to the unit's liaison: the school's lead
    # and that unit see it; only the lead may send it again (409 here: it is not failed).
    "api:delivery-list": endpoint(default=NO_METHOD_LIST, GET=EVERYONE_SIGNED_IN),
    "api:delivery-detail": detail(SHARED_READ),
    "api:delivery-retry": action(SCHOOL_WRITE),
    # --- API: statistics (aggregates of the user's own schools) ---
    "api:statistics": endpoint(default=NO_METHOD_LIST, GET=STATISTICS_READERS),
    # --- API: hash-only intake ---
    "api:evidence-upload": action(SCHOOL_WRITE),
    "api:hash": endpoint(default=SCHOOL_MEMBERS_OTHER, POST=SCHOOL_MEMBERS_WRITE),
    # --- OpenAPI schema and Swagger UI: public by decision. They describe endpoints and
    # fields, never data (the marker check proves no record appears); the API itself
    # needs a login. ---
    "schema": endpoint(default=PUBLIC_NO_METHOD, GET=PUBLIC),
    "api-docs": endpoint(default=PUBLIC_NO_METHOD, GET=PUBLIC),
    # --- Web pages ---
    # The sign-in page answers every method with the form or a redirect (signed in).
    "web:login": endpoint(default={"-": row(OK, anon=METHOD)}, GET=PUBLIC, POST=PUBLIC, PUT=PUBLIC),
    # Signing out is POST only; it ends in the sign-in page (a "login" redirect).
    "web:logout": endpoint(default=PUBLIC_NO_METHOD, POST={"-": row(LOGIN)}),
    # The second-factor step: signed-in users only (those who need none go straight on).
    "web:otp_verify": endpoint(
        default=PUBLIC_NO_METHOD, GET=EVERYONE_SIGNED_IN, POST=EVERYONE_SIGNED_IN
    ),
    # Second-factor set-up: every signed-in user, for their own account only.
    "web:otp_setup": endpoint(
        default=PUBLIC_NO_METHOD, GET=EVERYONE_SIGNED_IN, POST=EVERYONE_SIGNED_IN
    ),
    "web:dashboard": web_list(),
    "web:concern_new": endpoint(
        default=NO_METHOD_LIST,
        GET=SCHOOL_MEMBERS_WRITE,
        POST=SCHOOL_MEMBERS_WRITE,
    ),
    "web:case_list": web_list(),
    "web:case_new": endpoint(
        default=NO_METHOD_LIST,
        GET={"-": row(FORBIDDEN, lead_a=OK, lead_b=OK)},
        POST={"-": row(FORBIDDEN, lead_a=OK, lead_b=OK)},
    ),
    "web:case_detail": detail(SHARED_READ),
    "web:participant_new": web_form(SCHOOL_WRITE),
    "web:evidence_new": web_form(SCHOOL_WRITE),
    "web:case_close": web_form(SCHOOL_WRITE),
    "web:case_reopen": web_form(SCHOOL_WRITE),
    "web:guardian_contact_new": web_form(SCHOOL_WRITE),
    "web:plan_new": web_form(SCHOOL_WRITE),
    "web:check_in_new": web_form(SCHOOL_WRITE),
    "web:measure_new": web_form(SCHOOL_WRITE),
    "web:referral_new": web_form(SCHOOL_WRITE),
    "web:referral_send": web_form(SCHOOL_WRITE),
    "web:referral_withdraw": web_form(SCHOOL_WRITE),
    "web:takedown_new": web_form(SCHOOL_WRITE),
    "web:takedown_submit": web_form(SCHOOL_WRITE),
    "web:takedown_outcome": web_form(SCHOOL_WRITE),
    "web:takedown_escalate": web_form(SCHOOL_WRITE),
    "web:routing_accept": web_form(SCHOOL_WRITE),
    "web:routing_dismiss": web_form(SCHOOL_WRITE),
    "web:removal_report_new": web_form(SCHOOL_WRITE),
    "web:removal_report_update": web_form(SCHOOL_WRITE),
    "web:takedown_notice": detail(SHARED_READ),
    "web:takedown_notice_pdf": detail(SHARED_READ),
    "web:takedowns_draft_all": web_form(SCHOOL_WRITE),
    "web:authority_report_new": web_form(SCHOOL_WRITE),
    "web:authority_report_file": web_form(SCHOOL_WRITE),
    "web:authority_report_answer": web_form(SCHOOL_WRITE),
    "web:case_cybertipline": detail(SCHOOL_ONLY),
    "web:cybertipline_filed": web_form(SCHOOL_WRITE),
    "web:referral_inbox": web_list(),
    "web:referral": detail(SHARED_READ),
    "web:referral_acknowledge": web_form(DESTINATION_WRITE),
    "web:referral_close": web_form(DESTINATION_WRITE),
    "web:referral_reject": web_form(DESTINATION_WRITE),
    # "Send again" (409 for the world's message, which is not failed).
    "web:delivery_retry": web_form(SCHOOL_WRITE),
    "web:clusters": web_list(),
    "web:statistics": endpoint(default=NO_METHOD_LIST, GET=STATISTICS_READERS),
    "web:denials": endpoint(default=NO_METHOD_LIST, GET=DENIAL_READERS),
    # Issue 10: the referral packet (LAW.md §2), PDF and JSON: the school's lead, and the
    # destination's liaison while the referral is live (cut to what it shares).
    "web:referral_packet_pdf": detail(SHARED_READ),
    "web:referral_packet_json": detail(SHARED_READ),
    "api:referral-packet-pdf": detail(SHARED_READ),
    "api:referral-packet-json": detail(SHARED_READ),
}

# What each URL does in the terms of ``cases.permissions.POLICY``: (resource, ability)
# per method. ``tests/test_role_policy.py`` checks that the outcomes above grant exactly
# what the policy grants each persona's role; every object URL must be listed, and so
# must every method on a URL with no object where some persona gets through (except
# lists and sign-in, which answer everyone with what they may see).
R, AB = Resource, Ability
POLICY_OF: dict[str, dict[str, tuple[Resource, Ability]]] = {
    "api:people": {"POST": (R.PERSON, AB.CREATE)},
    "api:person-detail": {"GET": (R.PERSON, AB.VIEW)},
    "api:concerns": {"POST": (R.CONCERN, AB.CREATE)},
    "api:concern-detail": {"GET": (R.CONCERN, AB.VIEW)},
    "api:cases": {"POST": (R.CASE, AB.CREATE)},
    "api:case-detail": {"GET": (R.CASE, AB.VIEW), "PATCH": (R.CASE, AB.CHANGE)},
    "api:case-close": {"POST": (R.CASE, AB.CHANGE)},
    "api:case-reopen": {"POST": (R.CASE, AB.CHANGE)},
    "api:case-participants": {
        "GET": (R.PARTICIPANT, AB.VIEW),
        "POST": (R.PARTICIPANT, AB.CREATE),
    },
    "api:case-evidence": {"GET": (R.EVIDENCE, AB.VIEW), "POST": (R.EVIDENCE, AB.CREATE)},
    "api:case-events": {"GET": (R.CHRONOLOGY, AB.VIEW)},
    "api:case-support-plans": {"GET": (R.SUPPORT, AB.VIEW), "POST": (R.SUPPORT, AB.CREATE)},
    "api:case-guardian-contacts": {
        "GET": (R.GUARDIAN_CONTACT, AB.VIEW),
        "POST": (R.GUARDIAN_CONTACT, AB.CREATE),
    },
    "api:case-actions": {"GET": (R.ACTION, AB.VIEW), "POST": (R.ACTION, AB.CREATE)},
    "api:support-plan-check-ins": {"POST": (R.SUPPORT, AB.CHANGE)},
    "api:support-plan-measures": {"POST": (R.SUPPORT, AB.CHANGE)},
    "api:action-complete": {"POST": (R.ACTION, AB.CHANGE)},
    "api:case-access-log": {"GET": (R.ACCESS_LOG, AB.VIEW)},
    "api:case-deliveries": {"GET": (R.DELIVERY, AB.VIEW)},
    "api:delivery-detail": {"GET": (R.DELIVERY, AB.VIEW)},
    "api:delivery-retry": {"POST": (R.DELIVERY, AB.CHANGE)},
    "api:denial-list": {"GET": (R.DENIALS, AB.VIEW)},
    "api:referral-detail": {"GET": (R.REFERRAL, AB.VIEW)},
    "api:referral-send": {"POST": (R.REFERRAL, AB.CHANGE)},
    "api:referral-withdraw": {"POST": (R.REFERRAL, AB.CHANGE)},
    "api:referral-acknowledge": {"POST": (R.REFERRAL, AB.RESPOND)},
    "api:referral-close": {"POST": (R.REFERRAL, AB.RESPOND)},
    "api:referral-reject": {"POST": (R.REFERRAL, AB.RESPOND)},
    "api:takedown-detail": {"GET": (R.TAKEDOWN, AB.VIEW)},
    "api:takedown-submit": {"POST": (R.TAKEDOWN, AB.CHANGE)},
    "api:takedown-outcome": {"POST": (R.TAKEDOWN, AB.CHANGE)},
    "api:takedown-escalate": {"POST": (R.TAKEDOWN, AB.CHANGE)},
    "api:takedown-notice": {"GET": (R.TAKEDOWN, AB.VIEW)},
    "api:takedown-notice-pdf": {"GET": (R.TAKEDOWN, AB.VIEW)},
    "api:case-takedowns-draft-all": {"POST": (R.TAKEDOWN, AB.CREATE)},
    "api:authority-report-file": {
        "GET": (R.AUTHORITY_REPORT, AB.VIEW),
        "POST": (R.AUTHORITY_REPORT, AB.CHANGE),
    },
    "api:case-authority-reports": {"POST": (R.AUTHORITY_REPORT, AB.CREATE)},
    "api:authority-report-answer": {"POST": (R.AUTHORITY_REPORT, AB.CHANGE)},
    "api:statistics": {"GET": (R.STATISTICS, AB.VIEW)},
    "api:case-routing": {"GET": (R.ROUTING, AB.VIEW)},
    "api:routing-accept": {"POST": (R.ROUTING, AB.CHANGE)},
    "api:routing-dismiss": {"POST": (R.ROUTING, AB.CHANGE)},
    "api:case-removal-reports": {
        "GET": (R.REMOVAL_REPORT, AB.VIEW),
        "POST": (R.REMOVAL_REPORT, AB.CREATE),
    },
    "api:removal-report-detail": {"PATCH": (R.REMOVAL_REPORT, AB.CHANGE)},
    "api:evidence-upload": {"POST": (R.EVIDENCE, AB.CREATE)},
    # Hashing a file in memory (nothing kept) serves whoever may log a concern: staff
    # hash what they were shown, to report it without keeping it.
    "api:hash": {"POST": (R.CONCERN, AB.CREATE)},
    "web:concern_new": {"GET": (R.CONCERN, AB.CREATE), "POST": (R.CONCERN, AB.CREATE)},
    "web:case_new": {"GET": (R.CASE, AB.CREATE), "POST": (R.CASE, AB.CREATE)},
    "web:case_detail": {"GET": (R.CASE, AB.VIEW)},
    "web:statistics": {"GET": (R.STATISTICS, AB.VIEW)},
    "web:denials": {"GET": (R.DENIALS, AB.VIEW)},
    "web:referral": {"GET": (R.REFERRAL, AB.VIEW)},
    "web:takedown_notice": {"GET": (R.TAKEDOWN, AB.VIEW)},
    "web:takedown_notice_pdf": {"GET": (R.TAKEDOWN, AB.VIEW)},
    # Generating the CyberTipline report: a report to an authority (NCMEC).
    "api:case-cybertipline": {"GET": (R.AUTHORITY_REPORT, AB.CREATE)},
    "web:case_cybertipline": {"GET": (R.AUTHORITY_REPORT, AB.CREATE)},
    "api:case-cybertipline-filed": {"POST": (R.AUTHORITY_REPORT, AB.CREATE)},
    "web:referral_packet_pdf": {"GET": (R.REFERRAL, AB.VIEW)},
    "web:referral_packet_json": {"GET": (R.REFERRAL, AB.VIEW)},
    "api:referral-packet-pdf": {"GET": (R.REFERRAL, AB.VIEW)},
    "api:referral-packet-json": {"GET": (R.REFERRAL, AB.VIEW)},
}
for _name, _grant in (
    ("web:participant_new", (R.PARTICIPANT, AB.CREATE)),
    ("web:evidence_new", (R.EVIDENCE, AB.CREATE)),
    ("web:case_close", (R.CASE, AB.CHANGE)),
    ("web:case_reopen", (R.CASE, AB.CHANGE)),
    ("web:guardian_contact_new", (R.GUARDIAN_CONTACT, AB.CREATE)),
    ("web:plan_new", (R.SUPPORT, AB.CREATE)),
    ("web:check_in_new", (R.SUPPORT, AB.CHANGE)),
    ("web:measure_new", (R.SUPPORT, AB.CHANGE)),
    ("web:referral_new", (R.REFERRAL, AB.CREATE)),
    ("web:referral_send", (R.REFERRAL, AB.CHANGE)),
    ("web:referral_withdraw", (R.REFERRAL, AB.CHANGE)),
    ("web:takedown_new", (R.TAKEDOWN, AB.CREATE)),
    ("web:takedown_submit", (R.TAKEDOWN, AB.CHANGE)),
    ("web:takedown_outcome", (R.TAKEDOWN, AB.CHANGE)),
    ("web:takedown_escalate", (R.TAKEDOWN, AB.CHANGE)),
    ("web:takedowns_draft_all", (R.TAKEDOWN, AB.CREATE)),
    ("web:authority_report_new", (R.AUTHORITY_REPORT, AB.CREATE)),
    ("web:authority_report_file", (R.AUTHORITY_REPORT, AB.CHANGE)),
    ("web:authority_report_answer", (R.AUTHORITY_REPORT, AB.CHANGE)),
    ("web:referral_acknowledge", (R.REFERRAL, AB.RESPOND)),
    ("web:referral_close", (R.REFERRAL, AB.RESPOND)),
    ("web:referral_reject", (R.REFERRAL, AB.RESPOND)),
    ("web:delivery_retry", (R.DELIVERY, AB.CHANGE)),
    ("web:routing_accept", (R.ROUTING, AB.CHANGE)),
    ("web:routing_dismiss", (R.ROUTING, AB.CHANGE)),
    ("web:removal_report_new", (R.REMOVAL_REPORT, AB.CREATE)),
    ("web:removal_report_update", (R.REMOVAL_REPORT, AB.CHANGE)),
    ("web:cybertipline_filed", (R.AUTHORITY_REPORT, AB.CREATE)),
):
    # A web form: GET shows it, POST submits it, under the same rule.
    POLICY_OF[_name] = {"GET": _grant, "POST": _grant}

# What each persona's responses may contain (marker kinds of ``access_world.MARKERS``):
# a referred unit sees the case title, the referral, and the shared sections
# (chronology, evidence → evidence items and takedown notices); staff see the concerns
# they logged; a head sees statistics only.
SCHOOL_ALL = frozenset(
    {
        "case",
        "summary",
        "pupil",
        "guardian",
        "concern",
        "evidence",
        "plan",
        "measure",
        "checkin",
        "contact",
        "action",
        "referral",
        "takedown",
    }
)
REFERRED = frozenset({"case", "referral", "evidence", "takedown"})
MARKERS_ALLOWED = {
    "lead_a": {("A", k) for k in SCHOOL_ALL},
    "lead_b": {("B", k) for k in SCHOOL_ALL},
    "staff_a": {("A", "concern")},
    "head_a": set(),
    "police": {("A", k) for k in REFERRED},
    "other_police": {("B", k) for k in REFERRED},
    "anon": set(),
}


def expected(name: str, method: str, persona: str, owner: str) -> str:
    """The outcome class expected for one request (``KeyError`` if undeclared)."""
    return EXPECTATIONS[name][method][owner][persona]


def allowed_markers(persona: str) -> set[tuple[str, str]]:
    return MARKERS_ALLOWED[persona]


def sees(persona: str, name: str, owner: str) -> bool:
    """Whether ``persona`` can see the object of ``owner`` named in URL ``name``: some
    GET of the same object kind answers ``ok`` (used to check every ``forbidden``)."""
    return any(EXPECTATIONS[n]["GET"].get(owner, {}).get(persona) == OK for n in SAME_OBJECT[name])


def _kind(route_name: str) -> str:
    for prefix, kind in (
        ("api:referral", "referral"),
        ("web:referral", "referral"),
        ("api:takedown", "case"),
        ("web:takedown", "case"),
        ("api:support-plan", "case"),
        ("api:action", "case"),
        ("api:person", "person"),
        ("api:deliver", "delivery"),
        ("web:deliver", "delivery"),
        ("api:concern", "concern"),
    ):
        if route_name.startswith(prefix):
            return kind
    return "case"


# URLs grouped by the kind of object they act on: a 403 on one of them is allowed only
# if a GET of that kind shows the object to the persona.
SAME_OBJECT = {
    name: [n for n in EXPECTATIONS if _kind(n) == _kind(name) and n not in {"api:referral-list"}]
    for name in EXPECTATIONS
}


def markdown() -> str:
    """``docs/access.md``: the role policy (``cases.permissions``), then every URL ×
    persona × method from ``EXPECTATIONS``."""
    short = {OK: "✔", NOT_FOUND: "404", FORBIDDEN: "403", LOGIN: "login", METHOD: "—"}
    lines = [
        "# Access matrix",
        "",
        "Generated (run `python -m tests.access_expectations > docs/access.md`); "
        "`tests/test_access_matrix.py` checks that this file is current.",
        "",
        "## Roles",
        "",
        "What each role may do on each resource, from `cases/permissions.py` (`POLICY`), "
        "the module the selectors, permission classes and second-factor rule take their "
        "role sets from. A role is held per organisation: *own school* means the schools "
        "where the user holds that role. *Referred to their unit*: cases with a live (sent "
        "or acknowledged) referral to the user's unit, and of them only the sections the "
        "referral shares (the case record itself comes with any live referral); "
        "withdrawing or closing the referral ends it at once. Anything outside a scope "
        "answers 404, like a record that does not exist. A Django superuser is an "
        "operator, not a role: no case data without a membership. Second factor required "
        "for: "
        + ", ".join(f"`{r.value}`" for r in sorted(permissions.SECOND_FACTOR_ROLES))
        + " (and every staff user and superuser: the admin site).",
        "",
        permissions.markdown(),
        "",
        "## Every URL, persona and method",
        "",
        "From `tests/access_expectations.py`; `tests/test_access_matrix.py` requests every "
        "cell and fails on any difference, and `tests/test_role_policy.py` checks each "
        "cell against the roles above.",
        "",
        "✔ allowed (2xx/3xx, or a 400/409 validation answer) · 404 not found (same as "
        '"does not exist") · 403 refused (only where the object is visible) · login: '
        "sign-in required · — method not allowed. `A`/`B`: object of school A / B. "
        "Police = liaison of the unit holding A's live referral (chronology + evidence); "
        "other police = liaison of the unit holding B's. A cell `x/y` gives the outcome on "
        "A's object / B's object.",
        "",
        "| URL | method | " + " | ".join(PERSONAS) + " |",
        "|---|---|" + "---|" * len(PERSONAS),
    ]
    for name, methods in EXPECTATIONS.items():
        for method, owners in methods.items():
            outcomes = {v for personas in owners.values() for v in personas.values()}
            if method != "GET" and outcomes <= {METHOD, LOGIN}:
                continue
            cells = " | ".join("/".join(short[owners[o][p]] for o in owners) for p in PERSONAS)
            lines.append(f"| `{name}` | {method} | {cells} |")
    lines += [
        "",
        "Methods not listed answer 405 (after sign-in). Excluded from the matrix: "
        + "; ".join(f"`{k}` ({v})" for k, v in EXCLUDED_PREFIXES.items())
        + ".",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
