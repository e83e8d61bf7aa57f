"""From checked records to the counts the estimators need (windows, cells, exposures).

Definitions (stated in every output):
- A complaint is followed when its whole window (date to date + window) lies within the records;
  it churned when the customer's end falls in that window. Contacts after a customer's end are
  left out.
- Path rates use each customer's first recorded contact, so every customer counts once and
  starts with no unresolved complaint (the memory state the loss tree's defection applies to).
- An unresolved complaint is a dissatisfied one (satisfied resets memory, mollified leaves it:
  as in the engine); silent failures are not in the records, so memory counts only complaints.
- Baseline: calendar windows of the same length from the first start; a customer counts in a
  window when active at its start with no contact in it or in the window before it. Counted per
  segment too, so that a path is set against the baseline of the segments its complainers are
  in (a segment too small for its own baseline takes the pooled one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxsim.analysis.records.estimate import counts_by_cell
from cxsim.analysis.records.reading import OUTCOMES, Records

SEVERITY_CELLS = ("minor", "major", "any")


def cell_index(outcome: np.ndarray, severity: np.ndarray) -> np.ndarray:
    """Cell of (outcome, severity): outcome * 3 + severity (minor 0, major 1, unknown 2); -1
    where the outcome is missing."""
    o = pd.Series(outcome).map({name: i for i, name in enumerate(OUTCOMES)})
    s = pd.Series(severity).map({"minor": 0, "major": 1}).fillna(2)
    return np.where(o.isna(), -1, o.fillna(0) * 3 + s).astype(np.int64)


@dataclass(frozen=True)
class Windows:
    """Per followed contact: its cell, earlier unresolved complaints, churn, first contact."""

    cell: np.ndarray
    prior: np.ndarray
    churned: np.ndarray
    first: np.ndarray
    segment: np.ndarray
    dropped_after_end: int
    unfollowed: int
    no_outcome: int


def complaint_windows(records: Records, window_days: int) -> Windows:
    """Each contact's window: did the customer leave within `window_days`?"""
    c = records.contacts
    cust = records.customers.set_index("id")
    end = cust.loc[c["customer"], "end"].to_numpy()
    date = c["date"].to_numpy()
    window = np.timedelta64(window_days, "D")
    alive = pd.isna(end) | (date <= end)
    unresolved = (c["outcome"] == "dissatisfied").to_numpy()
    grouped = pd.Series(unresolved.astype(int), index=c.index).groupby(c["customer"].to_numpy())
    prior = (grouped.cumsum() - unresolved.astype(int)).to_numpy()
    first = (c.groupby("customer").cumcount() == 0).to_numpy()
    followed = date + window <= np.datetime64(records.as_of)
    churned = ~pd.isna(end) & (end <= date + window)
    cell = cell_index(c["outcome"].to_numpy(), c["severity"].to_numpy())
    keep = alive & followed & (cell >= 0)
    return Windows(
        cell=cell[keep],
        prior=prior[keep],
        churned=np.asarray(churned[keep], bool),
        first=first[keep],
        segment=cust.loc[c["customer"], "segment"].to_numpy()[keep],
        dropped_after_end=int((~alive).sum()),
        unfollowed=int((alive & ~followed).sum()),
        no_outcome=int((alive & followed & (cell < 0)).sum()),
    )


def path_counts(w: Windows) -> tuple[np.ndarray, np.ndarray]:
    """Churned and followed first contacts per cell (9 cells: outcome x minor/major/unknown)."""
    return counts_by_cell(w.cell[w.first], w.churned[w.first], 9)


def baseline_counts(records: Records, window_days: int) -> tuple[int, int, int]:
    """(churned, customer-windows, windows) for customers with no contact in or before a window."""
    churned, counted, n_windows = _baseline_windows(records, window_days)
    return int(churned.sum()), int(counted.sum()), n_windows


def baseline_by_segment(records: Records, window_days: int) -> dict[str, tuple[int, int]]:
    """(churned, customer-windows) without a contact, per segment of the customer table."""
    churned, counted, _ = _baseline_windows(records, window_days)
    segment = records.customers["segment"].to_numpy()
    return {
        str(name): (int(churned[segment == name].sum()), int(counted[segment == name].sum()))
        for name in pd.unique(segment)
    }


def _baseline_windows(records: Records, window_days: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Per customer: windows without a contact that ended in churn, and all such windows."""
    cust = records.customers
    t0 = records.first_date
    step = pd.Timedelta(days=window_days)
    n_windows = int((records.as_of - t0) / step)
    if n_windows < 1:
        zero = np.zeros(len(cust), dtype=np.int64)
        return zero, zero, 0
    starts = np.array([t0 + k * step for k in range(n_windows)], dtype="datetime64[ns]")
    start = cust["start"].to_numpy()[:, None]
    end = cust["end"].to_numpy()[:, None]
    has_end = ~pd.isna(end)
    active = (start <= starts[None, :]) & (~has_end | (end >= starts[None, :]))
    churned = has_end & (end < starts[None, :] + np.timedelta64(window_days, "D"))
    touched = np.zeros(active.shape, dtype=bool)
    row = pd.Series(np.arange(len(cust)), index=cust["id"])
    who = row.loc[records.contacts["customer"]].to_numpy()
    k = ((records.contacts["date"] - t0) / step).to_numpy().astype(np.int64)
    for shift in (0, 1):  # the window of the contact and the one after it
        ok = (k + shift >= 0) & (k + shift < n_windows)
        touched[who[ok], k[ok] + shift] = True
    counted = active & ~touched
    return (counted & churned).sum(axis=1), counted.sum(axis=1), n_windows


def touchpoint_counts(records: Records, period_days: float) -> tuple[pd.Series, float]:
    """Contacts per touchpoint and the customer-periods of exposure (active time / period)."""
    cust = records.customers
    end = cust["end"].fillna(records.as_of)
    end = end.where(end <= records.as_of, records.as_of)  # no exposure after the as-of date
    exposure = float(((end - cust["start"]).dt.days.clip(lower=0)).sum()) / period_days
    counts = records.contacts["touchpoint"].value_counts().sort_index()
    return counts, exposure


def revenue_split(records: Records) -> dict[str, float]:
    """Mean revenue per period of customers who left and of those who stayed, with a Welch 95%
    interval on the difference."""
    from scipy import stats

    cust = records.customers
    left = cust.loc[cust["end"].notna(), "revenue"].to_numpy()
    stayed = cust.loc[cust["end"].isna(), "revenue"].to_numpy()
    out = {
        "left_n": float(left.size),
        "stayed_n": float(stayed.size),
        "left_mean": float(left.mean()) if left.size else float("nan"),
        "stayed_mean": float(stayed.mean()) if stayed.size else float("nan"),
    }
    varies = np.ptp(left) > 0 or np.ptp(stayed) > 0 if left.size and stayed.size else False
    if left.size > 1 and stayed.size > 1 and varies:  # no interval when every revenue is equal
        test = stats.ttest_ind(left, stayed, equal_var=False)
        ci = test.confidence_interval(0.95)
        out.update(difference_low=float(ci.low), difference_high=float(ci.high))
    return out
