"""Money and count labels in the scenario's currency: $1.2M, €3.4B, ¥1.2億."""

from __future__ import annotations

import math

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "KRW": "₩"}
NO_DECIMALS = {"JPY", "KRW"}


def symbol(currency: str) -> str:
    return SYMBOLS.get(currency, currency + " ")


def format_money(
    value: float, currency: str = "USD", compact: bool = True, language: str = "en"
) -> str:
    """A money amount for people: compact (1.2M, or 万 / 億 in Japanese) or in full."""
    if not math.isfinite(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    v = abs(value)
    sym = symbol(currency)
    if compact:
        if language == "ja" or currency == "JPY":
            for unit, size in (("兆", 1e12), ("億", 1e8), ("万", 1e4)):
                if v >= size:
                    return f"{sign}{sym}{v / size:,.1f}{unit}"
        else:
            for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
                if v >= size:
                    return f"{sign}{sym}{v / size:,.1f}{unit}"
    decimals = 0 if currency in NO_DECIMALS or v >= 1000 else 2
    return f"{sign}{sym}{v:,.{decimals}f}"


def format_count(value: float) -> str:
    return f"{value:,.0f}" if math.isfinite(value) else "n/a"
