"""The case file: organisations and roles, people, cases, participants, concerns,
evidence (hash-only), support plans, actions and the chronology.

Rule 1 of DESIGN.md holds here by construction: no model in this module has a
``FileField``, ``ImageField`` or ``BinaryField``. Evidence is metadata and hashes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NoReturn, TypeVar, cast

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.permissions import Role
from cases.querysets import CaseQuerySet
from cases.validators import validate_visible

SHA256_RE = RegexValidator(r"^[0-9a-f]{64}$", _("Enter 64 lower-case hexadecimal characters."))
MD5_RE = RegexValidator(r"^[0-9a-f]{32}$", _("Enter 32 lower-case hexadecimal characters."))
PDQ_RE = RegexValidator(r"^[0-9a-f]{64}$", _("Enter a 256-bit PDQ hash as 64 hex characters."))
ISO_3166_2_RE = RegexValidator(
    r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$", _("Enter an ISO 3166-1/3166-2 code such as ES-BA.")
)


class User(AbstractUser):
    """A person who signs in. Roles come from :class:`Membership`, per organisation.

    ``language``: what Salvaguarda writes to them in (e-mail notifications); blank means
    the project's default, ``settings.LANGUAGE_CODE``."""

    language = models.CharField(
        _("language"),
        max_length=8,
        choices=[("es", _("Spanish")), ("en", _("English"))],
        blank=True,
        default="",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Organisation(models.Model):
    """A school, police unit, prosecutor's office, regulator, hotline or service."""

    class Kind(models.TextChoices):
        SCHOOL = "school", _("School")
        POLICE_UNIT = "police_unit", _("Police unit")
        PROSECUTOR = "prosecutor", _("Prosecutor")
        SOCIAL_SERVICES = "social_services", _("Social services")
        # The regional service that protects children (Spain: the autonomous community's
        # Servicio de Protección de Menores), where an alleged perpetrator under 14 goes
        # (LO 5/2000 art. 3; LAW.md §3).
        CHILD_PROTECTION = "child_protection", _("Child-protection service")
        REGULATOR = "regulator", _("Regulator")
        HOTLINE = "hotline", _("Hotline")
        SUPPORT_SERVICE = "support_service", _("Support service")

    name = models.CharField(_("name"), max_length=200, unique=True, validators=[validate_visible])
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Short upper-case code used in case references, e.g. NOR in NOR-2023-0007.
    code = models.CharField(
        _("code"),
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]{2,8}$")],
    )
    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=6, validators=[ISO_3166_2_RE], help_text="ISO 3166-2"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Madrid")
    email = models.EmailField(_("contact email"), blank=True)
    # Where the organisation receives reports, when it is a reporting destination.
    report_url = models.URLField(_("reporting address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Where the directory's facts about this organisation come from (a law, an official
    # page), for the rows of ``reporting.directory``; blank for schools.
    source = models.CharField(_("source"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one organisation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"


class Person(models.Model):
    """Someone a case is about or who is involved: a pupil, guardian, staff or external.

    People belong to a school; their role in each case is a :class:`Participant`
    (rule 4: the same pupil may be a victim in one case and a witness in another).
    """

    class Kind(models.TextChoices):
        PUPIL = "pupil", _("Pupil")
        GUARDIAN = "guardian", _("Parent or guardian")
        STAFF = "staff", _("Staff")
        EXTERNAL = "external", _("External")

    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        UNKNOWN = "unknown", _("Not recorded")

    school = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="people", verbose_name=_("school")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    given_name = models.CharField(_("given name"), max_length=100, validators=[validate_visible])
    family_name = models.CharField(
        _("family name"), max_length=100, blank=True, validators=[validate_visible]
    )
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    year_group = models.CharField(_("year group"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["family_name", "given_name", "id"]
        indexes = [models.Index(fields=["school", "kind"])]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def age_on(self, day: date) -> int | None:
        """Whole years of age on ``day``, or ``None`` when the date of birth is unknown."""
        if self.date_of_birth is None:
            return None
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class Case(models.Model):
    """One safeguarding case in one school. Reference ``NOR-2023-0007`` is unique per
    school and year (``number`` restarts at 1 each year)."""

    class Category(models.TextChoices):
        AI_GENERATED = "ai_generated", _("AI-generated sexual imagery (nudify, deepfake)")
        NON_CONSENSUAL_SHARING = "non_consensual_sharing", _("Non-consensual sharing")
        SEXTORTION = "sextortion", _("Sextortion")
        OTHER = "other", _("Other image-based abuse")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Risk(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    school = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="cases", verbose_name=_("school")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    reference = models.CharField(_("reference"), max_length=24, editable=False)
    title = models.CharField(_("title"), max_length=200, validators=[validate_visible])
    summary = models.TextField(_("summary"), max_length=10000, blank=True)
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    risk_level = models.CharField(
        _("risk level"), max_length=10, choices=Risk.choices, default=Risk.MEDIUM
    )
    lead = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="led_cases", null=True, blank=True
    )
    adult_involved = models.BooleanField(_("adult involved"), default=False)
    coercion_or_extortion = models.BooleanField(_("coercion or extortion"), default=False)
    under_13 = models.BooleanField(_("child under 13 involved"), default=False)
    ai_generated = models.BooleanField(_("AI-generated imagery"), default=False)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closure_reason = models.TextField(_("closure reason"), max_length=5000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year", "number"], name="case_number_unique_per_school_year"
            ),
            models.UniqueConstraint(fields=["school", "reference"], name="case_reference_unique"),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False)
                | Q(status="open", closed_at__isnull=True),
                name="case_closed_at_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["school", "status", "-opened_at"])]

    def __str__(self) -> str:
        return self.reference


class Concern(models.Model):
    """The first report of what happened, in the words it was given.

    Logged by staff (``logged_by``) or reported anonymously by a pupil, who follows it
    with ``tracking_code``. A concern leads to at most one case.
    """

    class Source(models.TextChoices):
        STAFF = "staff", _("Staff member")
        PUPIL = "pupil", _("Pupil (named)")
        PUPIL_ANONYMOUS = "pupil_anonymous", _("Pupil (anonymous)")
        GUARDIAN = "guardian", _("Parent or guardian")
        EXTERNAL = "external", _("External")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CASE_OPENED = "case_opened", _("Case opened")
        NO_FURTHER_ACTION = "no_further_action", _("No further action")

    school = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="concerns", verbose_name=_("school")
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="concerns", null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    logged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="logged_concerns", null=True, blank=True
    )
    logged_at = models.DateTimeField(_("logged at"), default=timezone.now)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    subject = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="concerns", null=True, blank=True
    )
    summary = models.CharField(_("summary"), max_length=300)
    childs_own_words = models.TextField(_("in the child's own words"), max_length=10000, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    # Only a SHA-256 of the pupil's tracking code is kept (the code is shown once).
    tracking_code_sha256 = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("concern")
        verbose_name_plural = _("concerns")
        ordering = ["-logged_at", "-id"]
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self) -> str:
        return self.summary


class Participant(models.Model):
    """A person's role in one case (rule 4: people are roles per case)."""

    class Role(models.TextChoices):
        VICTIM = "victim", _("Victim")
        ALLEGED_PERPETRATOR = "alleged_perpetrator", _("Alleged perpetrator")
        WITNESS = "witness", _("Witness")
        GUARDIAN = "guardian", _("Parent or guardian")
        REPORTER = "reporter", _("Reporter")
        SHARER = "sharer", _("Sharer")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    # The date of the act, for an alleged perpetrator: their age on it decides where the
    # case goes in Spain (LO 5/2000 art. 1 and 3: 14–17 to the Fiscalía de Menores, under
    # 14 to child protection). Blank: the date of the case's first concern or evidence
    # (``reporting.routing.act_date``).
    act_on = models.DateField(_("date of the act"), null=True, blank=True)
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person", "role"], name="participant_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"


class EvidenceItem(models.Model):
    """Where an image or message is and what it hashes to. Never the content itself.

    ``pdq`` is Meta's PDQ perceptual hash (256 bits as 64 hex chars), ``pdq_quality``
    0–100; hashes with quality < 50 are not used for matching (PDQ README).
    """

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")
        MESSAGE = "message", _("Message")
        ACCOUNT = "account", _("Account or profile")
        GROUP = "group", _("Group or channel")
        URL = "url", _("Web page")
        OTHER = "other", _("Other")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence_items")
    platform = models.ForeignKey(
        "reporting.Platform",
        on_delete=models.PROTECT,
        related_name="evidence_items",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    location = models.CharField(
        _("location"), max_length=2000, blank=True, help_text=_("URL, message link or handle")
    )
    identifiers = models.JSONField(_("platform identifiers"), default=dict, blank=True)
    first_seen_at = models.DateTimeField(_("first seen at"))
    seen_by = models.CharField(_("seen by"), max_length=200, blank=True)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, validators=[SHA256_RE])
    md5 = models.CharField(max_length=32, blank=True, validators=[MD5_RE])
    pdq = models.CharField(max_length=64, blank=True, validators=[PDQ_RE])
    pdq_quality = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")
        ordering = ["first_seen_at", "id"]
        indexes = [
            models.Index(fields=["sha256"]),
            models.Index(fields=["pdq"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256="") | Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="evidence_sha256_hex",
            ),
            models.CheckConstraint(
                condition=Q(md5="") | Q(md5__regex=r"^[0-9a-f]{32}$"), name="evidence_md5_hex"
            ),
            models.CheckConstraint(
                condition=Q(pdq="") | Q(pdq__regex=r"^[0-9a-f]{64}$"), name="evidence_pdq_hex"
            ),
            models.CheckConstraint(
                condition=Q(pdq_quality__isnull=True) | Q(pdq_quality__gte=0, pdq_quality__lte=100),
                name="evidence_pdq_quality_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.location}".strip()


class SupportPlan(models.Model):
    """The support a victim receives, reviewed through regular check-ins."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="support_plans")
    victim = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="support_plans")
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField(_("summary"), max_length=5000, blank=True)
    check_in_every_days = models.PositiveSmallIntegerField(
        _("check in every (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("support plan")
        verbose_name_plural = _("support plans")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "victim"], name="support_plan_one_per_victim"),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.victim}"


class SupportMeasure(models.Model):
    """One thing done for a victim: counselling, a parents' group, pastoral care…"""

    class Kind(models.TextChoices):
        COUNSELLING = "counselling", _("Counselling referral")
        PASTORAL = "pastoral", _("Pastoral support")
        PARENT_SUPPORT_GROUP = "parent_support_group", _("Parents' support group")
        ACADEMIC = "academic", _("Academic adjustments")
        ONLINE_SAFETY = "online_safety", _("Online safety help")
        OTHER = "other", _("Other")

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("kind"), max_length=25, choices=Kind.choices)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    started_on = models.DateField(_("started on"), default=timezone.localdate)

    class Meta:
        verbose_name = _("support measure")
        verbose_name_plural = _("support measures")
        ordering = ["started_on", "id"]

    def __str__(self) -> str:
        return self.get_kind_display()


class CheckIn(models.Model):
    """A scheduled or held check-in with a victim. ``due_at`` in UTC; ``held_at`` is
    set when it took place. Recording one schedules the next."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="check_ins")
    due_at = models.DateTimeField(_("due at"))
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)
    held_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    wellbeing = models.PositiveSmallIntegerField(
        _("wellbeing (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    # Set once by the beat sweep when the owner was reminded (claims the reminder).
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["held_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.due_at:%Y-%m-%d}"


class GuardianContact(models.Model):
    """A contact with a pupil's parent or guardian about the case."""

    class Method(models.TextChoices):
        PHONE = "phone", _("Phone")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("Email")
        LETTER = "letter", _("Letter")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="guardian_contacts")
    guardian = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    contacted_at = models.DateTimeField(_("contacted at"))
    contacted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(_("notes"), max_length=5000, blank=True)

    class Meta:
        verbose_name = _("guardian contact")
        verbose_name_plural = _("guardian contacts")
        ordering = ["contacted_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.contacted_at:%Y-%m-%d}"


class Action(models.Model):
    """A task on a case with an owner and a due time (UTC)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("title"), max_length=200, validators=[validate_visible])
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("due at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return self.title


_Row = TypeVar("_Row", bound=models.Model)


class AppendOnlyQuerySet(models.QuerySet[_Row]):
    """Audit rows are never changed or removed: ``update()``/``delete()`` raise here, and
    a PostgreSQL trigger refuses UPDATE and DELETE whatever the client (migration
    ``cases/0003_audit_chain``)."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(_("Audit rows are append-only."))

    def delete(self) -> NoReturn:
        raise AppendOnlyError(_("Audit rows are append-only."))


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit row."""


class ChainedAuditRow(models.Model):
    """Base of the audit tables: append-only and hash-chained (``cases.audit_chain``).

    ``save()`` inserts a new row into the table's chain under an advisory lock, and
    refuses to save a row that already exists; ``delete()`` refuses.
    """

    prev_hash = models.CharField(max_length=64, unique=True, editable=False)
    row_hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    # Advisory locks taken before this table's, inside a caller's transaction (see
    # ``AccessEvent``): always in the same order, so two transactions cannot deadlock.
    chain_locks_in_transaction: tuple[str, ...] = ()

    # Fields every audit table declares (after its own columns, so each table keeps its
    # column order); the chain hashes them (``cases.audit_chain``).
    occurred_at: datetime
    ip: str | None

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        from django.db import connections

        from cases import audit_chain

        if not self._state.adding or self.pk is not None:
            raise AppendOnlyError(_("Audit rows are append-only."))
        using = kwargs.get("using") or "default"
        self.ip = audit_chain.normalise_ip(self.ip)
        occurred_at = cast("models.DateTimeField[Any, Any]", self._meta.get_field("occurred_at"))
        self.occurred_at = occurred_at.to_python(self.occurred_at)
        self._normalise_json()
        extra = self.chain_locks_in_transaction if connections[using].in_atomic_block else ()
        audit_chain.append(self, extra_locks=extra, using=using)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(_("Audit rows are append-only."))

    def _normalise_json(self) -> None:
        """Make JSON fields what ``jsonb`` gives back, so the hash survives a round trip."""


class CaseEvent(ChainedAuditRow):
    """The chronology and write audit: one row per write, in the write's transaction.

    Append-only (trigger) and hash-chained (``cases.audit_chain``); written only by
    ``cases.audit.record_case_event``.
    """

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="events", null=True, blank=True, editable=False
    )
    # The organisation whose record the row belongs to: the case's school, or the
    # organisation an account change concerns. ``None`` only for an account change of
    # a user in no organisation (an operator's flags, groups, password, second factor):
    # such rows still belong in the hash chain (``accounts.services``).
    school = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True, editable=False
    )
    actor_role = models.CharField(max_length=20, blank=True, editable=False)
    verb = models.CharField(max_length=60, editable=False)
    object_type = models.CharField(max_length=40, editable=False)
    object_id = models.BigIntegerField(null=True, blank=True, editable=False)
    data = models.JSONField(default=dict, blank=True, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now, editable=False)
    ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    request_id = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["case", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.verb}"

    def _normalise_json(self) -> None:
        from cases.audit_chain import normalise_json

        self.data = normalise_json(self.data if self.data is not None else {})


class AccessEvent(ChainedAuditRow):
    """The read audit: who (user, role, organisation) read which case data, how, when
    (UTC), from where (IP, request id). Append-only and hash-chained like
    ``CaseEvent``; written only by ``cases.audit.record_access``."""

    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True, editable=False
    )
    actor_role = models.CharField(max_length=100, blank=True, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    channel = models.CharField(max_length=10, editable=False)  # api, web, admin, export
    action = models.CharField(max_length=40, editable=False)  # e.g. case.detail, case.list
    case_ids = models.JSONField(default=list, blank=True, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now, editable=False)
    ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    request_id = models.CharField(max_length=64, blank=True, editable=False)

    # A read recorded inside a transaction that may also write a ``CaseEvent`` takes the
    # case-event lock first: every transaction takes the two locks in one order.
    chain_locks_in_transaction = ("cases_caseevent",)

    class Meta:
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        ordering = ["occurred_at", "id"]
        indexes = [GinIndex(fields=["case_ids"], name="accessevent_case_ids_gin")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action}"

    def _normalise_json(self) -> None:
        self.case_ids = sorted({int(pk) for pk in self.case_ids or []})


class DenialEvent(ChainedAuditRow):
    """A refused access to a record that exists (OWASP ASVS v5 chapter 16: log
    access-control failures): who asked (user, username, roles, organisation), for
    which record (kind, id, and the school it belongs to), how (channel, method, path),
    when (UTC), from where (IP, request id).

    The client got the same 404 as for a record that does not exist (DESIGN rule 2);
    this row is the only trace that the record was there. Append-only and hash-chained
    like ``AccessEvent``; written only by ``cases.denials.record_denials``, after the
    request's own transaction has ended (see that module).
    """

    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True, editable=False
    )
    # The username when it happened: an account renamed later still shows who it was.
    actor_username = models.CharField(max_length=150, blank=True, editable=False)
    actor_role = models.CharField(max_length=100, blank=True, editable=False)
    actor_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    # The school whose record was asked for: its leads see this row.
    school = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", editable=False
    )
    object_type = models.CharField(max_length=40, editable=False)  # e.g. case, referral
    object_id = models.BigIntegerField(editable=False)
    channel = models.CharField(max_length=10, editable=False)  # api, web, admin
    method = models.CharField(max_length=10, editable=False)
    path = models.CharField(max_length=300, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now, editable=False)
    ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    request_id = models.CharField(max_length=64, blank=True, editable=False)

    # One order for every transaction that takes several audit locks: case events,
    # access events, denials (a denial is normally written on its own, after the
    # request; inside a caller's transaction it comes last).
    chain_locks_in_transaction = ("cases_caseevent", "cases_accessevent")

    class Meta:
        verbose_name = _("denied access")
        verbose_name_plural = _("denied accesses")
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["school", "-id"], name="denialevent_school_id"),
            models.Index(fields=["actor", "occurred_at"], name="denialevent_actor_time"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.object_type} {self.object_id}"
