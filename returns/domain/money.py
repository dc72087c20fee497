"""Money as customers and staff read it, one way everywhere: pages, emails, the policy's sentences."""

from decimal import Decimal, InvalidOperation

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


def format_money(value: Decimal | int | float | str, currency: str = "USD") -> str:
    """``format_money(Decimal("12.5"), "USD")`` -> ``$12.50``; negatives get a real minus sign.

    A currency without a known symbol is written after the figure (``12.50 SEK``).
    A value that is not a number is returned as text unchanged.
    """
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    sign = "−" if amount < 0 else ""
    text = f"{abs(amount):,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency or "USD")
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"
