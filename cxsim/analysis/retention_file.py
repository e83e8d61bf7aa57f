"""Retention data: the checks `fit_sbg` applies, and the CSV reader of `cxsim calibrate retention`.

Every problem is a `UserError` saying where it is: the row given to `fit_sbg`, or the file's name
and line for `read_retention_csv`.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cxsim.errors import UserError

FloatArray = NDArray[np.float64]

__all__ = ["read_retention_csv"]


@dataclass(frozen=True)
class Cohort:
    label: Hashable
    alive: FloatArray  # customers alive at periods 0, 1, ..., T


Where = Callable[[int | None], str]


def no_file(row: int | None) -> str:
    return "" if row is None else f"row {row + 1}: "


def check_retention(
    periods: ArrayLike,
    alive: ArrayLike,
    cohort: Sequence[Hashable] | None,
    where: Where,
) -> list[Cohort]:
    """Split rows into cohorts and check them; `where(row)` says where a row came from."""
    p, n, labels = _as_rows(periods, alive, cohort, where)
    for i in range(len(p)):
        _check_row(p[i], n[i], where(i))
    groups: dict[Hashable, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, []).append(i)
    cohorts = [_checked_cohort(label, rows, p, n, where) for label, rows in groups.items()]
    _check_fittable(cohorts, where(None))
    return cohorts


def _as_rows(
    periods: ArrayLike, alive: ArrayLike, cohort: Sequence[Hashable] | None, where: Where
) -> tuple[FloatArray, FloatArray, list[Hashable]]:
    """Periods, alive counts and cohort labels as parallel sequences of one length, not empty."""
    try:
        p = np.asarray(periods, dtype=float).ravel()
        n = np.asarray(alive, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise UserError(f"{where(None)}periods and alive must be numbers ({exc})") from None
    labels: list[Hashable] = [None] * len(p) if cohort is None else list(cohort)
    if not (len(p) == len(n) == len(labels)):
        raise UserError(
            f"{where(None)}periods, alive and cohort have different lengths "
            f"({len(p)}, {len(n)}, {len(labels)})"
        )
    if len(p) == 0:
        raise UserError(f"{where(None)}no data: need customers alive at periods 0, 1, 2, ...")
    return p, n, labels


def _check_row(period: float, alive: float, at: str) -> None:
    """A whole period >= 0 and a whole count of customers >= 0."""
    if not math.isfinite(period) or period < 0 or period != round(period):
        raise UserError(f"{at}period must be a whole number 0, 1, 2, ..., got {period:g}")
    if not math.isfinite(alive) or alive < 0:
        raise UserError(f"{at}alive must be a count of customers >= 0, got {alive:g}")
    if alive != round(alive):
        raise UserError(
            f"{at}alive must be a whole number of customers, got {alive:g}; if you have "
            "shares, multiply them by the cohort's size (the standard errors depend on it)"
        )


def _checked_cohort(
    label: Hashable, rows: list[int], p: FloatArray, n: FloatArray, where: Where
) -> Cohort:
    """One cohort's rows in period order: 0, 1, 2, ... once each, never rising, not empty."""
    name = "" if label is None else f"cohort {label}: "
    rows = sorted(rows, key=lambda i: p[i])
    for prev, row in itertools.pairwise(rows):
        if p[row] == p[prev]:
            raise UserError(f"{where(row)}{name}period {p[row]:g} appears twice")
    if p[rows[0]] != 0:
        raise UserError(
            f"{where(rows[0])}{name}no period 0: each cohort starts with its customers at "
            f"period 0, but its first period is {p[rows[0]]:g}"
        )
    for prev, row in itertools.pairwise(rows):
        if p[row] != p[prev] + 1:
            raise UserError(
                f"{where(row)}{name}periods must run 0, 1, 2, ... without gaps, "
                f"but {p[prev]:g} is followed by {p[row]:g}"
            )
        if n[row] > n[prev]:
            raise UserError(
                f"{where(row)}{name}alive rises from {n[prev]:g} at period {p[prev]:g} "
                f"to {n[row]:g} at period {p[row]:g}; a cohort can only shrink (were new "
                "customers counted in? give each start period its own cohort)"
            )
    if n[rows[0]] == 0:
        raise UserError(f"{where(rows[0])}{name}no customers at period 0")
    return Cohort(label=label, alive=n[rows])


def _check_fittable(cohorts: list[Cohort], at: str) -> None:
    """Enough of a curve to tell alpha from beta: periods 0 to 2 at least, and some churn."""
    if all(len(c.alive) > 1 and c.alive[1] == 0 for c in cohorts):
        raise UserError(f"{at}every customer left at period 1: there is no retention curve to fit")
    longest = max(len(c.alive) for c in cohorts)
    if longest == 1:
        raise UserError(
            f"{at}a single point (period 0) per cohort: a retention curve needs "
            "customers alive at periods 0, 1 and 2 at least"
        )
    if longest == 2:
        raise UserError(
            f"{at}only periods 0 and 1: one retention rate cannot tell alpha from "
            "beta; some cohort must be observed to period 2 at least"
        )
    if all(c.alive[-1] == c.alive[0] for c in cohorts):
        raise UserError(
            f"{at}no customer was lost in any cohort: sBG needs some churn to fit "
            "(its alpha would be 0)"
        )


_RETENTION_COLUMNS = ("period", "alive", "cohort")


def read_retention_csv(path: str | Path) -> tuple[list[int], list[int], list[str] | None]:
    """Read `period,alive[,cohort]` rows; lines starting with '#' and blank lines are skipped.

    Returns (periods, alive, cohort), cohort None without a cohort column, checked as `fit_sbg`
    checks them, so every problem is reported with the file's name and line.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UserError(f"{source}: not a UTF-8 text file") from None
    rows = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not rows:
        raise UserError(f"{source}: empty: need a header line 'period,alive' and data rows")
    header_line, header_text = rows[0]
    header = _header(source, header_line, header_text)
    col = {name: header.index(name) for name in header}
    periods: list[int] = []
    alive: list[int] = []
    cohorts: list[str] = []
    line_of: list[int] = []
    for number, line in rows[1:]:
        cells = [c.strip() for c in next(csv.reader([line]))]
        if len(cells) != len(header):
            raise UserError(
                f"{source}:{number}: {len(cells)} values, but the header has {len(header)} "
                f"columns ({', '.join(header)})"
            )
        values = {name: _whole(source, number, name, cells[col[name]]) for name in NUMBERS}
        if values["alive"] < 0:
            raise UserError(f"{source}:{number}: alive must be >= 0, got {values['alive']}")
        if values["period"] < 0:
            raise UserError(f"{source}:{number}: period must be >= 0, got {values['period']}")
        periods.append(values["period"])
        alive.append(values["alive"])
        if "cohort" in col:
            if not cells[col["cohort"]]:
                raise UserError(f"{source}:{number}: empty cohort")
            cohorts.append(cells[col["cohort"]])
        line_of.append(number)
    if not periods:
        raise UserError(f"{source}: no data rows after the header")

    def where(row: int | None) -> str:
        return f"{source}: " if row is None else f"{source}:{line_of[row]}: "

    cohort = cohorts if "cohort" in col else None
    check_retention(periods, alive, cohort, where=where)
    return periods, alive, cohort


NUMBERS = ("period", "alive")


def _header(source: str, line: int, text: str) -> list[str]:
    """The column names, lower case: known ones, each once, period and alive among them."""
    header = [h.strip().lower() for h in next(csv.reader([text]))]
    for name in header:
        if name not in _RETENTION_COLUMNS:
            raise UserError(
                f"{source}:{line}: unknown column {name!r}; the columns are period, "
                "alive and (for several cohorts) cohort"
            )
    if len(set(header)) != len(header):
        raise UserError(f"{source}:{line}: a column name appears twice: {text}")
    for name in NUMBERS:
        if name not in header:
            raise UserError(
                f"{source}:{line}: no {name!r} column; the header must name period, "
                f"alive and optionally cohort, got {text.strip()!r}"
            )
    return header


def _whole(source: str, line: int, name: str, raw: str) -> int:
    """A cell that must hold a whole number (any sign: the ranges are checked by the caller)."""
    try:
        value = float(raw)
    except ValueError:
        raise UserError(f"{source}:{line}: {name} is {raw!r}, not a number") from None
    if not math.isfinite(value) or value != round(value):
        what = "a whole number" if math.isfinite(value) else "a finite number"
        raise UserError(f"{source}:{line}: {name} must be {what}, got {raw!r}")
    return int(value)
