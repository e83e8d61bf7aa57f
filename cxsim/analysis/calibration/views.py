"""The status quo as the actuals see it: a segment on its own, a new cohort, a metric per run.

The engine's per-period outputs are for the whole business. A segment's figures are modelled by
running the scenario with the other segments emptied (no customers, no prospects): exact when
segments share nothing, and an approximation where they share a support queue (the queue then
carries only that segment's complaints). A cohort retention table is modelled by a cohort of new
customers of the segment, starting clean, with no further acquisition.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from cxsim.engine.results import Results
from cxsim.engine.simulation import expected, simulate
from cxsim.model.actuals import PeriodActual, RetentionActual
from cxsim.model.loader import modify
from cxsim.model.scenario import Sbg, Scenario

FloatArray = NDArray[np.float64]
COHORT = 100_000  # customers in a modelled cohort: large, so whole-customer rounding is negligible


def segment_index(scenario: Scenario, name: str | None) -> int | None:
    """The segment an actual names; with one segment, that one; None for the whole business."""
    if name is not None:
        return [s.name for s in scenario.segments].index(name)
    return 0 if len(scenario.segments) == 1 else None


def isolate(scenario: Scenario, s: int | None, changes: dict[str, Any] | None = None) -> Scenario:
    """The scenario with every segment but `s` emptied, and `changes` made."""
    out = dict(changes or {})
    if s is not None and len(scenario.segments) > 1:
        for k in range(len(scenario.segments)):
            if k != s:
                out[f"segments.{k}.customers"] = 0
                out[f"segments.{k}.prospects"] = 0
    return modify(scenario, out) if out else scenario


def cohort(
    scenario: Scenario, s: int, steps: int, changes: dict[str, Any] | None = None
) -> Scenario:
    """New customers of segment `s` followed for `steps` periods with no acquisition, and
    `changes` made.

    They start clean (no unresolved failure), as new customers do, not in the settled mix of
    experience states the engine starts an existing base in.
    """
    changes = {
        **(changes or {}),
        f"segments.{s}.customers": COHORT,
        "economics.horizon": steps + 1,
        "interventions": [],
    }
    changes.update({f"segments.{k}.prospects": 0 for k in range(len(scenario.segments))})
    if isinstance(scenario.segments[s].churn, Sbg):
        changes[f"segments.{s}.churn.tenure"] = 0
    changes["actuals"] = None
    changes["memory.start"] = "clean"  # new customers have met no failure yet
    return isolate(scenario, s, changes)


def run_like(scenario: Scenario, like: Results | None) -> Results:
    """The scenario run as `like` was: expected-value, or Monte Carlo with its runs and seed."""
    if like is None or like.kind == "expected":
        return expected(scenario)
    return simulate(scenario, runs=like.runs, seed=like.seed)


def per_period(actual: PeriodActual, scenario: Scenario, s: int | None, r: Results) -> FloatArray:
    """(runs, k) the modelled metric: k = 1 (the mean over the periods) or one per period."""
    p = {k: np.asarray(v, dtype=float) for k, v in r.periods.items()}
    first, last = actual.first, actual.last
    if actual.series is not None:
        cols = [_metric(actual.metric, scenario, s, p, t, t) for t in range(first, last + 1)]
        return np.stack(cols, axis=1)
    return _metric(actual.metric, scenario, s, p, first, last)[:, None]


def _metric(
    metric: str, scenario: Scenario, s: int | None, p: dict[str, FloatArray], first: int, last: int
) -> FloatArray:
    sl = slice(first - 1, last)
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "active":
            return p["active"][:, sl].mean(axis=1)
        if metric == "churn":
            left = (p["churned"][:, sl] + p["defected"][:, sl]).sum(axis=1)
            return left / p["active"][:, sl].sum(axis=1)
        if metric == "new_customers":
            return p["acquired"][:, sl].mean(axis=1)
        if metric in ("contacts", "complaints"):
            return p["complaints"][:, sl].mean(axis=1)
        if metric == "csat":
            return p["satisfied"][:, sl].sum(axis=1) / p["complaints"][:, sl].sum(axis=1)
        if metric == "nps":
            return p["nps"][:, sl].mean(axis=1)
        if metric == "revenue":
            d = scenario.economics.discount_factor
            undiscounted = p["revenue"][:, sl] / d ** np.arange(first, last + 1, dtype=float)
            return undiscounted.mean(axis=1) / _margin(scenario, s)
    raise ValueError(f"unknown metric {metric!r}")


def _margin(scenario: Scenario, s: int | None) -> float:
    """What turns the engine's value per customer back into revenue (1 when valued on revenue)."""
    if scenario.economics.value != "margin":
        return 1.0
    segments = scenario.segments if s is None else [scenario.segments[s]]
    margins = {round(seg.margin.mean(), 12) for seg in segments}
    if len(margins) > 1:
        raise ValueError(
            "revenue of the whole business cannot be told from margin when segments' margins "
            "differ: give revenue per segment"
        )
    return float(margins.pop())


def survival(actual: RetentionActual, r: Results) -> FloatArray:
    """(runs, n) share of the modelled cohort alive after each step of the table."""
    active = np.asarray(r.periods["active"], dtype=float)
    at = np.arange(1, len(actual.survival) + 1) * actual.step
    return active[:, at] / active[:, :1]
