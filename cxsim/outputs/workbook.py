"""The finance workbook (xlsx): a live business case an analyst can audit.

Sheets: Summary, Inputs (the cells the formulas use are named: `DiscountRate`,
`PeriodsPerYear`, `Horizon`; every simulation input with its own source comment), Cash flows
(per period, baseline and each intervention: value, cost, net, discount factor), By year,
Where it is lost, Interventions (NPV, ROI, payback as Excel formulas over the cash flows, the
Monte Carlo percentiles as values beside them, labelled as simulated) and Runs (every run, or
a stated sample of 10,000). Numbers are numbers formatted by what they are (money in the
scenario's currency, percent, count), labels are in the scenario's language, and text a user
wrote goes through `text_cell` only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

from cxsim._version import __version__
from cxsim.engine.results import Results
from cxsim.model.paths import input_label, iter_inputs
from cxsim.model.scenario import PATHWAYS
from cxsim.outputs.i18n import input_name, text
from cxsim.outputs.provenance import provenance_sheet
from cxsim.outputs.reconciliation import reconciliation_sheet
from cxsim.outputs.sources import input_sources
from cxsim.outputs.workbook_cells import (
    COUNT,
    NAMED,
    PERCENT,
    PERCENT_FINE,
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


def write_workbook(
    path: str | Path, results: Results, comparison: Any = None, *, reconciliation: Any = None
) -> None:
    """Write the workbook for a result and, if given, its comparison of interventions and its
    reconciliation with the actuals (`cxsim.analysis.calibration.Reconciliation`)."""
    from cxsim.outputs import workbook_flows as flows

    wb = Workbook()
    book = Book.of(results)
    summary = wb.active
    summary.title = book.word("sheet_summary")
    inputs_sheet(wb, book)
    outcomes = list(comparison.outcomes) if comparison is not None else []
    layout = None
    if results.periods and "revenue" in results.periods:
        layout = flows.cash_flows_sheet(wb.create_sheet(book.word("sheet_flows")), book, outcomes)
        flows.by_year_sheet(wb.create_sheet(book.word("sheet_years")), book, layout)
    summary_sheet(summary, book, layout)
    attribution_sheet(wb.create_sheet(book.word("sheet_where")), book)
    case = wb.create_sheet(book.word("sheet_case")) if outcomes and layout is not None else None
    runs = flows.runs_sheet(wb.create_sheet(book.word("sheet_runs")), book, outcomes)
    if case is not None and layout is not None:  # a case sheet is made only with a layout
        flows.interventions_sheet(case, book, outcomes, layout, runs)
    if reconciliation is not None:
        reconciliation_sheet(wb.create_sheet("Reconciliation"), reconciliation)
    provenance_sheet(wb.create_sheet("Provenance"), results)
    wb.save(path)


def summary_sheet(ws: Worksheet, book: Book, layout: Any) -> None:
    r = book.results
    e = r.scenario.economics
    facts: list[tuple[str, object, str | None]] = [
        ("scenario", r.scenario.name, None),
        ("simulation", r.method, None),
        ("runs", r.runs, COUNT),
        ("seed", r.seed, "0"),
        ("horizon", e.horizon, COUNT),
        ("period", text(e.period, book.language), None),
        ("value_counted", book.basis, None),
        ("discount_rate", e.discount_rate, PERCENT),
        ("lifetime", book.word("yes" if e.lifetime else "no"), None),
        ("currency", e.currency, None),
        ("version", __version__, None),
        ("numpy", np.__version__, None),
        ("sha", r.source.sha256 if r.source else "", None),
    ]
    text_cell(ws, 1, 1, r.scenario.name).font = Font(bold=True, size=14)
    for i, (key, value, fmt) in enumerate(facts, 3):
        text_cell(ws, i, 1, book.word(key)).font = Font(bold=True)
        if fmt is None:
            text_cell(ws, i, 2, value)
        else:
            number_cell(ws, i, 2, value, fmt)  # type: ignore[arg-type]
    row = len(facts) + 4
    note(ws, row, book.word("simulated_note"))
    row += 1
    p = ("P5", "P50", "P95")
    cols = [book.word("metric"), book.word("total_formula"), book.word("sim_mean")]
    cols += [book.word("sim_std")] + [book.word("sim_p", p=q) for q in p]
    header(ws, row, cols)
    metrics = [
        ("lost_revenue", book.what_is_lost, book.money),
        ("customers_lost", book.word("customers_lost"), COUNT),
        ("lost_acquisitions", book.word("lost_acquisitions"), COUNT),
        ("churn_rate", book.word("churn_rate"), PERCENT_FINE),
        ("revenue", book.word("value_with", basis=book.basis), book.money),
    ]
    for i, (metric, label, fmt) in enumerate(metrics, row + 1):
        s = r.stats(metric)
        text_cell(ws, i, 1, label)
        total = layout.total_of(metric) if layout is not None else None
        if total is not None:
            formula_cell(ws, i, 2, total, fmt)
        for col, key in enumerate(("mean", "std", "p5", "p50", "p95"), 3):
            number_cell(ws, i, col, s[key], fmt).fill = SIMULATED_FILL
    widths(ws, [34, 26, 20, 20, 18, 18, 18])


def inputs_sheet(wb: Workbook, book: Book) -> None:
    """The named cells the formulas use, then every simulation input with its source."""
    ws = wb.create_sheet(book.word("sheet_inputs"))
    r = book.results
    e = r.scenario.economics
    text_cell(ws, 1, 1, book.word("formula_inputs")).font = Font(bold=True)
    named = {"discount_rate": e.discount_rate, "periods_per_year": e.periods_per_year}
    named["horizon"] = e.horizon
    sources = input_sources(r.scenario, r.source)
    econ_sources = {"discount_rate": sources.get("economics.discount_rate", "")}
    for row, (key, value) in enumerate(named.items(), 2):
        text_cell(ws, row, 1, book.word(key))
        number_cell(ws, row, 2, value, PERCENT if key == "discount_rate" else "0")
        text_cell(ws, row, 3, NAMED[key])
        text_cell(ws, row, 4, econ_sources.get(key, ""))
        wb.defined_names[NAMED[key]] = DefinedName(
            NAMED[key], attr_text=ref(ws, row, 2, absolute=True)
        )
    start = len(named) + 3
    text_cell(ws, start, 1, book.word("model_inputs")).font = Font(bold=True)
    header(
        ws,
        start + 1,
        [book.word(k) for k in ("input", "distribution", "mean")]
        + ["P10", "P90"]
        + [book.word("source")],
    )
    for row, (path, dist) in enumerate(iter_inputs(r.scenario), start + 2):
        label = input_name(input_label(r.scenario, path), book.language)
        cell = text_cell(ws, row, 1, label)
        if label == path or "." in label:
            cell.comment = Comment(path, "cxsim")  # the path `--set` takes, for the analyst
        text_cell(ws, row, 2, dist.describe())
        fmt = field_format(path, book)
        for col, v in enumerate((dist.mean(), dist.quantile(0.1), dist.quantile(0.9)), 3):
            number_cell(ws, row, col, v, fmt)
        text_cell(ws, row, 6, sources.get(path, ""))
    ws.freeze_panes = ws.cell(row=start + 2, column=2)
    widths(ws, [44, 40, 14, 14, 14, 90])


#: The last field of an input's path, and what it measures.
_COUNTS = ("customers", "prospects", "told", "agents", "capacity")
_MONEY = ("revenue", "one_off", "per_period", "per_customer", "cost", "cost_per_contact")
_RATES = (
    "failure_rate", "complaint_rate", "exposure", "conversion", "margin", "rate",
    "satisfied", "mollified", "dissatisfied", "deterred", "referred", "minor", "major",
    "satisfied_fast", "satisfied_slow", "dissatisfied_fast", "dissatisfied_slow",
)  # fmt: skip


def field_format(path: str, book: Book) -> str:
    """The number format of an input by what its field measures (never by its value)."""
    parts = [p for p in path.split(".") if not p.isdigit()]
    names = [p for p in parts if p in _COUNTS + _MONEY + _RATES]
    field = names[-1] if names else parts[-1]
    if parts[0] == "interventions" and "effects" in parts:
        return "0.00##"  # an effect's factor or shift: its unit is the target's
    if field in _MONEY:
        return book.money_cents
    if field in _COUNTS:
        return COUNT if "told" not in parts else "0.0"
    if field in _RATES:
        return PERCENT_FINE
    return "#,##0.00##"


def attribution_sheet(ws: Worksheet, book: Book) -> None:
    """The loss by pathway, stage, touchpoint and segment; totals and shares as formulas."""
    r = book.results
    text_cell(ws, 1, 1, book.what_is_lost).font = Font(bold=True)
    note(ws, 2, book.word("simulated_note"))
    row = 4
    pathways = {p: text(p, book.language) for p in PATHWAYS}
    for by in ("pathway", "stage", "touchpoint", "segment"):
        table = r.attribution_table(by)
        names = pathways if by == "pathway" else {}
        head = [book.word(f"by_{by}"), book.word("sim_mean"), book.word("share")]
        header(ws, row, [*head, book.word("p5"), book.word("p95")])
        first, last = row + 1, row + len(table)
        total_row = last + 1
        for i, (label, t) in enumerate(table.iterrows(), first):
            text_cell(ws, i, 1, names.get(str(label), str(label)))
            number_cell(ws, i, 2, float(t["mean"]), book.money).fill = SIMULATED_FILL
            formula_cell(ws, i, 3, f"IF($B${total_row}=0,0,B{i}/$B${total_row})", PERCENT)
            for col, key in enumerate(("p5", "p95"), 4):
                number_cell(ws, i, col, float(t[key]), book.money).fill = SIMULATED_FILL
        text_cell(ws, total_row, 1, book.word("total")).font = Font(bold=True)
        formula_cell(ws, total_row, 2, f"SUM(B{first}:B{last})", book.money).font = Font(bold=True)
        formula_cell(ws, total_row, 3, f"SUM(C{first}:C{last})", PERCENT)
        row = total_row + 3
    widths(ws, [44, 20, 10, 20, 20])
