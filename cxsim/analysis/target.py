"""Targets: what is +10 NPS (or CSAT +5, or a faster answer) worth?

A key indicator is an output, not an input: no lever sets it. `target` scales the named levers
together (every input each path names, by one common multiple k of today's values) and solves,
by bisection in the expected-value model (deterministic, so the solution is exact up to the
tolerance), for the k at which the indicator's average over the horizon has moved by the asked
change. The change is then valued in the Monte Carlo on common random numbers: the margin it
saves plus the failure costs it spares, per run, with its interval. No cost is counted, so the
value is the most that reaching the target is worth paying for.

Indicators (averages over the horizon's periods, as `Results.indicators` gives them):
`nps` in points (-100..100), `csat` in percentage points of complainers satisfied,
`response_minutes` the mean response time of answered complaints in minutes (a scenario with a
`support:` section), `churn` in percentage points of the active customers per period.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxsim.analysis.business_case import failure_costs
from cxsim.analysis.valuation import for_business_case
from cxsim.engine.execution import Scheduler, combine, new_seed, run_chunks
from cxsim.engine.simulation import expected
from cxsim.engine.stats import describe, probability
from cxsim.errors import UserError
from cxsim.formatting.money import format_money
from cxsim.model.loader import Source, scenario_and_source
from cxsim.model.parameters import input_label, iter_inputs
from cxsim.model.paths import resolve
from cxsim.model.scenario import Scenario
from cxsim.model.variants import Change, Changes
from cxsim.protocol import Result

FloatArray = NDArray[np.float64]

#: metric -> (indicator column, factor to the metric's unit, unit in words)
METRICS: dict[str, tuple[str, float, str]] = {
    "nps": ("nps", 1.0, "points"),
    "csat": ("csat", 100.0, "percentage points"),
    "response_minutes": ("response_hours", 60.0, "minutes"),
    "churn": ("churn_rate", 100.0, "percentage points"),
}
#: The levers move by at most this multiple of today's values (or to their field's limit).
MAX_MULTIPLE = 16.0


def metric_value(scenario: Scenario, metric: str, variant: Changes | None = None) -> float:
    """The indicator's average over the horizon in the expected-value model, in its unit."""
    column, factor, _ = METRICS[metric]
    series = expected(scenario, variant=variant).indicators()[column]
    return float(np.nanmean(series.to_numpy(dtype=float)) * factor)


@dataclass(frozen=True, repr=False)
class TargetValue(Result):
    """What moving a key indicator by `change` takes (the levers' multiple) and is worth."""

    scenario: Scenario
    metric: str
    change: float
    multiple: float  # the levers' common multiple of today's values
    today: float  # the indicator today (expected-value model)
    reached: float  # the indicator at the multiple (expected-value model)
    levers: pd.DataFrame  # per input: path (as given), input, label, today, needed
    value: FloatArray  # per run: margin saved plus failure costs spared
    metric_change: FloatArray  # per run: the indicator's change in the Monte Carlo
    runs: int
    seed: int

    kind: ClassVar[str] = "target"

    @property
    def unit(self) -> str:
        return METRICS[self.metric][2]

    def value_stats(self) -> dict[str, float]:
        return describe(self.value) | {"p_positive": probability(self.value > 0)}

    def to_frame(self) -> pd.DataFrame:
        return self.levers.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "scenario": self.scenario.name,
            "metric": self.metric,
            "unit": self.unit,
            "change": self.change,
            "today": self.today,
            "reached": self.reached,
            "multiple": self.multiple,
            "levers": self.levers.to_dict(orient="records"),
            "value": self.value_stats(),
            "metric_change_monte_carlo": describe(self.metric_change),
            "currency": self.scenario.economics.currency,
            "runs": self.runs,
            "seed": self.seed,
        }

    def text(self) -> str:
        sc = self.scenario
        money = lambda v: format_money(v, sc.economics.currency, language=sc.language)  # noqa: E731
        v = self.value_stats()
        # Churn is a rate in percent: "3.45%", not "3.448".
        level = (lambda x: f"{x:.3g}%") if self.metric == "churn" else (lambda x: f"{x:.4g}")
        lines = [
            f"{sc.name}: what {self.metric} {self.change:+.4g} {self.unit} is worth "
            f"({self.runs:,} runs)",
            f"  {self.metric} today {level(self.today)}, at the target {level(self.reached)} "
            f"(expected-value model; Monte Carlo change {np.nanmean(self.metric_change):+.3g}"
            f"{' percentage points' if self.metric == 'churn' else ''})",
            f"  levers at {self.multiple:.4g} x today's values:",
        ]
        for _, row in self.levers.iterrows():
            lines.append(f"    {row['label']}: {row['today']:.4g} -> {row['needed']:.4g}")
        lines.append(
            f"  worth {money(v['mean'])} over the horizon (P5 {money(v['p5'])}, P95 "
            f"{money(v['p95'])}; positive in {v['p_positive']:.0%} of runs): the most "
            "reaching it is worth paying"
        )
        return "\n".join(lines) + "\n"


def _levers(scenario: Scenario, paths: Sequence[str]) -> tuple[list[tuple[str, str]], float]:
    """(path as given, input) for every input the levers name, and the largest multiple that
    keeps each within its field's range."""
    dists = dict(iter_inputs(scenario))
    found: list[tuple[str, str]] = []
    top = MAX_MULTIPLE
    for path in paths:
        inputs = [p for p in resolve(scenario, path) if not p.startswith("interventions.")]
        if not inputs:
            raise UserError(f"--lever {path!r} names no input of scenario {scenario.name!r}")
        for p in inputs:
            mean = dists[p].mean()
            if mean > 0:
                top = min(top, dists[p].valid_range()[1] / mean)
            found.append((path, p))
    return found, top


def _bisect(f: Callable[[float], float], goal: float, lo: float, hi: float, tol: float) -> float:
    """k in [lo, hi] with f(k) = goal, for f monotone between f(lo) and f(hi) that bracket it."""
    f_lo = f(lo)
    while hi - lo > tol * max(1.0, abs(hi)):
        mid = 0.5 * (lo + hi)
        f_mid = f(mid)  # once: each is a run of the expected-value model
        if (f_mid - goal) * (f_lo - goal) > 0:
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def target(
    scenario: Scenario | str | os.PathLike[str],
    metric: str,
    change: float,
    levers: Sequence[str],
    *,
    runs: int = 500,
    seed: int | None = None,
    tol: float = 1e-6,
    workers: int | None = 1,
    scheduler: Scheduler = None,
    source: Source | None = None,
) -> TargetValue:
    """The levers' common multiple that moves `metric` by `change`, and what that is worth.

    A `UserError` for an unknown metric, no levers, a lever that names no input or does not
    move the metric, or a change beyond the levers' reach.
    """
    scenario, _ = scenario_and_source(scenario, source)
    scenario = for_business_case(scenario)
    if metric not in METRICS:
        raise UserError(f"unknown metric {metric!r}: choose one of {', '.join(METRICS)}")
    if metric == "response_minutes" and scenario.support is None:
        raise UserError(
            f"scenario {scenario.name!r} has no support: section, so no response time to target"
        )
    if not levers:
        raise UserError("name at least one lever (--lever PATH) to move the metric with")
    if not math.isfinite(change) or change == 0:
        raise UserError(f"the change must be a finite number other than 0, got {change}")
    inputs, top = _levers(scenario, levers)

    def at(k: float) -> Changes:
        return Changes(tuple(Change(p, "scale", k) for _, p in inputs), name="target")

    today = metric_value(scenario, metric)

    def moved(k: float) -> float:
        return metric_value(scenario, metric, at(k)) - today

    ends = {lo_hi: moved(k) for lo_hi, k in (("low", 0.0), ("high", top))}
    if all(abs(d) < 1e-9 * max(1.0, abs(today)) for d in ends.values()):
        raise UserError(
            f"the levers {', '.join(levers)} do not move {metric}: from 0 to {top:.3g} x "
            "today's values it stays where it is"
        )
    reach = [(0.0, 1.0, ends["low"]), (1.0, top, ends["high"])]
    sides = [(a, b) for a, b, d in reach if d * change > 0 and abs(change) <= abs(d)]
    unit = METRICS[metric][2]
    if not sides:
        lo, hi = sorted(ends.values())
        raise UserError(
            f"{metric} {change:+g} {unit} is out of the levers' reach: scaling them from 0 to "
            f"{top:.3g} x today's values moves it by {lo:+.3g} to {hi:+.3g} {unit}"
        )
    # Each side that reaches the change is bisected; a solution counts only if the change is
    # met there (levers in whole steps, such as agents, move the metric in jumps), and the one
    # nearest today's values wins.
    met = []
    for a, b in sides:
        k = _bisect(moved, change, a, b, tol)
        if abs(moved(k) - change) <= 0.01 * abs(change):
            met.append(k)
    if not met:
        raise UserError(
            f"{metric} {change:+g} {unit} cannot be met exactly: the levers {', '.join(levers)} "
            "move it in steps (whole agents, a channel opened or closed); ask for a change "
            "that one of those steps reaches"
        )
    k = min(met, key=lambda x: abs(math.log(x)) if x > 0 else math.inf)
    dists = dict(iter_inputs(scenario))
    table = pd.DataFrame(
        [
            {
                "path": path,
                "input": p,
                "label": input_label(scenario, p),
                "today": dists[p].mean(),
                "needed": dists[p].mean() * k,
            }
            for path, p in inputs
        ]
    )
    seed = new_seed() if seed is None else int(seed)
    base, world = (
        combine(b)
        for b in run_chunks(
            scenario, runs, seed, [None, at(k)], workers=workers, scheduler=scheduler
        )
    )
    value = (
        np.asarray(world.totals["revenue"] - base.totals["revenue"], dtype=float)
        + failure_costs(base.totals)
        - failure_costs(world.totals)
    )
    return TargetValue(
        scenario=scenario,
        metric=metric,
        change=float(change),
        multiple=k,
        today=today,
        reached=today + moved(k),
        levers=table,
        value=value,
        metric_change=_metric_change(metric, base.periods, world.periods),
        runs=runs,
        seed=seed,
    )


def _metric_change(metric: str, base: dict[str, Any], world: dict[str, Any]) -> FloatArray:
    """Per run: the indicator's horizon average in `world` less in `base` (Monte Carlo)."""

    def per_run(p: dict[str, Any]) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            if metric == "csat":
                x = p["satisfied"] / p["complaints"]
            elif metric == "churn":
                x = (p["churned"] + p["defected"]) / p["active"]
            else:
                x = np.asarray(p[METRICS[metric][0]], dtype=float)
            return np.asarray(np.nanmean(x, axis=1), dtype=float) * METRICS[metric][1]

    return per_run(world) - per_run(base)
