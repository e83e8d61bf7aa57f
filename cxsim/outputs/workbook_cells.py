"""The workbook's shared parts: formats, the `Book` every sheet reads, and the only ways a cell
is written (user text as text, numbers with their field's format, formulas from references)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cxsim.engine.results import Results
from cxsim.formatting.money import NO_DECIMALS, symbol
from cxsim.outputs.i18n import text
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


# --- cells ------------------------------------------------------------------------------------
#: What makes a spreadsheet read text as a formula when a cell is edited (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@")


def text_cell(ws: Worksheet, row: int, col: int, text: object) -> Any:
    """Text in a cell, never a formula: the one way user-written text enters the workbook.

    Stored as text (type "s"); text that starts like a formula also gets Excel's quote prefix,
    so that editing the cell does not turn it into one."""
    cell = ws.cell(row=row, column=col)
    cell.value = "" if text is None else str(text)
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def number_cell(ws: Worksheet, row: int, col: int, value: float | None, fmt: str) -> Any:
    """A number (blank where there is none or it is not finite) with its field's format."""
    cell = ws.cell(row=row, column=col)
    if value is not None and np.isfinite(value):
        cell.value = float(value)
    cell.number_format = fmt
    return cell


def formula_cell(ws: Worksheet, row: int, col: int, formula: str, fmt: str) -> Any:
    """An Excel formula (built by cxsim from cell references, never from user text)."""
    cell = ws.cell(row=row, column=col, value=f"={formula}")
    cell.number_format = fmt
    return cell


def header(ws: Worksheet, row: int, names: list[str], start: int = 1) -> None:
    for col, name in enumerate(names, start):
        cell = text_cell(ws, row, col, name)
        cell.font, cell.fill = HEADER, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="top", wrap_text=True)


def note(ws: Worksheet, row: int, note: str) -> None:
    text_cell(ws, row, 1, note).font = Font(italic=True, color="555555")


def widths(ws: Worksheet, widths: list[int]) -> None:
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w


def ref(ws: Worksheet | str, row: int, col: int, absolute: bool = False) -> str:
    """A cell reference to another sheet: `'Cash flows'!$E$39`."""
    title = ws if isinstance(ws, str) else ws.title
    letter = get_column_letter(col)
    cell = f"${letter}${row}" if absolute else f"{letter}{row}"
    return f"'{title}'!{cell}"


# --- sheets -----------------------------------------------------------------------------------
