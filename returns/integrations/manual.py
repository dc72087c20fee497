"""No provider: customer service pays in the processor's own dashboard and pastes the reference."""

from __future__ import annotations

from typing import TYPE_CHECKING

from returns.integrations import ProviderRefused, WebhookRejected

if TYPE_CHECKING:
    from returns.models import Order


class ManualRefunds:
    name = "manual"
    label = "by hand"
    automatic = False

    def payment_reference_of(self, order: Order) -> str:
        return ""

    def why_not_payable(self, order: Order) -> str:
        return "Refunds are issued by hand here (REFUND_PROVIDER=manual)."

    def refund_send(self, **kwargs):
        raise ProviderRefused("Refunds are issued by hand here (REFUND_PROVIDER=manual).")

    def refund_status(self, **kwargs):
        raise ProviderRefused("Refunds are issued by hand here (REFUND_PROVIDER=manual).")

    def webhook_refund(self, **kwargs):
        raise WebhookRejected("No refund provider is configured.")


def provider(*, interactive: bool = False) -> ManualRefunds:
    return ManualRefunds()
