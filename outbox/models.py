"""The outbox: one row per message that leaves Salvaguarda, and the webhook endpoints
police systems register (ADR 0010).

A ``Message`` is written in the same transaction as the change that causes it (a
referral sent, a notice overdue, a concern logged), so a rolled-back change sends
nothing and a committed one always has its message. Its content is rendered when it is
written, in the recipient's language: the row is what was sent, word for word. Content
never holds a child's name or case details: a reference and a link (DESIGN rule 1).

States: ``pending`` → ``sending`` (claimed by one relay, for ``OUTBOX_LEASE_SECONDS``)
→ ``sent``; or back to ``pending`` with a later ``next_attempt_at`` after a failed
attempt; or ``failed`` after the last attempt (or at once when there is no address),
when the school's leads are told and a lead may retry it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from outbox.kinds import MessageKind


class WebhookEndpoint(models.Model):
    """Where an organisation's own system (a police unit's case system) wants to be told,
        by an HTTPS ``POST`` signed with HMAC-SHA-256 (``outbox.channels.sign``).

        ``key_id`` is sent in ``X-Salvaguarda-Key-Id`` so the receiver can pick the secret
        (and rotate it: register a second endpoint, then deactivate the first). ``secret``
        is made by the admin when the endpoint is added (48 random bytes, URL-safe) and
    shared with the receiver out of band."""

    organisation = models.ForeignKey(
        "cases.Organisation",
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("organisation"),
    )
    url = models.URLField(_("address"), max_length=500)
    key_id = models.SlugField(_("key id"), max_length=64, unique=True)
    secret = models.CharField(_("secret"), max_length=128)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["organisation_id", "pk"]

    def __str__(self) -> str:
        return f"{self.url} ({self.key_id})"

    def clean(self) -> None:
        """An endpoint's address is ``https://`` where ``OUTBOX_WEBHOOK_REQUIRE_HTTPS``
        (production): case references must not cross the internet in clear text.
        Raises ``ValidationError`` on ``url``."""
        super().clean()
        if settings.OUTBOX_WEBHOOK_REQUIRE_HTTPS and not self.url.lower().startswith("https://"):
            raise ValidationError({"url": _("Use an https:// address.")})


class Message(models.Model):
    """One message to one recipient (an e-mail address or a webhook endpoint)."""

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("message state", "Waiting to be sent")
        SENDING = "sending", pgettext_lazy("message state", "Being sent")
        SENT = "sent", pgettext_lazy("message state", "Sent")
        FAILED = "failed", pgettext_lazy("message state", "Failed")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Webhook")

    # The receiver sees this key (e-mail ``Message-ID``, webhook ``Idempotency-Key``): a
    # repeat after a crash between "sent" and "recorded" carries the same key.
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True)
    kind = models.CharField(_("kind"), max_length=40, choices=MessageKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    # Whose message it is: the school (and case) whose leads see it and may retry it.
    school = models.ForeignKey(
        "cases.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("school"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="outbox_messages",
        null=True,
        blank=True,
        verbose_name=_("case"),
    )
    # What it is about (a referral, a takedown notice, a concern, a check-in…).
    about_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    # To whom: a user (their current address is used at each attempt), an organisation's
    # own address, a webhook endpoint, or a bare e-mail address kept in ``address`` (a
    # platform's abuse address, for a takedown notice sent by e-mail).
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("recipient"),
    )
    recipient_organisation = models.ForeignKey(
        "cases.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("recipient organisation"),
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.PROTECT,
        related_name="messages",
        null=True,
        blank=True,
        verbose_name=_("webhook endpoint"),
    )
    # The address of the last attempt (e-mail address or URL); blank if there was none.
    address = models.CharField(_("address"), max_length=500, blank=True)
    # Where a reply goes (an e-mail's ``Reply-To``): the person who signed a takedown
    # notice, so the platform's acknowledgement and decision reach them (DSA art.
    # 16(4)–(5)); blank: no reply expected.
    reply_to = models.EmailField(_("reply to"), blank=True)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("body"), blank=True)
    payload = models.JSONField(_("webhook payload"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The relay's work list: only rows not yet settled.
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due",
                condition=Q(state__in=["pending", "sending"]),
            ),
            models.Index(fields=["about_type", "about_id"], name="outbox_about"),
            models.Index(fields=["case", "created_at"], name="outbox_case"),
            models.Index(
                fields=["school", "failed_at"],
                name="outbox_school_failed",
                condition=Q(state="failed"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="outbox_one_recipient",
                condition=(
                    Q(channel="email", endpoint__isnull=True)
                    & (
                        Q(recipient_user__isnull=False)
                        | Q(recipient_organisation__isnull=False)
                        # a bare address (a platform's abuse address: a takedown notice)
                        | ~Q(address="")
                    )
                )
                | Q(channel="webhook", endpoint__isnull=False),
            ),
            models.CheckConstraint(
                name="outbox_sent_has_time",
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_label} ({self.get_state_display()})"

    @property
    def recipient_label(self) -> str:
        """Who it goes to, for the pages: a user's name, an organisation, or a webhook."""
        if self.endpoint is not None:
            return str(_("Webhook of %(org)s") % {"org": self.endpoint.organisation})
        if self.recipient_user is not None:
            user = self.recipient_user
            return user.get_full_name() or user.get_username()
        if self.recipient_organisation is None:
            return self.address
        return str(self.recipient_organisation)

    @property
    def message_id(self) -> str:
        """The e-mail ``Message-ID`` header of this message (RFC 5322 §3.6.4)."""
        return f"<{self.idempotency_key}@{settings.OUTBOX_MESSAGE_ID_DOMAIN}>"
