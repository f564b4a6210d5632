"""API of the messages that left Salvaguarda (issue 9, "Delivery visible"): what was
sent to whom, when, and its state; and sending a failed one again.

- ``GET /api/v1/deliveries/``: the messages you may see (``?state=failed``, ``?kind=``,
  ``?referral=<id>``, ``?takedown=<id>``);
- ``GET /api/v1/deliveries/{id}/``: one of them; 404 for one you may not see;
- ``POST /api/v1/deliveries/{id}/retry/``: a lead or deputy of its school sends a failed
  message again (200 with the row, now ``pending``); 409 if it is not failed; 403 for
  someone who sees it but may not (a liaison it was addressed to); 404 otherwise;
- ``GET /api/v1/cases/{id}/deliveries/``: the messages about a case you may see.

Which rows a reader sees, and which of their fields, is ``casefile.deliveries`` (one
rule for every face). Every read writes an ``AccessEvent`` (DESIGN rule 3); the retry
writes its ``delivery.retried`` chronology line (``cases.deliveries.delivery_retry``).
Lists are cursor pages, newest first.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from api.base import GenericApi, audit_context, mark_case_data, record_read
from api.filters import DeliveryFilter
from api.pagination import StableCursorPagination
from api.parsers import StrictJSONParser
from api.serializers_deliveries import DeliveryOutputSerializer, DeliveryRetryInputSerializer
from casefile.deliveries import (
    can_retry_delivery,
    case_deliveries_for_user,
    deliveries_visible_to,
    delivery_get_for_user,
)
from cases.deliveries import delivery_retry
from cases.selectors import case_get_for_user
from cases.verbs import AccessAction
from config.http import AuthenticatedRequest, signed_in_user
from outbox.models import Message

DELIVERIES_TAG = ["deliveries"]
NOT_404 = {404: OpenApiResponse(description=_("Not found, or not visible to you."))}
LEADS_ONLY = _("Only the school's safeguarding lead or deputy can send a message again.")


class DeliveryApi(GenericApi):
    """Base: JSON only, cursor pages, the reader in the serializer's context."""

    parser_classes = [StrictJSONParser]
    pagination_class = StableCursorPagination
    filter_backends: list[Any] = []

    def output(self, request: AuthenticatedRequest, rows: Any, **kwargs: Any) -> Any:
        return DeliveryOutputSerializer(rows, context={"reader": request.user}, **kwargs).data

    def read_page(
        self, request: AuthenticatedRequest, rows: QuerySet[Message], action: AccessAction
    ) -> Response:
        page = self.paginate_queryset(rows)
        if page is None:  # every list here is paged
            page = list(rows)
        record_read(request, action=action, case_ids=sorted({m.case_id for m in page if m.case_id}))
        return self.get_paginated_response(self.output(request, page, many=True))


class DeliveryListApi(DeliveryApi):
    filter_backends = [DjangoFilterBackend]
    filterset_class = DeliveryFilter

    def get_queryset(self) -> QuerySet[Message]:
        if getattr(self, "swagger_fake_view", False):  # schema generation only
            return Message.objects.none()
        return deliveries_visible_to(signed_in_user(self.request))

    @extend_schema(
        tags=DELIVERIES_TAG,
        responses={
            200: DeliveryOutputSerializer(many=True),
            400: OpenApiResponse(description=_("Unknown filter value.")),
        },
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        """Messages you may see, newest first: for a school's lead or deputy every
        message of their schools (those about no case too); for a police liaison the
        referral notices and withdrawals addressed to their unit; for anyone else none.
        Filters: ``state`` (``?state=failed``: the ones to send again), ``kind``,
        ``referral`` and ``takedown`` (the messages about one of them, by id)."""
        rows = self.filter_queryset(self.get_queryset())
        return self.read_page(request, rows, AccessAction.DELIVERY_LIST)


class DeliveryDetailApi(DeliveryApi):
    @extend_schema(tags=DELIVERIES_TAG, responses={200: DeliveryOutputSerializer, **NOT_404})
    def get(self, request: AuthenticatedRequest, delivery_id: int) -> Response:
        """One message you may see; 404 otherwise (as for one that does not exist)."""
        message = delivery_get_for_user(user=request.user, delivery_id=delivery_id)
        record_read(
            request,
            action=AccessAction.DELIVERY_DETAIL,
            case_ids=[message.case_id] if message.case_id else [],
        )
        return Response(self.output(request, message))


class DeliveryRetryApi(DeliveryApi):
    @extend_schema(
        tags=DELIVERIES_TAG,
        request=DeliveryRetryInputSerializer,
        responses={
            200: DeliveryOutputSerializer,
            400: OpenApiResponse(description=_("A field was sent; this takes none.")),
            403: OpenApiResponse(description=_("You may see this but not do this.")),
            **NOT_404,
            409: OpenApiResponse(description=_("The message is not failed (any more).")),
        },
    )
    def post(self, request: AuthenticatedRequest, delivery_id: int) -> Response:
        """Send a failed message again, after fixing what made it fail (an address):
        its attempts start again and it goes out once this request commits; a
        ``delivery.retried`` line goes in the case's chronology. The school's lead or
        deputy only. 409 if it is not failed (sent meanwhile, or retried by someone
        else): nothing is written."""
        message = delivery_get_for_user(user=request.user, delivery_id=delivery_id)
        if not can_retry_delivery(request.user, message):
            raise exceptions.PermissionDenied(LEADS_ONLY)
        DeliveryRetryInputSerializer(data=request.data or {}).is_valid(raise_exception=True)
        delivery_retry(message=message, actor=request.user, context=audit_context(request))
        message = delivery_get_for_user(user=request.user, delivery_id=message.pk)
        mark_case_data(request)
        return Response(self.output(request, message))


class CaseDeliveriesApi(DeliveryApi):
    @extend_schema(
        tags=["case file"], responses={200: DeliveryOutputSerializer(many=True), **NOT_404}
    )
    def get(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Messages sent about the case that you may see, newest first (the case
        page's ``deliveries``): all of them for the school's lead or deputy; for a
        police liaison those addressed to their unit. 404 for a case you may not see."""
        case = case_get_for_user(user=request.user, case_id=case_id)
        rows = case_deliveries_for_user(user=request.user, case=case)
        return self.read_page(request, rows, AccessAction.CASE_DELIVERIES)
