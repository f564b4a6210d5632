"""Logging helpers referenced by ``settings.LOGGING``."""

from __future__ import annotations

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """Keep ``django.request``'s one-line record of a 4xx answer but drop its traceback.

    Django logs a refused request (``PermissionDenied``: 403, ``Http404``…) with the
    exception attached, so every "not yours" answer wrote a full traceback to the log:
    noise that buries real errors. A 4xx is the product working as meant (need to
    know, DESIGN rule 2); 5xx records keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
