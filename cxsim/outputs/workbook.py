"""The finance workbook (xlsx): a live business case an analyst can audit.

Sheets: Summary, Inputs (the cells the formulas use are named: `DiscountRate`,
`PeriodsPerYear`, `Horizon`; every simulation input with its own source comment), Cash flows
(per period, baseline and each intervention: value, cost, net, discount factor), By year,
Where it is lost, Interventions (NPV, ROI, payback as Excel formulas over the cash flows, the
Monte Carlo percentiles as values beside them, labelled as simulated) and Runs (every run, or
a stated sample of 10,000). Numbers are numbers formatted by what they are (money in the
scenario's currency, percent, count), labels are in the scenario's language, and text a user
wrote goes through `_text_cell` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

from cxsim._version import __version__
from cxsim.engine.results import Results
from cxsim.formatting.money import NO_DECIMALS, symbol
from cxsim.model.paths import input_label, iter_inputs
from cxsim.model.scenario import PATHWAYS
from cxsim.outputs.i18n import input_name, text
from cxsim.outputs.reconciliation import reconciliation_sheet
from cxsim.outputs.sources import input_sources
from cxsim.outputs.workbook_words import word

HEADER = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="3B4A5A")
SIMULATED_FILL = PatternFill("solid", fgColor="EEF2F6")
PERCENT = "0.0%"
PERCENT_FINE = "0.00%"
COUNT = "#,##0"
NUMBER = "#,##0.00"
FACTOR = "0.000000"
#: The named cells of the Inputs sheet the formulas use, by key of `workbook_words`.
NAMED = {
    "discount_rate": "DiscountRate",
    "periods_per_year": "PeriodsPerYear",
    "horizon": "Horizon",
}


def money_format(currency: str, decimals: int = 0) -> str:
    """The currency's symbol and separators; whole units unless `decimals` (never for yen)."""
    sym = symbol(currency).strip().replace('"', "")
    places = "." + "0" * decimals if decimals and currency not in NO_DECIMALS else ""
    return f'"{sym}"#,##0{places};-"{sym}"#,##0{places}'


@dataclass
class Book:
    """What every sheet needs: the results, the language, the formats, the words."""

    results: Results
    language: str
    money: str
    money_cents: str

    @classmethod
    def of(cls, results: Results) -> Book:
        cur = results.currency
        return cls(results, results.scenario.language, money_format(cur), money_format(cur, 2))

    def word(self, key: str, **values: object) -> str:
        return word(key, self.language, **values)

    @property
    def basis(self) -> str:
        """'margin' or 'revenue' (in the language), as the scenario counts value."""
        return self.word(
            "margin" if self.results.scenario.economics.value == "margin" else "revenue"
        )

    @property
    def what_is_lost(self) -> str:
        """'Lost margin' or 'Lost revenue'."""
        key = "lost_margin" if self.results.scenario.economics.value == "margin" else "lost_revenue"
        return text(key, self.language)


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
    if case is not None:
        flows.interventions_sheet(case, book, outcomes, layout, runs)
    if reconciliation is not None:
        reconciliation_sheet(wb.create_sheet("Reconciliation"), reconciliation)
    wb.save(path)


# --- cells ------------------------------------------------------------------------------------
#: What makes a spreadsheet read text as a formula when a cell is edited (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@")


def _text_cell(ws: Worksheet, row: int, col: int, text: object) -> Any:
    """Text in a cell, never a formula: the one way user-written text enters the workbook.

    Stored as text (type "s"); text that starts like a formula also gets Excel's quote prefix,
    so that editing the cell does not turn it into one."""
    cell = ws.cell(row=row, column=col)
    cell.value = "" if text is None else str(text)
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def _number_cell(ws: Worksheet, row: int, col: int, value: float | None, fmt: str) -> Any:
    """A number (blank where there is none or it is not finite) with its field's format."""
    cell = ws.cell(row=row, column=col)
    if value is not None and np.isfinite(value):
        cell.value = float(value)
    cell.number_format = fmt
    return cell


def _formula_cell(ws: Worksheet, row: int, col: int, formula: str, fmt: str) -> Any:
    """An Excel formula (built by cxsim from cell references, never from user text)."""
    cell = ws.cell(row=row, column=col, value=f"={formula}")
    cell.number_format = fmt
    return cell


def _header(ws: Worksheet, row: int, names: list[str], start: int = 1) -> None:
    for col, name in enumerate(names, start):
        cell = _text_cell(ws, row, col, name)
        cell.font, cell.fill = HEADER, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="top", wrap_text=True)


def _note(ws: Worksheet, row: int, note: str) -> None:
    _text_cell(ws, row, 1, note).font = Font(italic=True, color="555555")


def _widths(ws: Worksheet, widths: list[int]) -> None:
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w


def ref(ws: Worksheet | str, row: int, col: int, absolute: bool = False) -> str:
    """A cell reference to another sheet: `'Cash flows'!$E$39`."""
    title = ws if isinstance(ws, str) else ws.title
    letter = get_column_letter(col)
    cell = f"${letter}${row}" if absolute else f"{letter}{row}"
    return f"'{title}'!{cell}"


# --- sheets -----------------------------------------------------------------------------------
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
    _text_cell(ws, 1, 1, r.scenario.name).font = Font(bold=True, size=14)
    for i, (key, value, fmt) in enumerate(facts, 3):
        _text_cell(ws, i, 1, book.word(key)).font = Font(bold=True)
        if fmt is None:
            _text_cell(ws, i, 2, value)
        else:
            _number_cell(ws, i, 2, value, fmt)  # type: ignore[arg-type]
    row = len(facts) + 4
    _note(ws, row, book.word("simulated_note"))
    row += 1
    p = ("P5", "P50", "P95")
    cols = [book.word("metric"), book.word("total_formula"), book.word("sim_mean")]
    cols += [book.word("sim_std")] + [book.word("sim_p", p=q) for q in p]
    _header(ws, row, cols)
    metrics = [
        ("lost_revenue", book.what_is_lost, book.money),
        ("customers_lost", book.word("customers_lost"), COUNT),
        ("lost_acquisitions", book.word("lost_acquisitions"), COUNT),
        ("churn_rate", book.word("churn_rate"), PERCENT_FINE),
        ("revenue", book.word("value_with", basis=book.basis), book.money),
    ]
    for i, (metric, label, fmt) in enumerate(metrics, row + 1):
        s = r.stats(metric)
        _text_cell(ws, i, 1, label)
        total = layout.total_of(metric) if layout is not None else None
        if total is not None:
            _formula_cell(ws, i, 2, total, fmt)
        for col, key in enumerate(("mean", "std", "p5", "p50", "p95"), 3):
            _number_cell(ws, i, col, s[key], fmt).fill = SIMULATED_FILL
    _widths(ws, [34, 26, 20, 20, 18, 18, 18])


def inputs_sheet(wb: Workbook, book: Book) -> None:
    """The named cells the formulas use, then every simulation input with its source."""
    ws = wb.create_sheet(book.word("sheet_inputs"))
    r = book.results
    e = r.scenario.economics
    _text_cell(ws, 1, 1, book.word("formula_inputs")).font = Font(bold=True)
    named = {"discount_rate": e.discount_rate, "periods_per_year": e.periods_per_year}
    named["horizon"] = e.horizon
    sources = input_sources(r.scenario, r.source)
    econ_sources = {"discount_rate": sources.get("economics.discount_rate", "")}
    for row, (key, value) in enumerate(named.items(), 2):
        _text_cell(ws, row, 1, book.word(key))
        _number_cell(ws, row, 2, value, PERCENT if key == "discount_rate" else "0")
        _text_cell(ws, row, 3, NAMED[key])
        _text_cell(ws, row, 4, econ_sources.get(key, ""))
        wb.defined_names[NAMED[key]] = DefinedName(
            NAMED[key], attr_text=ref(ws, row, 2, absolute=True)
        )
    start = len(named) + 3
    _text_cell(ws, start, 1, book.word("model_inputs")).font = Font(bold=True)
    _header(
        ws,
        start + 1,
        [book.word(k) for k in ("input", "distribution", "mean")]
        + ["P10", "P90"]
        + [book.word("source")],
    )
    for row, (path, dist) in enumerate(iter_inputs(r.scenario), start + 2):
        label = input_name(input_label(r.scenario, path), book.language)
        cell = _text_cell(ws, row, 1, label)
        if label == path or "." in label:
            cell.comment = Comment(path, "cxsim")  # the path `--set` takes, for the analyst
        _text_cell(ws, row, 2, dist.describe())
        fmt = field_format(path, book)
        for col, v in enumerate((dist.mean(), dist.quantile(0.1), dist.quantile(0.9)), 3):
            _number_cell(ws, row, col, v, fmt)
        _text_cell(ws, row, 6, sources.get(path, ""))
    ws.freeze_panes = ws.cell(row=start + 2, column=2)
    _widths(ws, [44, 40, 14, 14, 14, 90])


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
    _text_cell(ws, 1, 1, book.what_is_lost).font = Font(bold=True)
    _note(ws, 2, book.word("simulated_note"))
    row = 4
    pathways = {p: text(p, book.language) for p in PATHWAYS}
    for by in ("pathway", "stage", "touchpoint", "segment"):
        table = r.attribution_table(by)
        names = pathways if by == "pathway" else {}
        head = [book.word(f"by_{by}"), book.word("sim_mean"), book.word("share")]
        _header(ws, row, [*head, book.word("p5"), book.word("p95")])
        first, last = row + 1, row + len(table)
        total_row = last + 1
        for i, (label, t) in enumerate(table.iterrows(), first):
            _text_cell(ws, i, 1, names.get(str(label), str(label)))
            _number_cell(ws, i, 2, float(t["mean"]), book.money).fill = SIMULATED_FILL
            _formula_cell(ws, i, 3, f"IF($B${total_row}=0,0,B{i}/$B${total_row})", PERCENT)
            for col, key in enumerate(("p5", "p95"), 4):
                _number_cell(ws, i, col, float(t[key]), book.money).fill = SIMULATED_FILL
        _text_cell(ws, total_row, 1, book.word("total")).font = Font(bold=True)
        _formula_cell(ws, total_row, 2, f"SUM(B{first}:B{last})", book.money).font = Font(bold=True)
        _formula_cell(ws, total_row, 3, f"SUM(C{first}:C{last})", PERCENT)
        row = total_row + 3
    _widths(ws, [44, 20, 10, 20, 20])
