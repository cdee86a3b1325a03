from django.apps import AppConfig


class IsfConfig(AppConfig):
    name = "isf"
    verbose_name = "Individual Service Funds"

    def ready(self):
        from isf import handlers  # noqa: F401  (subscribes to domain events)
        from isf.selectors import contracts  # noqa: F401  (registers scope rules)
        from isf.selectors import invoices  # noqa: F401  (registers scope rules)
        from isf.selectors import payments  # noqa: F401  (registers scope rules)
