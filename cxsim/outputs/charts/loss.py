"""Charts of the loss: its distribution, where in the journey it arises, and by pathway."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from cxsim.engine.results import Results
from cxsim.engine.stats import percentile
from cxsim.model.scenario import GROUPS, OPTIONAL_PATHWAYS, PATHWAYS
from cxsim.outputs import findings
from cxsim.outputs.charts.frame import (
    frame_figure,
    interval_of,
    label_bars,
    money_axis,
    new_figure,
    room_right,
)
from cxsim.outputs.charts.style import (
    DARK,
    FIGSIZE,
    GREY,
    GRID,
    INK,
    LIGHT,
    MID,
    MUTED,
    PALE,
    RULE,
    styled,
)
from cxsim.outputs.i18n import text
from cxsim.outputs.labels import (
    language_for,
    loss_basis,
    money_formatter,
    money_in_one_unit,
    percent_label,
)

# --- the charts -----------------------------------------------------------------------------


@styled
def loss_distribution(
    results: Results,
    *,
    language: str | None = None,
    ax: Axes | None = None,
    bins: int | None = None,
) -> Figure:
    """Histogram of the loss over runs, with P5, P50 and P95 marked; the 90% interval darker."""
    lang = language_for(results, language)
    fig, ax, own = new_figure(ax)
    x = results.metric("lost_revenue")
    s = results.stats("lost_revenue")
    money = money_in_one_unit(results, lang, (s[k] for k in ("mean", "p5", "p50", "p95")))
    if results.runs > 1 and np.ptp(x) > 0:
        n_bins = bins or int(np.clip(round(1.6 * np.sqrt(x.size)), 12, 45))
        _, edges, patches = ax.hist(
            x, bins=n_bins, weights=np.full(x.size, 1 / x.size), edgecolor="white", linewidth=0.6
        )
        bars = cast(Sequence[Any], patches)
        for patch, lo, hi in zip(bars, edges[:-1], edges[1:], strict=True):
            inside = hi > s["p5"] and lo < s["p95"]
            patch.set_facecolor(MID if inside else PALE)
        marks = (("p5", "P5", "--"), ("p50", "P50", "-"), ("p95", "P95", "--"))
        for key, name, dash in marks:
            ax.axvline(s[key], color=DARK if key != "p50" else INK, ls=dash, lw=1.5)
            ax.plot(
                [],
                [],
                color=DARK if key != "p50" else INK,
                ls=dash,
                label=f"{name}  {money(s[key])}",
            )
        ax.legend(loc="upper right", handlelength=2.4)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylabel(text("share_of_runs", lang))
        ax.grid(axis="y")
        subtitle = text(
            "sub_distribution", lang, mean=money(s["mean"]), p5=money(s["p5"]), p95=money(s["p95"])
        )
    else:
        ax.axvline(s["mean"], color=INK, lw=2)
        ax.set_yticks([])
        pad = abs(s["mean"]) * 0.2 or 1.0
        ax.set_xlim(s["mean"] - pad, s["mean"] + pad)
        subtitle = text("sub_distribution_one", lang, mean=money(s["mean"]))
    money_axis(ax.xaxis, results, lang)
    ax.set_xlabel(loss_basis(results, lang))
    frame_figure(
        fig,
        None if own else ax,
        findings.distribution(results, lang),
        subtitle,
        results,
        lang,
    )
    return fig


@styled
def loss_waterfall(
    results: Results, *, language: str | None = None, ax: Axes | None = None
) -> Figure:
    """Waterfall of the mean loss: each stage's subtotal, then its touchpoints, to the total."""
    lang = language_for(results, language)
    money = money_formatter(results, lang)
    per_tp = results.loss_by("touchpoint").mean(axis=0)
    total = float(per_tp.sum())
    share = (lambda v: percent_label(v / total)) if total else (lambda v: "")
    stages = results.stage_names()
    tp_stage = results.stages
    fig, ax, own = new_figure(
        ax, (FIGSIZE[0], max(FIGSIZE[1], 0.27 * (len(per_tp) + len(stages) + 1) + 1.6))
    )

    rows: list[tuple[str, float, float, str]] = []  # label, start, value, kind
    cum = 0.0
    for stage in stages:
        idx = [j for j, s in enumerate(tp_stage) if s == stage]
        sub = float(per_tp[idx].sum())
        rows.append((stage, cum, sub, "stage"))
        for j in idx:
            rows.append((results.touchpoints[j], cum, float(per_tp[j]), "touchpoint"))
            cum += float(per_tp[j])
    rows.append((text("total", lang), 0.0, total, "total"))

    ys = np.arange(len(rows), dtype=float)
    for y, (_, start, value, kind) in zip(ys, rows, strict=True):
        left, width = (start, value) if value >= 0 else (start + value, -value)
        if kind == "stage":
            ax.barh(y, width, left=left, height=0.62, color=MID, edgecolor=MID)
        elif kind == "touchpoint":
            neg = value < 0
            ax.barh(
                y,
                width,
                left=left,
                height=0.5,
                color="white" if neg else LIGHT,
                edgecolor=MID,
                linewidth=0.6,
                hatch="///" if neg else None,
            )
        else:
            ax.barh(y, width, left=left, height=0.7, color=DARK)
    ends = [max(start, start + value) for _, start, value, _ in rows]
    money = money_in_one_unit(results, lang, (v for _, _, v, _ in rows))
    labels = [f"{money(v)}  ·  {share(v)}" if total else money(v) for _, _, v, _ in rows]
    label_bars(ax, ys, ends, labels)
    for y, (_, _, _, kind) in zip(ys, rows, strict=True):
        if kind == "stage" and y > 0:
            ax.axhline(y - 0.5, color=GRID, lw=0.8, zorder=0)
    ax.axhline(ys[-1] - 0.5, color=RULE, lw=0.8)
    ax.set_yticks(ys, [("    " + r[0]) if r[3] == "touchpoint" else r[0] for r in rows])
    for tick, (_, _, _, kind) in zip(ax.get_yticklabels(), rows, strict=True):
        if kind != "touchpoint":
            tick.set_fontweight("bold")
        else:
            tick.set_color(MUTED)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(ys[-1] + 0.6, -0.6)
    lo = min(0.0, *(min(s, s + v) for _, s, v, _ in rows))
    room_right(ax, max(ends), lo)
    money_axis(ax.xaxis, results, lang)
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(loss_basis(results, lang))
    frame_figure(
        fig,
        None if own else ax,
        findings.waterfall(results, lang),
        text("sub_waterfall", lang, runs=f"{results.runs:,}", total=money(total)),
        results,
        lang,
    )
    return fig


@styled
def loss_by_pathway(
    results: Results, *, language: str | None = None, ax: Axes | None = None
) -> Figure:
    """The loss by pathway of Goodman's tree: silent defectors, complainers by outcome, word
    of mouth and lost sales, with 90% intervals. It shows why silent customers cost most."""
    lang = language_for(results, language)
    fig, ax, own = new_figure(ax)
    x = results.loss_by("pathway")
    money = money_in_one_unit(results, lang, x.mean(axis=0))
    total = float(results.metric("lost_revenue").mean())
    looks: dict[str, dict[str, Any]] = {
        "silent": {"color": DARK, "edgecolor": DARK},
        "satisfied": {"color": LIGHT, "edgecolor": MID, "hatch": "///"},
        "mollified": {"color": LIGHT, "edgecolor": MID, "hatch": "///"},
        "dissatisfied": {"color": LIGHT, "edgecolor": MID, "hatch": "///"},
        "word_of_mouth": {"color": PALE, "edgecolor": MID, "hatch": "..."},
        "lost_sales": {"color": GREY, "edgecolor": "#8c8c8c"},
        "referrals_not_made": {"color": PALE, "edgecolor": MID, "hatch": "\\\\"},
        "spent_less": {"color": LIGHT, "edgecolor": MID},
    }
    # Promoters' referrals and smaller wallets only where the scenario has them.
    shown = [
        (i, name)
        for i, name in enumerate(PATHWAYS)
        if name not in OPTIONAL_PATHWAYS or np.any(x[:, i] != 0)
    ]
    ys = np.arange(len(shown), dtype=float)
    ends, labels = [], []
    for y, (i, name) in zip(ys, shown, strict=True):
        mean, p5, p95 = interval_of(x[:, i])
        ax.barh(y, mean, height=0.62, linewidth=0.7, **looks[name])
        if results.runs > 1:
            ax.errorbar(
                mean,
                y,
                xerr=[[max(mean - p5, 0)], [max(p95 - mean, 0)]],
                fmt="none",
                ecolor=INK,
                elinewidth=1,
                capsize=3,
            )
        ends.append(max(mean, p95 if results.runs > 1 else mean, 0.0))
        labels.append(f"{money(mean)}  ·  {percent_label(mean / total)}" if total else money(mean))
    label_bars(ax, ys, ends, labels)
    ax.set_yticks(ys, [text(name, lang) for _, name in shown])
    ax.get_yticklabels()[0].set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(ys[-1] + 0.6, -0.6)
    lo = min(0.0, float(percentile(x, 5, axis=0).min()) if results.runs > 1 else x.min())
    room_right(ax, max(ends), lo, share=0.28)
    if lo < 0:
        ax.axvline(0, color=RULE, lw=0.8)
    money_axis(ax.xaxis, results, lang)
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(loss_basis(results, lang))
    means = x.mean(axis=0)
    silent = means[PATHWAYS.index("silent")]
    complainers = sum(means[PATHWAYS.index(g)] for g in GROUPS if g != "silent")
    key = "sub_pathway_silent" if silent > complainers else "sub_pathway"
    subtitle = (
        text(
            key,
            lang,
            silent=percent_label(silent / total),
            complainers=percent_label(complainers / total),
        )
        if total
        else None
    )
    frame_figure(
        fig,
        None if own else ax,
        findings.pathway(results, lang),
        subtitle,
        results,
        lang,
    )
    return fig
