"""The workbook's live sheets: cash flows per period, by year, the business case, the runs.

The cash flows are means over runs, undiscounted per period, with the discount factor as a
formula of the Inputs sheet's named cells; NPV, ROI and payback are formulas over them. Since
NPV is linear in the cash flows, the formula's NPV is the Monte Carlo mean exactly; ROI and
payback of the expected cash flows are not the mean of each run's ROI and payback, so the
simulated statistics stand beside them, labelled, and the Runs sheet holds each run's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cxsim.outputs.workbook_cells import (
    FACTOR,
    PERCENT,
    SIMULATED_FILL,
    Book,
    formula_cell,
    header,
    note,
    number_cell,
    ref,
    text_cell,
    widths,
)

#: The most runs the Runs sheet holds; beyond it, the first this many (and it says so).
MAX_RUNS = 10_000
FIRST = 3  # the first period's row on the Cash flows sheet
PER_INTERVENTION = (
    "iv_value",
    "iv_benefit",
    "iv_spared",
    "iv_cost",
    "iv_net",
    "iv_disc",
    "iv_cum",
    "iv_paid",
)


@dataclass
class Layout:
    """Where the Cash flows sheet put things, for the formulas of the other sheets."""

    sheet: str
    horizon: int
    totals: dict[str, str] = field(default_factory=dict)  # metric -> cell of its total
    cases: list[dict[str, str]] = field(default_factory=list)  # per outcome: figure -> cell

    @property
    def beyond_row(self) -> int:
        return FIRST + self.horizon

    @property
    def total_row(self) -> int:
        return FIRST + self.horizon + 1

    def total_of(self, metric: str) -> str | None:
        return self.totals.get(metric)

    def rows(self, col: int) -> str:
        """The period rows of a column: `'Cash flows'!$E$3:$E$38`."""
        letter = get_column_letter(col)
        return f"'{self.sheet}'!${letter}${FIRST}:${letter}${FIRST + self.horizon - 1}"


def _mean(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=float).mean(axis=0)


def cash_flows_sheet(ws: Worksheet, book: Book, outcomes: list[Any]) -> Layout:
    """Per period: the baseline's value and loss, and each intervention's value, cost, net."""
    r = book.results
    e = r.scenario.economics
    h = e.horizon
    lay = Layout(ws.title, h)
    factor = e.discount_factor ** np.arange(1, h + 1)
    base_disc = _mean(r.periods["revenue"])
    base_beyond = float(np.mean(r.totals["revenue"])) - float(base_disc.sum())
    note(ws, 1, book.word("flows_note"))
    head = [book.word(k) for k in ("period_no", "year", "factor")]
    head += [
        book.word("base_value", basis=book.basis),
        book.word("base_value_disc", basis=book.basis),
    ]
    has_loss = "loss" in r.periods
    if has_loss:
        head += [book.word("base_loss_disc", what=book.what_is_lost)]
    for o in outcomes:
        head += [book.word(k, name=o.name, basis=book.basis) for k in PER_INTERVENTION]
    header(ws, 2, head)
    ppy = max(1, round(e.periods_per_year))
    for t in range(h):
        row = FIRST + t
        number_cell(ws, row, 1, t + 1, "0")
        number_cell(ws, row, 2, t // ppy + 1, "0")
        formula_cell(ws, row, 3, f"(1+DiscountRate)^(-A{row}/PeriodsPerYear)", FACTOR)
        number_cell(ws, row, 4, base_disc[t] / factor[t], book.money)
        formula_cell(ws, row, 5, f"D{row}*C{row}", book.money)
    b, tot = lay.beyond_row, lay.total_row
    text_cell(ws, b, 1, book.word("beyond"))
    number_cell(ws, b, 5, base_beyond, book.money)
    text_cell(ws, tot, 1, book.word("total")).font = Font(bold=True)
    formula_cell(ws, tot, 5, f"SUM(E{FIRST}:E{b})", book.money)
    lay.totals["revenue"] = ref(ws, tot, 5, absolute=True)
    col = 6
    if has_loss:
        loss = _mean(r.periods["loss"])
        for t in range(h):
            number_cell(ws, FIRST + t, col, loss[t], book.money)
        number_cell(ws, b, col, float(np.mean(r.totals["lost_revenue"]) - loss.sum()), book.money)
        formula_cell(ws, tot, col, f"SUM(F{FIRST}:F{b})", book.money)
        lay.totals["lost_revenue"] = ref(ws, tot, col, absolute=True)
        col += 1
    for o in outcomes:
        lay.cases.append(_intervention_columns(ws, book, o, col, factor, base_beyond, lay))
        col += len(PER_INTERVENTION)
    ws.freeze_panes = ws.cell(row=FIRST, column=4)
    widths(ws, [10, 6, 12] + [18] * (col - 4))
    return lay


def _intervention_columns(
    ws: Worksheet, book: Book, o: Any, col: int, factor: Any, base_beyond: float, lay: Layout
) -> dict[str, str]:
    """One intervention's eight columns: value, benefit, failure costs avoided, cost, net,
    discounted, cumulative, paid back."""
    v, bn, sv, c, n, d, cu, pd_ = (get_column_letter(col + k) for k in range(8))
    world = o.results
    value = _mean(world.periods["revenue"])
    cost = _mean(world.periods["cost"])
    spared = _spared(book.results, world)
    money = book.money
    for t in range(lay.horizon):
        row = FIRST + t
        number_cell(ws, row, col, value[t] / factor[t], money)
        formula_cell(ws, row, col + 1, f"{v}{row}-$D{row}", money)
        number_cell(ws, row, col + 2, spared[t] / factor[t], money)
        number_cell(ws, row, col + 3, cost[t] / factor[t], money)
        formula_cell(ws, row, col + 4, f"{bn}{row}+{sv}{row}-{c}{row}", money)
        formula_cell(ws, row, col + 5, f"{n}{row}*$C{row}", money)
        previous = f"{cu}{row - 1}+" if t else ""
        formula_cell(ws, row, col + 6, f"{previous}{d}{row}", money)
        formula_cell(ws, row, col + 7, f'IF({cu}{row}>0,$A{row},"")', "0")
    b, tot, last = lay.beyond_row, lay.total_row, lay.beyond_row - 1
    beyond = float(np.mean(world.totals["revenue"])) - float(value.sum())
    number_cell(ws, b, col, beyond, money)
    formula_cell(ws, b, col + 1, f"{v}{b}-$E{b}", money)
    number_cell(ws, b, col + 2, _spared_beyond(book.results, world), money)
    formula_cell(ws, b, col + 4, f"{bn}{b}+{sv}{b}", money)
    formula_cell(ws, b, col + 5, f"{n}{b}", money)
    formula_cell(ws, b, col + 6, f"{cu}{last}+{d}{b}", money)
    # What lies beyond the horizon counts in the last period, as in `business_case`.
    formula_cell(ws, b, col + 7, f'IF(AND({cu}{b}>0,{pd_}{last}=""),Horizon,"")', "0")
    rows = f"{FIRST}:{{c}}{last}"
    factors = f"$C${FIRST}:$C${last}"
    sp = lambda x: f"SUMPRODUCT({x}{rows.format(c=x)},{factors})"  # noqa: E731
    formula_cell(ws, tot, col, f"{sp(v)}+{v}{b}", money)
    formula_cell(ws, tot, col + 1, f"{sp(bn)}+{bn}{b}", money)
    formula_cell(ws, tot, col + 2, f"{sp(sv)}+{sv}{b}", money)
    formula_cell(ws, tot, col + 3, sp(c), money)
    formula_cell(ws, tot, col + 5, f"SUM({d}{FIRST}:{d}{b})", money)
    return {
        "loss_avoided": ref(ws, tot, col + 1, absolute=True),
        "cost_avoided": ref(ws, tot, col + 2, absolute=True),
        "cost": ref(ws, tot, col + 3, absolute=True),
        "npv": ref(ws, tot, col + 5, absolute=True),
        "paid": f"'{ws.title}'!${pd_}${FIRST}:${pd_}${b}",
    }


def _spared(base: Any, world: Any) -> np.ndarray:
    """Mean serving, recovery and replacement costs of failures and cost of routine contacts
    avoided, per period (discounted), as `cxsim.analysis.business_case` counts them; zeros
    without `costs:`."""
    out = np.zeros(base.scenario.economics.horizon)
    for k in ("failure_cost", "routine_contacts_cost"):
        if k in base.periods and k in world.periods:
            out = out + _mean(base.periods[k]) - _mean(world.periods[k])
    return out


def _spared_beyond(base: Any, world: Any) -> float:
    """Mean cost of routine contacts avoided beyond the horizon (lifetime view; else 0)."""
    k = "routine_contacts_cost"
    if k not in base.totals or k not in world.totals or k not in world.periods:
        return 0.0
    total = float(np.mean(base.totals[k]) - np.mean(world.totals[k]))
    return total - float((_mean(base.periods[k]) - _mean(world.periods[k])).sum())


def by_year_sheet(ws: Worksheet, book: Book, lay: Layout) -> None:
    """The cash flows summed by year (SUMIF over the Cash flows sheet), discounted."""
    years = int(
        np.ceil(lay.horizon / max(1, round(book.results.scenario.economics.periods_per_year)))
    )
    cols = [(5, book.word("base_value_disc", basis=book.basis))]
    if "lost_revenue" in lay.totals:
        cols.append((6, book.word("base_loss_disc", what=book.what_is_lost)))
    header(ws, 1, [book.word("year")] + [name for _, name in cols])
    yrs = lay.rows(2)
    for y in range(1, years + 1):
        number_cell(ws, y + 1, 1, y, "0")
        for k, (col, _) in enumerate(cols, 2):
            formula_cell(ws, y + 1, k, f"SUMIF({yrs},$A{y + 1},{lay.rows(col)})", book.money)
    b, tot = years + 2, years + 3
    text_cell(ws, b, 1, book.word("beyond"))
    text_cell(ws, tot, 1, book.word("total")).font = Font(bold=True)
    for k, (col, _) in enumerate(cols, 2):
        formula_cell(ws, b, k, ref(lay.sheet, lay.beyond_row, col), book.money)
        letter = get_column_letter(k)
        formula_cell(ws, tot, k, f"SUM({letter}2:{letter}{b})", book.money)
    widths(ws, [28] + [26] * len(cols))


@dataclass
class RunsLayout:
    """Where the Runs sheet put each outcome's per-run columns (None: a sample, not all runs)."""

    columns: list[dict[str, str]] = field(default_factory=list)


def runs_sheet(ws: Worksheet, book: Book, outcomes: list[Any]) -> RunsLayout:
    """Every run (or the first 10,000): the baseline's loss, each intervention's figures."""
    r = book.results
    n = r.runs
    k = min(n, MAX_RUNS)
    note(
        ws,
        1,
        book.word("runs_all", n=f"{n:,}")
        if k == n
        else book.word("runs_sample", k=f"{k:,}", n=f"{n:,}"),
    )
    head = [book.word("run"), book.word("base_lost", what=book.what_is_lost)]
    head += [book.word("base_value", basis=book.basis)]
    for o in outcomes:
        head += [
            book.word(key, name=o.name)
            for key in ("iv_avoided", "iv_cost", "iv_npv", "iv_roi", "iv_payback")
        ]
    header(ws, 2, head)
    # Each column's values by run; None for a formula column (an intervention's NPV and ROI).
    columns: list[NDArray[Any] | None] = [
        np.arange(1, k + 1),
        r.totals["lost_revenue"][:k],
        r.totals["revenue"][:k],
    ]
    formats = ["0", book.money, book.money]
    for o in outcomes:
        benefit = o.loss_avoided + o.cost_avoided  # failure costs avoided count too
        columns += [benefit[:k], o.cost[:k], None, None, o.payback_periods[:k]]
        formats += [book.money, book.money, book.money, PERCENT, "0"]
    first, last = 3, k + 2
    layout = RunsLayout()
    for i in range(k):
        row = first + i
        for col, (values, fmt) in enumerate(zip(columns, formats, strict=True), 1):
            if values is not None:
                number_cell(ws, row, col, float(values[i]), fmt)
        for j in range(len(outcomes)):
            a, c, npv = (get_column_letter(4 + 5 * j + x) for x in range(3))
            formula_cell(ws, row, 6 + 5 * j, f"{a}{row}-{c}{row}", book.money)
            formula_cell(ws, row, 7 + 5 * j, f'IF({c}{row}>0,{npv}{row}/{c}{row},"")', PERCENT)
    if k == n:
        for j in range(len(outcomes)):
            base = 4 + 5 * j
            names = ("loss_avoided", "cost", "npv", "roi")
            layout.columns.append(
                {name: _span(ws.title, base + x, first, last) for x, name in enumerate(names)}
            )
    ws.freeze_panes = ws.cell(row=first, column=2)
    widths(ws, [8] + [18] * (len(head) - 1))
    return layout


def interventions_sheet(
    ws: Worksheet, book: Book, outcomes: list[Any], lay: Layout, runs: RunsLayout
) -> None:
    """Per intervention: figures as formulas over the cash flows, simulated statistics beside."""
    note(ws, 1, book.word("payback_note"))
    note(ws, 2, book.word("simulated_note"))
    head = [
        book.word(k)
        for k in ("intervention", "description", "loss_avoided", "cost", "npv", "roi", "payback")
    ]
    formula_cols = len(head)
    head += [book.word("p_pays"), book.word("p_never")]
    stats = ("loss_avoided", "cost", "npv", "roi")
    for figure in stats:
        head += [f"{book.word(figure)}: {book.word(key)}" for key in ("sim_mean",)]
        head += [f"{book.word(figure)}: {book.word('sim_p', p=q)}" for q in ("P5", "P50", "P95")]
    head += [f"{book.word('payback')}: {book.word('sim_p', p=q)}" for q in ("P5", "P50", "P95")]
    text_cell(ws, 3, 3, book.word("formula_cols")).font = Font(bold=True)
    header(ws, 4, head)
    for row, (o, cells) in enumerate(zip(outcomes, lay.cases, strict=True), 5):
        text_cell(ws, row, 1, o.name)
        text_cell(ws, row, 2, o.description)
        formula_cell(ws, row, 3, cells["loss_avoided"], book.money)
        formula_cell(ws, row, 4, cells["cost"], book.money)
        formula_cell(ws, row, 5, cells["npv"], book.money)  # with failure costs avoided
        formula_cell(ws, row, 6, f'IF(D{row}>0,E{row}/D{row},"")', PERCENT)
        formula_cell(ws, row, 7, f'IF(COUNT({cells["paid"]})=0,"",MIN({cells["paid"]}))', "0")
        pb = o.stats("payback_periods")
        simulated = [(o.p_pays, PERCENT), (pb.get("p_never"), PERCENT)]
        col = formula_cols + 1
        for value, fmt in simulated:
            number_cell(ws, row, col, value, fmt).fill = SIMULATED_FILL
            col += 1
        for figure in stats:
            s = o.stats(figure)
            fmt = PERCENT if figure == "roi" else book.money
            spans = runs.columns[row - 5] if runs.columns else None
            if spans is not None and s["mean"] is not None:
                formula_cell(ws, row, col, f"AVERAGE({spans[figure]})", fmt).fill = SIMULATED_FILL
            else:
                number_cell(ws, row, col, s["mean"], fmt).fill = SIMULATED_FILL
            for key in ("p5", "p50", "p95"):
                number_cell(
                    ws, row, col + 1 + ("p5", "p50", "p95").index(key), s[key], fmt
                ).fill = SIMULATED_FILL
            col += 4
        for key in ("p5", "p50", "p95"):
            number_cell(ws, row, col, pb[key], "0").fill = SIMULATED_FILL
            col += 1
    ws.freeze_panes = "B5"
    widths(ws, [34, 50] + [16] * (len(head) - 2))


def _span(sheet: str, col: int, first: int, last: int) -> str:
    letter = get_column_letter(col)
    return f"'{sheet}'!${letter}${first}:${letter}${last}"
