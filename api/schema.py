"""The OpenAPI schema class of the API (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiRequest

from api.fields import TIME_ZONE_HEADER, ZonedInputSerializer

TIME_ZONE_PARAMETER = OpenApiParameter(
    name=TIME_ZONE_HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=_(
        "An IANA time zone name (e.g. Europe/London) in which times sent without an "
        "offset are read when you act on a record of a school you do not belong to "
        "(e.g. a police liaison). Without it: your own organisation's zone. Ignored for "
        "a school's own people: their times are read in the school's zone. A name that "
        "is not a time zone is a 400."
    ),
)


def _takes_zoned_input(request: Any) -> bool:
    if isinstance(request, dict):  # {media type: serializer}
        return any(_takes_zoned_input(value) for value in request.values())
    if isinstance(request, OpenApiRequest):
        return _takes_zoned_input(request.request)
    if isinstance(request, type):
        return issubclass(request, ZonedInputSerializer)
    return isinstance(request, ZonedInputSerializer)


class SalvaguardaAutoSchema(AutoSchema):
    """drf-spectacular's ``AutoSchema`` that documents the ``Time-Zone`` header on every
    operation whose input is a ``ZonedInputSerializer`` (so no view can forget it)."""

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self.method in ("POST", "PUT", "PATCH") and _takes_zoned_input(
            self.get_request_serializer()
        ):
            parameters.append(TIME_ZONE_PARAMETER)
        return parameters
