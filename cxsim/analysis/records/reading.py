"""Reading and checking a company's customer table and contact log (see the package docstring).

Every problem is a `UserError` naming the file, the row (the line in the file; line 1 is the
header) and the column, so the CLI exits 2 with one located message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from cxsim.errors import UserError

#: Canonical column names; the two sets are disjoint so that `--map NAME=COLUMN` is unambiguous.
CUSTOMER_COLUMNS = ("id", "segment", "start", "end", "churned", "revenue")
CONTACT_COLUMNS = (
    "customer",
    "date",
    "touchpoint",
    "channel",
    "response_hours",
    "outcome",
    "csat",
    "severity",
)
REQUIRED_CUSTOMERS = ("id", "segment", "start", "revenue")
REQUIRED_CONTACTS = ("customer", "date", "touchpoint")
OUTCOMES = ("satisfied", "mollified", "dissatisfied")
SEVERITIES = ("minor", "major")
DATE_FORMAT = "%Y-%m-%d"


@dataclass(frozen=True)
class CsatBands:
    """CSAT score bands: at least `satisfied` is satisfied, at least `mollified` is mollified,
    below is dissatisfied (default on a 1-5 scale: 5, 3-4, 1-2)."""

    satisfied: float = 5.0
    mollified: float = 3.0

    def classify(self, score: np.ndarray) -> np.ndarray:
        return np.where(
            score >= self.satisfied,
            "satisfied",
            np.where(score >= self.mollified, "mollified", "dissatisfied"),
        )


@dataclass(frozen=True)
class ColumnMap:
    """Column names in the company's files for each canonical name, and the CSAT bands."""

    columns: dict[str, str] = field(default_factory=dict)
    csat_bands: CsatBands = CsatBands()

    def column(self, name: str) -> str:
        return self.columns.get(name, name)


def read_mapping(
    options: list[str] | tuple[str, ...] = (), file: str | Path | None = None
) -> ColumnMap:
    """A mapping from `--map NAME=COLUMN` options and an optional YAML file.

    The file holds `columns: {start: signup_date, ...}` and optionally
    `csat_bands: {satisfied: 9, mollified: 7}`; options override the file.
    """
    columns: dict[str, str] = {}
    bands = CsatBands()
    if file is not None:
        try:
            data = yaml.safe_load(Path(file).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise UserError(f"{file}: cannot read the mapping: {exc}") from None
        if not isinstance(data, dict) or set(data) - {"columns", "csat_bands"}:
            raise UserError(f"{file}: a mapping file holds 'columns' and 'csat_bands' only")
        for name, column in (data.get("columns") or {}).items():
            columns[_known(str(name), str(file))] = str(column)
        if data.get("csat_bands") is not None:
            b = data["csat_bands"]
            try:
                bands = CsatBands(float(b["satisfied"]), float(b["mollified"]))
            except (KeyError, TypeError, ValueError):
                raise UserError(
                    f"{file}: csat_bands needs numbers 'satisfied' and 'mollified'"
                ) from None
    for option in options:
        name, sep, column = option.partition("=")
        if not sep or not column:
            raise UserError(f"--map {option!r}: give NAME=COLUMN, e.g. start=signup_date")
        columns[_known(name.strip(), "--map")] = column.strip()
    if bands.mollified > bands.satisfied:
        raise UserError("csat_bands: 'mollified' must not be above 'satisfied'")
    return ColumnMap(columns, bands)


def _known(name: str, where: str) -> str:
    if name not in CUSTOMER_COLUMNS + CONTACT_COLUMNS:
        known = ", ".join(CUSTOMER_COLUMNS + CONTACT_COLUMNS)
        raise UserError(f"{where}: no column called {name!r} to map (known: {known})")
    return name


@dataclass(frozen=True)
class Records:
    """The checked records: one row per customer, one per contact (canonical column names).

    customers: id, segment, start, end (NaT while active), revenue.
    contacts: customer, date, touchpoint, channel, response_hours (NaN if unknown), outcome
    (satisfied / mollified / dissatisfied, or "" when not recorded), severity ("" if unknown).
    """

    customers: pd.DataFrame
    contacts: pd.DataFrame
    customers_file: str
    contacts_file: str
    outcome_source: str  # "outcome column" or "CSAT bands ..."
    as_of: pd.Timestamp

    @property
    def first_date(self) -> pd.Timestamp:
        return pd.Timestamp(self.customers["start"].min())


def _read_csv(path: str | Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, comment="#", skipinitialspace=True
        )
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the CSV file: {exc}") from None
    if frame.empty:
        raise UserError(f"{path}: no rows below the header")
    return frame


def _columns(
    frame: pd.DataFrame, path: str, names: tuple[str, ...], required: tuple[str, ...], m: ColumnMap
) -> pd.DataFrame:
    """The frame renamed to canonical names; a missing required column is an error."""
    out = pd.DataFrame(index=frame.index)
    for name in names:
        column = m.column(name)
        if column in frame.columns:
            out[name] = frame[column].str.strip()
        elif name in required:
            hint = f" (mapped to {column!r})" if column != name else ""
            raise UserError(
                f"{path}: column {name!r}{hint} is missing; the file has "
                f"{', '.join(map(repr, frame.columns))}. Map it with --map {name}=COLUMN"
            )
    return out


def _row(index: int) -> int:
    """The line in the file of a data row (the header is line 1)."""
    return int(index) + 2


def _first(mask: pd.Series) -> int:
    """The position of the first true value of `mask` (the tables keep read_csv's 0..n-1)."""
    return int(np.flatnonzero(mask.to_numpy())[0])


def _fail(path: str, index: int, column: str, m: ColumnMap, message: str) -> UserError:
    shown = m.column(column)
    return UserError(f"{path}: row {_row(index)}, column {shown!r}: {message}")


def _dates(
    values: pd.Series, path: str, column: str, m: ColumnMap, optional: bool = False
) -> pd.Series:
    parsed = pd.to_datetime(values, format=DATE_FORMAT, errors="coerce")
    bad = parsed.isna() & ~((values == "") & optional)
    if bad.any():
        i = _first(bad)
        raise _fail(path, i, column, m, f"{values.iloc[i]!r} is not a date (YYYY-MM-DD)")
    return parsed


def _numbers(
    values: pd.Series, path: str, column: str, m: ColumnMap, optional: bool = False
) -> pd.Series:
    parsed = pd.to_numeric(values.where(values != ""), errors="coerce")
    bad = (parsed.isna() & ~((values == "") & optional)) | (parsed < 0)
    if bad.any():
        i = _first(bad)
        raise _fail(path, i, column, m, f"{values.iloc[i]!r} is not a number >= 0")
    return parsed.astype(float)


def read_customers(path: str | Path, m: ColumnMap = ColumnMap()) -> pd.DataFrame:
    """The customer table, checked: unique ids, dates, revenue, end (or churn flag)."""
    p = str(path)
    raw = _read_csv(path)
    frame = _columns(raw, p, CUSTOMER_COLUMNS, REQUIRED_CUSTOMERS, m)
    if "end" not in frame and "churned" not in frame:
        raise UserError(
            f"{p}: give an 'end' column (the date a customer left, empty while active) or a "
            f"'churned' flag; map yours with --map end=COLUMN"
        )
    dup = frame["id"].duplicated()
    if dup.any():
        i = _first(dup)
        first = frame.index[frame["id"] == frame["id"].iloc[i]][0]
        raise _fail(p, i, "id", m, f"id {frame['id'].iloc[i]!r} repeats row {_row(first)}")
    empty = frame["id"] == ""
    if empty.any():
        raise _fail(p, _first(empty), "id", m, "the id is empty")
    start = _dates(frame["start"], p, "start", m)
    if "end" in frame:
        end = _dates(frame["end"], p, "end", m, optional=True)
    else:
        flag = frame["churned"].str.lower()
        ok = flag.isin(["0", "1", "true", "false", "yes", "no", ""])
        if not ok.all():
            i = _first(~ok)
            raise _fail(p, i, "churned", m, f"{frame['churned'].iloc[i]!r} is not 0/1, yes/no")
        raise UserError(
            f"{p}: a churn flag without dates cannot time churn after a contact; give the "
            f"date each customer left in an 'end' column (--map end=COLUMN)"
        )
    before = end < start
    if before.any():
        i = _first(before)
        raise _fail(
            p, i, "end", m, f"{frame['end'].iloc[i]} is before the start {frame['start'].iloc[i]}"
        )
    revenue = _numbers(frame["revenue"], p, "revenue", m)
    return pd.DataFrame(
        {
            "id": frame["id"],
            "segment": frame["segment"],
            "start": start,
            "end": end,
            "revenue": revenue,
            "row": frame.index.map(_row),
        }
    )


def read_contacts(
    path: str | Path, customers: pd.DataFrame, m: ColumnMap = ColumnMap()
) -> tuple[pd.DataFrame, str]:
    """The contact log, checked against the customers; returns it and where outcomes came from."""
    p = str(path)
    raw = _read_csv(path)
    frame = _columns(raw, p, CONTACT_COLUMNS, REQUIRED_CONTACTS, m)
    if "outcome" not in frame and "csat" not in frame:
        raise UserError(
            f"{p}: give an 'outcome' column (satisfied / mollified / dissatisfied) or a 'csat' "
            f"score; map yours with --map outcome=COLUMN or --map csat=COLUMN"
        )
    dup = raw.duplicated()
    if dup.any():
        i = _first(dup)
        twin = raw.index[(raw == raw.iloc[i]).all(axis=1)][0]
        raise _fail(p, i, "customer", m, f"the row repeats row {_row(twin)} exactly")
    known = customers.set_index("id")
    unknown = ~frame["customer"].isin(known.index)
    if unknown.any():
        i = _first(unknown)
        raise _fail(p, i, "customer", m, f"no customer with id {frame['customer'].iloc[i]!r}")
    date = _dates(frame["date"], p, "date", m)
    start = known.loc[frame["customer"], "start"].to_numpy()
    early = date.to_numpy() < start
    if early.any():
        i = frame.index[int(np.argmax(early))]
        raise _fail(
            p,
            i,
            "date",
            m,
            f"{frame['date'].iloc[i]} is before customer {frame['customer'].iloc[i]!r} started "
            f"({pd.Timestamp(start[int(np.argmax(early))]).date()})",
        )
    empty_tp = frame["touchpoint"] == ""
    if empty_tp.any():
        raise _fail(p, _first(empty_tp), "touchpoint", m, "the touchpoint is empty")
    outcome, source = _outcomes(frame, p, m)
    severity = frame["severity"].str.lower() if "severity" in frame else pd.Series("", frame.index)
    bad = ~severity.isin([*SEVERITIES, ""])
    if bad.any():
        i = _first(bad)
        raise _fail(p, i, "severity", m, f"{frame['severity'].iloc[i]!r} is not minor or major")
    hours = (
        _numbers(frame["response_hours"], p, "response_hours", m, optional=True)
        if "response_hours" in frame
        else pd.Series(np.nan, frame.index)
    )
    contacts = pd.DataFrame(
        {
            "customer": frame["customer"],
            "date": date,
            "touchpoint": frame["touchpoint"],
            "channel": frame.get("channel", ""),
            "response_hours": hours,
            "outcome": outcome,
            "severity": severity,
            "row": frame.index.map(_row),
        }
    )
    return contacts.sort_values(["customer", "date", "row"], kind="stable"), source


def _outcomes(frame: pd.DataFrame, path: str, m: ColumnMap) -> tuple[pd.Series, str]:
    if "outcome" in frame:
        outcome = frame["outcome"].str.lower()
        bad = ~outcome.isin([*OUTCOMES, ""])
        if bad.any():
            i = _first(bad)
            raise _fail(
                path,
                i,
                "outcome",
                m,
                f"{frame['outcome'].iloc[i]!r} is not satisfied, mollified or dissatisfied",
            )
        return outcome, f"the {m.column('outcome')!r} column"
    score = _numbers(frame["csat"], path, "csat", m, optional=True)
    b = m.csat_bands
    outcome = pd.Series(b.classify(score.to_numpy()), frame.index).where(score.notna(), "")
    return outcome, (
        f"CSAT bands of {m.column('csat')!r}: satisfied >= {b.satisfied:g}, "
        f"mollified >= {b.mollified:g}, dissatisfied below"
    )


def read_records(
    customers: str | Path,
    contacts: str | Path,
    mapping: ColumnMap | None = None,
    as_of: str | None = None,
) -> Records:
    """Both files, checked; `as_of` (YYYY-MM-DD) is the day the records end (default: the last
    date in them)."""
    m = mapping or ColumnMap()
    cust = read_customers(customers, m)
    cont, source = read_contacts(contacts, cust, m)
    last = max(cust["start"].max(), cust["end"].max(), cont["date"].max())
    if as_of is not None:
        end = pd.to_datetime(as_of, format=DATE_FORMAT, errors="coerce")
        if pd.isna(end):
            raise UserError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)")
        if end < last:
            raise UserError(f"--as-of {as_of}: the records run on to {last.date()}")
        last = end
    return Records(cust, cont, str(customers), str(contacts), source, pd.Timestamp(last))
