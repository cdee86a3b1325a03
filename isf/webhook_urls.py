"""Stripe's webhook endpoint, at /webhooks/stripe/."""

from isf import webhooks

app_name = "isf_webhooks"
urlpatterns = webhooks.urlpatterns
