from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from cases.memberships import forget


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Case file")

    def ready(self) -> None:
        # A membership saved or deleted during a request is read back fresh by the rest
        # of it (``cases.memberships``: the per-request cache).
        membership = self.get_model("Membership")
        post_save.connect(forget, sender=membership, dispatch_uid="memberships.forget.save")
        post_delete.connect(forget, sender=membership, dispatch_uid="memberships.forget.delete")
        # A message of the outbox that failed is reported to the school's leads
        # (cases.deliveries). Imported here: it uses the models.
        from cases.deliveries import delivery_failed
        from outbox.signals import message_failed

        message_failed.connect(delivery_failed, dispatch_uid="cases.delivery_failed")
