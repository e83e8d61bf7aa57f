"""Charts over time: active customers and the indicators (churn, CSAT, NPS, response)."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cxsim.engine.results import Results
from cxsim.outputs import findings
from cxsim.outputs.charts.frame import (
    ComparisonLike,
    PercentTicks,
    TickFormatter,
    draw_lines,
    frame_figure,
    legend_right,
    new_figure,
    plot_series,
    time_axis,
)
from cxsim.outputs.charts.style import FIGSIZE, INK, FloatArray, styled
from cxsim.outputs.i18n import text
from cxsim.outputs.labels import language_for, title_weight


@styled
def customers_over_time(
    subject: Results | ComparisonLike,
    *,
    language: str | None = None,
    ax: Axes | None = None,
    top: int = 3,
) -> Figure:
    """Active customers per period, mean with a P5–P95 band. Given a comparison, the baseline
    against the `top` interventions by NPV, and beside it the customers each one keeps over
    the baseline (a difference on common random numbers, so its band is narrow)."""
    base = subject if isinstance(subject, Results) else subject.baseline
    lang = language_for(base, language)
    base, lines, note = plot_series(subject, lang, top)
    compared = len(lines) > 1
    if ax is not None or not compared:
        fig, ax, own = new_figure(ax)
        axes = [ax]
    else:
        own = True
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        axes = list(fig.subplots(1, 2))
    draw_lines(axes[0], lines, lambda r: r.periods["active"])
    axes[0].set_ylabel(text("customers", lang))
    axes[0].yaxis.set_major_formatter(TickFormatter(None, lang))
    time_axis(axes[0], base, lang)
    if compared and len(axes) == 2:
        kept = axes[1]
        base_active = base.periods["active"]
        draw_lines(kept, lines[1:], lambda r: r.periods["active"] - base_active, True, start=1)
        kept.axhline(0, color=INK, lw=0.9)
        kept.set_title(
            text("kept_vs_baseline", lang), fontsize=10.5, pad=6, fontweight=title_weight(lang)
        )
        axes[0].set_title(
            text("customers", lang), fontsize=10.5, pad=6, fontweight=title_weight(lang)
        )
        axes[0].set_ylabel("")
        kept.yaxis.set_major_formatter(TickFormatter(None, lang))
        time_axis(kept, base, lang)
        legend_right(fig, axes[0], note)
        subtitle = text("sub_bands_cmp", lang, runs=f"{base.runs:,}")
    else:
        if compared:
            axes[0].legend(loc="best", title=note)
        subtitle = text("sub_bands", lang, runs=f"{base.runs:,}")
    title = findings.customers(base, lines, lang)
    frame_figure(fig, None if own else ax, title, subtitle, base, lang)
    return fig


def _indicator_panels(r: Results) -> dict[str, tuple[FloatArray, str]]:
    """Per-run indicator series (runs, periods) and their unit: churn, CSAT, NPS, response."""
    p = {k: np.asarray(v, dtype=float) for k, v in r.periods.items()}
    with np.errstate(divide="ignore", invalid="ignore"):
        churn = np.where(p["active"] > 0, (p["churned"] + p["defected"]) / p["active"], np.nan)
        csat = np.where(p["complaints"] > 0, p["satisfied"] / p["complaints"], np.nan)
    return {
        "churn": (churn * 100, "percent"),
        "csat": (csat * 100, "percent"),
        "nps": (p["nps"], "points"),
        "response_hours": (p["response_hours"], "hours"),
    }


def _indicator_finding(base: Results, lang: str) -> str:
    panels = _indicator_panels(base)
    with np.errstate(all="ignore"):
        churn = float(np.nanmean(panels["churn"][0])) / 100
        csat = panels["csat"][0]
        csat_mean = float(np.nanmean(csat)) / 100 if np.isfinite(csat).any() else float("nan")
    return findings.indicators(base, churn, csat_mean, lang)


@styled
def indicators(
    subject: Results | ComparisonLike, *, language: str | None = None, top: int = 3
) -> Figure:
    """Churn, CSAT, NPS and response time per period, mean with the baseline's P5–P95 band;
    panels with no data (response time before the support model is on) are left out."""
    base = subject if isinstance(subject, Results) else subject.baseline
    lang = language_for(base, language)
    base, lines, note = plot_series(subject, lang, top)
    per_world = [_indicator_panels(r) for _, r in lines]
    names = [
        name
        for name in ("churn", "csat", "nps", "response_hours")
        if any(np.isfinite(w[name][0]).any() for w in per_world)
    ]
    n = len(names)
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    shape = (2, 2) if n == 4 else (1, n)
    axes = list(np.ravel(fig.subplots(*shape, sharex=True, squeeze=False)))
    period = base.scenario.economics.period
    for i, (ax, name) in enumerate(zip(axes, names, strict=True)):
        unit = per_world[0][name][1]
        worlds = [(label, r) for label, r in lines]
        series = {id(r): w[name][0] for (_, r), w in zip(lines, per_world, strict=True)}
        draw_lines(ax, worlds, lambda r, series=series: series[id(r)])  # type: ignore[misc]
        title = text(f"churn_{period}", lang) if name == "churn" else text(name, lang)
        ax.set_title(title, fontsize=10.5, pad=6, fontweight=title_weight(lang))
        if unit == "percent":
            ax.yaxis.set_major_formatter(PercentTicks())
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
        time_axis(ax, base, lang, label=n < 4 or i >= 2)
    if len(lines) > 1:
        legend_right(fig, axes[0], note)
    key = "sub_bands_base" if len(lines) > 1 else "sub_bands"
    frame_figure(
        fig,
        None,
        _indicator_finding(base, lang),
        text(key, lang, runs=f"{base.runs:,}"),
        base,
        lang,
    )
    return fig
