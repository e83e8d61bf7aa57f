"""Client-ready charts of results and comparisons: each function returns a matplotlib Figure.

Every chart is built with the object-oriented API (`Figure()`, never pyplot state) inside one
`matplotlib.rc_context`, so nothing leaks between calls or into a notebook's own plots. The
style is restrained and survives greyscale print: one blue ramp varied in lightness, hatching
where categories must stay apart, dashes where lines must. Money axes are in the scenario's
currency (`cxsim.formatting.money.format_ticks`); titles and labels are English or Japanese
(`cxsim.outputs.i18n`), and names from the scenario render in any script: the Japanese font
IPAexGothic is registered from matplotlib-fontja's bundled file (without importing that
package, which would change matplotlib's global settings) as a fallback behind matplotlib's
default font.

The package: `style` (look and fonts), `frame` (formatters and the figure frame), one module
per family of charts (`loss`, `time`, `comparison`, `tornado`, and `analysis` for the
notebooks' analyses); every chart is importable from
here. Shared wording lives in `cxsim.outputs.labels`.

    >>> from cxsim import charts
    >>> fig = charts.loss_distribution(results)      # in a notebook: shows the figure
    >>> fig.savefig("loss.png", dpi=200)
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from cxsim.engine.results import Results
from cxsim.outputs.charts.analysis import (
    convergence,
    resolution_curve,
    sobol_indices,
    staffing_levels,
)
from cxsim.outputs.charts.comparison import intervention_npv, intervention_value
from cxsim.outputs.charts.frame import ComparisonLike, OutcomeLike, PercentTicks, TickFormatter
from cxsim.outputs.charts.loss import loss_by_pathway, loss_distribution, loss_waterfall
from cxsim.outputs.charts.style import (
    ACCENT,
    BAND_ALPHA,
    DARK,
    DEFAULT_FONT,
    DPI,
    FIGSIZE,
    GREY,
    GRID,
    INK,
    JAPANESE_FONT_FILE,
    LIGHT,
    MID,
    MUTED,
    PALE,
    RULE,
    SERIES,
    fonts,
    japanese_font_path,
    layout_kept,
    save,
    style,
    styled,
    theme,
)
from cxsim.outputs.charts.time import customers_over_time, indicators
from cxsim.outputs.charts.tornado import MONEY_OUTPUTS, tornado, tornado_frame
from cxsim.outputs.labels import wrap_label

__all__ = [
    "ACCENT",
    "BAND_ALPHA",
    "DARK",
    "DEFAULT_FONT",
    "DPI",
    "FIGSIZE",
    "GREY",
    "GRID",
    "INK",
    "JAPANESE_FONT_FILE",
    "LIGHT",
    "MID",
    "MONEY_OUTPUTS",
    "MUTED",
    "PALE",
    "RULE",
    "SERIES",
    "ComparisonLike",
    "OutcomeLike",
    "PercentTicks",
    "TickFormatter",
    "all_charts",
    "convergence",
    "customers_over_time",
    "fonts",
    "indicators",
    "intervention_npv",
    "intervention_value",
    "japanese_font_path",
    "layout_kept",
    "loss_by_pathway",
    "loss_distribution",
    "loss_waterfall",
    "resolution_curve",
    "save",
    "sobol_indices",
    "staffing_levels",
    "style",
    "styled",
    "theme",
    "tornado",
    "tornado_frame",
    "wrap_label",
]


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
        frame, info = tornado_frame(sensitivity)
        if len(frame):
            base = info.get("base", float(results.stats("lost_revenue")["mean"]))
            figs["tornado"] = tornado(sensitivity, base, results=results, language=language)
    return figs
