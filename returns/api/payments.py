"""The payment provider's webhook: verify, read, hand to the refunds service. Thin on purpose.

Every answer is JSON: a body the provider's library refuses, or one holding text that is not text,
is a 400 (``integrations.unstorable_text``); a value the database cannot store is a 400 too
(``webhooks.storable``), never a 500.
"""

from __future__ import annotations

import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from returns.api.webhooks import storable
from returns.integrations import WebhookRejected, refund_provider
from returns.services.refunds import refund_provider_event

log = logging.getLogger(__name__)


@csrf_exempt
def stripe_webhook(request):
    """``refund.updated`` / ``charge.refund.updated``: a refund became succeeded or failed."""
    if request.method != "POST":
        return JsonResponse({"error": "Use POST."}, status=405, headers={"Allow": "POST"})
    provider = refund_provider()
    if provider.name != "stripe":
        return JsonResponse({"error": "Stripe is not the refund provider here."}, status=404)
    try:
        answer = provider.webhook_refund(body=request.body, headers=request.headers)
    except WebhookRejected as exc:
        log.warning("Stripe webhook refused: %s", exc)
        return JsonResponse({"error": str(exc)}, status=400)
    if answer is None:
        return JsonResponse({"received": True, "applied": False})

    def apply() -> tuple[int, dict]:
        refund = refund_provider_event(answer=answer)
        return 200, {"received": True, "applied": refund is not None}

    status, body = storable(apply, name="Stripe")
    return JsonResponse(body, status=status)
