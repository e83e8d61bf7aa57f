"""Money and count labels in the scenario's currency: $1.2M, €3.4B, ¥120M, and in Japanese
1.2億円 (yen written the Japanese way)."""

from __future__ import annotations

import math
from collections.abc import Callable

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "KRW": "₩"}
NO_DECIMALS = {"JPY", "KRW"}


def symbol(currency: str) -> str:
    return SYMBOLS.get(currency, currency + " ")


def yen_words(currency: str | None, language: str) -> bool:
    """Whether amounts are written the Japanese way, 12.4億円 (a yen amount in a Japanese
    text), rather than with a leading symbol (¥1.2B in English, $3.4万 for dollars)."""
    return language == "ja" and currency == "JPY"


def amount(sign: str, digits: str, unit: str, currency: str | None, language: str) -> str:
    """Sign, digits and unit put together in the currency's written form: $12.3M, ¥120M,
    12.4億円 (yen in Japanese); no symbol for a count (`currency` None)."""
    if currency is None:
        return f"{sign}{digits}{unit}"
    if yen_words(currency, language):
        return f"{sign}{digits}{unit}円"
    return f"{sign}{symbol(currency)}{digits}{unit}"


def money_range(
    low: float, high: float, currency: str = "USD", language: str = "en", mean: float | None = None
) -> str:
    """An interval in one unit: 0.6億円〜2.0億円 in Japanese, $0.6M–$2.0M in English (never
    6,361万円〜2億円). The unit is chosen from the largest of the bounds and
    `mean` (when the interval is printed beside it)."""
    fmt = shared_unit([low, high, *([mean] if mean is not None else [])], currency, language)
    return f"{fmt(low)}{'〜' if language == 'ja' else '–'}{fmt(high)}"


def format_money(
    value: float, currency: str = "USD", compact: bool = True, language: str = "en"
) -> str:
    """A money amount for people: compact (1.2M, or 万 / 億 in Japanese) or in full."""
    if not math.isfinite(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    v = abs(value)
    if compact:
        for unit, size in _units(currency, language):
            if v >= size:
                return amount(sign, f"{v / size:,.1f}", unit, currency, language)
    decimals = 0 if currency in NO_DECIMALS or v >= 1000 else 2
    return amount(sign, f"{v:,.{decimals}f}", "", currency, language)


def format_count(value: float) -> str:
    return f"{value:,.0f}" if math.isfinite(value) else "n/a"


def _units(currency: str | None, language: str) -> tuple[tuple[str, float], ...]:
    """Compact units, largest first: 兆 / 億 / 万 in Japanese, else T / B / M / k (an English
    report of a yen scenario writes ¥120M, never 1.2億円)."""
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
    from its largest value, in any language (€0, €5M, €10M; 0.5億円, 1.0億円, 1.5億円; 250k),
    so no axis shows 7,969万円 beside 1.2億円.
    """
    units = _units(currency, language)
    finite = [abs(v) for v in values if math.isfinite(v)]

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
            out.append(amount("", "0", "", currency, language))
        else:
            sign = "\u2212" if x < 0 else ""
            out.append(amount(sign, f"{abs(x):,.{decimals}f}", unit, currency, language))
    return out


def _fewest_decimals(scaled: list[float], most: int) -> int:
    """The fewest decimals (up to `most`) that write every value exactly."""
    for d in range(most + 1):
        if all(abs(round(x, d) - x) <= 1e-9 * max(1.0, abs(x)) for x in scaled):
            return d
    return most


def shared_unit(
    values: list[float],
    currency: str | None = None,
    language: str = "en",
    decimals: int | None = None,
) -> Callable[[float], str]:
    """A formatter for a table's column or a chart's labels: one unit for all `values`, chosen
    from the largest (0.8億円 beside 1.2億円, never 7,969万円 beside 1.2億円), about three figures
    (or `decimals` after the point, for a table whose small lines matter: $3.2M beside $168.0M)."""
    finite = [abs(v) for v in values if math.isfinite(v)]
    top = max(finite, default=0.0)
    unit, size = next(((u, s) for u, s in _units(currency, language) if top >= s), ("", 1.0))
    if decimals is None or (size == 1.0 and currency in NO_DECIMALS):
        decimals = 0 if size == 1.0 or top / size >= 100 else 1

    def fmt(v: float) -> str:
        if not math.isfinite(v):
            return "n/a"
        x = v / size
        if round(x, decimals) == 0:
            return amount("", "0", "", currency, language)
        sign = "-" if x < 0 else ""
        return amount(sign, f"{abs(x):,.{decimals}f}", unit, currency, language)

    return fmt


def format_money_label(value: float, currency: str = "USD", language: str = "en") -> str:
    """A compact amount for a label, about three figures at most: €986k, €6.1M, €12k, 3,456万円."""
    if not math.isfinite(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v == 0:
        return amount("", "0", "", currency, language)
    for unit, size in _units(currency, language):
        if v >= size:
            x = v / size
            digits = f"{x:,.{0 if x >= 100 else 1}f}".removesuffix(".0")
            return amount(sign, digits, unit, currency, language)
    decimals = 0 if currency in NO_DECIMALS or v >= 100 else 2
    return amount(sign, f"{v:,.{decimals}f}", "", currency, language)


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
