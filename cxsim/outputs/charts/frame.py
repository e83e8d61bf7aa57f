"""What every chart is built from: tick formatters, a figure with its title and footnote,
bands, series, bar labels and legends."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import Formatter, MaxNLocator

from cxsim._version import __version__
from cxsim.engine.results import Results
from cxsim.engine.stats import interval
from cxsim.formatting.money import format_ticks
from cxsim.formatting.tables import text_width
from cxsim.outputs.charts.style import BAND_ALPHA, FIGSIZE, INK, MUTED, SERIES, FloatArray
from cxsim.outputs.i18n import text
from cxsim.outputs.labels import title_weight, wrap_label

# --- small helpers --------------------------------------------------------------------------


class TickFormatter(Formatter):
    """Tick labels in one unit with the fewest decimals: €0, €5M, €10M; 5,000万円; 250k."""

    def __init__(self, currency: str | None, language: str) -> None:
        self.currency = currency
        self.language = language

    def __call__(self, x: float, pos: int | None = None) -> str:
        return format_ticks([x], self.currency, self.language)[0]

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        """Labels for the ticks in view (the locator also gives some beyond the axis ends,
        which must not choose the unit: $400M–$900M, not $0.4B–$0.9B)."""
        values = list(values)
        if self.axis is None:
            return format_ticks(values, self.currency, self.language)
        lo, hi = sorted(self.axis.get_view_interval())
        tol = (hi - lo) * 1e-9
        shown = [lo - tol <= v <= hi + tol for v in values]
        labels = iter(
            format_ticks(
                [v for v, s in zip(values, shown, strict=True) if s], self.currency, self.language
            )
        )
        return [next(labels) if s else "" for s in shown]


class PercentTicks(Formatter):
    """Percent tick labels (of values already in percent) with the fewest decimals: 6.5%."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self.format_ticks([x])[0]

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        return [f"{v}%" if v else "" for v in format_ticks(list(values), None, "en")]


class OutcomeLike(Protocol):
    """What the comparison charts need of `cxsim.analysis.compare.Outcome`."""

    @property
    def name(self) -> str: ...
    @property
    def results(self) -> Results: ...
    @property
    def loss_avoided(self) -> FloatArray: ...
    @property
    def cost(self) -> FloatArray: ...
    @property
    def npv(self) -> FloatArray: ...
    @property
    def payback_periods(self) -> FloatArray: ...
    @property
    def p_pays(self) -> float: ...


class ComparisonLike(Protocol):
    """What the comparison charts need of `cxsim.analysis.compare.Comparison`."""

    @property
    def baseline(self) -> Results: ...
    @property
    def outcomes(self) -> Sequence[OutcomeLike]: ...


def new_figure(
    ax: Axes | None, figsize: tuple[float, float] = FIGSIZE
) -> tuple[Figure, Axes, bool]:
    """A new styled figure with one axes, or the caller's axes (then no footnote)."""
    if ax is not None:
        fig = ax.get_figure()
        assert isinstance(fig, Figure)
        return fig, ax, False
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot(), True


HEADER_IN = 0.72  # inches above the plot for a title and its subtitle
FOOTER_IN = 0.3  # inches below it for the footnote


def frame_figure(
    fig: Figure,
    ax: Axes | None,
    title: str,
    subtitle: str | None,
    results: Results | None,
    language: str,
) -> None:
    """Title, subtitle and footnote. On a figure of our own they sit at its left edge, in bands
    the layout keeps free; on a caller's axes, only the title and subtitle, over the axes."""
    if ax is not None:
        ax.set_title(title, pad=22 if subtitle else 8, fontweight=title_weight(language))
        if subtitle:
            ax.annotate(
                subtitle,
                xy=(0, 1),
                xycoords="axes fraction",
                xytext=(0, 7),
                textcoords="offset points",
                ha="left",
                va="bottom",
                color=MUTED,
                fontsize=9.5,
            )
        return
    height = fig.get_figheight()
    x = 0.12 / fig.get_figwidth()
    fig.text(
        x,
        1 - 0.14 / height,
        title,
        ha="left",
        va="top",
        fontsize=13,
        fontweight=title_weight(language),
    )
    if subtitle:
        # one line across the page: smaller type where a long subtitle would run off it
        # (about 0.55 em a character; a wide East Asian character counts 2)
        fits = (fig.get_figwidth() - 0.24) * 72 / (0.55 * 9.5)
        size = max(7.0, min(9.5, 9.5 * fits / max(text_width(subtitle), 1)))
        fig.text(x, 1 - 0.44 / height, subtitle, ha="left", va="top", fontsize=size, color=MUTED)
    if results is not None:
        # the expected-value model has no runs nor seed: say which model instead
        expected = getattr(results, "method", "") == "expected"
        note = text(
            "footnote_expected" if expected else "footnote",
            language,
            scenario=results.scenario.name,
            runs=f"{results.runs:,}",
            seed=results.seed,
            version=__version__,
        )
        fig.text(x, 0.1 / height, note, ha="left", va="bottom", fontsize=7.5, color=MUTED)
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        top = HEADER_IN if subtitle else HEADER_IN - 0.25
        engine.set(rect=(0, FOOTER_IN / height, 1, 1 - (top + FOOTER_IN) / height))


def money_axis(axis: Any, results: Results, language: str) -> None:
    axis.set_major_formatter(TickFormatter(results.currency, language))
    axis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))


def percentile_band(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Mean, P5 and P95 over runs (axis 0) of a (runs, periods) array; NaN where no data."""
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    mean = np.full(x.shape[1], np.nan)
    lo = np.full(x.shape[1], np.nan)
    hi = np.full(x.shape[1], np.nan)
    for t in range(x.shape[1]):
        col = x[ok[:, t], t]
        if col.size:
            mean[t] = col.mean()
            lo[t], hi[t] = interval(col)
    return mean, lo, hi


def interval_of(x: FloatArray) -> tuple[float, float, float]:
    x = np.asarray(x, dtype=float)
    return (float(x.mean()), *interval(x))


def plot_series(
    subject: Results | ComparisonLike, language: str, top: int
) -> tuple[Results, list[tuple[str, Results]], str | None]:
    """The baseline and up to `top` interventions (best NPV first) to draw as lines."""
    if isinstance(subject, Results):
        return subject, [(text("baseline", language), subject)], None
    outcomes = list(subject.outcomes)
    shown = outcomes[:top]
    lines = [(text("baseline", language), subject.baseline)]
    lines += [(wrap_label(o.name, 26), o.results) for o in shown]
    note = (
        text("top_of", language, n=len(shown), total=len(outcomes))
        if len(outcomes) > len(shown)
        else None
    )
    return subject.baseline, lines, note


def label_bars(
    ax: Axes, ys: Iterable[float], xs: Iterable[float], labels: Iterable[str], **kw: Any
) -> None:
    """Value labels just right of each horizontal bar's end."""
    for y, x, label in zip(ys, xs, labels, strict=True):
        ax.annotate(
            label,
            xy=(x, y),
            xytext=(5, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=8.5,
            color=INK,
            **kw,
        )


def room_right(ax: Axes, right: float, left: float = 0.0, share: float = 0.22) -> None:
    """Leave a share of the x range free on the right for value labels."""
    span = max(right - left, 1e-9)
    ax.set_xlim(left, right + share * span)


def legend_right(fig: Figure, ax: Axes, note: str | None) -> None:
    """One legend for the figure, outside the plots on the right, clear of title and footnote."""
    handles, labels = ax.get_legend_handles_labels()
    legend = fig.legend(handles, labels, loc="outside right center", title=note)
    legend.get_title().set_color(MUTED)
    legend.get_title().set_fontsize(8.5)


def draw_lines(
    ax: Axes,
    lines: Sequence[tuple[str, Results]],
    series: Callable[[Results], FloatArray],
    band_all: bool = False,
    start: int = 0,
) -> None:
    """Mean of each world's series; the P5–P95 band for the baseline (or for all). Styles
    follow `SERIES` from `start`, so a world keeps its look from panel to panel."""
    for k, (label, r) in enumerate(lines, start):
        color, dash = SERIES[k % len(SERIES)]
        mean, lo, hi = percentile_band(series(r))
        t = np.arange(1, mean.size + 1)
        if r.runs > 1 and (k == 0 or band_all):
            ax.fill_between(t, lo, hi, color=color, alpha=BAND_ALPHA[k % 4], lw=0)
        ax.plot(t, mean, color=color, ls=dash, lw=1.6, label=label)


def time_axis(ax: Axes, results: Results, language: str, label: bool = True) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
    ax.set_xlim(1, results.scenario.economics.horizon)
    if label:
        ax.set_xlabel(text(results.scenario.economics.period, language))
    ax.grid(axis="y")
