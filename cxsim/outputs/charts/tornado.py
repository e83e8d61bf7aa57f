"""The tornado chart of a sensitivity analysis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from cxsim.engine.results import Results
from cxsim.formatting.money import format_count_compact, shared_unit
from cxsim.outputs import findings
from cxsim.outputs.charts.frame import TickFormatter, frame_figure, new_figure
from cxsim.outputs.charts.style import FIGSIZE, INK, MID, MUTED, PALE, styled
from cxsim.outputs.i18n import input_name, language_of, text
from cxsim.outputs.labels import what_is_lost, wrap_label

MONEY_OUTPUTS = ("lost_revenue", "revenue", "npv", "loss_avoided", "cost")


def tornado_frame(table: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A sensitivity table as a DataFrame with columns input, low, high, swing, and what the
    `cxsim.analysis.sensitivity.Tornado` it may come from says about itself."""
    info: dict[str, Any] = {}
    if hasattr(table, "bars") and hasattr(table, "base"):  # a cxsim.analysis.sensitivity.Tornado
        info = {
            "base": float(table.base),
            "output": table.output,
            "q": (table.low_q, table.high_q),
            "method": table.method,
        }
        table = table.to_list()
    frame = pd.DataFrame(table)
    if "input" not in frame.columns and frame.index.name == "input":
        frame = frame.reset_index()
    missing = {"input", "low", "high", "swing"} - set(frame.columns)
    if missing:
        raise ValueError(
            f"a tornado needs columns input, low, high, swing; missing {sorted(missing)}"
        )
    return frame, info


@styled
def tornado(
    table: Any,
    base: float | None = None,
    *,
    results: Results | None = None,
    currency: str | None = None,
    language: str | None = None,
    what: str | None = None,
    top: int = 10,
    ax: Axes | None = None,
) -> Figure:
    """Tornado of a sensitivity analysis: the output with each input at its low and its high
    value, the widest swing on top, around the `base` value.

    `table` is a `cxsim.analysis.sensitivity.Tornado` (which knows its base and output), or a
    DataFrame or list of rows with columns input, low, high and swing (then give `base`).
    """
    frame, info = tornado_frame(table)
    base = info.get("base") if base is None else base
    if base is None:
        raise ValueError("give the base value of the output (every input at its mean)")
    lang = language_of(language, default=results.scenario.language if results else "en")
    cur = currency or (results.currency if results else "USD")
    output = info.get("output", "lost_revenue")
    is_money = output in MONEY_OUTPUTS
    if what is None:
        if output == "lost_revenue":
            what = what_is_lost(results, lang) if results else text("lost_revenue", lang)
        else:
            what = text(output, lang) if output in ("npv", "loss_avoided", "cost") else output
    frame = frame.assign(_w=frame["swing"].abs()).sort_values("_w", ascending=False)
    hidden = max(0, len(frame) - top)
    frame = frame.head(top)
    label: Callable[[float], str] = (
        shared_unit([*frame["low"], *frame["high"], base], cur, lang)
        if is_money
        else (lambda v: format_count_compact(v, lang))
    )
    fig, ax, own = new_figure(ax, (FIGSIZE[0], max(FIGSIZE[1], 0.34 * len(frame) + 2.0)))
    ys = np.arange(len(frame), dtype=float)
    for key, look in (
        ("low", cast(dict[str, Any], {"color": PALE, "edgecolor": MID, "hatch": "///"})),
        ("high", cast(dict[str, Any], {"color": MID, "edgecolor": MID})),
    ):
        vals = frame[key].to_numpy(dtype=float)
        ax.barh(
            ys,
            vals - base,
            left=base,
            height=0.6,
            linewidth=0.7,
            label=text(f"{key}_input", lang),
            **look,
        )
    ax.axvline(base, color=INK, lw=1)
    at_low = frame["low"].to_numpy(dtype=float)
    at_high = frame["high"].to_numpy(dtype=float)
    lo, hi = np.minimum(at_low, at_high), np.maximum(at_low, at_high)
    for y, a, b in zip(ys, lo, hi, strict=True):
        ax.annotate(
            label(a),
            xy=(a, y),
            xytext=(-4, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=8.5,
        )
        ax.annotate(
            label(b),
            xy=(b, y),
            xytext=(4, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=8.5,
        )
    span = max(float(hi.max() - lo.min()), abs(base) * 0.01, 1e-9)
    ax.set_xlim(float(lo.min()) - 0.16 * span, float(hi.max()) + 0.16 * span)
    names = [input_name(str(i), lang) for i in frame["input"]]
    ax.set_yticks(ys, [wrap_label(n, 44, 3) for n in names])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(len(frame) - 0.4, -0.6)
    ax.xaxis.set_major_formatter(TickFormatter(cur if is_money else None, lang))
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(what)
    legend = ax.legend(
        loc="lower right", title=text("more_rows", lang, n=hidden) if hidden else None
    )
    if hidden:
        legend.get_title().set_color(MUTED)
    frame_figure(
        fig,
        None if own else ax,
        findings.tornado(
            names[0],
            label(min(at_low[0], at_high[0])),
            label(max(at_low[0], at_high[0])),
            lang,
            what[:1].lower() + what[1:] if lang == "en" else what,
        )
        if names
        else text("title_tornado", lang, what=what),
        _tornado_subtitle(info, label(base), lang),
        results,
        lang,
    )
    return fig


def _tornado_subtitle(info: dict[str, Any], base: str, lang: str) -> str:
    if "q" not in info:
        return text("sub_tornado", lang, base=base)
    low, high = (f"P{q * 100:g}" for q in info["q"])
    model = text("expected" if info.get("method") == "expected" else "monte_carlo", lang)
    why = text("sub_tornado_why", lang) if info.get("method") == "expected" else ""
    return text("sub_tornado_q", lang, low=low, high=high, model=model, base=base, why=why)
