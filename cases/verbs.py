"""What the audit rows say happened: ``CaseVerb`` for writes (``CaseEvent.verb``, the
chronology) and ``AccessAction`` for reads (``AccessEvent.action``).

This module is the one statement of the audit vocabulary: each value with its label in
the reader's language. ``cases.audit.record_case_event`` and ``record_access`` refuse a
value declared nowhere here (``ValueError``), so a misspelt verb fails the tests instead
of writing a chronology line no page can name. The values are the strings stored since
the first rows (dotted, ``<record>.<what happened>``), so no row needed migrating, and
the fields keep no ``choices``: a retired verb must stay readable in old rows.

The section of a chronology verb is not declared again here: it comes from the part of
a case whose records the verb is about (``cases.permissions.CASE_PARTS``, ADR 0009),
through ``cases.permissions.event_section``; ``CaseVerb.section`` reads it. A verb whose
prefix no part names (accounts, actions, the demo marker) is ``internal``: never shown
outside the school.

Imports no model, so any layer (models, policy, faces) may name a verb.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.permissions import event_section


class CaseVerb(models.TextChoices):
    """A write to the case file or an account: the verb of a ``CaseEvent`` row."""

    # The case itself, and the first reports it grew from.
    CASE_OPENED = "case.opened", _("Case opened")
    CASE_UPDATED = "case.updated", _("Case updated")
    CASE_CLOSED = "case.closed", _("Case closed")
    CASE_REOPENED = "case.reopened", _("Case reopened")
    CONCERN_LOGGED = "concern.logged", _("Concern logged")
    CONCERN_LINKED = "concern.linked", _("Concern linked to the case")
    # People and their roles in a case.
    PERSON_CREATED = "person.created", _("Person recorded")
    PARTICIPANT_ADDED = "participant.added", _("Person added")
    # Evidence (metadata and hashes only) and the takedown notices that list it.
    EVIDENCE_RECORDED = "evidence.recorded", _("Evidence recorded")
    TAKEDOWN_CREATED = "takedown.created", _("Takedown notice drafted")
    TAKEDOWN_SUBMITTED = "takedown.submitted", _("Takedown notice submitted")
    # ``takedown.<outcome>``: the platform's answer (``reporting.models.TAKEDOWN_OUTCOMES``).
    TAKEDOWN_ACKNOWLEDGED = "takedown.acknowledged", _("Platform acknowledged the notice")
    TAKEDOWN_REMOVED = "takedown.removed", _("Content removed")
    TAKEDOWN_REFUSED = "takedown.refused", _("Platform refused removal")
    TAKEDOWN_OVERDUE = "takedown.overdue", _("Takedown notice overdue")
    TAKEDOWN_ESCALATED = "takedown.escalated", _("Takedown notice escalated")
    # Reports to regulators and hotlines (``reporting.models.AuthorityReport``): drafted
    # by hand or once when a notice goes overdue or is refused, then filed by a person.
    AUTHORITY_REPORT_DRAFTED = "authority_report.drafted", _("Report to an authority drafted")
    AUTHORITY_REPORT_FILED = "authority_report.filed", _("Report to an authority filed")
    AUTHORITY_REPORT_ANSWERED = "authority_report.answered", _("Authority answered")
    # What the victim chose to share of their own removal report (Take It Down…).
    REMOVAL_REPORT_RECORDED = "removal_report.recorded", _("Victim's own report recorded")
    REMOVAL_REPORT_UPDATED = "removal_report.updated", _("Victim's own report updated")
    # Routing advice (``reporting.routing``): where the case should go, and the lead's
    # decision on it.
    ROUTING_SUGGESTED = "routing.suggested", _("Routing advice given")
    ROUTING_ACCEPTED = "routing.accepted", _("Routing advice accepted")
    ROUTING_DISMISSED = "routing.dismissed", _("Routing advice dismissed")
    ROUTING_LAPSED = "routing.lapsed", _("Routing advice no longer applies")
    # Documents made for someone outside the school, with their SHA-256.
    DOCUMENT_GENERATED = "document.generated", _("Document generated")
    # Referrals to the police, a prosecutor or social services.
    REFERRAL_CREATED = "referral.created", _("Referral drafted")
    REFERRAL_PHONED = "referral.phoned", _("Urgent referral made by phone")
    REFERRAL_SENT = "referral.sent", _("Referral sent")
    REFERRAL_ACKNOWLEDGED = "referral.acknowledged", _("Referral acknowledged")
    REFERRAL_CLOSED = "referral.closed", _("Referral closed")
    REFERRAL_WITHDRAWN = "referral.withdrawn", _("Referral withdrawn")
    REFERRAL_REJECTED = "referral.rejected", _("Referral declined")
    # Support of the victims, and contacts with their parents.
    SUPPORT_PLAN_CREATED = "support_plan.created", _("Support plan created")
    SUPPORT_MEASURE_ADDED = "support_measure.added", _("Support measure added")
    CHECK_IN_RECORDED = "check_in.recorded", _("Check-in recorded")
    GUARDIAN_CONTACTED = "guardian.contacted", _("Parent or guardian contacted")
    # The school's own to-do list on a case.
    ACTION_CREATED = "action.created", _("Action created")
    ACTION_COMPLETED = "action.completed", _("Action completed")
    # Messages that left Salvaguarda (``outbox``): a delivery that failed after its last
    # attempt, and a lead's retry of it.
    DELIVERY_FAILED = "delivery.failed", _("Delivery failed")
    DELIVERY_RETRIED = "delivery.retried", _("Delivery retried")
    # Accounts (``accounts.services``, ``accounts.second_factor``): filed under the
    # user's organisations, on no case.
    MEMBERSHIP_GRANTED = "membership.granted", _("Role granted")
    MEMBERSHIP_REVOKED = "membership.revoked", _("Role revoked")
    MEMBERSHIP_ROLE_CHANGED = "membership.role_changed", _("Role changed")
    USER_FLAGS_CHANGED = "user.flags_changed", _("Account status changed")
    USER_PERMISSIONS_CHANGED = "user.permissions_changed", _("Account permissions changed")
    USER_PASSWORD_SET = "user.password_set", _("Password set")
    USER_LANGUAGE_SET = "user.language_set", _("Language chosen")
    USER_SECOND_FACTOR_ENROLLED = "user.second_factor_enrolled", _("Second factor set up")
    USER_SECOND_FACTOR_RESET = "user.second_factor_reset", _("Second factor reset")
    GROUP_PERMISSIONS_CHANGED = "group.permissions_changed", _("Group permissions changed")
    GROUP_DELETED = "group.deleted", _("Group deleted")
    # The demo scenario's marker row (``demo.loader``).
    SCENARIO_LOADED = "scenario.loaded", _("Demo scenario loaded")

    @property
    def section(self) -> str:
        """The case section whose readers see this verb's chronology lines
        (``cases.permissions.event_section``)."""
        return event_section(self.value)


class AccessAction(models.TextChoices):
    """What was read: the action of an ``AccessEvent`` row (DESIGN rule 3)."""

    DASHBOARD = "dashboard", _("Dashboard")
    CASE_LIST = "case.list", _("Case list")
    CASE_DETAIL = "case.detail", _("Case page")
    CASE_FORM = "case.form", _("Case form")
    CASE_PARTICIPANTS = "case.participants", _("People and roles of a case")
    CASE_EVIDENCE = "case.evidence", _("Evidence of a case")
    CASE_EVENTS = "case.events", _("Chronology of a case")
    CASE_SUPPORT_PLANS = "case.support_plans", _("Support plans of a case")
    CASE_GUARDIAN_CONTACTS = "case.guardian_contacts", _("Contacts with parents of a case")
    CASE_ACTIONS = "case.actions", _("Actions of a case")
    CASE_CLUSTERS = "case.clusters", _("Linked cases")
    CASE_ACCESS_LOG = "case.access_log", _("Access log of a case")
    CONCERN_LIST = "concern.list", _("Concern list")
    CONCERN_DETAIL = "concern.detail", _("Concern")
    PERSON_LIST = "person.list", _("People of the school")
    PERSON_DETAIL = "person.detail", _("Person")
    REFERRAL_LIST = "referral.list", _("Referral list")
    REFERRAL_DETAIL = "referral.detail", _("Referral")
    REFERRAL_FORM = "referral.form", _("Referral form")
    TAKEDOWN_LIST = "takedown.list", _("Takedown notice list")
    TAKEDOWN_DETAIL = "takedown.detail", _("Takedown notice")
    # Documents downloaded (DESIGN rule 3: every download audited).
    REFERRAL_PACKET = "referral.packet", _("Referral packet downloaded")
    TAKEDOWN_NOTICE_TEXT = "takedown.notice", _("Takedown notice text downloaded")
    AUTHORITY_REPORT_LIST = "authority_report.list", _("Reports to authorities")
    AUTHORITY_REPORT_DETAIL = "authority_report.detail", _("Report to an authority")
    AUTHORITY_REPORT_DOCUMENT = "authority_report.document", _("Report to an authority downloaded")
    CYBERTIPLINE_EXPORT = "case.cybertipline", _("CyberTipline export downloaded")
    CASE_ROUTING = "case.routing", _("Routing advice of a case")
    CASE_REMOVAL_REPORTS = "case.removal_reports", _("Victim's own reports of a case")
    DENIAL_LIST = "denial.list", _("Denied requests")
    # Messages that left Salvaguarda (``casefile.deliveries``): what was sent to whom.
    CASE_DELIVERIES = "case.deliveries", _("Messages sent about a case")
    DELIVERY_LIST = "delivery.list", _("Messages sent")
    DELIVERY_DETAIL = "delivery.detail", _("Message sent")
    # The admin's case-data pages: ``admin.<CaseDataAdmin.audit_name>.<page>``
    # (``cases.admin_site.CaseDataAdmin.record_read``).
    ADMIN_CASE_LIST = "admin.case.list", _("Admin: case list")
    ADMIN_CASE_VIEW = "admin.case.view", _("Admin: case")
    ADMIN_CASE_AUTOCOMPLETE = "admin.case.autocomplete", _("Admin: case search")
    ADMIN_REFERRAL_LIST = "admin.referral.list", _("Admin: referral list")
    ADMIN_REFERRAL_VIEW = "admin.referral.view", _("Admin: referral")
    ADMIN_REFERRAL_AUTOCOMPLETE = "admin.referral.autocomplete", _("Admin: referral search")
    ADMIN_TAKEDOWN_LIST = "admin.takedown.list", _("Admin: takedown notice list")
    ADMIN_TAKEDOWN_VIEW = "admin.takedown.view", _("Admin: takedown notice")
    ADMIN_TAKEDOWN_AUTOCOMPLETE = "admin.takedown.autocomplete", _("Admin: takedown notice search")


def verb_label(verb: str) -> str:
    """The label of a stored ``CaseEvent.verb`` in the current language; a value no
    longer declared (a retired verb in an old row) as it is."""
    try:
        return str(CaseVerb(verb).label)
    except ValueError:
        return verb


def access_label(action: str) -> str:
    """The label of a stored ``AccessEvent.action`` in the current language; a value no
    longer declared as it is."""
    try:
        return str(AccessAction(action).label)
    except ValueError:
        return action
