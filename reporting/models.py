"""Everything that leaves the school: police referrals, platform takedown notices, the
platform and legal-basis directory (as data), and the deadline clocks."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cases.models import Case, EvidenceItem, Organisation, Person, User
from cases.permissions import SharedSection
from cases.validators import validate_visible


class Bilingual:
    """A directory row whose name (and citation) is kept in Spanish and English: the
    pages, notices and packets show the one of the active language (``name``)."""

    name_es: str
    name_en: str

    @property
    def name(self) -> str:
        return _in_language(self.name_es, self.name_en)


def _in_language(es: str, en: str) -> str:
    """``es`` when the active language is Spanish (or ``en`` is blank), else ``en``."""
    if (translation.get_language() or "es").startswith("es"):
        return es or en
    return en or es


class LegalBasis(Bilingual, models.Model):
    """A law a takedown notice rests on (``purpose`` removal: a platform's duty to
    remove, with its clock), or an offence that makes the content illegal (``purpose``
    offence: cited in a notice's statement of illegality, DSA art. 16(2)(a), and in
    referral packets). Sources: ``../shared/LAW.md`` §1 and §3; each row's ``source``.

    ``jurisdiction`` (``US``, ``GB``, ``EU``, ``ES``…) is where the law applies: a school
    is offered a basis only when its own jurisdiction is in it
    (``reporting.jurisdictions.covers``), and a platform only when the platform is
    subject to it (``Platform.legal_bases``). ``deadline_hours`` is the removal deadline
    counted from submission; when ``statutory`` is false the law says "without undue
    delay" (EU DSA art. 16) and the hours are the school's follow-up target, editable in
    the admin. ``status`` says whether the law is in force, passed but not yet commenced
    (unconfirmed: shown so, LAW.md), or a draft (never offered: ``enabled`` false).
    """

    class Purpose(models.TextChoices):
        REMOVAL = "removal", _("Removal duty of the platform")
        OFFENCE = "offence", _("Offence (why the content is illegal)")

    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("In force")
        COMMENCEMENT_UNCONFIRMED = "unconfirmed", _("Enacted; commencement not yet confirmed")
        NOT_ENACTED = "not_enacted", _("Draft: not enacted")

    code = models.SlugField(unique=True)
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.REMOVAL
    )
    # Blank Spanish: the English is shown (``Bilingual``).
    name_es = models.CharField(
        _("name (Spanish)"), max_length=200, blank=True, default="", validators=[validate_visible]
    )
    name_en = models.CharField(_("name (English)"), max_length=200, validators=[validate_visible])
    citation_es = models.CharField(_("citation (Spanish)"), max_length=300, blank=True, default="")
    citation_en = models.CharField(_("citation (English)"), max_length=300)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=6)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.IN_FORCE
    )
    enabled = models.BooleanField(_("offered in forms"), default=True)
    deadline_hours = models.PositiveIntegerField(_("deadline (hours)"), null=True, blank=True)
    statutory = models.BooleanField(_("deadline set by law"), default=True)
    escalation_to = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalate to"),
    )
    source = models.CharField(_("source"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("legal basis")
        verbose_name_plural = _("legal bases")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="not_enacted") | Q(enabled=False),
                name="legal_basis_draft_disabled",
            ),
            models.CheckConstraint(
                condition=~Q(purpose="removal") | Q(deadline_hours__isnull=False),
                name="legal_basis_removal_has_clock",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.citation})"

    @property
    def citation(self) -> str:
        return _in_language(self.citation_es, self.citation_en)

    @property
    def commencement_unconfirmed(self) -> bool:
        return self.status == self.Status.COMMENCEMENT_UNCONFIRMED

    def deadline_from(self, submitted_at: datetime) -> datetime:
        """Return the UTC deadline for a notice submitted at ``submitted_at``."""
        return submitted_at + timedelta(hours=self.deadline_hours or 0)


class Platform(models.Model):
    """An online service where images spread, with how to report to it and the laws it
    must answer under (``legal_bases``: only removal duties it is subject to).

    ``required_identifiers`` lists the identifiers its report form asks for (keys of
    ``reporting.identifiers.IDENTIFIER_LABELS``, e.g. ``["group_invite_link",
    "phone_number"]``); a notice lists them for each item.
    """

    class Channel(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        IN_APP = "in_app", _("In-app report")
        EMAIL = "email", _("Email")
        API = "api", _("API")

    class Kind(models.TextChoices):
        MESSAGING = "messaging", _("Messaging")
        SOCIAL = "social", _("Social network")
        VIDEO = "video", _("Video sharing")
        ADULT = "adult", _("Adult-content platform")
        FORUM = "forum", _("Forum")
        NUDIFY = "nudify", _("Nudify app or site")

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True, validators=[validate_visible])
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SOCIAL)
    operator = models.CharField(_("operator"), max_length=200, blank=True)
    report_channel = models.CharField(_("report channel"), max_length=10, choices=Channel.choices)
    report_url = models.URLField(_("report address"), blank=True)
    report_email = models.EmailField(_("report email"), blank=True)
    required_identifiers = models.JSONField(_("required identifiers"), default=list, blank=True)
    legal_bases = models.ManyToManyField(
        LegalBasis,
        related_name="platforms",
        blank=True,
        verbose_name=_("legal bases it must answer under"),
    )
    notes = models.TextField(_("notes"), blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RemovalRoute(Bilingual, models.Model):
    """A route the victim (or their family) can use themselves to have images removed:
    NCMEC Take It Down (anyone depicted under 18), IWF/Childline Report Remove (UK,
    under 18), StopNCII (adults), the AEPD Canal Prioritario (Spain; 14+ may report
    themselves), INCIBE 017 (Spain, help line). Signposted, never used on the child's
    behalf (LAW.md §3): the school records only the case number, date and status the
    victim chooses to share (:class:`RemovalRouteReport`).

    ``min_age``/``max_age`` (years, inclusive; blank: no bound) say who may use it;
    ``jurisdiction`` where (``""``: anywhere).
    """

    code = models.SlugField(unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="removal_routes"
    )
    name_es = models.CharField(_("name (Spanish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_es = models.TextField(_("description (Spanish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    url = models.URLField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=6, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("victim's own removal route")
        verbose_name_plural = _("victims' own removal routes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def description(self) -> str:
        return _in_language(self.description_es, self.description_en)

    def fits_age(self, age: int | None) -> bool:
        """Whether a person of ``age`` (years; ``None``: unknown, fits) may use it."""
        if age is None:
            return True
        if self.min_age is not None and age < self.min_age:
            return False
        return self.max_age is None or age <= self.max_age


class RemovalRouteReport(models.Model):
    """What the victim chose to tell the school of their own report through a
    :class:`RemovalRoute`: its case number, date and status. Never a submission on
    their behalf (LAW.md §3); shown in the referral packet's "actions so far" (§2.7)."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        IN_PROGRESS = "in_progress", _("In progress")
        REMOVED = "removed", _("Removed")
        CLOSED = "closed", _("Closed without removal")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="removal_reports")
    victim = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    route = models.ForeignKey(RemovalRoute, on_delete=models.PROTECT, related_name="+")
    case_number = models.CharField(_("case number"), max_length=100, blank=True)
    reported_on = models.DateField(_("reported on"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REPORTED
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("victim's own report")
        verbose_name_plural = _("victims' own reports")
        ordering = ["reported_on", "id"]

    def __str__(self) -> str:
        return f"{self.route} · {self.case_number or '—'}"


class GuardianPosition(models.TextChoices):
    """What the victim's parents or guardians know of a referral or notice."""

    CONSENTED = "consented", _("Consented")
    INFORMED = "informed", _("Informed")
    NOT_ASKED = "not_asked", _("Not asked (reason recorded)")


# An urgent referral phoned in is confirmed in writing within this many hours (LAW.md §2).
WRITTEN_CONFIRMATION_HOURS = 24


class Referral(models.Model):
    """A case referred to a police unit, prosecutor or social services.

    Statuses: draft → sent → acknowledged (with the external reference, e.g. the
    atestado number) → closed (with an outcome); sent/acknowledged → rejected;
    draft/sent → withdrawn. See ``reporting.services.REFERRAL_TRANSITIONS``.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLOSED = "closed", _("Closed")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # What a referral can share: the shareable sections of the policy module.
    Section = SharedSection

    class Basis(models.TextChoices):
        CONSENT = "consent", _("Consent of the child and guardians")
        LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation to report")
        VITAL_INTERESTS = "vital_interests", _("Vital interests of the child")
        PUBLIC_TASK = "public_task", _("Public task")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    destination = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="received_referrals"
    )
    complainant = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.DRAFT
    )
    summary = models.TextField(_("summary"), max_length=10000)
    shared_sections = models.JSONField(_("shared sections"), default=list)
    legal_basis = models.CharField(
        _("legal basis for sharing"), max_length=20, choices=Basis.choices
    )
    legal_basis_note = models.CharField(_("legal basis note"), max_length=500, blank=True)
    # Whether the victim's guardians know of the referral or consented, and why not
    # where not (LAW.md §2.2: a guardian may be the risk; UKCIS 2024).
    # Blank: not recorded (referrals drafted before issue 10); forms require it.
    guardians = models.CharField(
        _("parents or guardians"),
        max_length=12,
        choices=GuardianPosition.choices,
        blank=True,
        default="",
    )
    guardians_note = models.CharField(
        _("why the parents or guardians were not asked"), max_length=1000, blank=True
    )
    # An urgent referral is made by phone first and confirmed in writing within 24 h
    # (LAW.md §2, local MARF practice): the call's time and who took it; the written
    # confirmation is the referral's ``sent_at``.
    phoned_at = models.DateTimeField(_("phoned at"), null=True, blank=True)
    phoned_to = models.CharField(_("call taken by"), max_length=200, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    external_reference = models.CharField(_("external reference"), max_length=100, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(_("outcome"), max_length=5000, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["destination", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="acknowledged") | ~Q(external_reference=""),
                name="referral_acknowledged_has_reference",
            ),
            models.CheckConstraint(
                condition=~Q(guardians="not_asked") | ~Q(guardians_note=""),
                name="referral_guardians_not_asked_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} → {self.destination}"

    @property
    def confirmation_due_at(self) -> datetime | None:
        """When the written confirmation of a phoned referral is due (UTC): 24 h after
        the call (LAW.md §2); ``None`` when it was not phoned first."""
        if self.phoned_at is None:
            return None
        return self.phoned_at + timedelta(hours=WRITTEN_CONFIRMATION_HOURS)


# Referral statuses during which the destination may see the case (DESIGN rule 2:
# "while the referral is live"); the grant in ``reporting.extensions`` reads them.
LIVE_REFERRAL_STATUSES = (Referral.Status.SENT, Referral.Status.ACKNOWLEDGED)
# Referral statuses that keep a case from being closed: still the school's work, or
# still in the destination's hands.
OPEN_REFERRAL_STATUSES = (
    Referral.Status.DRAFT,
    Referral.Status.SENT,
    Referral.Status.ACKNOWLEDGED,
)


class RequesterRelationship(models.TextChoices):
    """Who signs a takedown notice for the person depicted (TAKE IT DOWN
    §223a(a)(1)(B)(i): the individual or an authorised person acting on their behalf;
    for a minor a parent or guardian, or the school with their consent)."""

    SELF = "self", _("The person depicted")
    GUARDIAN = "guardian", _("Parent or guardian of the person depicted")
    SCHOOL_WITH_CONSENT = "school_consent", _("The school, with the guardians' consent")
    SCHOOL_DUTY = "school_duty", _("The school, under its duty to protect the child")


class TakedownRequest(models.Model):
    """A notice asking a platform to remove content, with its legal basis and clock.

    ``deadline_at`` (UTC) = ``submitted_at`` + the basis's ``deadline_hours``. A beat job
    marks submitted/acknowledged notices past it as overdue (DESIGN rule 5); an overdue
    notice can be escalated (e.g. Spain: AEPD Canal Prioritario).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        REMOVED = "removed", _("Removed")
        REFUSED = "refused", _("Refused")
        OVERDUE = "overdue", _("Overdue")
        ESCALATED = "escalated", _("Escalated")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="takedowns")
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="takedowns")
    evidence_items = models.ManyToManyField(EvidenceItem, related_name="takedowns")
    legal_basis = models.ForeignKey(LegalBasis, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Platform.Channel.choices)
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.DRAFT
    )
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    # The person depicted, and who asks on their behalf: the signature block of the
    # notice (TAKE IT DOWN §223a(a)(1)(B)(i) and (iv); OSA s.20A(2); DSA art. 16(2)(c)).
    victim = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    requester_name = models.CharField(_("name of the person signing"), max_length=200, blank=True)
    requester_relationship = models.CharField(
        _("acting as"),
        max_length=20,
        choices=RequesterRelationship.choices,
        default=RequesterRelationship.SCHOOL_WITH_CONSENT,
    )
    requester_email = models.EmailField(_("contact email"), blank=True)
    requester_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    consent_note = models.CharField(_("consent given by (who, when)"), max_length=500, blank=True)
    # The abuse address of a site with no address of its own in the directory (the
    # "Other adult website" row, a nudify site): a notice on the e-mail channel goes to
    # it, else to the platform's ``report_email`` (``takedown_submit``).
    report_email = models.EmailField(_("site's abuse address"), blank=True)
    language = models.CharField(
        _("language of the notice"),
        max_length=2,
        choices=[("es", _("Spanish")), ("en", _("English"))],
        default="es",
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    platform_ticket = models.CharField(_("platform ticket"), max_length=100, blank=True)
    escalated_to = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_reference = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("takedown notice")
        verbose_name_plural = _("takedown notices")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(submitted_at__isnull=False, deadline_at__isnull=False),
                name="takedown_submitted_has_clock",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} → {self.platform}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TAKEDOWN_STATUSES

    @property
    def email_address(self) -> str:
        """Where the notice is e-mailed on the e-mail channel: the address typed on it
        (a site with none in the directory), else the platform's; ``""`` for none."""
        return self.report_email or self.platform.report_email

    def time_left(self) -> timedelta | None:
        """Time until ``deadline_at`` (negative when past), or ``None`` with no clock."""
        if self.deadline_at is None or not self.is_open:
            return None
        return self.deadline_at - timezone.now()


# Takedown statuses with the platform's answer still awaited (or escalated): the clock
# runs, and the case may not be closed.
OPEN_TAKEDOWN_STATUSES = (
    TakedownRequest.Status.SUBMITTED,
    TakedownRequest.Status.ACKNOWLEDGED,
    TakedownRequest.Status.OVERDUE,
    TakedownRequest.Status.ESCALATED,
)


# What a reader of a takedown notice is shown, in this order: the API's notice resource
# (``api.serializers_reporting.TakedownOutputSerializer``, which adds its id, the school's
# name and the seconds left), the admin (``reporting.admin.TakedownRequestAdmin``) and,
# without the case, the case page (below).
# ``created_by`` stays out: who drafted it is in the case's chronology.
TAKEDOWN_NOTICE_FIELDS: tuple[str, ...] = (
    "case",
    "platform",
    "legal_basis",
    "channel",
    "status",
    "notes",
    "evidence_items",
    "created_at",
    "submitted_at",
    "deadline_at",
    "resolved_at",
    "platform_ticket",
    "escalated_to",
    "escalated_at",
    "escalation_reference",
    # The signature block and the notice's language (LAW.md §1: TAKE IT DOWN
    # §223a(a)(1)(B)(i), (iv); OSA s.20A(2); DSA art. 16(2)(c)).
    "victim",
    "requester_name",
    "requester_relationship",
    "requester_email",
    "requester_phone",
    "consent_note",
    "report_email",
    "language",
)

# The same fields for a notice shown inside its case (the case page's takedown part: the
# API's case detail, the admin's case page), where the case goes without saying.
TAKEDOWN_NOTICE_FIELDS_IN_CASE: tuple[str, ...] = tuple(
    name for name in TAKEDOWN_NOTICE_FIELDS if name != "case"
)


class RoutingSuggestion(models.Model):
    """Where a case should go, and why: one piece of routing advice computed by
    ``reporting.routing`` when a case opens or changes, with the rule's reason and
    source (LAW.md §3). The lead accepts it (with what was done) or dismisses it with a
    reason; both are recorded with who and when. A suggestion whose rule no longer
    applies is ``lapsed``, never deleted.

    ``key`` identifies the advice within its case (rule, destination, route, person),
    so recomputing never duplicates a suggestion nor revives a decided one.
    """

    class Urgency(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediately")
        REQUIRED = "required", _("Required by law")
        ADVISED = "advised", _("Advised")
        SIGNPOST = "signpost", _("Tell the victim")

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting a decision")
        ACCEPTED = "accepted", _("Accepted")
        DISMISSED = "dismissed", _("Dismissed")
        LAPSED = "lapsed", _("No longer applies")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="routing_suggestions")
    key = models.CharField(max_length=120)
    rule = models.CharField(_("rule"), max_length=40)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    destination = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    destination_kind = models.CharField(max_length=20, blank=True)
    route = models.ForeignKey(
        RemovalRoute, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # What the reason's sentence needs (ages, dates, flags), rendered in the reader's
    # language by ``reporting.routing`` (the rule's text and source are in code).
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision note"), max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("routing suggestion")
        verbose_name_plural = _("routing suggestions")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "key"], name="routing_suggestion_unique"),
            models.CheckConstraint(
                condition=~Q(status="dismissed") | ~Q(decision_note=""),
                name="routing_dismissal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.rule}"


class AuthorityReport(models.Model):
    """A report or complaint to a regulator or hotline: an escalation drafted once when
    a notice goes overdue or is refused (the FTC at TakeItDown.ftc.gov, Ofcom, the
    AEPD), the AEPD's two routes (Canal Prioritario, ordinary complaint), or the
    NCMEC CyberTipline report a person submits. ``body`` is the draft text, written
    when the row is made; ``reference`` is the authority's own once filed.

    A notice has at most one report per route (``authority_report_once_per_notice``):
    the escalation sweep and a lead's retry can never draft it twice.
    """

    class Route(models.TextChoices):
        FTC_COMPLAINT = "ftc_complaint", _("FTC complaint (TAKE IT DOWN Act)")
        OFCOM_COMPLAINT = "ofcom_complaint", _("Ofcom complaint (Online Safety Act)")
        AEPD_PRIORITY = "aepd_priority", _("AEPD Canal Prioritario (urgent removal)")
        AEPD_COMPLAINT = "aepd_complaint", _("AEPD complaint (reclamación)")
        CYBERTIPLINE = "cybertipline", _("NCMEC CyberTipline report")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FILED = "filed", _("Filed")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="authority_reports")
    takedown = models.ForeignKey(
        "TakedownRequest",
        on_delete=models.PROTECT,
        related_name="authority_reports",
        null=True,
        blank=True,
    )
    authority = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    route = models.CharField(_("route"), max_length=20, choices=Route.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    body = models.TextField(_("text"), max_length=20000, blank=True)
    language = models.CharField(max_length=2, default="es")
    reference = models.CharField(_("their reference"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    filed_at = models.DateTimeField(null=True, blank=True)
    filed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    notes = models.TextField(_("notes"), max_length=5000, blank=True)

    class Meta:
        verbose_name = _("report to an authority")
        verbose_name_plural = _("reports to authorities")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["takedown", "route"],
                condition=Q(takedown__isnull=False),
                name="authority_report_once_per_notice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} → {self.authority} ({self.route})"


class GeneratedDocument(models.Model):
    """A document Salvaguarda produced for someone outside the school — a referral
    packet (PDF or JSON), a takedown notice (text or PDF), a CyberTipline export — and
    its SHA-256, so a copy can be checked later (DESIGN "Documents"). The bytes are not
    kept: they are rebuilt from the case on each download, and each download is a row
    here and an ``AccessEvent`` (DESIGN rule 3).
    """

    class Kind(models.TextChoices):
        REFERRAL_PACKET = "referral_packet", _("Referral packet")
        TAKEDOWN_NOTICE = "takedown_notice", _("Takedown notice")
        AUTHORITY_REPORT = "authority_report", _("Report to an authority")
        CYBERTIPLINE = "cybertipline", _("CyberTipline export")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="documents", null=True, blank=True
    )
    takedown = models.ForeignKey(
        "TakedownRequest",
        on_delete=models.PROTECT,
        related_name="documents",
        null=True,
        blank=True,
    )
    authority_report = models.ForeignKey(
        AuthorityReport,
        on_delete=models.PROTECT,
        related_name="documents",
        null=True,
        blank=True,
    )
    format = models.CharField(_("format"), max_length=5)  # pdf, json, xml, txt
    language = models.CharField(_("language"), max_length=2)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    generated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")
        ordering = ["-generated_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.format} {self.sha256[:12]}"
