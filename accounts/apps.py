from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in, second factor, sessions and account administration. No models of its
    own: ``User`` and ``Membership`` keep their table and app label in ``cases``
    (``AUTH_USER_MODEL = "cases.User"``)."""

    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts import signals  # noqa: F401  (connects the receivers)
