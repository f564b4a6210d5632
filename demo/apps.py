from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo scenarios and their commands (``load_scenario``, ``demo_code``). Above
    both domain apps (it replays a scenario through ``cases`` and ``reporting``
    services); nothing in the product imports it. No models."""

    name = "demo"
    verbose_name = "Demo"
