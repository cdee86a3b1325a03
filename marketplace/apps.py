from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Mixed Market core"

    def ready(self):
        # Registers the scope rules for the core's models.
        from marketplace import selectors  # noqa: F401
