"""Charts of the analyses a notebook shows beside the results: how complaints end by time to
answer, a queue's staffing, Sobol indices and the convergence of the mean. Each takes the
analysis's own result object and draws it in the package style, with a title that states the
finding (English; these charts are for the analyst's notebooks)."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from cxsim.outputs.charts.frame import frame_figure, new_figure
from cxsim.outputs.charts.style import ACCENT, DARK, INK, LIGHT, MID, MUTED, RULE, styled
from cxsim.outputs.i18n import input_name
from cxsim.outputs.labels import percent_words, wrap_label

__all__ = ["convergence", "resolution_curve", "sobol_indices", "staffing_levels"]


def _percent(x: float, _pos: int | None = None) -> str:
    """A share on an axis: 0%, 0.5%, 20%."""
    return "0%" if abs(x) < 1e-12 else percent_words(x).replace("-", "\u2212")


@styled
def resolution_curve(
    curve: Any, today_hours: float | None = None, *, ax: Axes | None = None
) -> Figure:
    """How answered complaints end (satisfied, mollified, dissatisfied) by hours to answer;
    `curve` is a `cxsim.support.contact_centre.ResolutionCurve`; a rule marks today's mean."""
    fig, ax, own = new_figure(ax)
    hours = np.linspace(0.0, 72.0, 145)
    split = np.asarray(curve.answered_split(hours), dtype=float)
    looks = (("Satisfied", DARK, "-"), ("Mollified", MID, "--"), ("Dissatisfied", ACCENT, ":"))
    for i, (label, color, dash) in enumerate(looks):
        ax.plot(hours, split[:, i], color=color, ls=dash, label=label)
        ax.annotate(
            label,
            xy=(hours[-1], split[-1, i]),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            color=color,
            fontsize=9,
        )
    ax.set_xlim(0, 72 * 1.16)
    ax.set_xticks([0, 6, 12, 24, 36, 48, 72])
    ax.set_xlabel("Hours to answer")
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(FuncFormatter(_percent))
    ax.set_ylabel("Share of answered complaints")
    ax.grid(axis="y")
    satisfied_now = float(curve.answered_split(np.array([0.0]))[0][0])
    if today_hours is not None:
        at = float(curve.answered_split(np.array([today_hours]))[0][0])
        ax.axvline(today_hours, color=RULE, lw=1.2)
        ax.annotate(
            f"today: {today_hours:.1f} h",
            xy=(today_hours, 0.97),
            xytext=(4, 0),
            textcoords="offset points",
            va="top",
            color=MUTED,
            fontsize=8.5,
        )
        title = (
            f"Answered in {today_hours:.0f} hours, {percent_words(at)} of complainers end "
            f"satisfied; answered at once, {percent_words(satisfied_now)}"
        )
    else:
        title = f"Answered at once, {percent_words(satisfied_now)} of complainers end satisfied"
    frame_figure(
        fig,
        None if own else ax,
        title,
        "The scenario's support.resolution: complaints never answered count as dissatisfied",
        None,
        "en",
    )
    return fig


@styled
def staffing_levels(result: Any, *, ax: Axes | None = None) -> Figure:
    """A queue's service level and abandon rate by agents: lines the formula (Erlang A or C),
    dots the simulation with its 95% interval; `result` is `cxsim.staffing(...)`."""
    fig, ax, own = new_figure(ax)
    frame = result.to_frame()
    name = "Erlang C" if result.model == "erlang_c" else "Erlang A"
    sl = result.inputs["sl_seconds"]
    for field, label, color, dash in (
        ("service_level", f"Answered within {sl:g} s", DARK, "-"),
        ("abandon_rate", "Hung up", ACCENT, "--"),
    ):
        ax.plot(frame.index, frame[f"{field}_analytic"], color=color, ls=dash, label=label)
        ax.errorbar(
            frame.index,
            frame[field],
            yerr=frame[f"{field}_hw"],
            fmt="o",
            color=color,
            ms=4,
            capsize=3,
            elinewidth=1,
        )
    if result.target is not None:
        ax.axhline(result.target, color=RULE, ls="--", lw=1)
    ax.set_xticks(list(frame.index))
    ax.set_xlabel("Agents")
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(FuncFormatter(_percent))
    ax.set_ylabel("Share of calls")
    ax.grid(axis="y")
    ax.legend(loc="center right")
    agents = result.answer["agents"]
    title = (
        f"{agents} agents answer {percent_words(float(frame.loc[agents, 'service_level']))} "
        f"of calls within {sl:g} s"
        if agents in frame.index
        else f"Service level by staffing ({name})"
    )
    frame_figure(
        fig,
        None if own else ax,
        title,
        f"Lines: {name}; dots: the simulation with its 95% interval"
        + (f"; dashed: the {percent_words(result.target)} target" if result.target else ""),
        None,
        "en",
    )
    return fig


@styled
def sobol_indices(sobol: Any, top: int = 10, *, ax: Axes | None = None) -> Figure:
    """The inputs with the largest total Sobol index: alone (S1) and with interactions (ST),
    each with its bootstrap interval; `sobol` is `cxsim.analysis.sensitivity.sobol(...)`."""
    table = sobol.to_frame().sort_values("ST", ascending=False).head(top)
    fig, ax, own = new_figure(ax, (10.0, max(5.625, 0.38 * len(table) + 2.0)))
    ys = np.arange(len(table), dtype=float)
    for key, offset, color, label in (
        ("ST", -0.18, DARK, "With its interactions (ST)"),
        ("S1", 0.18, LIGHT, "Alone (S1)"),
    ):
        values = table[key].to_numpy(dtype=float)
        low = table[f"{key}_low"].to_numpy(dtype=float)
        high = table[f"{key}_high"].to_numpy(dtype=float)
        ax.barh(ys + offset, values, height=0.34, color=color, label=label)
        ax.errorbar(
            values,
            ys + offset,
            xerr=[np.maximum(values - low, 0), np.maximum(high - values, 0)],
            fmt="none",
            ecolor=INK,
            elinewidth=0.8,
            capsize=2,
        )
    ax.axvline(0, color=RULE, lw=0.8)
    names = [wrap_label(input_name(str(i)), 40, 2) for i in table.index]
    ax.set_yticks(ys, names)
    ax.set_ylim(len(table) - 0.4, -0.6)
    ax.tick_params(axis="y", length=0)
    ax.xaxis.set_major_formatter(FuncFormatter(_percent))
    ax.set_xlabel("Share of the variance of the output")
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    ax.legend(loc="lower right")
    first = table.iloc[0] if len(table) else None
    title = (
        f"{input_name(str(table.index[0]))} drives {percent_words(float(first['ST']))} of "
        "the variance, with its interactions"
        if first is not None
        else "Sobol indices"
    )
    frame_figure(
        fig,
        None if own else ax,
        title,
        f"Sobol indices from {sobol.evaluations:,} evaluations of the expected-value model; "
        "whiskers: bootstrap intervals",
        None,
        "en",
    )
    return fig


@styled
def convergence(result: Any, *, ax: Axes | None = None) -> Figure:
    """How precise the mean is as runs are added: the 95% half-width as a share of the mean,
    against the target; `result` is `cxsim.analysis.sensitivity.convergence(...)`."""
    fig, ax, own = new_figure(ax)
    t = result.to_frame()
    ax.plot(t["runs"], t["relative"], marker="o", color=DARK, ms=4)
    ax.axhline(result.precision, color=ACCENT, ls="--", lw=1.2)
    ax.annotate(
        f"target ±{percent_words(result.precision)}",
        xy=(1, result.precision),
        xycoords=("axes fraction", "data"),
        xytext=(-4, 4),
        textcoords="offset points",
        ha="right",
        va="bottom",
        color=ACCENT,
        fontsize=8.5,
    )
    runs = t["runs"].to_numpy(dtype=float)
    ax.set_xlim(0, runs.max() * 1.08 if len(runs) else 1)
    ax.set_ylim(0, max(float(t["relative"].max()), result.precision) * 1.15)
    ax.yaxis.set_major_formatter(FuncFormatter(_percent))
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:,.0f}")
    ax.set_xlabel("Runs")
    ax.set_ylabel("95% interval of the mean, ± share of it")
    ax.grid(axis="y")
    last = float(t["relative"].iloc[-1]) if len(t) else float("nan")
    title = (
        f"{result.runs:,} runs pin the mean down to ±{percent_words(last)}"
        if result.converged
        else f"After {result.runs:,} runs the mean is known to ±{percent_words(last)}: "
        f"short of ±{percent_words(result.precision)}"
    )
    frame_figure(
        fig,
        None if own else ax,
        title,
        "Runs added in chunks until the 95% interval of the mean is within the target",
        None,
        "en",
    )
    return fig
