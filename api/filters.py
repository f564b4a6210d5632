"""django-filter FilterSets of the API's list endpoints.

Each list that filters declares its filters here, so every list answers the same way:
a known value filters, an unknown one is 400 with the field's error (never a silently
unfiltered list), and the filters appear in the OpenAPI schema. The visibility rule is
applied before: a FilterSet only narrows a queryset a selector returned.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db import models
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


class IdFilter(django_filters.NumberFilter):
    """A record's id: a whole number within PostgreSQL's ``bigint`` (``NumberFilter``
    alone takes decimals, and a number past ``bigint`` would reach the database)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class DeliveryFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Message.State.choices)
    kind = django_filters.ChoiceFilter(choices=MessageKind.choices)
    # The messages about one referral or takedown notice (``Message.about``).
    referral = IdFilter(method="about_referral")
    takedown = IdFilter(method="about_takedown")

    class Meta:
        model = Message
        fields = ["state", "kind", "referral", "takedown"]

    @staticmethod
    def _about(queryset, model: type[models.Model], pk):
        return queryset.filter(
            about_type__app_label=model._meta.app_label,
            about_type__model=model._meta.model_name,
            about_id=pk,
        )

    def about_referral(self, queryset, name: str, value):
        return self._about(queryset, Referral, value)

    def about_takedown(self, queryset, name: str, value):
        return self._about(queryset, TakedownRequest, value)


def filter_list(request: Request, queryset, view):
    """Apply ``view.filterset_class`` to ``queryset`` for a plain ``APIView`` (what
    ``GenericAPIView.filter_queryset`` does with ``DjangoFilterBackend``); raises DRF's
    ``ValidationError`` (400, field errors) for an invalid filter value."""
    return DjangoFilterBackend().filter_queryset(request, queryset, view)
