"""What each input rests on: the company's own data, a published figure, or an assumption.

Read from the source comment the scenario file gives each input (`cxsim.outputs.sources`), in
the words the cxsim tools and the example scenarios write them: `calibrate records` writes
"records: N of M ...", `calibrate scenario` "solved by cxsim calibrate from actuals", a published
figure cites its author and year or REFERENCES.md's mark ("(Goodman, P)"), and what nobody
measured says "assumption", "made up" or "no published figure". An input without a comment, or
with one that describes it without citing anything, is counted as without a source.
The report shows the table on its own page, the workbook on its own sheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from matplotlib.figure import Figure
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from cxsim.engine.results import Results
from cxsim.model.paths import input_label, iter_inputs
from cxsim.outputs import charts
from cxsim.outputs.i18n import input_name, language_of
from cxsim.outputs.labels import title_weight, wrap_label
from cxsim.outputs.pages import blank_page
from cxsim.outputs.sources import input_sources
from cxsim.outputs.workbook_cells import header, text_cell, widths

#: The kinds, in the order the table shows them.
KINDS = ("company data", "published", "assumed", "no source")
#: Words in a source comment that mark a figure nobody measured (checked first: the records
#: calibration writes "assumption: silent failures are not in records").
ASSUMED = ("assum", "made up", "no published figure", "illustrative", "guess")
#: Words that mark the company's own data: its records or its actuals.
COMPANY = ("records", "calibrate", "actuals", "company's own", "our own")
#: A citation: a year, REFERENCES.md's primary / secondary marks "(Goodman, P)" and "(S)", or
#: "et al". A comment without one describes the input but does not source it.
CITATION = re.compile(r"\b(1[89]\d\d|20\d\d)\b|[(,]\s*[PS]\)|\bet al\b")

HEADERS = {
    "en": ["Input", "Rests on", "Source (the scenario file's comment)"],
    "ja": ["入力", "根拠", "出典（シナリオファイルの注記）"],
}
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "What the figures rest on",
        "lead": "Inputs resting on the company's own data (records, actuals): {company}; "
        "on published figures: {published}; assumptions: {assumed}; no source given: {none}.",
        "more": "+ {n} more: the workbook's Provenance sheet lists every input",
        "company data": "company data",
        "published": "published",
        "assumed": "assumed",
        "no source": "no source",
    },
    "ja": {
        "title": "数値の根拠",
        "lead": "自社データ（記録・実績）に基づく入力 {company} 件、公表値 {published} 件、"
        "仮定 {assumed} 件、出典の記載なし {none} 件。",
        "more": "ほか {n} 件（ワークブックの Provenance シートに全入力）",
        "company data": "自社データ",
        "published": "公表値",
        "assumed": "仮定",
        "no source": "記載なし",
    },
}


@dataclass(frozen=True)
class Provenance:
    """One input: its path, its name in words, what it rests on and the comment that says so."""

    path: str
    name: str
    kind: str
    source: str


def rests_on(comment: str) -> str:
    """The kind of figure a source comment describes (one of KINDS)."""
    text = comment.lower()
    if not text.strip():
        return "no source"
    if any(word in text for word in ASSUMED):
        return "assumed"
    if any(word in text for word in COMPANY):
        return "company data"
    return "published" if CITATION.search(comment) else "no source"


def provenance(results: Results, language: str = "en") -> list[Provenance]:
    """Every input of the scenario with what it rests on, in the order of KINDS, then the file;
    named as the workbook's Inputs sheet names them."""
    scenario = results.scenario
    sources = input_sources(scenario, results.source)
    rows = [
        Provenance(
            path,
            input_name(input_label(scenario, path), language),
            rests_on(sources.get(path, "")),
            note,
        )
        for path, _ in iter_inputs(scenario)
        for note in [sources.get(path, "")]
    ]
    return sorted(rows, key=lambda r: KINDS.index(r.kind))


def counts(rows: list[Provenance]) -> dict[str, int]:
    """How many inputs of each kind."""
    return {kind: sum(r.kind == kind for r in rows) for kind in KINDS}


@charts.styled
def provenance_page(results: Results, *, language: str | None = None, most: int = 22) -> Figure:
    """A page: how many inputs rest on what, and a table of those with a source (at most
    `most` rows; the rest are counted and left to the workbook)."""
    lang = language_of(language, default=results.scenario.language)
    words = WORDS.get(lang, WORDS["en"])
    rows = provenance(results, lang)
    n = counts(rows)
    fig = blank_page()
    height = fig.get_figheight()
    fig.text(
        0.012, 1 - 0.22 / height, words["title"], va="top", fontsize=15,
        fontweight=title_weight(lang), color=charts.INK,
    )  # fmt: skip
    lead = words["lead"].format(
        company=n["company data"], published=n["published"], assumed=n["assumed"],
        none=n["no source"],
    )  # fmt: skip
    fig.text(0.012, 1 - 0.62 / height, lead, va="top", fontsize=9.5, color=charts.MUTED)
    shown = [r for r in rows if r.kind != "no source"]
    table = [
        [
            wrap_label(r.name, 44, lines=1),
            words[r.kind],
            wrap_label(_why(r), 86 if lang == "ja" else 100, lines=1),
        ]
        for r in _fair_share(shown, most)
    ] or [["", "", ""]]
    ax = fig.add_axes((0.012, 0.1, 0.976, 1 - 1.0 / height - 0.1))
    ax.axis("off")
    cells = ax.table(
        cellText=table,
        colLabels=HEADERS.get(lang, HEADERS["en"]),
        colWidths=[0.3, 0.1, 0.58],
        loc="upper left",
        cellLoc="left",
    )
    cells.auto_set_font_size(False)
    cells.set_fontsize(7.5)
    for (r, _c), cell in cells.get_celld().items():
        cell.PAD = 0.02  # of the cell's width: matplotlib's 0.1 wastes the wide source column
        cell.set_edgecolor(charts.RULE)
        if r == 0:
            cell.set_text_props(color=charts.INK, fontweight="bold")
    if len(shown) > most:
        fig.text(
            0.012, 0.12 / height + 0.02, words["more"].format(n=len(shown) - most),
            fontsize=8.5, color=charts.MUTED,
        )  # fmt: skip
    return fig


def _why(row: Provenance) -> str:
    """The part of a source comment that decides its kind, then the rest: "assumption: silent
    failures are not in records" before the records calibration's heading it follows."""
    words = {"assumed": ASSUMED, "company data": COMPANY}.get(row.kind, ())
    parts = [p.strip() for p in re.split(r"[;.]\s+", row.source) if p.strip()]
    first = [p for p in parts if any(w in p.lower() for w in words)][:1]
    return "; ".join(first + [p for p in parts if p not in first])


def _fair_share(rows: list[Provenance], most: int) -> list[Provenance]:
    """At most `most` rows, each kind given an equal share first (so assumptions are never
    crowded off the page by the company's data), in the order of KINDS."""
    by_kind = {k: [r for r in rows if r.kind == k] for k in KINDS}
    present = [k for k in KINDS if by_kind[k]]
    take = dict.fromkeys(present, 0)
    left = most
    while left > 0 and any(take[k] < len(by_kind[k]) for k in present):
        for k in present:
            if left > 0 and take[k] < len(by_kind[k]):
                take[k] += 1
                left -= 1
    return [r for k in present for r in by_kind[k][: take[k]]]


def provenance_sheet(ws: Worksheet, results: Results) -> None:
    """Every input, what it rests on and the comment that says so; all of it text."""
    ws.title = "Provenance"
    rows = provenance(results)
    n = counts(rows)
    text_cell(ws, 1, 1, WORDS["en"]["title"]).font = Font(bold=True)
    lead = WORDS["en"]["lead"].format(
        company=n["company data"], published=n["published"], assumed=n["assumed"],
        none=n["no source"],
    )  # fmt: skip
    text_cell(ws, 2, 1, lead)
    en = HEADERS["en"]
    header(ws, 4, [en[0], "Path", *en[1:]])
    for i, r in enumerate(rows, 5):
        for col, value in enumerate((r.name, r.path, r.kind, r.source), 1):
            text_cell(ws, i, col, value)
    ws.freeze_panes = ws.cell(row=5, column=2)
    widths(ws, [40, 44, 14, 110])
