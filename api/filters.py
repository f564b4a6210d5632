"""django-filter FilterSets of the API's list endpoints.

Each list that filters declares its filters here, so every list answers the same way:
a known value filters, an unknown one is 400 with the field's error (never a silently
unfiltered list), and the filters appear in the OpenAPI schema. The visibility rule is
applied before: a FilterSet only narrows a queryset a selector returned.
"""

from __future__ import annotations

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request

from cases.models import Person
from outbox.kinds import MessageKind
from outbox.models import Message
from reporting.models import Referral, TakedownRequest


class PersonFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Person.Kind.choices)

    class Meta:
        model = Person
        fields = ["kind"]


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Referral.Status.choices)

    class Meta:
        model = Referral
        fields = ["status"]


class TakedownFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=TakedownRequest.Status.choices)

    class Meta:
        model = TakedownRequest
        fields = ["status"]


class DeliveryFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Message.State.choices)
    kind = django_filters.ChoiceFilter(choices=MessageKind.choices)

    class Meta:
        model = Message
        fields = ["state", "kind"]


def filter_list(request: Request, queryset, view):
    """Apply ``view.filterset_class`` to ``queryset`` for a plain ``APIView`` (what
    ``GenericAPIView.filter_queryset`` does with ``DjangoFilterBackend``); raises DRF's
    ``ValidationError`` (400, field errors) for an invalid filter value."""
    return DjangoFilterBackend().filter_queryset(request, queryset, view)
