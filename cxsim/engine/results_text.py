"""The readable summary of a result, as `cxsim run` prints it: the loss, its P&L, and where it
is lost (by pathway, stage and touchpoint), in the scenario's currency."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cxsim._version import __version__
from cxsim.formatting.money import format_count, format_money
from cxsim.formatting.tables import loss_words, pad, text_width
from cxsim.model.scenario import OPTIONAL_PATHWAYS

if TYPE_CHECKING:
    from cxsim.engine.results import RunStatistics

#: The operation's baseline beside the P&L: serving every customer's routine contacts (not a
#: cost of poor experience; its change that failures cause is `routine_cost`).
ROUTINE_CONTACTS = "routine_contacts_cost"


def _pnl_lines(r: RunStatistics, money: Any, words: str) -> list[str]:
    """The P&L block of the summary: the headline, its revenue side and its cost side."""
    mean = {m: r.stats(m)["mean"] for m in r.pnl_metrics()}
    routine = mean.get("routine_cost", 0.0)
    cost_side = mean["serving_cost"] + mean["recovery_cost"] + mean["replacement_cost"] + routine
    rows = [
        ("Cost of poor experience", mean["cost_of_poor_experience"]),
        (f"  revenue side: {words}", mean["lost_margin"]),
        ("  cost side", cost_side),
        ("    contacts failures create", mean["serving_cost"]),
        ("    recovery (refunds, credits)", mean["recovery_cost"]),
        ("    replacing lost customers", mean["replacement_cost"]),
    ]
    if routine:
        rows.append(("    routine contacts of those lost", routine))
    try:
        baseline = r.stats(ROUTINE_CONTACTS)["mean"]
    except KeyError:
        baseline = 0.0
    if baseline:
        rows.append(("Serving routine contacts (baseline)", baseline))
    amounts = max(12, *(text_width(money(value)) for _, value in rows))
    return [*(f"{label + ':':<34} {pad(money(value), amounts, '>')}" for label, value in rows), ""]


def render_summary(r: RunStatistics) -> str:
    """A short, currency-formatted account of a result."""
    sc = r.scenario
    e = sc.economics
    cur, lang = r.currency, sc.language
    money = lambda v: format_money(v, cur, language=lang)  # noqa: E731
    lost = r.stats("lost_revenue")
    basis = "margin" if e.value == "margin" else "revenue"
    words = loss_words(e)
    periods = f"{e.horizon} {e.period}" + ("" if e.horizon == 1 else "s")
    cap = "" if isinstance(e.lifetime, bool) else f" capped at {e.lifetime.years:g} years"
    view = f"lifetime value{cap}" if e.lifetime else periods
    runs = f"{r.runs:,} run" + ("" if r.runs == 1 else "s")
    how = f"{r.method}, {runs}, seed {r.seed}" if r.seed is not None else r.method
    lines = [
        f"{sc.name}",
        f"{how}, cxsim {__version__}",
        "",
        f"{words[0].upper() + words[1:]} from experience failures "
        f"({view}, discounted at {e.discount_rate:.0%} a year):",
    ]
    if r.runs > 1:
        lines.append(
            f"  {money(lost['mean'])} expected  (90% interval {money(lost['p5'])} to "
            f"{money(lost['p95'])}; standard error {money(lost['sem'])})"
        )
    else:
        lines.append(f"  {money(lost['mean'])}")
    if e.lifetime:  # the horizon figure always beside the lifetime one
        lines.append(
            f"  of which {money(r.stats('lost_revenue_horizon')['mean'])} within the "
            f"{periods} of the horizon, {money(r.stats('lost_revenue_beyond')['mean'])} after"
        )
    rev = r.stats("revenue")["mean"]
    if rev + lost["mean"] > 0:  # no revenue at all (every price 0): no share to give
        lines.append(
            f"  {lost['mean'] / (rev + lost['mean']):.1%} of the {basis} "
            "a failure-free journey would bring"
        )
    facts = [
        ("customers lost to failures", format_count(r.stats("customers_lost")["mean"])),
        ("acquisitions lost (net)", format_count(r.stats("lost_acquisitions")["mean"])),
        (f"churn per {e.period}, all causes", f"{r.stats('churn_rate')['mean']:.2%}"),
    ]
    lines += [f"  {label + ':':<32} {value}" for label, value in facts]
    lines.append("")
    if r.has_costs():
        lines += _pnl_lines(r, money, words)
    for by, title in (
        ("pathway", "By pathway"),
        ("stage", "By stage"),
        ("touchpoint", "By touchpoint"),
    ):
        rows = _attribution_rows(r, by)
        if by != "pathway":
            rows = [(label, mean, share) for label, mean, share in rows if abs(mean) > 0]
        else:  # promoters' referrals and smaller wallets only where the scenario has them
            rows = [row for row in rows if row[0] not in OPTIONAL_PATHWAYS or row[1] != 0]
        lines.append(f"{title}:")
        width = max((text_width(str(label)) for label, _, _ in rows), default=10)
        amounts = max([10, *(text_width(money(mean)) for _, mean, _ in rows)])
        for i in _descending([mean for _, mean, _ in rows]):
            label, mean, share = rows[i]
            name = str(label).replace("_", " ") if by == "pathway" else str(label)
            lines.append(f"  {pad(name, width)}  {pad(money(mean), amounts, '>')}  {share:>6.1%}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _attribution_rows(r: RunStatistics, by: str) -> list[tuple[str, np.float64, np.float64]]:
    """(label, mean loss, share of the total) of `r.attribution_table(by)`, without pandas (the
    CLI's summary text is printed without importing it)."""
    total = r.stats("lost_revenue")["mean"]
    rows = {  # a dict, as `attribution_frame` builds it
        label: d["mean"] for label, d in zip(r.labels(by), r.described(by), strict=True)
    }
    return [
        (label, np.float64(mean), np.float64(mean / total if total else float("nan")))
        for label, mean in rows.items()
    ]


def _descending(values: list[np.float64]) -> list[int]:
    """The row order of pandas' `sort_values(ascending=False)` on `values` (its `nargsort`:
    quicksort on the reversed values, reversed back; NaN last)."""
    items = np.asarray(values, dtype=float)
    nan = np.isnan(items)
    idx = np.arange(len(items))[~nan][::-1]
    order = idx[items[~nan][::-1].argsort(kind="quicksort")][::-1]
    return [*order.tolist(), *np.flatnonzero(nan).tolist()]
