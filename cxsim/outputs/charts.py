"""Client-ready charts of results and comparisons: each function returns a matplotlib Figure.

Every chart is built with the object-oriented API (`Figure()`, never pyplot state) inside one
`matplotlib.rc_context`, so nothing leaks between calls or into a notebook's own plots. The
style is restrained and survives greyscale print: one blue ramp varied in lightness, hatching
where categories must stay apart, dashes where lines must. Money axes are in the scenario's
currency (`cxsim.outputs.money.format_ticks`); titles and labels are English or Japanese
(`cxsim.outputs.i18n`), and names from the scenario render in any script: the Japanese font
IPAexGothic
is registered from matplotlib-fontja's bundled file (without importing that package, which
would change matplotlib's global settings) as a fallback behind matplotlib's default font.

    >>> from cxsim import charts
    >>> fig = charts.loss_distribution(results)      # in a notebook: shows the figure
    >>> fig.savefig("loss.png", dpi=200)
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ParamSpec, Protocol, cast

import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import Formatter, MaxNLocator, PercentFormatter
from numpy.typing import NDArray

from cxsim._version import __version__
from cxsim.engine.results import Results
from cxsim.model.scenario import GROUPS, PATHWAYS
from cxsim.outputs.i18n import input_name, language_of, text
from cxsim.outputs.money import format_count_compact, format_money_label, format_ticks

FloatArray = NDArray[np.float64]
P = ParamSpec("P")

#: Slide-shaped (16:9): the same figure serves a deck, a notebook and a report page.
FIGSIZE = (10.0, 5.625)
DPI = 200

# One blue ramp, light to dark, and neutral greys: distinct in lightness, so in greyscale too.
INK = "#222222"
MUTED = "#666666"
RULE = "#b0b0b0"
GRID = "#e8e8e8"
DARK = "#1b365d"
MID = "#4f7299"
LIGHT = "#9db4cc"
PALE = "#d6e1ec"
GREY = "#cfcfcf"
ACCENT = "#a23b2a"
#: Line series (baseline first): colour and dash differ together, so print keeps them apart.
SERIES = ((DARK, "-"), (ACCENT, "--"), (MID, "-."), ("#7a7a7a", ":"))
BAND_ALPHA = (0.22, 0.16, 0.16, 0.16)

DEFAULT_FONT = "DejaVu Sans"  # matplotlib's own, always installed
JAPANESE_FONT_FILE = "ipaexg.ttf"


# --- fonts and style ------------------------------------------------------------------------


def japanese_font_path() -> Path:
    """IPAexGothic as shipped inside matplotlib-fontja (found without importing the package)."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib-fontja is not installed; it ships the Japanese font")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / JAPANESE_FONT_FILE
    if not path.is_file():
        raise RuntimeError(f"matplotlib-fontja's font file is missing: {path}")
    return path


class _NoBoldNotice(logging.Filter):
    """Drop matplotlib's notice that the Japanese font has no bold (regular is used: fine)."""

    def __init__(self, family: str) -> None:
        super().__init__()
        self.needle = f"weight bold for {family}"

    def filter(self, record: logging.LogRecord) -> bool:
        return self.needle not in record.getMessage()


@functools.cache
def fonts() -> tuple[str, ...]:
    """Register the Japanese font with matplotlib (once); the family list, fallback last."""
    path = japanese_font_path()
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=path).get_name()
    logging.getLogger("matplotlib.font_manager").addFilter(_NoBoldNotice(family))
    return (DEFAULT_FONT, family)


def style() -> dict[str, Any]:
    """The rc settings every chart is drawn and saved with."""
    return {
        "font.family": list(fonts()),
        "font.size": 9.5,
        "text.parse_math": False,  # "$12M to $18M" is money, not mathematics
        "axes.titlesize": 12.5,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.titlecolor": INK,
        "axes.titlepad": 22,
        "axes.labelsize": 9.5,
        "axes.labelcolor": INK,
        "axes.edgecolor": RULE,
        "axes.linewidth": 0.8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.axisbelow": True,
        "axes.prop_cycle": cycler(color=[c for c, _ in SERIES]),
        "grid.color": GRID,
        "grid.linewidth": 0.8,
        "xtick.color": RULE,
        "ytick.color": RULE,
        "xtick.labelcolor": INK,
        "ytick.labelcolor": INK,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.frameon": False,
        "legend.fontsize": 9,
        "lines.linewidth": 1.8,
        "hatch.linewidth": 0.7,
        "figure.facecolor": "white",
        "figure.dpi": 100,
        "savefig.facecolor": "white",
        "savefig.dpi": DPI,
        "pdf.fonttype": 3,  # subset fonts, text stays searchable; 42 (TrueType) is 4x slower
        "svg.fonttype": "path",  # glyphs as outlines: an SVG shows the same with no fonts
    }


def theme() -> AbstractContextManager[None]:
    """`matplotlib.rc_context` with the style: for drawing or saving charts by hand."""
    return rc_context(style())  # type: ignore[arg-type]  # rc keys are typed as literals


def styled(chart: Callable[P, Figure]) -> Callable[P, Figure]:
    """Draw `chart` inside the style; lay it out once there, so ticks get the style's fonts."""

    @functools.wraps(chart)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with theme():
            fig = chart(*args, **kwargs)
            fig.draw_without_rendering()
        return fig

    return wrapper


def save(fig: Figure, path: str | Path, dpi: int = DPI) -> None:
    """Save a chart with the style's output settings (PNG at `dpi`, PDF/SVG as vectors)."""
    with theme():
        fig.savefig(path, dpi=dpi)


# --- small helpers --------------------------------------------------------------------------


class TickFormatter(Formatter):
    """Tick labels in one unit with the fewest decimals: €0, €5M, €10M; ¥5,000万; 250k."""

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


def _lang(results: Results, language: str | None) -> str:
    return language_of(language, default=results.scenario.language)


def _what(results: Results, language: str) -> str:
    """'Lost revenue' or 'Lost margin', as the scenario counts it."""
    key = "lost_margin" if results.scenario.economics.value == "margin" else "lost_revenue"
    return text(key, language)


def _basis(results: Results, language: str) -> str:
    """The axis wording: what is counted, over what, discounted how."""
    e = results.scenario.economics
    what = _what(results, language)
    unit = text(f"{e.period}s", language)
    if language == "ja":
        view = "生涯価値" if e.lifetime else f"{e.horizon}{unit}"
        return f"{what}（{view}、年{e.discount_rate:.0%}で割引）"
    view = "lifetime value" if e.lifetime else f"over {e.horizon} {unit}"
    return f"{what}, {view}, discounted at {e.discount_rate:.0%} a year"


def _view(results: Results, language: str) -> str:
    """'over 36 months' or 'over customer lifetimes', in the language."""
    e = results.scenario.economics
    if e.lifetime:
        return text("view_lifetime", language)
    return text("view_horizon", language, n=e.horizon, unit=text(f"{e.period}s", language))


def _value_basis(results: Results, language: str) -> str:
    """The axis wording for amounts of money in a comparison: discounted, over what."""
    return text("discounted_value", language, view=_view(results, language))


def _weight(language: str) -> str:
    """Bold for Latin titles; regular for Japanese, whose font has no bold (no mixed weights)."""
    return "bold" if language == "en" else "normal"


def _money(results: Results, language: str) -> Callable[[float], str]:
    cur = results.currency
    return lambda v: format_money_label(float(v), cur, language=language)


def _pct(x: float) -> str:
    return f"{x:.0%}" if abs(x) >= 0.01 or x == 0 else f"{x:.1%}"


def _figure(ax: Axes | None, figsize: tuple[float, float] = FIGSIZE) -> tuple[Figure, Axes, bool]:
    """A new styled figure with one axes, or the caller's axes (then no footnote)."""
    if ax is not None:
        fig = ax.get_figure()
        assert isinstance(fig, Figure)
        return fig, ax, False
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot(), True


HEADER_IN = 0.72  # inches above the plot for a title and its subtitle
FOOTER_IN = 0.3  # inches below it for the footnote


def _frame(
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
        ax.set_title(title, pad=22 if subtitle else 8, fontweight=_weight(language))
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
        x, 1 - 0.14 / height, title, ha="left", va="top", fontsize=13, fontweight=_weight(language)
    )
    if subtitle:
        fig.text(x, 1 - 0.44 / height, subtitle, ha="left", va="top", fontsize=9.5, color=MUTED)
    if results is not None:
        note = text(
            "footnote",
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


def _money_axis(axis: Any, results: Results, language: str) -> None:
    axis.set_major_formatter(TickFormatter(results.currency, language))
    axis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))


def _band(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
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
            lo[t], hi[t] = np.percentile(col, [5, 95])
    return mean, lo, hi


def _interval(x: FloatArray) -> tuple[float, float, float]:
    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(np.percentile(x, 5)), float(np.percentile(x, 95))


def _series(
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


def _label_bars(
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


def _width(s: str) -> int:
    """Display width: East Asian wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def wrap_label(label: str, width: int = 32, lines: int = 3) -> str:
    """Wrap a long name for a tick label (at spaces, or anywhere in Japanese); cut with '…'."""
    out: list[str] = []
    line = ""
    for word in label.split(" "):
        candidate = f"{line} {word}" if line else word
        if _width(candidate) <= width:
            line = candidate
            continue
        if line:
            out.append(line)
            line = ""
        for ch in word:  # a word too long for a line (Japanese has no spaces): break anywhere
            if _width(line + ch) > width:
                out.append(line)
                line = ""
            line += ch
    if line:
        out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1].rstrip()[: max(1, len(out[-1]) - 1)] + "…"
    return "\n".join(out)


def _room_right(ax: Axes, right: float, left: float = 0.0, share: float = 0.22) -> None:
    """Leave a share of the x range free on the right for value labels."""
    span = max(right - left, 1e-9)
    ax.set_xlim(left, right + share * span)


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
    lang = _lang(results, language)
    fig, ax, own = _figure(ax)
    money = _money(results, lang)
    x = results.metric("lost_revenue")
    s = results.stats("lost_revenue")
    what = _what(results, lang)
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
    _money_axis(ax.xaxis, results, lang)
    ax.set_xlabel(_basis(results, lang))
    _frame(
        fig,
        None if own else ax,
        text("title_distribution", lang, what=what),
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
    lang = _lang(results, language)
    money = _money(results, lang)
    per_tp = results.loss_by("touchpoint").mean(axis=0)
    total = float(per_tp.sum())
    share = (lambda v: _pct(v / total)) if total else (lambda v: "")
    stages = results.stage_names()
    tp_stage = results.stages
    fig, ax, own = _figure(
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
    labels = [f"{money(v)}  ·  {share(v)}" if total else money(v) for _, _, v, _ in rows]
    _label_bars(ax, ys, ends, labels)
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
    _room_right(ax, max(ends), lo)
    _money_axis(ax.xaxis, results, lang)
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(_basis(results, lang))
    what = _what(results, lang)
    _frame(
        fig,
        None if own else ax,
        text("title_waterfall", lang, what=what),
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
    lang = _lang(results, language)
    fig, ax, own = _figure(ax)
    money = _money(results, lang)
    x = results.loss_by("pathway")
    total = float(results.metric("lost_revenue").mean())
    looks: dict[str, dict[str, Any]] = {
        "silent": {"color": DARK, "edgecolor": DARK},
        "satisfied": {"color": LIGHT, "edgecolor": MID, "hatch": "///"},
        "mollified": {"color": LIGHT, "edgecolor": MID, "hatch": "///"},
        "dissatisfied": {"color": LIGHT, "edgecolor": MID, "hatch": "///"},
        "word_of_mouth": {"color": PALE, "edgecolor": MID, "hatch": "..."},
        "lost_sales": {"color": GREY, "edgecolor": "#8c8c8c"},
    }
    ys = np.arange(len(PATHWAYS), dtype=float)
    ends, labels = [], []
    for y, (i, name) in zip(ys, enumerate(PATHWAYS), strict=True):
        mean, p5, p95 = _interval(x[:, i])
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
        labels.append(f"{money(mean)}  ·  {_pct(mean / total)}" if total else money(mean))
    _label_bars(ax, ys, ends, labels)
    ax.set_yticks(ys, [text(p, lang) for p in PATHWAYS])
    ax.get_yticklabels()[0].set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(ys[-1] + 0.6, -0.6)
    lo = min(0.0, float(np.percentile(x, 5, axis=0).min()) if results.runs > 1 else x.min())
    _room_right(ax, max(ends), lo, share=0.28)
    if lo < 0:
        ax.axvline(0, color=RULE, lw=0.8)
    _money_axis(ax.xaxis, results, lang)
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(_basis(results, lang))
    means = x.mean(axis=0)
    silent = means[PATHWAYS.index("silent")]
    complainers = sum(means[PATHWAYS.index(g)] for g in GROUPS if g != "silent")
    key = "sub_pathway_silent" if silent > complainers else "sub_pathway"
    subtitle = (
        text(key, lang, silent=_pct(silent / total), complainers=_pct(complainers / total))
        if total
        else None
    )
    _frame(
        fig,
        None if own else ax,
        text("title_pathway", lang, what=_what(results, lang)),
        subtitle,
        results,
        lang,
    )
    return fig


def _legend_right(fig: Figure, ax: Axes, note: str | None) -> None:
    """One legend for the figure, outside the plots on the right, clear of title and footnote."""
    handles, labels = ax.get_legend_handles_labels()
    legend = fig.legend(handles, labels, loc="outside right center", title=note)
    legend.get_title().set_color(MUTED)
    legend.get_title().set_fontsize(8.5)


def _lines(
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
        mean, lo, hi = _band(series(r))
        t = np.arange(1, mean.size + 1)
        if r.runs > 1 and (k == 0 or band_all):
            ax.fill_between(t, lo, hi, color=color, alpha=BAND_ALPHA[k % 4], lw=0)
        ax.plot(t, mean, color=color, ls=dash, lw=1.6, label=label)


def _time_axis(ax: Axes, results: Results, language: str, label: bool = True) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
    ax.set_xlim(1, results.scenario.economics.horizon)
    if label:
        ax.set_xlabel(text(results.scenario.economics.period, language))
    ax.grid(axis="y")


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
    lang = _lang(base, language)
    base, lines, note = _series(subject, lang, top)
    compared = len(lines) > 1
    if ax is not None or not compared:
        fig, ax, own = _figure(ax)
        axes = [ax]
    else:
        own = True
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        axes = list(fig.subplots(1, 2))
    _lines(axes[0], lines, lambda r: r.periods["active"])
    axes[0].set_ylabel(text("customers", lang))
    axes[0].yaxis.set_major_formatter(TickFormatter(None, lang))
    _time_axis(axes[0], base, lang)
    if compared and len(axes) == 2:
        kept = axes[1]
        base_active = base.periods["active"]
        _lines(kept, lines[1:], lambda r: r.periods["active"] - base_active, True, start=1)
        kept.axhline(0, color=INK, lw=0.9)
        kept.set_title(
            text("kept_vs_baseline", lang), fontsize=10.5, pad=6, fontweight=_weight(lang)
        )
        axes[0].set_title(text("customers", lang), fontsize=10.5, pad=6, fontweight=_weight(lang))
        axes[0].set_ylabel("")
        kept.yaxis.set_major_formatter(TickFormatter(None, lang))
        _time_axis(kept, base, lang)
        _legend_right(fig, axes[0], note)
        subtitle = text("sub_bands_cmp", lang, runs=f"{base.runs:,}")
    else:
        if compared:
            axes[0].legend(loc="best", title=note)
        subtitle = text("sub_bands", lang, runs=f"{base.runs:,}")
    _frame(fig, None if own else ax, text("title_customers", lang), subtitle, base, lang)
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


@styled
def indicators(
    subject: Results | ComparisonLike, *, language: str | None = None, top: int = 3
) -> Figure:
    """Churn, CSAT, NPS and response time per period, mean with the baseline's P5–P95 band;
    panels with no data (response time before the support model is on) are left out."""
    base = subject if isinstance(subject, Results) else subject.baseline
    lang = _lang(base, language)
    base, lines, note = _series(subject, lang, top)
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
        _lines(ax, worlds, lambda r, series=series: series[id(r)])  # type: ignore[misc]
        title = text(f"churn_{period}", lang) if name == "churn" else text(name, lang)
        ax.set_title(title, fontsize=10.5, pad=6, fontweight=_weight(lang))
        if unit == "percent":
            ax.yaxis.set_major_formatter(PercentTicks())
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
        _time_axis(ax, base, lang, label=n < 4 or i >= 2)
    if len(lines) > 1:
        _legend_right(fig, axes[0], note)
    key = "sub_bands_base" if len(lines) > 1 else "sub_bands"
    _frame(
        fig,
        None,
        text("title_indicators", lang),
        text(key, lang, runs=f"{base.runs:,}"),
        base,
        lang,
    )
    return fig


def _outcome_table(comparison: ComparisonLike) -> list[dict[str, Any]]:
    rows = []
    for o in comparison.outcomes:
        rows.append(
            {
                "name": o.name,
                "avoided": _interval(o.loss_avoided),
                "cost": _interval(o.cost),
                "npv": _interval(o.npv),
                "p_pays": float(o.p_pays),
                "payback": float(np.median(o.payback_periods)),
            }
        )
    return rows


@styled
def intervention_value(
    comparison: ComparisonLike, *, language: str | None = None, ax: Axes | None = None
) -> Figure:
    """Each intervention's loss avoided against its cost: means with P5–P95 whiskers."""
    base = comparison.baseline
    lang = _lang(base, language)
    money = _money(base, lang)
    rows = _outcome_table(comparison)
    fig, ax, own = _figure(ax, (FIGSIZE[0], max(FIGSIZE[1], 0.45 * len(rows) + 2.0)))
    h = 0.36
    ys = np.arange(len(rows), dtype=float)
    ends: list[float] = []
    for key, offset, look in (
        ("avoided", -h / 2, cast(dict[str, Any], {"color": MID, "edgecolor": MID})),
        ("cost", h / 2, cast(dict[str, Any], {"color": PALE, "edgecolor": MID, "hatch": "///"})),
    ):
        means = np.array([r[key][0] for r in rows])
        lo = np.array([r[key][1] for r in rows])
        hi = np.array([r[key][2] for r in rows])
        ax.barh(
            ys + offset,
            means,
            height=h,
            linewidth=0.7,
            label=text("loss_avoided" if key == "avoided" else "cost", lang),
            **look,
        )
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
        _label_bars(ax, ys + offset, right, [money(m) for m in means])
        ends.extend(right)
    ax.set_yticks(ys, [wrap_label(r["name"]) for r in rows])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    lo_all = min(0.0, *(min(r["avoided"][1], r["cost"][1]) for r in rows))
    _room_right(ax, max(ends, default=1.0), lo_all)
    _money_axis(ax.xaxis, base, lang)
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    ax.legend(loc="lower right")
    ax.set_xlabel(_value_basis(base, lang))
    _frame(
        fig,
        None if own else ax,
        text("title_value", lang),
        text("sub_intervals", lang, runs=f"{base.runs:,}"),
        base,
        lang,
    )
    return fig


@styled
def intervention_npv(
    comparison: ComparisonLike, *, language: str | None = None, ax: Axes | None = None
) -> Figure:
    """NPV of each intervention (mean, P5–P95), with its chance of paying and payback."""
    base = comparison.baseline
    lang = _lang(base, language)
    money = _money(base, lang)
    rows = _outcome_table(comparison)
    fig, ax, own = _figure(ax, (FIGSIZE[0], max(FIGSIZE[1], 0.42 * len(rows) + 2.0)))
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
            fontweight=_weight(lang),
        )
        ax.annotate(
            f"{text('p_pays', lang, p=_pct(r['p_pays']))} · {payback}",
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
    _money_axis(ax.xaxis, base, lang)
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(text("npv_axis", lang, view=_view(base, lang)))
    _frame(
        fig,
        None if own else ax,
        text("title_npv", lang),
        text("sub_intervals", lang, runs=f"{base.runs:,}"),
        base,
        lang,
    )
    return fig


MONEY_OUTPUTS = ("lost_revenue", "revenue", "npv", "loss_avoided", "cost")


def _tornado_frame(table: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
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
    frame, info = _tornado_frame(table)
    base = info.get("base") if base is None else base
    if base is None:
        raise ValueError("give the base value of the output (every input at its mean)")
    lang = language_of(language, default=results.scenario.language if results else "en")
    cur = currency or (results.currency if results else "USD")
    output = info.get("output", "lost_revenue")
    is_money = output in MONEY_OUTPUTS
    if what is None:
        if output == "lost_revenue":
            what = _what(results, lang) if results else text("lost_revenue", lang)
        else:
            what = text(output, lang) if output in ("npv", "loss_avoided", "cost") else output
    label: Callable[[float], str] = (
        (lambda v: format_money_label(v, cur, language=lang))
        if is_money
        else (lambda v: format_count_compact(v, lang))
    )
    frame = frame.assign(_w=frame["swing"].abs()).sort_values("_w", ascending=False)
    hidden = max(0, len(frame) - top)
    frame = frame.head(top)
    fig, ax, own = _figure(ax, (FIGSIZE[0], max(FIGSIZE[1], 0.34 * len(frame) + 2.0)))
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
    ax.set_yticks(ys, [wrap_label(n, 44, 2) for n in names])
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
    _frame(
        fig,
        None if own else ax,
        text("title_tornado", lang, what=what[:1].lower() + what[1:] if lang == "en" else what),
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
    return text("sub_tornado_q", lang, low=low, high=high, model=model, base=base)


# --- every chart at once --------------------------------------------------------------------


def all_charts(
    results: Results,
    comparison: ComparisonLike | None = None,
    *,
    language: str | None = None,
    sensitivity: Any = None,
) -> dict[str, Figure]:
    """Every chart that applies, by file name, in the order a report shows them."""
    subject: Results | ComparisonLike = comparison if comparison is not None else results
    figs = {
        "loss_distribution": loss_distribution(results, language=language),
        "loss_waterfall": loss_waterfall(results, language=language),
        "loss_by_pathway": loss_by_pathway(results, language=language),
        "customers_over_time": customers_over_time(subject, language=language),
        "indicators": indicators(subject, language=language),
    }
    if comparison is not None and comparison.outcomes:
        figs["intervention_value"] = intervention_value(comparison, language=language)
        figs["intervention_npv"] = intervention_npv(comparison, language=language)
    if sensitivity is not None:
        frame, info = _tornado_frame(sensitivity)
        if len(frame):
            base = info.get("base", float(results.stats("lost_revenue")["mean"]))
            figs["tornado"] = tornado(sensitivity, base, results=results, language=language)
    return figs
