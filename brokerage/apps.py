from django.apps import AppConfig


class BrokerageConfig(AppConfig):
    name = "brokerage"
    verbose_name = "Brokerage and support plans"

    def ready(self):
        # Registers the scope rule for people's records.
        from brokerage import selectors  # noqa: F401
