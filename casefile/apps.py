from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasefileConfig(AppConfig):
    """The whole-case view (no models): above ``cases`` and ``reporting``, below the
    faces (``api``, ``web``) and the admin's case page."""

    name = "casefile"
    verbose_name = _("Case file")
