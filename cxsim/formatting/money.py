"""Money and count labels in the scenario's currency: $1.2M, €3.4B, ¥1.2億."""

from __future__ import annotations

import math
from collections.abc import Callable

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
        for unit, size in _units(currency, language):
            if v >= size:
                return f"{sign}{sym}{v / size:,.1f}{unit}"
    decimals = 0 if currency in NO_DECIMALS or v >= 1000 else 2
    return f"{sign}{sym}{v:,.{decimals}f}"


def format_count(value: float) -> str:
    return f"{value:,.0f}" if math.isfinite(value) else "n/a"


def _units(currency: str | None, language: str) -> tuple[tuple[str, float], ...]:
    """Compact units, largest first: 兆 / 億 / 万 in Japanese, else T / B / M / k (an English
    report of a yen scenario writes ¥120M, never ¥1.2億)."""
    if language == "ja":
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
            x = v / size
            return f"{sign}{f'{x:,.{0 if x >= 100 else 1}f}'.removesuffix('.0')}{unit}"
    return f"{sign}{v:,.0f}"


def format_ticks(
    values: list[float], currency: str | None = None, language: str = "en"
) -> list[str]:
    """Axis tick labels with the fewest decimals that keep them exact.

    Money when `currency` is given, otherwise counts. One unit for the whole axis, chosen
    from its largest value, in any language (€0, €5M, €10M; ¥0.5億, ¥1億, ¥1.5億; 250k), so
    no axis shows ¥7,969万 beside ¥1.2億.
    """
    units = _units(currency, language)
    finite = [abs(v) for v in values if math.isfinite(v)]
    sym = symbol(currency) if currency else ""

    def unit_for(v: float) -> tuple[str, float]:
        return next(((u, s) for u, s in units if v >= s), ("", 1.0))

    shared = unit_for(max(finite, default=0.0))
    out = []
    for v in values:
        if not math.isfinite(v):
            out.append("")
            continue
        unit, size = shared
        group = [x for x in values if math.isfinite(x)]
        most = 0 if size == 1.0 and currency in NO_DECIMALS else 3
        decimals = _fewest_decimals([x / size for x in group], most)
        x = v / size
        if round(x, decimals) == 0:
            out.append(f"{sym}0")
        else:
            sign = "\u2212" if x < 0 else ""
            out.append(f"{sign}{sym}{abs(x):,.{decimals}f}{unit}")
    return out


def _fewest_decimals(scaled: list[float], most: int) -> int:
    """The fewest decimals (up to `most`) that write every value exactly."""
    for d in range(most + 1):
        if all(abs(round(x, d) - x) <= 1e-9 * max(1.0, abs(x)) for x in scaled):
            return d
    return most


def shared_unit(
    values: list[float], currency: str | None = None, language: str = "en"
) -> Callable[[float], str]:
    """A formatter for a table's column or a chart's labels: one unit for all `values`, chosen
    from the largest (¥0.8億 beside ¥1.2億, never ¥7,969万 beside ¥1.2億), about three figures."""
    finite = [abs(v) for v in values if math.isfinite(v)]
    top = max(finite, default=0.0)
    unit, size = next(((u, s) for u, s in _units(currency, language) if top >= s), ("", 1.0))
    sym = symbol(currency) if currency else ""
    decimals = 0 if size == 1.0 or top / size >= 100 else 1

    def fmt(v: float) -> str:
        if not math.isfinite(v):
            return "n/a"
        x = v / size
        if round(x, decimals) == 0:
            return f"{sym}0"
        sign = "-" if x < 0 else ""
        return f"{sign}{sym}{abs(x):,.{decimals}f}{unit}"

    return fmt


def format_money_label(value: float, currency: str = "USD", language: str = "en") -> str:
    """A compact amount for a label, about three figures at most: €986k, €6.1M, €12k, ¥3,456万."""
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
            digits = f"{x:,.{0 if x >= 100 else 1}f}".removesuffix(".0")
            return f"{sign}{sym}{digits}{unit}"
    decimals = 0 if currency in NO_DECIMALS or v >= 100 else 2
    return f"{sign}{sym}{v:,.{decimals}f}"


def significant(x: float, sig: int = 4) -> str:
    """A number with `sig` significant digits, never in exponent form (YAML 1.1 safe)."""
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    digits = sig - 1 - math.floor(math.log10(abs(x)))
    if digits > 0:
        text = f"{x:.{digits}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return f"{round(x, digits):.0f}"
