"""Serializers of the messages that left Salvaguarda (``/api/v1/deliveries/``,
``/api/v1/cases/{id}/deliveries/``, and the ``deliveries`` part of a case).

The rows come from ``casefile.deliveries`` (the visibility rule); what of a row each
reader sees is cut here, from ``context["reader"]`` (the signed-in user), by the same
module's predicates: the address only for the school's leads and deputies (``"webhook"``
for a webhook, never its URL), the subject and body for them and for a liaison the
message was addressed to in person. Without a reader in the context, neither is shown.
Times are UTC (ISO 8601).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import InputSerializer
from casefile.deliveries import failure_reason, may_see_content, shown_address
from outbox.models import Message

# What a message may be about, by model (``Message.about``), named as the API names it.
ABOUT_TYPES = {
    "referral": "referral",
    "takedownrequest": "takedown",
    "concern": "concern",
    "message": "delivery",
    "supportplan": "support_plan",
    "checkin": "check_in",
    "case": "case",
}


class DeliveryAboutSerializer(serializers.Serializer[Any]):
    """What a message is about: its type (``referral``, ``takedown``, ``concern``,
    ``delivery``…) and id."""

    type = serializers.CharField(read_only=True)
    id = serializers.IntegerField(read_only=True)


class DeliveryOutputSerializer(serializers.ModelSerializer[Message]):
    """One message to one recipient, and where its delivery stands."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    recipient = serializers.CharField(
        source="recipient_label",
        read_only=True,
        help_text=_("Who it goes to: a person's name, an organisation, or a webhook."),
    )
    address = serializers.SerializerMethodField(
        help_text=_(
            "The address of the last attempt, for the school's leads only; "
            '"webhook" for a webhook; empty for anyone else.'
        )
    )
    subject = serializers.SerializerMethodField(
        help_text=_("For the school's leads, and the person it was sent to; else empty.")
    )
    body = serializers.SerializerMethodField(
        help_text=_("For the school's leads, and the person it was sent to; else empty.")
    )
    failure_reason = serializers.SerializerMethodField(
        help_text=_("Why a failed message did not arrive, in plain words; else empty.")
    )
    case = serializers.IntegerField(source="case_id", read_only=True, allow_null=True)
    about = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "kind",
            "kind_label",
            "channel",
            "state",
            "state_label",
            "recipient",
            "address",
            "subject",
            "body",
            "created_at",
            "sent_at",
            "failed_at",
            "attempts",
            "last_error",
            "failure_reason",
            "idempotency_key",
            "case",
            "about",
        ]
        read_only_fields = fields

    def _reader(self) -> Any:
        return self.context.get("reader")

    def get_address(self, message: Message) -> str:
        reader = self._reader()
        return "" if reader is None else shown_address(reader, message)

    def get_subject(self, message: Message) -> str:
        reader = self._reader()
        return message.subject if reader is not None and may_see_content(reader, message) else ""

    def get_body(self, message: Message) -> str:
        reader = self._reader()
        return message.body if reader is not None and may_see_content(reader, message) else ""

    def get_failure_reason(self, message: Message) -> str:
        return failure_reason(message)

    @extend_schema_field(DeliveryAboutSerializer(allow_null=True))
    def get_about(self, message: Message) -> dict[str, Any] | None:
        if message.about_type is None or message.about_id is None:
            return None
        model = message.about_type.model
        return {"type": ABOUT_TYPES.get(model, model), "id": message.about_id}


class DeliveryRetryInputSerializer(InputSerializer):
    """``POST /api/v1/deliveries/{id}/retry/`` takes no field (an empty body or
    ``{}``); any key is refused (400)."""
