"""Refunds through Stripe's Refunds API, with the official ``stripe`` library.

Money goes out at most once: every send carries an idempotency key derived from
our refund row (Stripe answers a repeated key with the refund it already made),
and a retry first looks for a refund already made under that key, so a retry
after Stripe's 24-hour key memory has passed cannot pay twice either.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import stripe
from django.conf import settings

from returns.integrations import (
    NO_DETAIL,
    ProviderRefund,
    ProviderRefused,
    ProviderUnavailable,
    RefundDetail,
    WebhookRejected,
    minor_units,
    unstorable_text,
)

if TYPE_CHECKING:
    from returns.models import Order

REFUND_EVENTS = frozenset({"refund.updated", "charge.refund.updated", "refund.failed"})
STATUS = {"pending": "pending", "requires_action": "pending", "succeeded": "succeeded", "failed": "failed"}
STATUS["canceled"] = "failed"


def _client(interactive: bool) -> stripe.StripeClient:
    # A staff member's click waits at most STRIPE_CLICK_TIMEOUT per try, with at most one retry inside the
    # library (a dropped connection); past that the refund waits at the provider and the worker asks again
    # with the same key.
    timeout = min(settings.STRIPE_CLICK_TIMEOUT, settings.STRIPE_TIMEOUT) if interactive else settings.STRIPE_TIMEOUT
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY or "sk_missing",
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=min(1, settings.STRIPE_MAX_NETWORK_RETRIES)
        if interactive
        else settings.STRIPE_MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def _as_refund(obj) -> ProviderRefund:
    data = obj if isinstance(obj, dict) else obj.to_dict()
    metadata = data.get("metadata") or {}
    ours = metadata.get("alotrop_refund_id")
    return ProviderRefund(
        id=data["id"],
        status=STATUS.get(data.get("status") or "", "pending"),
        amount_minor=int(data.get("amount") or 0),
        failure_reason=str(data.get("failure_reason") or "").replace("\x00", ""),
        # A refund id is a database id: 18 digits at most (what a bigint holds).
        our_refund_id=int(ours) if ours and str(ours).isdigit() and len(str(ours)) <= 18 else None,
        key=metadata.get("alotrop_idempotency_key") or "",
    )


def _is_refund(obj) -> bool:
    """A refund as Stripe sends one: its id a non-empty string a database can look up (no NUL)."""
    refund_id = obj.get("id") if isinstance(obj, dict) else None
    return obj.get("object") == "refund" and isinstance(refund_id, str) and refund_id != "" and "\x00" not in refund_id


def _call(action):
    """Run one API call; sort Stripe's errors into "try later" and "no"."""
    try:
        return action()
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.IdempotencyError) as exc:
        raise ProviderUnavailable(f"Stripe did not answer: {exc.user_message or exc}") from exc
    except (stripe.AuthenticationError, stripe.PermissionError) as exc:
        # Our key is wrong or lacks rights: nothing was made; it waits until the key is fixed.
        raise ProviderUnavailable(f"Stripe refused our API key: {exc.user_message or exc}") from exc
    except stripe.StripeError as exc:
        if exc.http_status is None or exc.http_status >= 500:
            raise ProviderUnavailable(f"Stripe had an error ({exc.http_status}): {exc.user_message or exc}") from exc
        code = f" [{exc.code}]" if exc.code else ""
        raise ProviderRefused(f"Stripe refused the refund{code}: {exc.user_message or exc}") from exc


class StripeRefunds:
    name = "stripe"
    label = "Stripe"
    automatic = True

    def __init__(self, *, interactive: bool = False):
        self.client = _client(interactive)

    def _existing(self, payment_reference: str, key: str) -> ProviderRefund | None:
        page = _call(lambda: self.client.v1.refunds.list(params={"payment_intent": payment_reference, "limit": 100}))
        for obj in page.to_dict().get("data", []):
            if (obj.get("metadata") or {}).get("alotrop_idempotency_key") == key:
                return _as_refund(obj)
        return None

    def _refundable_minor(self, payment_reference: str, currency: str) -> int:
        """What is left to refund on the payment: captured less already refunded."""
        intent = _call(
            lambda: self.client.v1.payment_intents.retrieve(payment_reference, params={"expand": ["latest_charge"]})
        ).to_dict()
        if (intent.get("currency") or "").lower() != currency.lower():
            raise ProviderRefused(
                f"The payment {payment_reference} is in {(intent.get('currency') or '?').upper()}, "
                f"the refund in {currency.upper()}."
            )
        charge = intent.get("latest_charge")
        if not isinstance(charge, dict):
            raise ProviderRefused(f"The payment {payment_reference} has no captured charge to refund.")
        return int(charge.get("amount_captured") or 0) - int(charge.get("amount_refunded") or 0)

    def payment_reference_of(self, order: Order) -> str:
        return order.payment_reference

    def why_not_payable(self, order: Order) -> str:
        if order.payment_reference:
            return ""
        return f"Order {order.number} has no payment reference to refund through."

    def refund_send(
        self,
        *,
        payment_reference: str,
        amount: Decimal,
        currency: str,
        key: str,
        metadata: dict,
        retry: bool,
        detail: RefundDetail = NO_DETAIL,
    ) -> ProviderRefund:
        """Stripe refunds the total on the PaymentIntent; ``detail`` (the lines) is not Stripe's to know."""
        if not payment_reference.startswith("pi_"):
            raise ProviderRefused(f"{payment_reference!r} is not a Stripe PaymentIntent id (pi_…).")
        amount_minor = minor_units(amount, currency)
        if retry:
            found = self._existing(payment_reference, key)
            if found is not None:
                return found
        left = self._refundable_minor(payment_reference, currency)
        if amount_minor > left:
            raise ProviderRefused(
                f"Only {left} of {amount_minor} (in {currency.upper()} minor units) is left to refund "
                f"on {payment_reference}: nothing was asked of Stripe."
            )
        params = {
            "payment_intent": payment_reference,
            "amount": amount_minor,
            "metadata": {**metadata, "alotrop_idempotency_key": key},
        }
        refund = _call(lambda: self.client.v1.refunds.create(params=params, options={"idempotency_key": key}))
        return _as_refund(refund)

    def refund_status(self, *, reference: str) -> ProviderRefund:
        return _as_refund(_call(lambda: self.client.v1.refunds.retrieve(reference)))

    def webhook_refund(self, *, body: bytes, headers) -> ProviderRefund | None:
        """Stripe's webhook, verified by the library; the refund it tells of, or None for other events."""
        if not settings.STRIPE_WEBHOOK_SECRET:
            raise WebhookRejected("STRIPE_WEBHOOK_SECRET is not set.")
        try:
            event = stripe.Webhook.construct_event(
                body,
                headers.get("Stripe-Signature"),
                settings.STRIPE_WEBHOOK_SECRET,
                api_key=settings.STRIPE_SECRET_KEY or "sk_missing",
            )
            raw = event.to_dict()
            if problem := unstorable_text(raw):
                raise WebhookRejected(f"The event has text that cannot be stored: {problem}.")
            kind = raw.get("type")
            data = raw.get("data")
            obj = data.get("object") if isinstance(data, dict) else None
            refund = _as_refund(obj) if kind in REFUND_EVENTS and _is_refund(obj) else None
        except stripe.SignatureVerificationError as exc:
            raise WebhookRejected("The Stripe-Signature header does not verify.") from exc
        except (ValueError, RecursionError, LookupError, AttributeError, TypeError, OverflowError) as exc:
            # Signed, yet not an event: not UTF-8 or JSON, nested too deeply, a list, no "type", a refund
            # whose amount is not a number...
            raise WebhookRejected("The body is not a Stripe event.") from exc
        return refund


def provider(*, interactive: bool = False) -> StripeRefunds:
    return StripeRefunds(interactive=interactive)
