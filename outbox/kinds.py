"""What a message is about: one code per kind of message, with a label for the pages."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    """Every kind of message Salvaguarda sends (issue 9). A new kind is added here."""

    REFERRAL_NOTICE = "referral-notice", _("Referral notice to the destination")
    REFERRAL_WITHDRAWN = "referral-withdrawn", _("Referral withdrawn, to the destination")
    REFERRAL_ANSWERED = "referral-answered", _("Answer to a referral, to the lead")
    CONCERN_NEW = "concern-new", _("New concern, to the leads")
    TAKEDOWN_OVERDUE = "takedown-overdue", _("Takedown notice overdue, to the lead")
    TAKEDOWN_REFUSED = "takedown-refused", _("Takedown notice refused, to the lead")
    TAKEDOWN_NOTICE = "takedown-notice", _("Takedown notice, to the platform's abuse address")
    DELIVERY_FAILED = "delivery-failed", _("Delivery failed, to the leads")
    CHECK_IN_DUE = "check-in-reminder", _("Check-ins due, to the plan owner")
    TEST = "test", _("Test message")
