"""Error responses for requests no view answered (``handler400`` … ``handler500``).

Every API error is JSON in DRF's shape (``{"detail": …}``), in the request's language,
whatever raised it: an unknown ``/api/…`` URL, a body Django refused (too many fields,
``RequestDataTooBig``) or an unexpected error. Pages elsewhere keep Django's views with
this project's templates (``templates/4xx.html``).
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        from config.middleware import too_large_response

        return too_large_response(request)
    if _is_api(request):
        return JsonResponse({"detail": str(exceptions.ParseError.default_detail)}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        detail = str(exceptions.PermissionDenied.default_detail)
        return JsonResponse({"detail": detail}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": str(exceptions.NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        # Not "nothing was saved": the error may come after a commit (issue 9).
        detail = str(exceptions.APIException.default_detail)
        return JsonResponse({"detail": detail}, status=500)
    return defaults.server_error(request)
