from django.apps import AppConfig


class CasefileConfig(AppConfig):
    """The whole-case view (no models): above ``cases`` and ``reporting``, below the
    faces (``api``, ``web``); it also holds the admin's case page."""

    name = "casefile"
