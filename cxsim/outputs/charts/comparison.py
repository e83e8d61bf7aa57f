"""Charts of a comparison: each intervention's value, cost and NPV."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from cxsim.engine.stats import describe_with_never
from cxsim.formatting.money import shared_unit
from cxsim.outputs import findings
from cxsim.outputs.charts.frame import (
    ComparisonLike,
    frame_figure,
    interval_of,
    label_bars,
    money_axis,
    new_figure,
    room_right,
)
from cxsim.outputs.charts.style import ACCENT, FIGSIZE, INK, LIGHT, MID, PALE, FloatArray, styled
from cxsim.outputs.i18n import text
from cxsim.outputs.labels import (
    language_for,
    percent_label,
    title_weight,
    value_basis,
    view_words,
    wrap_label,
)


def _outcome_table(comparison: ComparisonLike) -> list[dict[str, Any]]:
    rows = []
    for o in comparison.outcomes:
        rows.append(
            {
                "name": o.name,
                "avoided": interval_of(o.loss_avoided),
                # the cost side: serving, recovery and replacement costs spared (issue 14)
                "spared": interval_of(np.asarray(getattr(o, "cost_avoided", np.zeros(1)))),
                "cost": interval_of(o.cost),
                "npv": interval_of(o.npv),
                "p_pays": float(o.p_pays),
                "payback": _median_payback(o.payback_periods),
            }
        )
    return rows


def _median_payback(x: FloatArray) -> float:
    """The median payback by the one percentile definition; infinite where it never pays."""
    p50 = describe_with_never(x)["p50"]
    return float("inf") if p50 is None else p50


#: Costs below this share of the benefits get a panel of their own, on their own scale.
SEPARATE_COSTS = 0.1

_LOOKS: dict[str, dict[str, Any]] = {
    "avoided": {"color": MID, "edgecolor": MID},
    "spared": {"color": LIGHT, "edgecolor": MID, "hatch": "..."},
    "cost": {"color": PALE, "edgecolor": MID, "hatch": "///"},
}
_LABELS = {"avoided": "loss_avoided", "spared": "pnl_cost_avoided", "cost": "cost"}


@styled
def intervention_value(
    comparison: ComparisonLike, *, language: str | None = None, ax: Axes | None = None
) -> Figure:
    """Each intervention's loss avoided against its cost: means with P5–P95 whiskers. Costs
    under a tenth of the benefits get a panel of their own beside them, so they stay readable."""
    base = comparison.baseline
    lang = language_for(base, language)
    rows = _outcome_table(comparison)
    size = (FIGSIZE[0], max(FIGSIZE[1], 0.45 * len(rows) + 2.0))
    top_cost = max((r["cost"][2] for r in rows), default=0.0)
    top_avoided = max((r["avoided"][2] for r in rows), default=0.0)
    apart = ax is None and 0 < top_cost < SEPARATE_COSTS * top_avoided
    spared = any(r["spared"][0] != 0 or r["spared"][2] != 0 for r in rows)
    if apart:
        fig = Figure(figsize=size, layout="constrained")
        left, right = fig.subplots(1, 2, sharey=True, width_ratios=(3, 2))
        benefits = [("avoided", -0.16, 0.32), ("spared", 0.16, 0.32)] if spared else []
        _value_bars(left, rows, base, lang, benefits or [("avoided", 0.0, 0.6)])
        if spared:
            left.legend(loc="lower right")
        _value_bars(right, rows, base, lang, [("cost", 0.0, 0.6)])
        right.tick_params(axis="y", labelleft=False)
        right.set_xlabel(text("cost", lang) + (" （別目盛）" if lang == "ja" else " (own scale)"))
        axes, own = left, True
    else:
        fig, axes, own = new_figure(ax, size)
        series = (
            [("avoided", -0.26, 0.25), ("spared", 0.0, 0.25), ("cost", 0.26, 0.25)]
            if spared
            else [("avoided", -0.18, 0.36), ("cost", 0.18, 0.36)]
        )
        _value_bars(axes, rows, base, lang, series)
        axes.legend(loc="lower right")
    frame_figure(
        fig,
        None if own else axes,
        findings.intervention_value(rows, base, lang),
        text("sub_intervals", lang, runs=f"{base.runs:,}"),
        base,
        lang,
    )
    return fig


def _value_bars(
    ax: Axes,
    rows: list[dict[str, Any]],
    base: Any,
    lang: str,
    series: list[tuple[str, float, float]],
) -> None:
    """Bars with P5–P95 whiskers for each (key, offset, height) of `series`, on one axes."""
    # one unit for every label of the chart: 0.7億円 beside 2.0億円, not 7,156万円
    money = shared_unit([r[k][0] for r in rows for k, _, _ in series], base.currency, lang)
    ys = np.arange(len(rows), dtype=float)
    ends: list[float] = []
    for key, offset, h in series:
        means = np.array([r[key][0] for r in rows])
        lo = np.array([r[key][1] for r in rows])
        hi = np.array([r[key][2] for r in rows])
        label = text(_LABELS[key], lang)
        ax.barh(ys + offset, means, height=h, linewidth=0.7, label=label, **_LOOKS[key])
        ax.errorbar(
            means,
            ys + offset,
            xerr=[np.maximum(means - lo, 0), np.maximum(hi - means, 0)],
            fmt="none",
            ecolor=INK,
            elinewidth=1,
            capsize=2.5,
        )
        right = np.maximum(hi, means)
        label_bars(ax, ys + offset, right, [money(m) for m in means])
        ends.extend(right)
    ax.set_yticks(ys, [wrap_label(r["name"]) for r in rows])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    lo_all = min(0.0, *(min(r[key][1] for key, _, _ in series) for r in rows))
    room_right(ax, max(ends, default=1.0), lo_all)
    money_axis(ax.xaxis, base, lang)
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    if len(series) == 1 and series[0][0] == "avoided":
        ax.set_xlabel(text("loss_avoided", lang))
    elif len(series) > 1:
        ax.set_xlabel(value_basis(base, lang))


@styled
def intervention_npv(
    comparison: ComparisonLike, *, language: str | None = None, ax: Axes | None = None
) -> Figure:
    """NPV of each intervention (mean, P5–P95), with its chance of paying and payback."""
    base = comparison.baseline
    lang = language_for(base, language)
    rows = _outcome_table(comparison)
    money = shared_unit([r["npv"][0] for r in rows], base.currency, lang)
    fig, ax, own = new_figure(ax, (FIGSIZE[0], max(FIGSIZE[1], 0.42 * len(rows) + 2.0)))
    ys = np.arange(len(rows), dtype=float)
    unit = text(f"{base.scenario.economics.period}s", lang)
    for y, r in zip(ys, rows, strict=True):
        mean, lo, hi = r["npv"]
        look: dict[str, Any] = (
            {"color": MID, "edgecolor": MID}
            if mean >= 0
            else {"color": "white", "edgecolor": ACCENT, "hatch": "///"}
        )
        ax.barh(y, mean, height=0.58, linewidth=0.8, **look)
        ax.errorbar(
            mean,
            y,
            xerr=[[max(mean - lo, 0)], [max(hi - mean, 0)]],
            fmt="none",
            ecolor=INK,
            elinewidth=1,
            capsize=3,
        )
        payback = (
            text("payback", lang, n=f"{r['payback']:.0f}", unit=unit)
            if np.isfinite(r["payback"])
            else text("payback_never", lang)
        )
        ax.annotate(
            money(mean),
            xy=(1, y),
            xycoords=("axes fraction", "data"),
            xytext=(58, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=8.5,
            fontweight=title_weight(lang),
        )
        ax.annotate(
            f"{text('p_pays', lang, p=percent_label(r['p_pays']))} · {payback}",
            xy=(1, y),
            xycoords=("axes fraction", "data"),
            xytext=(68, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=8.5,
            color=INK,
        )
    ax.axvline(0, color=INK, lw=0.9)
    ax.set_yticks(ys, [wrap_label(r["name"]) for r in rows])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    money_axis(ax.xaxis, base, lang)
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(text("npv_axis", lang, view=view_words(base, lang)))
    frame_figure(
        fig,
        None if own else ax,
        findings.intervention_npv(rows, base, lang),
        text("sub_intervals", lang, runs=f"{base.runs:,}"),
        base,
        lang,
    )
    return fig
