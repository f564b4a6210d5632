"""The Django admin app with Salvaguarda's admin site.

Listed in ``INSTALLED_APPS`` in place of ``django.contrib.admin`` (Django's documented way
to replace the default site, so ``admin.site`` and ``@admin.register`` stay as they are).
This module must not import models: it is loaded while the app registry is filling.
"""

from django.contrib.admin.apps import AdminConfig


class SalvaguardaAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.SalvaguardaAdminSite"

    def ready(self) -> None:
        # ``autodiscover`` imports the admin module of every installed app, so every
        # third-party app has registered its admins by the time it returns; only then
        # can they be removed or replaced. ``tests/test_admin_third_party.py`` lists what
        # the site ends up with, so an admin registered any later is caught.
        super().ready()
        from django.contrib import admin

        from accounts.admin_third_party import restrict_third_party_admins

        restrict_third_party_admins(admin.site)
