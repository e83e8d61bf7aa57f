"""Chart titles that state the finding, computed from the results: "Customers who never
complained cause 47% of the loss", not "Lost margin by pathway".

Each function takes what its chart draws and returns one sentence in the language; the
chart's subtitle keeps saying what is drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cxsim.engine.results import Results
from cxsim.model.scenario import GROUPS, PATHWAYS
from cxsim.outputs.i18n import text
from cxsim.outputs.labels import money_formatter, percent_words, what_is_lost


def _what(results: Results, lang: str) -> str:
    what = what_is_lost(results, lang)
    return what[:1].lower() + what[1:] if lang == "en" else what


def distribution(results: Results, lang: str) -> str:
    """The expected loss and the chance it tops its P95 (1 in 20), or the expected loss."""
    money = money_formatter(results, lang)
    s = results.stats("lost_revenue")
    what = what_is_lost(results, lang)
    if results.runs <= 1:
        return text("find_distribution_one", lang, what=what, mean=money(s["mean"]))
    return text("find_distribution", lang, what=what, mean=money(s["mean"]), p95=money(s["p95"]))


def waterfall(results: Results, lang: str) -> str:
    """The touchpoint that loses the most, and its share."""
    per_tp = results.loss_by("touchpoint").mean(axis=0)
    total = float(per_tp.sum())
    j = int(np.argmax(per_tp))
    return text(
        "find_waterfall",
        lang,
        touchpoint=results.touchpoints[j],
        stage=results.stages[j],
        share=percent_words(per_tp[j] / total) if total else "0%",
        what=_what(results, lang),
    )


def pathway(results: Results, lang: str) -> str:
    """Silent customers' share of the loss, against complainers'."""
    means = results.loss_by("pathway").mean(axis=0)
    total = float(means.sum())
    silent = means[PATHWAYS.index("silent")]
    complainers = sum(means[PATHWAYS.index(g)] for g in GROUPS if g != "silent")
    key = "find_pathway_silent" if silent >= complainers else "find_pathway_complainers"
    return text(
        key,
        lang,
        silent=percent_words(silent / total) if total else "0%",
        complainers=percent_words(complainers / total) if total else "0%",
        what=_what(results, lang),
    )


def customers(base: Results, lines: list[tuple[str, Results]], lang: str) -> str:
    """Customers at the horizon; with interventions, how many more the best one keeps."""
    active = base.periods["active"].mean(axis=0)
    unit = text(f"{base.scenario.economics.period}s", lang)
    h = base.scenario.economics.horizon
    if len(lines) > 1:
        name, best = lines[1]
        kept = float(best.periods["active"].mean(axis=0)[-1] - active[-1])
        return text(
            "find_customers_kept",
            lang,
            name=" ".join(name.split()),
            n=f"{kept:,.0f}",
            h=h,
            unit=unit,
        )
    change = float(active[-1] / active[0] - 1) if active[0] else 0.0
    key = "find_customers_up" if change >= 0 else "find_customers_down"
    return text(key, lang, share=percent_words(abs(change)), h=h, unit=unit)


def indicators(base: Results, churn: float, csat: float, lang: str) -> str:
    """Churn and the share of complainers satisfied (fractions), on average over the horizon."""
    period = text(base.scenario.economics.period, lang)
    period = period.lower() if lang == "en" else period
    if not np.isfinite(csat):
        return text("find_indicators_churn", lang, churn=percent_words(churn), period=period)
    return text(
        "find_indicators",
        lang,
        churn=percent_words(churn),
        csat=percent_words(csat),
        period=period,
    )


def intervention_value(rows: list[dict[str, Any]], base: Results, lang: str) -> str:
    """The intervention that avoids the most loss per unit of cost."""
    money = money_formatter(base, lang)
    best = max(rows, key=lambda r: r["avoided"][0] - r["cost"][0])
    cost = best["cost"][0]
    if cost > 0:
        return text(
            "find_value",
            lang,
            name=best["name"],
            avoided=money(best["avoided"][0]),
            ratio=f"{best['avoided'][0] / cost:,.1f}",
        )
    return text("find_value_free", lang, name=best["name"], avoided=money(best["avoided"][0]))


def intervention_npv(rows: list[dict[str, Any]], base: Results, lang: str) -> str:
    """The best NPV and its chance of paying back; or that none pays."""
    money = money_formatter(base, lang)
    best = rows[0]
    if best["npv"][0] <= 0:
        return text("find_npv_none", lang, n=len(rows))
    return text(
        "find_npv",
        lang,
        name=best["name"],
        npv=money(best["npv"][0]),
        p=percent_words(best["p_pays"]),
    )


def tornado(top_input: str, low: str, high: str, lang: str, what: str) -> str:
    """The input that moves the result most, and how far."""
    return text("find_tornado", lang, name=top_input, low=low, high=high, what=what)
