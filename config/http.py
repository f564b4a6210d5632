"""What both faces (``api``, ``web``) and the admin do to an HTTP response that carries
case data. Neither face may import the other; both may import this.

The read audit itself (an ``AccessEvent``) is domain work: ``cases.audit.record_access``.
Each face has one small helper that calls both: ``api.base.record_read``,
``web.access.record_read``, ``cases.admin_site.CaseDataAdmin.record_read``.
"""

from __future__ import annotations

from django.http import HttpRequest

# The request attribute ``config.middleware.RequestContextMiddleware`` reads.
CASE_DATA_FLAG = "has_case_data"


def mark_case_data(request: HttpRequest) -> None:
    """Mark the response to ``request`` (a Django request, not DRF's wrapper) as case
    data: ``RequestContextMiddleware`` then sends ``Cache-Control: no-store``, so no
    browser or shared cache keeps it (DESIGN rule 2)."""
    setattr(request, CASE_DATA_FLAG, True)
