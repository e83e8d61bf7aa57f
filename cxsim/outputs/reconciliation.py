"""The status quo against the company's actuals, for the report: a PDF page and a sheet.

Both show `cxsim.analysis.calibration.reconcile`'s table as it is: each actual, observed
against modelled, the difference, and whether it is within the actual's tolerance.
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from cxsim.analysis.calibration import Reconciliation
from cxsim.outputs import charts

WARN = Font(bold=True, color="B03A2E")
HEADERS = ["Metric", "Segment", "Period", "Observed", "Modelled", "Difference", "Within"]


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _cells(row: dict[str, object]) -> list[str]:
    obs, diff = float(row["observed"]), float(row["difference"])  # type: ignore[arg-type]
    rel = f"{diff / obs:+.2%}" if obs and math.isfinite(diff) else _num(diff)
    return [
        str(row["metric"]),
        str(row["segment"] or "all"),
        str(row["period"]),
        _num(obs),
        _num(float(row["modelled"])),  # type: ignore[arg-type]
        rel,
        "yes" if row["within"] else "NO",
    ]


@charts.styled
def reconciliation_page(table: Reconciliation, title: str) -> Figure:
    """A page: the reconciliation table, with a warning line where figures are outside."""
    fig = Figure(figsize=charts.FIGSIZE)
    height = fig.get_figheight()
    fig.text(0.012, 1 - 0.22 / height, title, va="top", fontsize=16, color=charts.INK)
    basis = "expected-value model" if table.basis == "expected" else "Monte Carlo mean"
    fig.text(
        0.012,
        1 - 0.62 / height,
        f"Status quo ({basis}) against what the company observed (scenario actuals:)",
        va="top",
        fontsize=9.5,
        color=charts.MUTED,
    )
    ax = fig.add_axes((0.012, 0.1, 0.976, 1 - 1.0 / height - 0.1))
    ax.axis("off")
    rows = [_cells(r) for r in table.rows] or [["no actuals", "", "", "", "", "", ""]]
    widths = [0.16, 0.24, 0.1, 0.14, 0.14, 0.12, 0.08]
    cells = ax.table(
        cellText=rows, colLabels=HEADERS, colWidths=widths, loc="upper left", cellLoc="left"
    )
    cells.auto_set_font_size(False)
    cells.set_fontsize(8.5 if len(rows) <= 14 else 7)
    for (r, _c), cell in cells.get_celld().items():
        cell.set_edgecolor(charts.RULE)
        if r == 0:
            cell.set_text_props(color=charts.INK, fontweight="bold")
        elif rows[r - 1][-1] == "NO":
            cell.set_text_props(color="#B03A2E")
    if table.outside:
        fig.text(
            0.012,
            0.12 / height + 0.02,
            f"Warning: {len(table.outside)} of {len(table.rows)} figures are outside the "
            "actuals' tolerance: the status quo does not reproduce the business there.",
            fontsize=9,
            color="#B03A2E",
        )
    return fig


def reconciliation_sheet(ws: Worksheet, table: Reconciliation) -> None:
    """The table as a sheet, numbers as numbers; a warning row where figures are outside."""
    ws.title = "Reconciliation"
    ws.append(["Status quo against actuals", table.basis])
    ws.append([])
    ws.append([*HEADERS, "Low", "High", "Reason"])
    for r in table.rows:
        ws.append(
            [
                r["metric"],
                r["segment"] or "all",
                r["period"],
                *(_finite(r[k]) for k in ("observed", "modelled", "difference")),
                "yes" if r["within"] else "NO",
                _finite(r["low"]),
                _finite(r["high"]),
                r.get("reason") or "",
            ]
        )
    if table.outside:
        ws.append([])
        ws.append([f"Warning: {len(table.outside)} of {len(table.rows)} outside tolerance"])
        ws.cell(row=ws.max_row, column=1).font = WARN
    for col, width in zip("ABCDEFGHIJ", (16, 22, 12, 14, 14, 14, 8, 12, 12, 40), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows():  # segment names are the user's: text, never a formula
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                cell.quotePrefix = cell.value.startswith(("=", "+", "-", "@"))


def _finite(x: object) -> float | None:
    v = float(x)  # type: ignore[arg-type]
    return v if math.isfinite(v) else None
