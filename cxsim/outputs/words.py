"""The report's words: the headline findings, the provenance line, and summary.md.

Names in a scenario are the user's text: in summary.md they are escaped, so a touchpoint named
`<script>`, `| x |` or `# heading` with newlines shows as itself and cannot add markup, a table
cell, a heading, a link or an image.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from cxsim._version import __version__
from cxsim.engine.results import Results
from cxsim.formatting.money import format_count
from cxsim.model.scenario import GROUPS, PATHWAYS
from cxsim.outputs.i18n import language_of, text
from cxsim.outputs.labels import (
    money_formatter,
    money_in_one_unit,
    percent_words,
    view_words,
    what_is_lost,
)

if TYPE_CHECKING:
    from cxsim.analysis.compare import Comparison, Outcome

__all__ = ["headline", "md_text", "npv_stats", "provenance_line", "summary_markdown"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~])")


def md_text(value: object) -> str:
    """User text made inert in Markdown (CommonMark, GitHub's): on one line, HTML escaped, and
    every mark that could start emphasis, a link, an image, a heading or a table cell
    backslash-escaped. It still reads as itself once rendered."""
    one_line = " ".join(str(value).split())
    html = one_line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", html)


def headline(
    results: Results,
    comparison: Comparison | None,
    lang: str,
    name: Callable[[str], str] = str,
) -> list[str]:
    """The findings in sentences: the loss, its share, the silent customers, the top source,
    the best intervention; `name` shows the user's names (`md_text` for Markdown)."""
    money = money_formatter(results, lang)
    s = results.stats("lost_revenue")
    interval = interval_formatter(results, lang, s)
    basis = text(results.scenario.economics.value, lang)
    lines = [
        text(
            "headline" if results.runs > 1 else "headline_one",
            lang,
            amount=interval(s["mean"]),
            basis=basis,
            what=what_is_lost(results, lang),
            view=view_words(results, lang) + _cap_words(results, lang),
            p5=interval(s["p5"]),
            p95=interval(s["p95"]),
        )
    ]
    space = "" if lang == "ja" else " "
    if results.scenario.economics.lifetime:
        lines[0] += space + _within_horizon(results, lang, money)
    revenue = results.stats("revenue")["mean"]
    if revenue + s["mean"] > 0:
        share = percent_words(s["mean"] / (revenue + s["mean"]))
        lines[0] += space + text("headline_share", lang, share=share, basis=basis)
    total = s["mean"]
    if total > 0:
        by_path = results.loss_by("pathway").mean(axis=0)
        silent = by_path[PATHWAYS.index("silent")]
        complainers = sum(by_path[PATHWAYS.index(g)] for g in GROUPS if g != "silent")
        lines.append(
            text(
                "headline_silent",
                lang,
                silent=percent_words(silent / total),
                complainers=percent_words(complainers / total),
            )
        )
        per_tp = results.loss_by("touchpoint").mean(axis=0)
        j = int(np.argmax(per_tp))
        lines.append(
            text(
                "headline_top",
                lang,
                touchpoint=name(results.touchpoints[j]),
                stage=name(results.stages[j]),
                amount=money(per_tp[j]),
                share=percent_words(per_tp[j] / total),
            )
        )
    if comparison is not None and comparison.outcomes:
        best = comparison.outcomes[0]
        npv = best.stats("npv")
        mean, p5, p95 = npv["mean"], npv["p5"], npv["p95"]
        if mean is not None and mean > 0:
            # A mean means every run's NPV is finite (`Outcome.stats`), so are its percentiles.
            assert p5 is not None and p95 is not None, "NPV percentiles of a finite NPV"
            in_unit = interval_formatter(results, lang, npv)
            lines.append(
                text(
                    "headline_best",
                    lang,
                    name=name(best.name),
                    npv=in_unit(mean),
                    p5=in_unit(p5),
                    p95=in_unit(p95),
                    p=percent_words(best.p_pays),
                )
            )
        else:
            lines.append(text("headline_none", lang, n=len(comparison.outcomes)))
    return lines


def npv_stats(outcome: Outcome) -> dict[str, float]:
    """`outcome.stats("npv")`, every figure a number: `stats` gives None only for a figure
    that is infinite in some run (a payback that never comes), and NPV (loss avoided plus
    costs spared, less cost) is finite in every run."""
    stats = outcome.stats("npv")
    missing = [k for k, v in stats.items() if v is None]
    assert not missing, f"NPV figures {missing} of {outcome.name!r} are None: an infinite NPV"
    return {k: v for k, v in stats.items() if v is not None}


def interval_formatter(
    results: Results, lang: str, stats: Mapping[str, float | None]
) -> Callable[[float], str]:
    """The mean and its 90% interval in one unit (the largest of the three's)."""
    values = [stats.get(k) for k in ("mean", "p5", "p95")]
    return money_in_one_unit(results, lang, (float(v) for v in values if v is not None))


def _cap_words(results: Results, lang: str) -> str:
    """' capped at 5 years' after the lifetime view when `lifetime: {years: N}`; else ''."""
    cap = results.scenario.economics.lifetime
    if isinstance(cap, bool):
        return ""
    if language_of(lang) == "ja":
        return f"（期間後{cap.years:g}年まで）"
    return f" capped at {cap.years:g} year{'' if cap.years == 1 else 's'}"


def _within_horizon(results: Results, lang: str, money: Callable[[float], str]) -> str:
    """The horizon figure beside the lifetime one (DESIGN.md, "The P&L"): of the lifetime loss,
    what falls within the horizon, and what after it."""
    e = results.scenario.economics
    within = money(results.stats("lost_revenue_horizon")["mean"])
    after = money(results.stats("lost_revenue_beyond")["mean"])
    if language_of(lang) == "ja":
        unit = text(f"{e.period}s", lang)
        return f"うち{e.horizon}{unit}の期間内は{within}、期間後は{after}。"
    return (
        f"Of this, {within} falls within the {e.horizon}-{e.period} horizon and {after} after it."
    )


def provenance_line(results: Results, lang: str) -> str:
    sha = results.source.sha256[:16] if results.source else "n/a"
    return text(
        "provenance",
        lang,
        kind=text(results.kind.replace(" ", "_"), lang),
        runs=f"{results.runs:,}",
        seed=results.seed,
        version=__version__,
        sha=sha,
        date=dt.date.today().isoformat(),
    )


def summary_markdown(results: Results, comparison: Comparison | None, lang: str) -> str:
    """A short Markdown summary: the findings, the headline figures, the top sources."""
    t = lambda key, **kw: text(key, lang, **kw)  # noqa: E731
    out = [f"# {t('report_title', scenario=md_text(results.scenario.name))}", ""]
    sentences = headline(results, comparison, lang, md_text)
    out += [sentences[0], ""] + [f"- {line}" for line in sentences[1:]] + [""]
    out += [f"## {t('md_figures')}", ""]
    out += [f"| {t('md_metric')} | {t('md_mean')} | P5 | P50 | P95 |", "|---|--:|--:|--:|--:|"]
    s = results.stats("lost_revenue")
    in_unit = money_in_one_unit(results, lang, (s[k] for k in ("mean", "p5", "p50", "p95")))
    out.append(
        f"| {what_is_lost(results, lang)} | {in_unit(s['mean'])} | {in_unit(s['p5'])} "
        f"| {in_unit(s['p50'])} | {in_unit(s['p95'])} |"
    )
    for key, metric in (
        ("kpi_customers", "customers_lost"),
        ("kpi_acquisitions", "lost_acquisitions"),
    ):
        m = results.stats(metric)
        out.append(
            f"| {t(key)} | {format_count(m['mean'])} | {format_count(m['p5'])} "
            f"| {format_count(m['p50'])} | {format_count(m['p95'])} |"
        )
    out += ["", f"## {t('md_where')}", ""]
    out += [
        f"| {t('md_touchpoint')} | {t('md_stage')} | {t('md_mean')} | {t('md_share')} |",
        "|---|---|--:|--:|",
    ]
    table = results.attribution_table("touchpoint").sort_values("mean", ascending=False)
    stage_of = dict(zip(results.touchpoints, results.stages, strict=True))
    column = money_in_one_unit(results, lang, table.head(5)["mean"])
    for name, row in table.head(5).iterrows():
        out.append(
            f"| {md_text(name)} | {md_text(stage_of[str(name)])} | {column(row['mean'])} "
            f"| {percent_words(row['share'])} |"
        )
    if comparison is not None and comparison.outcomes:
        unit = text(f"{results.scenario.economics.period}s", lang)
        out += ["", f"## {t('a_interventions')}", ""]
        out += [
            f"| {t('md_intervention')} | NPV | P5 | P95 | {t('md_p_pays')} | {t('md_payback')} |",
            "|---|--:|--:|--:|--:|--:|",
        ]
        npvs = [npv_stats(o) for o in comparison.outcomes]
        cells = [n[k] for n in npvs for k in ("mean", "p5", "p95")]
        table_unit = money_in_one_unit(results, lang, cells)
        for o in comparison.outcomes:
            payback = o.stats("payback_periods")["p50"]
            space = "" if lang == "ja" else " "
            pb = f"{payback:.0f}{space}{unit}" if payback is not None else t("md_never")
            npv = npv_stats(o)
            out.append(
                f"| {md_text(o.name)} | {table_unit(npv['mean'])} | {table_unit(npv['p5'])} "
                f"| {table_unit(npv['p95'])} | {percent_words(o.p_pays)} | {pb} |"
            )
    out += [
        "",
        f"## {t('md_files')}",
        "",
        t("md_files_text"),
        "",
        f"_{provenance_line(results, lang)}_",
        "",
    ]
    return "\n".join(out)
