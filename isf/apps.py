from django.apps import AppConfig


class IsfConfig(AppConfig):
    name = "isf"
    verbose_name = "Individual Service Funds"
