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


def _units(currency: str | None, language: str) -> tuple[tuple[str, float], ...]:
    """Compact units, largest first: 兆 / 億 / 万 for Japanese (or yen), else T / B / M / k."""
    if language == "ja" or currency == "JPY":
        return (("兆", 1e12), ("億", 1e8), ("万", 1e4))
    return (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3))


def format_count_compact(value: float, language: str = "en") -> str:
    """A count for people: 1.2M or 340k, or 34万 and 1.2億 in Japanese."""
    if not math.isfinite(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    v = abs(value)
    for unit, size in _units(None, language):
        if v >= size:
            return f"{sign}{v / size:,.1f}{unit}"
    return f"{sign}{v:,.0f}"


def format_ticks(
    values: list[float], currency: str | None = None, language: str = "en"
) -> list[str]:
    """Axis tick labels in one shared unit, with the fewest decimals that keep them exact.

    Money when `currency` is given (€0, €5M, €10M; ¥5,000万), otherwise counts (250k, 34万).
    """
    finite = [abs(v) for v in values if math.isfinite(v)]
    top = max(finite, default=0.0)
    unit, size = "", 1.0
    for u, s in _units(currency, language):
        if top >= s:
            unit, size = u, s
            break
    scaled = [v / size for v in values]
    max_decimals = 0 if currency in NO_DECIMALS and size == 1.0 else 3
    decimals = max_decimals
    for d in range(max_decimals + 1):
        if all(
            not math.isfinite(x) or abs(round(x, d) - x) <= 1e-9 * max(1.0, abs(x)) for x in scaled
        ):
            decimals = d
            break
    sym = symbol(currency) if currency else ""
    out = []
    for x in scaled:
        if not math.isfinite(x):
            out.append("")
        elif round(x, decimals) == 0:
            out.append(f"{sym}0")
        else:
            sign = "\u2212" if x < 0 else ""
            out.append(f"{sign}{sym}{abs(x):,.{decimals}f}{unit}")
    return out


def format_money_label(value: float, currency: str = "USD", language: str = "en") -> str:
    """A compact amount for a chart label, at most about three figures: €986k, €6.1M, ¥3,456万."""
    if not math.isfinite(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    v = abs(value)
    sym = symbol(currency)
    if v == 0:
        return f"{sym}0"
    for unit, size in _units(currency, language):
        if v >= size:
            x = v / size
            return f"{sign}{sym}{x:,.{0 if x >= 100 else 1}f}{unit}"
    decimals = 0 if currency in NO_DECIMALS or v >= 100 else 2
    return f"{sign}{sym}{v:,.{decimals}f}"
