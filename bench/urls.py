"""The bench-only urlconf: the product's URLs plus a bare DRF view as the baseline."""

from __future__ import annotations

import sys
import types
from typing import Any

BENCH_URLCONF = "salvaguarda_bench_urls"
BARE_PATH = "/bench/bare/"


def install_bench_urlconf() -> None:
    """A urlconf module (in memory only, ``BENCH_URLCONF``) with the product's URLs plus
    a bare DRF view at ``BARE_PATH`` that has the same authentication, permissions and
    middleware and does nothing. The product's own URLs never mount it."""
    from django.urls import include, path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class BareApi(APIView):
        """Baseline: default authentication and ``IsAuthenticated``, no database work."""

        def get(self, request: Any) -> Response:
            return Response({"ok": True})

    module = types.ModuleType(BENCH_URLCONF)
    module.urlpatterns = [  # type: ignore[attr-defined]
        path(BARE_PATH.strip("/") + "/", BareApi.as_view(), name="bench-bare"),
        path("", include("config.urls")),
    ]
    sys.modules[BENCH_URLCONF] = module
