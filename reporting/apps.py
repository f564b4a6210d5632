from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from cases.extensions import (
    register_case_changed,
    register_closure_check,
    register_section_grant,
    register_visibility_grant,
)


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        # What reporting adds to a case reaches ``cases`` through its registry, never by
        # cases importing reporting (ADR 0007). Imported here, not at the top: the hooks
        # use reporting's models, which exist only once the app registry is ready.
        from reporting.extensions import (
            live_referral_grant,
            live_referral_sections,
            open_reporting_problems,
            refresh_routing,
        )

        register_visibility_grant(live_referral_grant)
        register_section_grant(live_referral_sections)
        register_closure_check(open_reporting_problems)
        register_case_changed(refresh_routing)
