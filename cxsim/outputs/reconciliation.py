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
from cxsim.outputs.labels import title_weight

WARN = Font(bold=True, color="B03A2E")
HEADERS = ["Metric", "Segment", "Period", "Observed", "Modelled", "Difference", "Within"]

#: The page's column headers by language (the sheet keeps the English ones).
PAGE_HEADERS: dict[str, list[str]] = {
    "en": HEADERS,
    "ja": ["指標", "セグメント", "期", "実績", "モデル", "差", "許容範囲内"],
}

#: The page's words by language.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "expected": "expected-value model",
        "monte_carlo": "Monte Carlo mean",
        "basis": "Status quo ({basis}) against what the company observed (scenario actuals:)",
        "yes": "yes",
        "no": "NO",
        "all": "all",
        "none": "no actuals",
        "warning": "Warning: {n} of {total} figures are outside the actuals' tolerance: the "
        "status quo does not reproduce the business there.",
    },
    "ja": {
        "expected": "期待値モデル",
        "monte_carlo": "モンテカルロ平均",
        "basis": "現状のモデル（{basis}）と企業の実績（シナリオのactuals）の比較",
        "yes": "はい",
        "no": "いいえ",
        "all": "全体",
        "none": "実績なし",
        "warning": "注意：{total}件中{n}件が実績の許容範囲外です。"
        "その点で現状のモデルは事業を再現していません。",
    },
}

#: The metrics of `actuals:` in words.
METRIC_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "active": "Active customers",
        "churn": "Churn",
        "new_customers": "New customers",
        "contacts": "Contacts",
        "complaints": "Complaints",
        "csat": "CSAT",
        "nps": "NPS",
        "revenue": "Revenue",
        "retention": "Retention",
    },
    "ja": {
        "active": "アクティブ顧客数",
        "churn": "解約率",
        "new_customers": "新規顧客数",
        "contacts": "問い合わせ数",
        "complaints": "苦情件数",
        "csat": "CSAT",
        "nps": "NPS",
        "revenue": "売上",
        "retention": "継続率",
    },
}


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


#: Actuals that are rates: shown as percents (churn 1.60%, not 0.016).
RATES = ("churn", "csat", "retention")


def _shown(metric: str, x: float) -> str:
    return f"{x:.2%}" if metric in RATES and math.isfinite(x) else _num(x)


def _cells(row: dict[str, object], lang: str = "en") -> list[str]:
    words = WORDS[lang]
    obs, diff = float(row["observed"]), float(row["difference"])  # type: ignore[arg-type]
    rel = f"{diff / obs:+.2%}" if obs and math.isfinite(diff) else _num(diff)
    metric = str(row["metric"])
    return [
        METRIC_WORDS[lang].get(metric, metric),
        str(row["segment"] or words["all"]),
        str(row["period"]),
        _shown(metric, obs),
        _shown(metric, float(row["modelled"])),  # type: ignore[arg-type]
        rel,
        words["yes"] if row["within"] else words["no"],
    ]


@charts.styled
def reconciliation_page(
    table: Reconciliation, title: str, *, language: str | None = None
) -> Figure:
    """A page: the reconciliation table, with a warning line where figures are outside; in
    the report's language (its words and its font)."""
    lang = language if language in WORDS else "en"
    words = WORDS[lang]
    fig = Figure(figsize=charts.FIGSIZE)
    height = fig.get_figheight()
    fig.text(
        0.012,
        1 - 0.22 / height,
        title,
        va="top",
        fontsize=16,
        color=charts.INK,
        fontweight=title_weight(lang),
    )
    basis = words["expected"] if table.basis == "expected" else words["monte_carlo"]
    fig.text(
        0.012,
        1 - 0.62 / height,
        words["basis"].format(basis=basis),
        va="top",
        fontsize=9.5,
        color=charts.MUTED,
    )
    ax = fig.add_axes((0.012, 0.1, 0.976, 1 - 1.0 / height - 0.1))
    ax.axis("off")
    rows = [_cells(r, lang) for r in table.rows] or [[words["none"], "", "", "", "", "", ""]]
    widths = [0.16, 0.24, 0.1, 0.14, 0.14, 0.12, 0.08]
    cells = ax.table(
        cellText=rows,
        colLabels=PAGE_HEADERS[lang],
        colWidths=widths,
        loc="upper left",
        cellLoc="left",
    )
    cells.auto_set_font_size(False)
    cells.set_fontsize(8.5 if len(rows) <= 14 else 7)
    for (r, _c), cell in cells.get_celld().items():
        cell.set_edgecolor(charts.RULE)
        if r == 0:
            cell.set_text_props(color=charts.INK, fontweight=title_weight(lang))
        elif rows[r - 1][-1] == words["no"]:
            cell.set_text_props(color="#B03A2E")
    if table.outside:
        fig.text(
            0.012,
            0.12 / height + 0.02,
            words["warning"].format(n=len(table.outside), total=len(table.rows)),
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
