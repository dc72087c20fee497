"""The payment provider behind refunds, chosen by ``REFUND_PROVIDER``.

Services call ``refund_provider()`` and the small interface below; they never
know which provider is configured. Each provider is a module of its own
(``manual``, ``stripe``, ``shopify_refunds``) that builds a ``RefundProvider``. A provider says which
of an order's references it pays through (``payment_reference_of``: Stripe the PaymentIntent,
Shopify its order id) and, when it cannot pay an order, why, in words for staff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from returns.models import Order

PROVIDERS = ("manual", "stripe", "shopify")
# The module of each: Shopify's orders mapping already has ``shopify``; its refunds are a module of their own.
MODULES = {"manual": "manual", "stripe": "stripe", "shopify": "shopify_refunds"}

# Currencies whose smallest unit is the unit itself (Stripe's list); three-decimal
# currencies count in thousandths.
ZERO_DECIMAL = frozenset(
    ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]
)
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


class ProviderUnavailable(Exception):
    """No answer, or an answer that says "try again later": nothing is known to have happened."""


class ProviderRefused(Exception):
    """A definite no: the provider did not and will not make this refund. The message is for staff."""


class WebhookRejected(Exception):
    """The webhook is not signed by its sender (or is not one we read); the message is safe to send back."""


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable_text(value: Any) -> str:
    """Where a parsed JSON body holds text that is not text, in plain words; "" if it holds none.

    JSON may escape half of a UTF-16 pair (``"\\ud800"``); Python reads it as a lone surrogate,
    which no UTF-8 database column, log line or email can hold. Walked without recursion, keys too.
    """
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if LONE_SURROGATE.search(key):
                    return f"a name in {where or 'the body'} has a lone surrogate (half of a UTF-16 pair)"
                pending.append((f"{where}.{key}" if where else key, child))
        elif isinstance(item, list):
            pending.extend((f"{where}[{index}]", child) for index, child in enumerate(item))
        elif isinstance(item, str) and LONE_SURROGATE.search(item):
            return f"{where or 'the body'} has a lone surrogate (half of a UTF-16 pair, such as \\ud800)"
    return ""


@dataclass(frozen=True)
class ProviderRefund:
    """A refund as the provider sees it. ``status`` is pending, succeeded or failed."""

    id: str
    status: str
    amount_minor: int = 0
    failure_reason: str = ""
    our_refund_id: int | None = None
    key: str = ""  # the idempotency key it was made with, when it was made by us
    # A provider that refunds by line (Shopify): (its line id, quantity) per refunded line, to match a refund
    # made by hand in its own admin to the refund waiting here.
    lines: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class RefundLine:
    """One accepted line of a refund, as a provider that refunds by line needs it."""

    line_id: str  # the provider's id of the order's line ("" when the order did not come with one)
    sku: str
    name: str
    quantity: int
    restock: bool  # back on the shelf (True) or not, as staff chose at inspection


@dataclass(frozen=True)
class RefundDetail:
    """What a refund is made of, for providers that show it (Shopify); Stripe pays the total alone."""

    lines: tuple[RefundLine, ...] = ()
    shipping: Decimal = Decimal(0)
    deduction: Decimal = Decimal(0)
    breakdown: tuple[tuple[str, str], ...] = ()  # (label, amount) as the customer was shown it
    rma: str = ""


NO_DETAIL = RefundDetail()


class RefundProvider(Protocol):
    name: str
    label: str
    automatic: bool  # False: staff pay by hand and paste the reference

    def payment_reference_of(self, order: Order) -> str:
        """The order's payment this provider refunds through; "" when it cannot pay this order."""
        ...

    def why_not_payable(self, order: Order) -> str:
        """Why this provider cannot pay a refund on ``order``, for staff ("" when it can)."""
        ...

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
    ) -> ProviderRefund: ...

    def refund_status(self, *, reference: str) -> ProviderRefund: ...

    def webhook_refund(self, *, body: bytes, headers) -> ProviderRefund | None: ...


def refund_provider(name: str | None = None, *, interactive: bool = False) -> RefundProvider:
    """The configured provider; ``interactive`` when a person's click waits for the answer (shorter timeouts)."""
    name = name or settings.REFUND_PROVIDER
    if name not in PROVIDERS:
        raise ImproperlyConfigured(f"REFUND_PROVIDER must be one of {', '.join(PROVIDERS)}, not {name!r}.")
    return import_module(f"{__name__}.{MODULES[name]}").provider(interactive=interactive)


def _exponent(currency: str) -> int:
    """How many decimal places the currency's smallest unit has."""
    return 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2


def minor_units(amount: Decimal, currency: str) -> int:
    """``12.34 USD`` -> 1234, ``1500 JPY`` -> 1500: the integer a provider's API wants, exactly."""
    currency = currency.upper()
    exponent = _exponent(currency)
    scaled = Decimal(amount) * (Decimal(10) ** exponent)
    if scaled != scaled.to_integral_value():
        raise ProviderRefused(f"{amount} {currency} cannot be paid: {currency} has {exponent} decimal places.")
    return int(scaled)


def from_minor_units(value: int, currency: str) -> Decimal:
    return (Decimal(value) / (Decimal(10) ** _exponent(currency.upper()))).quantize(Decimal("0.01"))
