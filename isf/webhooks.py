"""Stripe's webhook endpoint, ``POST /webhooks/stripe/``.

No login and no CSRF token: Stripe proves who it is by signing the body with the webhook secret.
A request whose signature is missing, wrong or stale is refused with 400 before anything is read
or stored. A verified event is stored and applied in one transaction
(:func:`isf.services.stripe_event_handle`); the same event delivered again answers 200 "already
handled" and changes nothing. Any answer other than 2xx makes Stripe deliver the event again later.
"""

import logging

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from isf import services, stripe_client

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    try:
        event = stripe_client.construct_event(request.body, request.headers.get("Stripe-Signature", ""))
    except stripe_client.BadSignature as error:
        return JsonResponse({"error": str(error)}, status=400)
    if not isinstance(event.get("id"), str) or not event["id"] or not isinstance(event.get("type"), str):
        return JsonResponse({"error": "The body is not a Stripe event: it needs an id and a type"}, status=400)
    try:
        record = services.stripe_event_handle(event=event)
    except services.StripeEventNotReady as error:
        # 409 so that Stripe tries again once the payment run has recorded the transfer.
        return JsonResponse({"error": f"{error}; send it again later"}, status=409)
    except Exception:
        # The transaction was rolled back: nothing of the event is stored. 503 says "not now", and
        # Stripe delivers it again later; the error is logged for the council's support team.
        logger.exception("Stripe event %s could not be handled", event.get("id"))
        return JsonResponse({"error": "The event could not be handled now; nothing was recorded"}, status=503)
    if record.repeated:
        return JsonResponse({"status": "already handled", "outcome": record.outcome})
    return JsonResponse({"status": "handled", "outcome": record.outcome})


urlpatterns = [
    path("stripe/", stripe_webhook, name="stripe"),
]
