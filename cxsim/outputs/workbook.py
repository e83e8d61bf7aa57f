"""The finance workbook (xlsx): inputs with their sources, results by year, the comparison.

Numbers are stored as numbers with number formats, so the workbook calculates and sorts in
Excel and LibreOffice alike.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cxsim._version import __version__
from cxsim.engine.results import METRICS, Results
from cxsim.formatting.money import symbol
from cxsim.model.loader import parse_yaml
from cxsim.model.paths import input_label, iter_inputs
from cxsim.outputs.reconciliation import reconciliation_sheet

HEADER = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="3B4A5A")
PERCENT = "0.0%"
COUNT = "#,##0"


def money_format(currency: str) -> str:
    """Whole units: business-case figures in the millions need no cents."""
    sym = symbol(currency).strip().replace('"', "")
    return f'"{sym}"#,##0;-"{sym}"#,##0'


def write_workbook(
    path: str | Path, results: Results, comparison: Any = None, *, reconciliation: Any = None
) -> None:
    """Write the workbook for a result and, if given, its comparison of interventions and its
    reconciliation with the actuals (`cxsim.analysis.calibration.Reconciliation`)."""
    wb = Workbook()
    money = money_format(results.currency)
    _summary(wb.active, results, money)
    _inputs(wb.create_sheet("Inputs"), results)
    if results.periods:
        _by_year(wb.create_sheet("By year"), results, money)
    _attribution(wb.create_sheet("Where it is lost"), results, money)
    if comparison is not None:
        _comparison(wb.create_sheet("Interventions"), comparison, money)
    if reconciliation is not None:
        reconciliation_sheet(wb.create_sheet("Reconciliation"), reconciliation)
    wb.save(path)


def _header(ws: Worksheet, row: int, names: list[str]) -> None:
    for col, name in enumerate(names, 1):
        cell = ws.cell(row=row, column=col, value=name)
        cell.font, cell.fill = HEADER, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", wrap_text=True)


def _widths(ws: Worksheet, widths: list[int]) -> None:
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _summary(ws: Worksheet, r: Results, money: str) -> None:
    ws.title = "Summary"
    e = r.scenario.economics
    facts = [
        ("Scenario", r.scenario.name),
        ("Simulation", r.method),
        ("Runs", r.runs),
        ("Seed", r.seed),
        ("Horizon", f"{e.horizon} {e.period}s"),
        ("Value counted", e.value),
        ("Discount rate (a year)", e.discount_rate),
        ("Lifetime beyond the horizon", "yes" if e.lifetime else "no"),
        ("Currency", e.currency),
        ("cxsim version", __version__),
        ("numpy version", np.__version__),
        ("Scenario SHA-256", r.source.sha256 if r.source else ""),
    ]
    ws["A1"] = r.scenario.name
    ws["A1"].font = Font(bold=True, size=14)
    for i, (k, v) in enumerate(facts, 3):
        ws.cell(row=i, column=1, value=k).font = Font(bold=True)
        cell = ws.cell(row=i, column=2, value=v)
        if k.startswith("Discount"):
            cell.number_format = PERCENT
    row = len(facts) + 5
    _header(ws, row, ["Metric", "Mean", "Std", "P5", "P50", "P95"])
    for i, metric in enumerate(METRICS, row + 1):
        s = r.stats(metric)
        ws.cell(row=i, column=1, value=metric.replace("_", " "))
        fmt = (
            money
            if metric in ("lost_revenue", "revenue")
            else (PERCENT if metric == "churn_rate" else COUNT)
        )
        for col, key in enumerate(("mean", "std", "p5", "p50", "p95"), 2):
            ws.cell(row=i, column=col, value=s[key]).number_format = fmt
    _widths(ws, [30, 22, 16, 16, 16, 16])


def _inputs(ws: Worksheet, r: Results) -> None:
    _header(ws, 1, ["Input", "Path", "Distribution", "Mean", "P10", "P90", "Source (file comment)"])
    comments = _comments(r)
    for row, (path, dist) in enumerate(iter_inputs(r.scenario), 2):
        values = [
            input_label(r.scenario, path),
            path,
            dist.describe(),
            dist.mean(),
            dist.quantile(0.1),
            dist.quantile(0.9),
            comments.get(path, ""),
        ]
        for col, v in enumerate(values, 1):
            cell = ws.cell(row=row, column=col, value=v)
            if col in (4, 5, 6):
                cell.number_format = "#,##0.0000" if abs(dist.mean()) < 10 else "#,##0"
    ws.freeze_panes = "A2"
    _widths(ws, [40, 48, 44, 12, 12, 12, 70])


def _comments(r: Results) -> dict[str, str]:
    """The comment beside or above each input in the scenario file: where its figure is from."""
    if r.source is None:
        return {}
    lines = r.source.text.splitlines()
    _, marks = parse_yaml(r.source.text, r.source.name)
    out: dict[str, str] = {}
    for path, _ in iter_inputs(r.scenario):
        loc: tuple[str | int, ...] = tuple(int(p) if p.isdigit() else p for p in path.split("."))
        for n in range(len(loc), 0, -1):
            mark = marks.get(loc[:n])
            if mark is None:
                continue
            line = lines[mark[0] - 1]
            found = _comment(line)
            if found is None and mark[0] >= 2:
                above = lines[mark[0] - 2].strip()
                found = above[1:].strip() if above.startswith("#") else None
            if found:
                out[path] = found
                break
    return out


def _comment(line: str) -> str | None:
    m = re.search(r"\s#\s*(.+)$", line)
    return m.group(1).strip() if m else None


def _by_year(ws: Worksheet, r: Results, money: str) -> None:
    e = r.scenario.economics
    per_year = max(1, round(e.periods_per_year))
    p = r.periods
    years = math.ceil(e.horizon / per_year)
    _header(
        ws,
        1,
        [
            "Year",
            "Revenue (discounted)",
            "Lost to failures (discounted)",
            "P5 lost",
            "P95 lost",
            "Customers at start",
            "Churned",
            "Lost to failures",
            "Complaints",
            "Acquired",
        ],
    )
    for y in range(years):
        cols = slice(y * per_year, min((y + 1) * per_year, e.horizon))
        loss = p["loss"][:, cols].sum(axis=1)
        row = [
            y + 1,
            float(p["revenue"][:, cols].sum(axis=1).mean()),
            float(loss.mean()),
            float(np.percentile(loss, 5)),
            float(np.percentile(loss, 95)),
            float(p["active"][:, cols.start].mean()),
            float(p["churned"][:, cols].sum(axis=1).mean()),
            float(p["defected"][:, cols].sum(axis=1).mean()),
            float(p["complaints"][:, cols].sum(axis=1).mean()),
            float(p["acquired"][:, cols].sum(axis=1).mean()),
        ]
        for col, v in enumerate(row, 1):
            cell = ws.cell(row=y + 2, column=col, value=v)
            cell.number_format = money if 2 <= col <= 5 else COUNT
    _widths(ws, [8, 20, 22, 16, 16, 18, 14, 16, 14, 14])


def _attribution(ws: Worksheet, r: Results, money: str) -> None:
    row = 1
    for by in ("pathway", "stage", "touchpoint", "segment"):
        table = r.attribution_table(by)
        _header(ws, row, [by.capitalize(), "Mean", "P5", "P95", "Share"])
        for i, (label, t) in enumerate(table.iterrows(), row + 1):
            ws.cell(row=i, column=1, value=str(label))
            for col, key in enumerate(("mean", "p5", "p95"), 2):
                ws.cell(row=i, column=col, value=float(t[key])).number_format = money
            ws.cell(row=i, column=5, value=float(t["share"])).number_format = PERCENT
        row += len(table) + 3
    _widths(ws, [40, 18, 18, 18, 10])


def _comparison(ws: Worksheet, c: Any, money: str) -> None:
    columns = ["Intervention", "Description", "P(pays)"]
    metrics = [
        ("loss_avoided", "Loss avoided"),  # the revenue side
        ("cost_avoided", "Failure costs avoided"),  # the cost side (`costs:`)
        ("cost", "Cost"),
        ("npv", "NPV"),
        ("roi", "ROI"),
        ("payback_periods", "Payback (periods)"),
    ]
    for _, title in metrics:
        columns += [f"{title} mean", f"{title} P5", f"{title} P50", f"{title} P95"]
    _header(ws, 1, columns)
    for row, o in enumerate(c.outcomes, 2):
        ws.cell(row=row, column=1, value=o.name)
        ws.cell(row=row, column=2, value=o.description)
        ws.cell(row=row, column=3, value=o.p_pays).number_format = PERCENT
        col = 4
        for metric, _ in metrics:
            s = o.stats(metric)
            fmt = PERCENT if metric == "roi" else ("0" if metric == "payback_periods" else money)
            for key in ("mean", "p5", "p50", "p95"):
                value = s[key]
                cell = ws.cell(row=row, column=col, value=value if value is not None else "never")
                cell.number_format = fmt
                col += 1
    ws.freeze_panes = "B2"
    _widths(ws, [34, 50, 10] + [14] * (len(columns) - 3))
