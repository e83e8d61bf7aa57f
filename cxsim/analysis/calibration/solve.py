"""Solve for what the company does not observe, so that the status quo reproduces its actuals.

On the expected-value model (inputs at their means; deterministic, milliseconds a run):

- start customers: a segment's `active` actual at period 1 is its `customers`;
- the failure-free baseline churn: observed churn is total churn, so the baseline is solved so
  that baseline plus failure-caused churn equals the observed rate (`brentq` on the constant
  rate, or on sBG alpha with beta held) or cohort retention table (`least_squares` on the
  constant rate, or on sBG log alpha and log beta). It is never fitted to the observed total;
- acquisition: prospects, keeping conversion, so that new customers per period match (or, with
  no new-customer figure, the active customers at the last period observed);
- revenue per customer, so that revenue per period matches.

Baseline and acquisition depend on each other a little (new customers start without failures);
they are solved in turn until neither moves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from cxsim.analysis.calibration.reconcile import Reconciliation, reconcile
from cxsim.analysis.calibration.views import (
    cohort,
    isolate,
    per_period,
    run_like,
    segment_index,
    survival,
)
from cxsim.errors import UserError
from cxsim.model.actuals import PeriodActual, RetentionActual
from cxsim.model.loader import modify
from cxsim.model.scenario import Sbg, Scenario
from cxsim.protocol import Result

if TYPE_CHECKING:
    import pandas as pd

ROUNDS = 30
TOL = 1e-9


@dataclass(frozen=True, repr=False)
class Calibration(Result):
    """A calibrated scenario: the values solved, and its status quo against the actuals."""

    kind: ClassVar[str] = "calibration"
    scenario: Scenario
    solved: dict[str, float]
    reconciliation: Reconciliation
    notes: tuple[str, ...] = field(default=())

    def to_frame(self) -> pd.DataFrame:
        return self.reconciliation.to_frame()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "reconciliation": self.reconciliation.records(),
            "solved": dict(self.solved),
            "notes": list(self.notes),
        }

    def text(self) -> str:
        lines = [f"{self.scenario.name}: calibrated to its actuals", "", "Solved:"]
        lines += [f"  {path} = {value:.6g}" for path, value in self.solved.items()]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n\n" + self.reconciliation.text()

    def __repr__(self) -> str:
        return f"<Calibration {self.scenario.name!r}: {len(self.solved)} values solved>"


def calibrate_scenario(scenario: Scenario) -> Calibration:
    """Solve the scenario's unobserved inputs so that its status quo reproduces its actuals."""
    if not scenario.actuals:
        raise UserError(f"{scenario.name}: the scenario has no actuals: section to calibrate to")
    notes: list[str] = []
    solved: dict[str, float] = {}
    work = _start_customers(scenario, solved, notes)
    plans = _plans(work, notes)
    for _ in range(ROUNDS):
        before = dict(solved)
        for plan in plans:
            work = plan(work, solved)
        if before and all(
            abs(solved[k] - before.get(k, np.inf)) <= TOL * max(1.0, abs(solved[k])) for k in solved
        ):
            break
    work = _revenue(work, solved, notes)
    return Calibration(work, solved, reconcile(work), tuple(notes))


Plan = Callable[[Scenario, dict[str, float]], Scenario]


def _start_customers(scenario: Scenario, solved: dict[str, float], notes: list[str]) -> Scenario:
    changes: dict[str, Any] = {}
    for a in scenario.actuals or []:
        if isinstance(a, PeriodActual) and a.metric == "active" and a.first == 1:
            s = segment_index(scenario, a.segment)
            value = a.value if a.series is None else a.series[0]
            if s is None:
                notes.append("active customers of the whole business: kept the segments' own")
                continue
            changes[f"segments.{s}.customers"] = solved[f"segments.{s}.customers"] = round(value)  # type: ignore[arg-type]
    return modify(scenario, changes) if changes else scenario


def _plans(scenario: Scenario, notes: list[str]) -> list[Plan]:
    """What to solve, segment by segment: baseline churn first, then acquisition."""
    plans: list[Plan] = []
    for s, seg in enumerate(scenario.segments):
        mine = [a for a in scenario.actuals or [] if segment_index(scenario, a.segment) == s]
        retention = [a for a in mine if isinstance(a, RetentionActual)]
        churn = [a for a in mine if isinstance(a, PeriodActual) and a.metric == "churn"]
        if retention:
            plans.append(_retention_plan(s, retention[0]))
        elif churn:
            plans.append(_churn_plan(s, churn[0]))
        new = [a for a in mine if isinstance(a, PeriodActual) and a.metric == "new_customers"]
        later = [
            a for a in mine if isinstance(a, PeriodActual) and a.metric == "active" and a.last > 1
        ]
        if new or later:
            if seg.conversion.mean() <= 0:
                notes.append(f"{seg.name}: new customers cannot be matched: conversion is 0")
            else:
                plans.append(_acquisition_plan(s, new[0] if new else later[-1]))
    return plans


def _target(a: PeriodActual) -> float:
    return float(a.value if a.value is not None else np.mean(a.series))  # type: ignore[arg-type]


def _pooled(a: PeriodActual) -> PeriodActual:
    """The actual as one mean over its periods (a series is solved for as its mean)."""
    return a if a.series is None else a.model_copy(update={"series": None, "value": _target(a)})


def _churn_plan(s: int, actual: PeriodActual) -> Plan:
    from scipy.optimize import brentq

    a = _pooled(actual)
    target = _target(a)

    def plan(work: Scenario, solved: dict[str, float]) -> Scenario:
        seg = work.segments[s]
        sbg = isinstance(seg.churn, Sbg)
        path = f"segments.{s}.churn.{'alpha' if sbg else 'rate'}"

        @functools.cache  # brentq asks again for the ends, already tried below
        def churn(x: float) -> float:
            trial = isolate(work, s, {path: float(np.exp(x)) if sbg else x})
            return float(per_period(a, trial, s, run_like(trial, None))[0, 0])

        lo, hi = (np.log(1e-5), np.log(1e4)) if sbg else (0.0, 1.0 - 1e-9)
        floor = churn(lo)
        if floor > target:
            raise UserError(
                f"{seg.name}: observed churn {target:.4%} per period (periods "
                f"{a.first}-{a.last}) is below what failures alone cause ({floor:.4%}) with no "
                "baseline churn at all: the actuals contradict the failure and defection rates"
            )
        if churn(hi) < target:
            raise UserError(f"{seg.name}: observed churn {target:.4%} cannot be reached")
        x = brentq(lambda v: churn(v) - target, lo, hi, xtol=1e-13, rtol=1e-12)
        value = float(np.exp(x)) if sbg else float(x)
        solved[path] = value
        return modify(work, {path: value})

    return plan


def _retention_plan(s: int, actual: RetentionActual) -> Plan:
    from scipy.optimize import least_squares

    observed = np.asarray(actual.survival)
    steps = len(observed) * actual.step

    def plan(work: Scenario, solved: dict[str, float]) -> Scenario:
        seg = work.segments[s]
        sbg = isinstance(seg.churn, Sbg)
        base = f"segments.{s}.churn"
        names = ["alpha", "beta"] if sbg else ["rate"]

        def changes(x: np.ndarray) -> dict[str, float]:
            vals = np.exp(x) if sbg else x
            return {f"{base}.{n}": float(v) for n, v in zip(names, vals, strict=True)}

        def residual(x: np.ndarray) -> np.ndarray:
            trial = cohort(work, s, steps, changes(x))
            return survival(actual, run_like(trial, None))[0] - observed

        lowest = residual(np.array([np.log(1e-5), np.log(1e4)]) if sbg else np.array([0.0]))
        if np.any(lowest < -actual.tolerance):
            k = int(np.argmin(lowest))
            raise UserError(
                f"{seg.name}: observed retention {observed[k]:.4f} after {(k + 1) * actual.step} "
                f"periods is above what failures alone allow ({observed[k] + lowest[k]:.4f}) "
                "with no baseline churn at all: the actuals contradict the failure and defection "
                "rates"
            )
        if sbg:
            x0 = np.log([seg.churn.alpha.mean(), seg.churn.beta.mean()])  # type: ignore[union-attr]
            fit = least_squares(residual, x0, xtol=1e-12, ftol=1e-12, gtol=1e-12)
        else:
            x0 = np.array([min(0.5, seg.churn.rate.mean())])  # type: ignore[union-attr]
            fit = least_squares(residual, x0, bounds=(0.0, 1.0), xtol=1e-12, ftol=1e-12)
        found = changes(fit.x)
        solved.update(found)
        return modify(work, found)

    return plan


def _acquisition_plan(s: int, actual: PeriodActual) -> Plan:
    from scipy.optimize import brentq

    a = _pooled(actual)
    target = _target(a)
    path = f"segments.{s}.prospects"

    def plan(work: Scenario, solved: dict[str, float]) -> Scenario:
        @functools.cache  # brentq asks again for the ends, already tried below
        def modelled(prospects: float) -> float:
            trial = isolate(work, s, {path: prospects})
            return float(per_period(a, trial, s, run_like(trial, None))[0, 0])

        seg = work.segments[s]
        hi = max(10.0 * seg.prospects.mean(), 10.0 * target / seg.conversion.mean(), 1.0)
        while modelled(hi) < target and hi < 1e12:
            hi *= 10.0
        if modelled(0.0) > target:
            raise UserError(
                f"{seg.name}: observed {a.metric.replace('_', ' ')} {target:,.0f} (periods "
                f"{a.first}-{a.last}) is below what the scenario gives with no prospects at all"
            )
        value = float(brentq(lambda v: modelled(v) - target, 0.0, hi, xtol=1e-9, rtol=1e-13))
        solved[path] = value
        return modify(work, {path: value})

    return plan


def _revenue(work: Scenario, solved: dict[str, float], notes: list[str]) -> Scenario:
    for a in work.actuals or []:
        if not (isinstance(a, PeriodActual) and a.metric == "revenue"):
            continue
        s = segment_index(work, a.segment)
        if s is None:
            notes.append("revenue of the whole business: reconciled, not solved (name a segment)")
            continue
        path = f"segments.{s}.revenue"
        modelled = float(per_period(_pooled(a), work, s, run_like(isolate(work, s), None))[0, 0])
        value = work.segments[s].revenue.mean() * _target(a) / modelled
        solved[path] = value
        work = modify(work, {path: value})
    return work


def baseline_from_retention(
    scenario: Scenario, survival: list[float], segment: str | None = None, step: int = 1
) -> dict[str, float]:
    """The failure-free baseline of a segment (sBG alpha and beta, or a constant rate) under
    which baseline plus the scenario's failure-caused churn gives the observed cohort
    `survival` (share alive after 1, 2, ... steps of `step` periods)."""
    names = [s.name for s in scenario.segments]
    if segment is None and len(names) > 1:
        raise UserError(f"name the segment (--segment): one of {', '.join(names)}")
    if segment is not None and segment not in names:
        raise UserError(f"no segment named {segment!r}: one of {', '.join(names)}")
    s = names.index(segment) if segment else 0
    actual = RetentionActual(metric="retention", segment=names[s], survival=survival, step=step)
    solved: dict[str, float] = {}
    _retention_plan(s, actual)(scenario, solved)
    return solved
