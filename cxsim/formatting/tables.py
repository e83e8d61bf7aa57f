"""Tables for people: the raw tables of results, formatted and ordered as the CLI shows them.

Results keep raw numbers in `to_frame()` (for computation); these functions turn such a table
into text cells (money in the scenario's currency, counts with separators, shares as percents),
sorted by loss where the CLI sorts by loss. The words for the loss come from `loss_words`, the
one place they are written.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING

from cxsim.formatting.money import format_count, format_money

if TYPE_CHECKING:
    import pandas as pd

    from cxsim.model.scenario import Economics

__all__ = [
    "clip",
    "display_attribution",
    "display_comparison",
    "display_metrics",
    "format_percent",
    "loss_words",
    "pad",
    "text_width",
]


def loss_words(economics: Economics) -> str:
    """What the loss is called: "lost margin" or "lost revenue", as the scenario counts it."""
    return "lost margin" if economics.value == "margin" else "lost revenue"


def text_width(s: str) -> int:
    """Display width, in a terminal or a fixed-width font: East Asian wide characters count
    twice (a Japanese stage name, 億円)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s: str, width: int, align: str = "<") -> str:
    """`s` with spaces to fill `width` display columns (`text_width`), on the right ("<", a
    label) or on the left (">", a figure): columns line up in Japanese too."""
    space = " " * max(width - text_width(s), 0)
    return s + space if align == "<" else space + s


def clip(s: str, width: int) -> str:
    """`s` cut to at most `width` display columns."""
    while text_width(s) > width:
        s = s[:-1]
    return s


def format_percent(value: float, decimals: int = 1) -> str:
    """A share as a percent: 0.1234 -> '12.3%'."""
    return f"{value:.{decimals}%}" if math.isfinite(value) else "n/a"


def _metric_rows(economics: Economics) -> dict[str, tuple[str, str]]:
    """Each headline metric: its label for people and how its values are shown."""
    basis = "margin" if economics.value == "margin" else "revenue"
    return {
        "lost_revenue": (loss_words(economics), "money"),
        "customers_lost": ("customers lost to failures", "count"),
        "lost_acquisitions": ("acquisitions lost (net)", "count"),
        "churn_rate": (f"churn per {economics.period}, all causes", "percent"),
        "revenue": (f"{basis} with failures", "money"),
    }


def _formatter(kind: str, currency: str, language: str) -> Callable[[float], str]:
    if kind == "money":
        return lambda v: format_money(v, currency, compact=False, language=language)
    if kind == "count":
        return format_count
    return lambda v: format_percent(v, 2)


def display_metrics(
    table: pd.DataFrame, economics: Economics, language: str = "en"
) -> pd.DataFrame:
    """The headline metrics table (`summary()`) with labelled rows and formatted cells."""
    import pandas as pd

    rows = _metric_rows(economics)
    out = {}
    for metric, values in table.iterrows():
        label, kind = rows.get(str(metric), (str(metric).replace("_", " "), "count"))
        fmt = _formatter(kind, economics.currency, language)
        out[label] = {col: fmt(float(v)) for col, v in values.items()}
    frame = pd.DataFrame.from_dict(out, orient="index")
    frame.index.name = "metric"
    return frame


def display_attribution(
    table: pd.DataFrame, economics: Economics, language: str = "en"
) -> pd.DataFrame:
    """An attribution table (`attribution_table(by)`) sorted by loss, largest first, formatted."""
    import pandas as pd

    money = _formatter("money", economics.currency, language)
    ordered = table.sort_values("mean", ascending=False, kind="stable")
    frame = pd.DataFrame(
        {
            col: [
                format_percent(float(v)) if col == "share" else money(float(v))
                for v in ordered[col]
            ]
            for col in ordered.columns
        },
        index=[str(i).replace("_", " ") for i in ordered.index],
    )
    frame.index.name = table.index.name
    return frame


def display_comparison(
    table: pd.DataFrame, currency: str, period: str, language: str = "en"
) -> pd.DataFrame:
    """A comparison's table (`to_frame()`), best NPV first, formatted: money in the currency,
    ROI and P(pays) as percents, payback in periods ('never' where it does not pay back)."""
    import pandas as pd

    money = _formatter("money", currency, language)

    def cell(col: str, v: object) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "never" if col.startswith("payback") else "n/a"
        x = float(v)  # type: ignore[arg-type]
        if col.startswith(("roi", "p_pays", "payback_periods_p_never")):
            return format_percent(x, 0)
        if col.startswith("payback"):
            return f"{x:,.0f} {period}s"
        return money(x)

    frame = pd.DataFrame(
        {col: [cell(col, v) for v in table[col]] for col in table.columns}, index=table.index
    )
    return frame
