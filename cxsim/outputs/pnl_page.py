"""The report's P&L page (issue 14): both sides of the cost of poor experience, and what the
best interventions change on each side.

Left, the statement: the revenue side (the lost margin or revenue, by pathway of Goodman's tree)
and the cost side (the contacts failures create, recovery, replacing lost customers), adding up
to the cost of poor experience. Right, for the best interventions by expected NPV (the
recommended set first): the loss avoided, the failure costs avoided line by line (the contacts
line holds what deflection to a bot saves), the intervention's own cost (negative where it is a
saving) and the net, which is the NPV. Without a comparison, the right holds each line's range
over the runs (P5 and P95) instead. Every other figure is an expected value; each table is in
one money unit. `pnl_figures` gives the numbers, so a test can check that they add up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cxsim.engine.period import COST_LINES
from cxsim.engine.results import Results
from cxsim.engine.stats import interval
from cxsim.model.scenario import PATHWAYS
from cxsim.outputs import charts
from cxsim.outputs.i18n import language_of, text
from cxsim.outputs.labels import (
    members_of,
    money_in_one_unit,
    percent_words,
    title_weight,
    view_words,
    what_is_lost,
    wrap_label,
)
from cxsim.outputs.pages import blank_page, paragraph

if TYPE_CHECKING:
    from cxsim.analysis.compare import Comparison, Outcome

__all__ = ["PnL", "pnl_figures", "pnl_page"]

#: Outcomes shown beside the statement (the recommended set and the next best).
MOST_OUTCOMES = 2


@dataclass
class OutcomeLines:
    """One intervention's two sides, expected values: the NPV is their net."""

    name: str
    loss_avoided: float
    cost_avoided: dict[str, float]
    cost: float
    npv: float
    #: The interventions it stands for: itself, or a combination's members.
    members: list[str] = field(default_factory=list)

    @property
    def cost_avoided_total(self) -> float:
        return float(sum(self.cost_avoided.values()))


@dataclass
class PnL:
    """The statement's expected values: the revenue side by pathway, the cost lines, the
    total, and the outcomes' lines."""

    revenue_side: float
    by_pathway: dict[str, float]
    costs: dict[str, float]
    total: float
    outcomes: list[OutcomeLines] = field(default_factory=list)
    #: Each line's P5 and P95 over the runs, by the line's key ("revenue_side", a pathway,
    #: "cost_side", a cost line, "total"); empty for the expected-value model. They do not
    #: add up as the expected values do: a run high on one line is not high on every line.
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def cost_side(self) -> float:
        return float(sum(self.costs.values()))


def _mean(results: Results, metric: str) -> float:
    """The expected value of a P&L metric; 0 for a result made without cost lines."""
    if metric not in results.pnl_metrics():
        return 0.0
    return float(results.stats(metric)["mean"])


def _line_avoided(base: Results, world: Results, line: str) -> float:
    """A cost line the intervention spares, on the same runs (common random numbers)."""
    if line not in base.pnl_metrics() or line not in world.pnl_metrics():
        return 0.0
    return float(np.mean(base.metric(line) - world.metric(line)))


def pnl_figures(
    results: Results, comparison: Comparison | None = None, most: int = MOST_OUTCOMES
) -> PnL:
    """The P&L page's numbers: the statement of `results` and the first `most` outcomes."""
    by_path = results.loss_by("pathway").mean(axis=0)
    revenue = float(results.stats("lost_revenue")["mean"])
    costs = {line: _mean(results, line) for line in COST_LINES}
    total = _mean(results, "cost_of_poor_experience") if results.pnl_metrics() else revenue
    outcomes = []
    for o in (comparison.outcomes if comparison is not None else [])[:most]:
        outcomes.append(_outcome_lines(results, o))
    return PnL(
        revenue_side=revenue,
        by_pathway={p: float(v) for p, v in zip(PATHWAYS, by_path, strict=True)},
        costs=costs,
        total=total,
        outcomes=outcomes,
        ranges=_ranges(results) if results.runs > 1 else {},
    )


def _ranges(results: Results) -> dict[str, tuple[float, float]]:
    """Each statement line's P5 and P95 over the runs (see `PnL.ranges`)."""
    lost = results.metric("lost_revenue")
    zero = np.zeros_like(lost)
    lines = {
        line: results.metric(line) if line in results.pnl_metrics() else zero for line in COST_LINES
    }
    by_path = results.loss_by("pathway")
    runs = {
        "revenue_side": lost,
        **{p: by_path[:, i] for i, p in enumerate(PATHWAYS)},
        "cost_side": np.sum(list(lines.values()), axis=0),
        **lines,
        "total": results.metric("cost_of_poor_experience") if results.pnl_metrics() else lost,
    }
    return {key: interval(values) for key, values in runs.items()}


def _outcome_lines(base: Results, o: Outcome) -> OutcomeLines:
    known = [iv.name for iv in getattr(base.scenario, "interventions", []) or []]
    return OutcomeLines(
        members=members_of(o.name, o.description, known),
        name=o.name,
        loss_avoided=float(np.mean(o.loss_avoided)),
        cost_avoided={line: _line_avoided(base, o.results, line) for line in COST_LINES},
        cost=float(np.mean(o.cost)),
        npv=float(np.mean(o.npv)),
    )


ROW_IN = 0.235
SIZE = 9.0
#: The P5 and P95 columns beside the statement, when no outcomes stand there (page fractions).
RANGE_X = (0.60, 0.70)


@charts.styled
def pnl_page(
    results: Results, comparison: Comparison | None = None, *, language: str | None = None
) -> Figure:
    """A report page: the cost of poor experience, revenue side and cost side, and what the
    best interventions change on each side."""
    lang = language_of(language, default=results.scenario.language)
    pnl = pnl_figures(results, comparison)
    fig = blank_page()
    what = what_is_lost(results, lang)
    basis = text(results.scenario.economics.value, lang)
    headline = money_in_one_unit(results, lang, (pnl.total, pnl.revenue_side, pnl.cost_side))
    if pnl.cost_side != 0:
        title = text(
            "pnl_find",
            lang,
            total=headline(pnl.total),
            revenue=headline(pnl.revenue_side),
            costs=headline(pnl.cost_side),
            basis=basis,
            what=what,
        )
    else:
        title = text("pnl_find_revenue", lang, total=headline(pnl.total), basis=basis, what=what)
    y = paragraph(fig, 0.22, title, 13.5, 90, fontweight=title_weight(lang), color=charts.INK)
    sub = text("pnl_sub", lang, runs=f"{results.runs:,}", view=view_words(results, lang))
    y = paragraph(fig, y - 0.06, sub, 9, 140, color=charts.MUTED) + 0.05
    _statement(fig, y, pnl, results, lang)
    if pnl.outcomes:
        _outcomes_table(fig, y, pnl, results, lang)
    return fig


def _row(
    fig: Figure,
    y: float,
    cells: list[tuple[float, str, str]],
    *,
    bold: bool = False,
    color: str = charts.INK,
    lang: str = "en",
) -> None:
    """One line of a table at `y` inches from the top: (x, text, alignment) cells."""
    height = fig.get_figheight()
    weight = title_weight(lang) if bold else "normal"
    for x, value, ha in cells:
        fig.text(
            x, 1 - y / height, value, ha=ha, va="top", fontsize=SIZE, color=color, fontweight=weight
        )


def _rule(fig: Figure, y: float, x0: float, x1: float, strong: bool = False) -> None:
    height = fig.get_figheight()
    at = 1 - (y - 0.04) / height
    fig.add_artist(Line2D([x0, x1], [at, at], color=charts.INK if strong else charts.RULE, lw=0.8))


def _statement(fig: Figure, y: float, pnl: PnL, results: Results, lang: str) -> None:
    """The left table: the revenue side by pathway, the cost side by line, the total; without
    outcomes beside it, each line's range over the runs (P5, P95) to its right."""
    x0, value_x, share_x = 0.012, 0.40, 0.47
    ranged = bool(pnl.ranges) and not pnl.outcomes
    end_x = RANGE_X[1] if ranged else share_x
    what = what_is_lost(results, lang)
    values = [pnl.total, pnl.revenue_side, pnl.cost_side, *pnl.by_pathway.values()]
    values += pnl.costs.values()
    if ranged:
        values += [v for r in pnl.ranges.values() for v in r]
    money = money_in_one_unit(results, lang, values, decimals=1)
    share = (lambda v: percent_words(v / pnl.total)) if pnl.total else (lambda v: "")

    indent = 0.03

    def line(
        y: float, key: str, label: str, value: float, sub: bool = False, **style: Any
    ) -> float:
        """One line of the statement at `y`; the `y` of the next."""
        cells = [
            (x0 + indent * sub, label, "left"),
            (value_x, money(value), "right"),
            (share_x, share(value), "right"),
        ]
        if ranged:
            cells += [(x, money(v), "right") for x, v in zip(RANGE_X, pnl.ranges[key], strict=True)]
        _row(fig, y, cells, lang=lang, **style)
        return y + ROW_IN

    head = [
        (x0, text("pnl_statement", lang), "left"),
        (value_x, text("pnl_mean", lang), "right"),
        (share_x, text("pnl_share", lang), "right"),
    ]
    if ranged:
        head += [(RANGE_X[0], "P5", "right"), (RANGE_X[1], "P95", "right")]
    _row(fig, y, head, color=charts.MUTED, lang=lang)
    y += ROW_IN
    _rule(fig, y, x0, end_x)
    side = text("pnl_revenue_side", lang, what=what)
    y = line(y, "revenue_side", side, pnl.revenue_side, bold=True)
    for p, v in pnl.by_pathway.items():
        if abs(v) < 1e-9 * max(1.0, abs(pnl.total)):
            continue
        y = line(y, p, wrap_label(text(p, lang), 44, 1), v, sub=True, color=charts.MUTED)
    y += 0.05
    y = line(y, "cost_side", text("pnl_cost_side", lang), pnl.cost_side, bold=True)
    if pnl.cost_side == 0 and not any(pnl.costs.values()):
        height = fig.get_figheight()
        fig.text(
            x0 + indent,
            1 - y / height,
            wrap_label(text("pnl_no_costs", lang), 64, 3),
            va="top",
            fontsize=8,
            color=charts.MUTED,
        )
        y += 3 * ROW_IN
    else:
        for key, v in pnl.costs.items():
            y = line(y, key, text(key, lang), v, sub=True, color=charts.MUTED)
    y += 0.04
    _rule(fig, y, x0, end_x, strong=True)
    y = line(y, "total", text("cost_of_poor_experience", lang), pnl.total, bold=True)
    if ranged:
        note = text("pnl_ranges", lang, runs=f"{results.runs:,}")
        height = fig.get_figheight()
        fig.text(x0, 1 - (y + 0.1) / height, note, va="top", fontsize=7.5, color=charts.MUTED)


def _outcomes_table(fig: Figure, y: float, pnl: PnL, results: Results, lang: str) -> None:
    """The right table: for each shown outcome, both sides and the net (its NPV)."""
    x0, x1 = 0.53, 0.985
    columns = [x1 - (len(pnl.outcomes) - 1 - i) * 0.125 for i in range(len(pnl.outcomes))]
    cells: list[float] = []
    for o in pnl.outcomes:
        cells += [o.loss_avoided, o.cost_avoided_total, *o.cost_avoided.values(), o.cost, o.npv]
    money = money_in_one_unit(results, lang, cells, decimals=1)
    height = fig.get_figheight()
    fig.text(
        x0,
        1 - y / height,
        text("pnl_interventions", lang),
        va="top",
        fontsize=SIZE,
        color=charts.MUTED,
    )
    y += ROW_IN
    names = [wrap_label(o.name, 20, 3) for o in pnl.outcomes]
    lines = max(n.count("\n") + 1 for n in names)
    for x, name in zip(columns, names, strict=True):
        fig.text(
            x,
            1 - y / height,
            name,
            ha="right",
            va="top",
            fontsize=8.5,
            color=charts.INK,
            fontweight=title_weight(lang),
            linespacing=1.2,
        )
    y += lines * 8.5 * 1.2 / 72 + 0.1
    _rule(fig, y, x0, x1)
    of_which = [
        ("serving_cost", "pnl_contacts_avoided"),
        ("recovery_cost", "pnl_recovery_avoided"),
        ("replacement_cost", "pnl_replacement_avoided"),
        ("routine_cost", "pnl_routine_avoided"),
    ]
    show_lines = any(any(o.cost_avoided.values()) for o in pnl.outcomes)
    # (label, one value per outcome, indented: a line "of which" the row above)
    rows: list[tuple[str, list[float], bool]] = [
        (text("pnl_loss_avoided", lang), [o.loss_avoided for o in pnl.outcomes], False),
        (text("pnl_cost_avoided", lang), [o.cost_avoided_total for o in pnl.outcomes], False),
    ]
    if show_lines:
        for line, key in of_which:
            label = text("pnl_of_which", lang, line=text(key, lang))
            rows.append((label, [o.cost_avoided[line] for o in pnl.outcomes], True))
    rows.append((text("pnl_cost", lang), [-o.cost for o in pnl.outcomes], False))
    for label, values, indented in rows:
        cells_at: list[tuple[float, str, str]] = [
            (x0 + (0.02 if indented else 0.0), wrap_label(label, 40, 1), "left")
        ]
        cells_at += [(x, money(v), "right") for x, v in zip(columns, values, strict=True)]
        color = charts.MUTED if indented else charts.INK
        _row(fig, y, cells_at, color=color, lang=lang)
        y += ROW_IN
    y += 0.04
    _rule(fig, y, x0, x1, strong=True)
    net: list[tuple[float, str, str]] = [(x0, text("pnl_net", lang), "left")]
    net += [(x, money(o.npv), "right") for x, o in zip(columns, pnl.outcomes, strict=True)]
    _row(fig, y, net, bold=True, lang=lang)
    y += ROW_IN + 0.08
    for o in pnl.outcomes:
        if len(o.members) > 1:
            sep, colon = ("、", "：") if lang == "ja" else (", ", ": ")
            words = wrap_label(o.name + colon + sep.join(o.members), 84, 3)
            fig.text(x0, 1 - y / height, words, va="top", fontsize=8, color=charts.INK)
            y += (words.count("\n") + 1) * 8 * 1.25 / 72 + 0.08
    if any(o.cost < 0 for o in pnl.outcomes):
        fig.text(
            x0, 1 - y / height, text("pnl_saving", lang), va="top", fontsize=7.5, color=charts.MUTED
        )
