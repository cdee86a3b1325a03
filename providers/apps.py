from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "Providers and the quality framework"

    def ready(self):
        # Registers the scope rules for organisations and listings.
        from providers import selectors  # noqa: F401
