"""Everything that leaves the school: police referrals, platform takedown notices, the
platform and legal-basis directory (as data), and the deadline clocks."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, EvidenceItem, Organisation, Person, User
from cases.permissions import SharedSection
from cases.validators import validate_visible


class Platform(models.Model):
    """An online service where images spread, with how to report to it.

    ``required_identifiers`` lists the identifiers its report form asks for (e.g.
    ``["group_invite_link", "phone_number"]``); evidence for a takedown should carry them.
    """

    class Channel(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        IN_APP = "in_app", _("In-app report")
        EMAIL = "email", _("Email")
        API = "api", _("API")

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True, validators=[validate_visible])
    report_channel = models.CharField(_("report channel"), max_length=10, choices=Channel.choices)
    report_url = models.URLField(_("report address"), blank=True)
    required_identifiers = models.JSONField(_("required identifiers"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LegalBasis(models.Model):
    """A law under which a takedown notice is sent, and its clock.

    ``deadline_hours`` is the removal deadline counted from submission. When
    ``statutory`` is false the law says "without undue delay" (EU DSA art. 16) and the
    hours are Salvaguarda's follow-up target, editable in the admin (configurable per
    basis, as issue 2 asks).
    """

    code = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=200, validators=[validate_visible])
    citation = models.CharField(_("citation"), max_length=200)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=6)
    deadline_hours = models.PositiveIntegerField(_("deadline (hours)"))
    statutory = models.BooleanField(_("deadline set by law"), default=True)
    escalation_to = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalate to"),
    )

    class Meta:
        verbose_name = _("legal basis")
        verbose_name_plural = _("legal bases")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.citation})"

    def deadline_from(self, submitted_at: datetime) -> datetime:
        """Return the UTC deadline for a notice submitted at ``submitted_at``."""
        return submitted_at + timedelta(hours=self.deadline_hours)


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
        ]

    def __str__(self) -> str:
        return f"{self.case} → {self.destination}"


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
)

# The same fields for a notice shown inside its case (the case page's takedown part: the
# API's case detail, the admin's case page), where the case goes without saying.
TAKEDOWN_NOTICE_FIELDS_IN_CASE: tuple[str, ...] = tuple(
    name for name in TAKEDOWN_NOTICE_FIELDS if name != "case"
)
