"""The Django admin app with Salvaguarda's admin site.

Listed in ``INSTALLED_APPS`` in place of ``django.contrib.admin`` (Django's documented way
to replace the default site, so ``admin.site`` and ``@admin.register`` stay as they are).
This module must not import models: it is loaded while the app registry is filling.
"""

from django.contrib.admin.apps import AdminConfig


class SalvaguardaAdminConfig(AdminConfig):
    default_site = "cases.admin_site.SalvaguardaAdminSite"
