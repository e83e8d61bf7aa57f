"""The client report: a folder with every chart, a PDF, a workbook, JSON and a short summary.

`write_report` builds everything in a hidden sibling folder and moves it into place only when
all of it is written, so an interrupted or failed run leaves no partial files behind. It refuses
a folder that is not empty unless `force`; with `force` it replaces only the files cxsim wrote
there (listed in its manifest, `cxsim.outputs.files`) and refuses to touch anything else.

    out/
      report.pdf        summary page, main assumptions, one chart per page, then method,
                        sources, glossary and limitations
      summary.md        the headline figures in a few lines
      results.json      every figure (Results.to_dict, plus the comparison under "comparison")
      workbook.xlsx     the finance workbook (cxsim.outputs.workbook)
      charts/NAME.png   each chart at 200 dpi, and as NAME.svg and NAME.pdf
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cxsim._version import __version__
from cxsim.analysis.calibration import Reconciliation, reconcile
from cxsim.engine.results import Results
from cxsim.engine.stats import INPUT_RANGE, exceedance
from cxsim.formatting.money import format_count, shared_unit
from cxsim.model.distributions import Dist
from cxsim.model.scenario import PATHWAYS, ConstantChurn
from cxsim.outputs import charts, pages
from cxsim.outputs import files as output_files
from cxsim.outputs.charts.frame import PercentTicks, money_axis
from cxsim.outputs.charts.pdf_fonts import lean_subsets
from cxsim.outputs.decisions import decisions_page
from cxsim.outputs.files import staged_folder
from cxsim.outputs.i18n import language_of, text
from cxsim.outputs.labels import (
    members_of,
    money_formatter,
    money_in_one_unit,
    percent_words,
    title_weight,
    view_words,
    what_is_lost,
    wrap_label,
)
from cxsim.outputs.pnl_page import pnl_page
from cxsim.outputs.provenance import provenance_page
from cxsim.outputs.reconciliation import reconciliation_page
from cxsim.outputs.words import (
    headline,
    interval_formatter,
    npv_stats,
    provenance_line,
    summary_markdown,
)

if TYPE_CHECKING:
    from cxsim.analysis.compare import Comparison

CHARTS_DIR = "charts"
CHART_FORMATS = ("png", "svg", "pdf")
REPORT_FILES = ("report.pdf", "summary.md", "results.json", "workbook.xlsx")
PAGE = charts.FIGSIZE


def report_files(chart_names: Sequence[str]) -> list[str]:
    """The relative paths a report folder holds, for the given charts."""
    files = list(REPORT_FILES)
    files += [f"{CHARTS_DIR}/{name}.{fmt}" for name in chart_names for fmt in CHART_FORMATS]
    return sorted(files)


def write_report(
    results: Results,
    comparison: Comparison | None = None,
    out_dir: str | Path = "report",
    *,
    force: bool = False,
    language: str | None = None,
    sensitivity: Any = None,
) -> list[Path]:
    """Write the report folder for `results` (and `comparison`, and a sensitivity analysis:
    a `cxsim.analysis.sensitivity.Tornado` or a table for `charts.tornado`); return the files
    written."""
    out = Path(out_dir)
    check_target(out, force)
    lang = language_of(language, default=results.scenario.language)
    with staged_folder(out, force) as tmp:
        names = _build(tmp, results, comparison, lang, sensitivity)
    return [out / f for f in report_files(names)]


def check_target(out: Path, force: bool) -> None:
    """Refuse a target that cannot take a report: a link, a file, a folder not writable, one
    that is not empty (unless `force`, and then only cxsim's own files may be in the way)."""
    output_files.check_target(out, force, [*REPORT_FILES, f"{CHARTS_DIR}/"])


def _build(
    tmp: Path,
    results: Results,
    comparison: Comparison | None,
    lang: str,
    sensitivity: Any,
) -> list[str]:
    figs = charts.all_charts(results, comparison, language=lang, sensitivity=sensitivity)
    (tmp / CHARTS_DIR).mkdir()
    for name, fig in figs.items():  # laid out once, for the PNG; the others and the page keep it
        charts.save(fig, [tmp / CHARTS_DIR / f"{name}.{fmt}" for fmt in CHART_FORMATS])
    table = reconcile(results.scenario, results) if results.scenario.actuals else None
    page_list = [
        summary_page(results, comparison, language=lang),
        assumptions_page(results, language=lang),
        pnl_page(results, comparison, language=lang),
        *([reconciliation_page(table, RECONCILIATION_TITLE[lang], language=lang)] if table else []),
        *figs.values(),
        *([decisions_page(comparison, language=lang)] if comparison is not None else []),
        pages.method_page(results, language=lang),
        *pages.sources_pages(results, language=lang),
        provenance_page(results, language=lang),
        pages.glossary_page(results, language=lang),
        pages.limitations_page(results, language=lang),
    ]
    _write_pdf(tmp / "report.pdf", page_list, results, lang)
    _write_workbook(tmp / "workbook.xlsx", results, comparison, table)
    doc = results.to_dict()
    if table is not None:
        doc["reconciliation"] = table.to_dict()
    if comparison is not None:
        doc["comparison"] = comparison.to_dict()
    if hasattr(sensitivity, "to_dict"):
        doc["sensitivity"] = sensitivity.to_dict()
    (tmp / "results.json").write_text(
        json.dumps(_finite(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n",
        encoding="utf-8",
    )
    (tmp / "summary.md").write_text(summary_markdown(results, comparison, lang), encoding="utf-8")
    return list(figs)


RECONCILIATION_TITLE = {"en": "Status quo against actuals", "ja": "現状のモデルと実績の比較"}


def _write_pdf(path: Path, pages: list[Figure], results: Results, lang: str) -> None:
    """One page per figure, numbered; fonts embedded as TrueType, so text stays searchable."""
    metadata = {
        "Title": text("report_title", lang, scenario=results.scenario.name),
        "Creator": f"cxsim {__version__}",
        "Subject": f"seed {results.seed}, {results.runs} runs",
    }
    with charts.theme(lang), lean_subsets(), PdfPages(path, metadata=metadata) as pdf:
        for n, fig in enumerate(pages, 1):
            height = fig.get_figheight()
            label = fig.text(
                0.99,
                0.1 / height,
                text("page", lang, n=n, total=len(pages)),
                ha="right",
                va="bottom",
                fontsize=7.5,
                color=charts.MUTED,
            )
            try:
                with charts.layout_kept(fig):
                    pdf.savefig(fig)
            finally:
                label.remove()


def _write_workbook(
    path: Path, results: Results, comparison: Comparison | None, table: Reconciliation | None
) -> None:
    from cxsim.outputs.workbook import write_workbook

    write_workbook(path, results, comparison, reconciliation=table)


def _finite(x: Any) -> Any:
    """JSON has no NaN or infinity: such numbers become null."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


# --- the pages ------------------------------------------------------------------------------


_paragraph = pages.paragraph
_page = pages.blank_page


@charts.styled
def summary_page(
    results: Results, comparison: Comparison | None = None, *, language: str | None = None
) -> Figure:
    """The report's first page: the findings in words, the headline figures, provenance."""
    lang = language_of(language, default=results.scenario.language)
    fig = _page()
    money = money_formatter(results, lang)
    y = 0.22
    title = text("report_title", lang, scenario=results.scenario.name)
    y = _paragraph(fig, y, title, 16, 70, fontweight=title_weight(lang), color=charts.INK)
    if results.scenario.description.strip():
        y = _paragraph(
            fig, y - 0.04, results.scenario.description.strip(), 9.5, 84, color=charts.MUTED
        )
    y += 0.1
    sentences = headline(results, comparison, lang)
    # the words keep to the left; the exceedance curve stands to their right. They must end
    # above the tiles' rule (3.6 in from the top): smaller type where they would not.
    start, drawn = y, len(fig.texts)
    for lead, size in ((12.5, 10.5), (11.5, 9.5), (10.5, 8.5)):
        for artist in list(fig.texts)[drawn:]:
            artist.remove()
        y = _paragraph(fig, start, sentences[0], lead, 64, color=charts.INK)
        for line in sentences[1:]:
            y = _paragraph(fig, y, line, size, 74, bullet=True, color=charts.INK)
        if y <= SUMMARY_WORDS_END_IN:
            break

    # the figures, as tiles along the bottom
    s = results.stats("lost_revenue")
    interval = interval_formatter(results, lang, s)
    tiles = [
        (
            text("kpi_loss", lang, what=what_is_lost(results, lang)),
            money(s["mean"]),
            f"{text('kpi_interval', lang)} {interval(s['p5'])}{_dash(lang)}{interval(s['p95'])}\n"
            + _standard_error(s, money, lang)
            if results.runs > 1
            else text("expected", lang),
        ),
        (
            text("kpi_customers", lang),
            format_count(results.stats("customers_lost")["mean"]),
            view_words(results, lang),
        ),
        (
            text("kpi_acquisitions", lang),
            format_count(results.stats("lost_acquisitions")["mean"]),
            view_words(results, lang),
        ),
    ]
    total = s["mean"]
    if comparison is not None and comparison.outcomes:
        best = comparison.outcomes[0]
        tiles.append(
            (
                text("kpi_best", lang),
                money(npv_stats(best)["mean"]),
                _best_words(best, results, lang),
            )
        )
    elif total > 0:
        silent = results.loss_by("pathway").mean(axis=0)[PATHWAYS.index("silent")]
        tiles.append((text("kpi_silent", lang), percent_words(silent / total), ""))
    height = fig.get_figheight()
    top = 1 - 3.75 / height
    fig.add_artist(Line2D([0.012, 0.988], [top + 0.03, top + 0.03], color=charts.RULE, lw=0.8))
    for i, (label, value, sub) in enumerate(tiles):
        x = 0.012 + i * 0.245
        fig.text(x, top, label, va="top", fontsize=9, color=charts.MUTED)
        fig.text(
            x,
            top - 0.3 / height,
            value,
            va="top",
            fontsize=22,
            color=charts.DARK,
            fontweight=title_weight(lang),
        )
        fig.text(x, top - 0.82 / height, sub, va="top", fontsize=8.5, color=charts.MUTED)
    if results.runs > 1:
        _exceedance_panel(fig, results, lang)
    fig.text(
        0.012,
        0.1 / height,
        provenance_line(results, lang),
        fontsize=7.5,
        color=charts.MUTED,
        va="bottom",
    )
    return fig


#: Where the summary page's words may end (inches from the top, with the 0.12 in gap a
#: paragraph leaves after it): above the tiles' rule, at 3.58 in.
SUMMARY_WORDS_END_IN = 3.6


def _dash(lang: str) -> str:
    """Between an interval's bounds: an en dash, or a wave dash in Japanese."""
    return "〜" if lang == "ja" else "–"


def _best_words(best: Any, results: Results, lang: str) -> str:
    """The best outcome's name and, for a combination, its members, one per line (at most
    four lines; the rest counted)."""
    known = [iv.name for iv in getattr(results.scenario, "interventions", []) or []]
    members = members_of(best.name, best.description, known)
    if members == [best.name]:
        return wrap_label(best.name, 38, 3)
    shown = members[:3] if len(members) > 4 else members
    lines = [wrap_label(best.name, 38, 1)] + [f"• {wrap_label(m, 36, 1)}" for m in shown]
    if len(members) > len(shown):
        more = len(members) - len(shown)
        lines.append(f"ほか{more}件" if lang == "ja" else f"+ {more} more")
    return "\n".join(lines)


def _standard_error(s: dict, money: Callable[[float], str], lang: str) -> str:
    """The mean's standard error over the runs, in words."""
    se = s.get("sem")
    if se is None or not math.isfinite(se):
        return ""
    return f"標準誤差 ±{money(se)}" if lang == "ja" else f"standard error ±{money(se)}"


def _exceedance_panel(fig: Figure, results: Results, lang: str) -> None:
    """A small exceedance curve, P(loss > x), to the right of the findings."""
    x, p = exceedance(results.metric("lost_revenue"))
    height = fig.get_figheight()
    bottom, top = 1 - 3.35 / height, 1 - 1.0 / height
    ax = fig.add_axes((0.70, bottom, 0.27, top - bottom))
    ax.plot(x, p * 100, color=charts.DARK, lw=1.6, drawstyle="steps-post")
    ax.set_ylim(0, 100)
    ax.grid(axis="y")
    money_axis(ax.xaxis, results, lang)
    ax.yaxis.set_major_formatter(PercentTicks())
    ax.tick_params(labelsize=7.5)
    what = what_is_lost(results, lang)
    label = f"{what}がこの額を超える確率" if lang == "ja" else f"Chance the {what.lower()} exceeds"
    ax.set_title(label, fontsize=9, color=charts.INK, pad=6, loc="left")


def _dist(
    d: Dist,
    fmt: Callable[[float], str],
    lang: str = "en",
    in_one_unit: Callable[[list[float]], Callable[[float], str]] | None = None,
) -> str:
    """A fixed input as itself; an uncertain one as its mean with its P10–P90 range, in
    Japanese with full-width brackets and a wave dash: 45%（37%〜53%）. Money ranges take
    `in_one_unit` (a formatter for the three values), so they never mix units."""
    if d.is_fixed:
        return fmt(d.mean())
    lo, hi = (d.quantile(q) for q in INPUT_RANGE)
    if in_one_unit is not None:
        fmt = in_one_unit([d.mean(), lo, hi])
    if lang == "ja":
        return f"{fmt(d.mean())}（{fmt(lo)}〜{fmt(hi)}）"
    return f"{fmt(d.mean())} ({fmt(lo)}–{fmt(hi)})"


def _assumption_lines(results: Results, lang: str) -> list[str]:
    sc = results.scenario
    tree = sc.loss_tree
    lines = [
        text("a_complaint", lang, x=_dist(tree.complaint_rate, percent_words, lang)),
    ]
    if tree.resolution is not None:
        lines.append(
            text(
                "a_resolution",
                lang,
                s=_dist(tree.resolution.satisfied, percent_words, lang),
                m=_dist(tree.resolution.mollified, percent_words, lang),
            )
        )
    support = getattr(sc, "support", None)
    if support is not None:
        channels = ", ".join(c.name for c in support.channels)
        lines.append(text("a_support", lang, channels=channels))
    d = tree.defection
    lines.append(
        text(
            "a_defection",
            lang,
            s1=_dist(d.silent.minor, percent_words, lang),
            s2=_dist(d.silent.major, percent_words, lang),
            d1=_dist(d.dissatisfied.minor, percent_words, lang),
            d2=_dist(d.dissatisfied.major, percent_words, lang),
        )
    )
    told = tree.word_of_mouth.told
    number = lambda v: f"{v:.1f}".removesuffix(".0")  # noqa: E731
    lines.append(
        text(
            "a_wom",
            lang,
            low=number(told.satisfied.mean()),
            high=number(told.dissatisfied.mean()),
            deterred=_dist(tree.word_of_mouth.deterred, percent_words, lang),
        )
    )
    odds = sc.memory.odds_ratio
    lines.append(text("a_memory", lang, one=_dist(odds[1], number), more=_dist(odds[2], number)))
    return lines


def _costs(
    costs: Any,
    money: Callable[[float], str],
    period: str,
    lang: str,
    in_one_unit: Callable[[list[float]], Callable[[float], str]] | None = None,
) -> str:
    """The non-zero parts of an intervention's cost, in words."""
    parts = []
    for field in ("one_off", "per_period", "per_customer"):
        d = getattr(costs, field)
        if d.mean() > 0:
            x = _dist(d, money, lang, in_one_unit)
            parts.append(text(f"a_cost_{field}", lang, x=x, period=period))
    return ("、" if lang == "ja" else ", ").join(parts) or text("a_cost_none", lang)


@charts.styled
def assumptions_page(results: Results, *, language: str | None = None) -> Figure:
    """The report's second page: the main assumptions behind the figures."""
    lang = language_of(language, default=results.scenario.language)
    fig = _page()
    y = _paragraph(
        fig,
        0.22,
        text("assumptions", lang),
        15,
        70,
        fontweight=title_weight(lang),
        color=charts.INK,
    )
    y = _paragraph(fig, y, _economics_words(results, lang), 10, 130, color=charts.INK)
    y = _segments_table(fig, y + 0.05, results, lang)
    for line in _assumption_lines(results, lang):
        y = _paragraph(fig, y, line, 9.5, 140, bullet=True, color=charts.INK) - 0.04
    _interventions_list(fig, y, results, lang)
    fig.text(
        0.12 / fig.get_figwidth(),
        0.1 / fig.get_figheight(),
        RANGE_NOTE[lang],
        fontsize=7.5,
        color=charts.MUTED,
        va="bottom",
    )
    return fig


#: What the brackets mean: inputs show P10–P90 (`INPUT_RANGE`), outputs P5–P95.
RANGE_NOTE = {
    "en": "Uncertain inputs are shown as their mean with the P10–P90 range in brackets; "
    "the sources page lists the scenario file's source for each figure.",
    "ja": "不確実な入力は平均とP10〜P90の範囲（括弧内）で示します。"
    "各数値の出典は出典のページにあります。",
}


def _bracket(words: str, lang: str) -> str:
    """' (45%)', or '（45%）' in Japanese."""
    return f"（{words}）" if lang == "ja" else f" ({words})"


def _period_words(results: Results, lang: str) -> str:
    period = results.scenario.economics.period
    return text(period, lang).lower() if lang == "en" else text(period, lang)


def _economics_words(results: Results, lang: str) -> str:
    e = results.scenario.economics
    return text(
        "a_economics",
        lang,
        currency=e.currency,
        horizon=e.horizon,
        unit=text(f"{e.period}s", lang),
        basis=text(e.value, lang),
        rate=percent_words(e.discount_rate),
        lifetime=text("a_lifetime", lang) if e.lifetime else "",
    )


def _churn_words(seg: Any, period: str, lang: str) -> str:
    churn = seg.churn
    if isinstance(churn, ConstantChurn):
        return _dist(churn.rate, percent_words, lang)
    rate = churn.alpha.mean() / (churn.alpha.mean() + churn.beta.mean())
    return text("a_sbg", lang, period=period, rate=percent_words(rate))


def _segments_table(fig: Figure, y: float, results: Results, lang: str, most: int = 6) -> float:
    """The segments as a small table, revenue in one unit for the column; return y below."""
    sc = results.scenario
    height = fig.get_figheight()
    period = _period_words(results, lang)
    margin = sc.economics.value == "margin"
    columns = [
        (text("a_segment", lang), 0.012, "left"),
        (text("a_customers", lang), 0.34, "right"),
        (text("a_new", lang, period=period), 0.48, "right"),
        (
            text("a_revenue", lang, period=period)
            + (text("a_margin_note", lang) if margin else ""),
            0.72,
            "right",
        ),
        (text("a_churn", lang, period=period), 0.95, "right"),
    ]
    for label, x, ha in columns:
        fig.text(x, 1 - y / height, label, ha=ha, va="top", fontsize=9, color=charts.MUTED)
    y += ROW_IN
    shown = sc.segments[:most]
    revenues = [v for seg in shown for v in (seg.revenue.mean(), *_range(seg.revenue))]
    money = shared_unit(revenues, results.currency, lang)
    for seg in shown:
        cells = [
            wrap_label(seg.name, 48, 1),
            _dist(seg.customers, format_count, lang),
            format_count(seg.prospects.mean() * seg.conversion.mean()),
            _dist(seg.revenue, money, lang)
            + (_bracket(percent_words(seg.margin.mean()), lang) if margin else ""),
            _churn_words(seg, period, lang),
        ]
        for (_, x, ha), cell in zip(columns, cells, strict=True):
            fig.text(x, 1 - y / height, cell, ha=ha, va="top", fontsize=9.5, color=charts.INK)
        y += ROW_IN
    if len(sc.segments) > len(shown):
        extra = f"+ {len(sc.segments) - len(shown)}"
        fig.text(0.012, 1 - y / height, extra, va="top", fontsize=9, color=charts.MUTED)
        y += ROW_IN
    return y + 0.1


ROW_IN = 0.24


def _range(d: Dist) -> tuple[float, ...]:
    return () if d.is_fixed else tuple(d.quantile(q) for q in INPUT_RANGE)


def _interventions_list(fig: Figure, y: float, results: Results, lang: str, most: int = 7) -> None:
    """Each intervention with its costs, in words."""
    interventions = list(getattr(results.scenario, "interventions", []) or [])
    if not interventions:
        return
    title = text("a_interventions", lang)
    y = _paragraph(fig, y + 0.06, title, 10.5, 100, fontweight=title_weight(lang), color=charts.INK)
    money = money_formatter(results, lang)
    period = _period_words(results, lang)
    colon = "：" if lang == "ja" else ": "
    one_unit = lambda values: money_in_one_unit(results, lang, values)  # noqa: E731
    for iv in interventions[:most]:
        line = iv.name + colon + _costs(iv.costs, money, period, lang, one_unit)
        y = _paragraph(fig, y - 0.04, line, 9, 150, bullet=True, color=charts.INK) - 0.01
