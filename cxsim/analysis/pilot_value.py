"""What a pilot's information is worth: the expected value of sample information (EVSI).

The decision is two-action: fund the intervention (its NPV) or not (0). Before the pilot the
NPV is uncertain; the pilot measures the effect on its metric, Δ, with sampling noise of
variance v (from the pilot's size). Preposterior analysis with the normal approximation
(Raiffa & Schlaifer, Applied Statistical Decision Theory, 1961, ch. 5-6): across the Monte
Carlo runs the NPV is regressed on the run's Δ (slope b, Δ's variance t²); after the pilot the
expected NPV moves by b (E[Δ | Δ̂] - E[Δ]), a normal change with standard deviation

    s = |b| t² / sqrt(t² + v),

so with m the NPV's mean, EVSI = s φ(m / s) - |m| (1 - Φ(|m| / s)), the unit normal loss
(the same form as the EVPI of a normal two-action problem, with s in place of the NPV's own
standard deviation). A pilot is worth running when its EVSI exceeds its cost.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from cxsim.analysis.business_case import business_case
from cxsim.analysis.pilot import PilotPlan, full_effect_variant
from cxsim.analysis.valuation import for_business_case
from cxsim.engine.execution import combine, new_seed, run_chunks
from cxsim.model.interventions import InterventionSet
from cxsim.model.scenario import Scenario

FloatArray = NDArray[np.float64]


def normal_evsi(mean: float, sd: float) -> float:
    """E[max(X, 0)] - max(E[X], 0) for X ~ N(mean, sd²): the value of learning X's sign
    before choosing between X and 0 (the unit normal loss times sd)."""
    if sd <= 0:
        return 0.0
    z = abs(mean) / sd
    return float(sd * stats.norm.pdf(z) - abs(mean) * stats.norm.sf(z))


def preposterior_sd(npv: FloatArray, effect: FloatArray, noise_var: float) -> float:
    """The standard deviation of the NPV's expected value after observing the effect with
    noise of variance `noise_var`: |b| t² / sqrt(t² + v), b and t² from the runs."""
    t2 = float(np.var(effect, ddof=1))
    if not t2 > 0:
        return 0.0
    b = float(np.cov(npv, effect, ddof=1)[0, 1] / t2)
    return abs(b) * t2 / math.sqrt(t2 + max(noise_var, 0.0))


def evsi(npv: FloatArray, effect: FloatArray, noise_var: float) -> float:
    """EVSI of a pilot that measures `effect` with noise `noise_var` (normal approximation)."""
    return normal_evsi(float(np.mean(npv)), preposterior_sd(npv, effect, noise_var))


def _per_run(periods: dict[str, Any], metric: str, prospects: float) -> FloatArray:
    """Each run's level of the pilot's metric (per unit, as `pilot._level` has it)."""

    def total(name: str) -> FloatArray:
        return np.asarray(periods[name], dtype=float).sum(axis=1)

    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "churn":
            return (total("churned") + total("defected")) / total("active")
        if metric == "failure":
            return np.minimum(total("failures") / total("active"), 1.0)
        if metric == "revenue":
            return total("revenue") / total("active")
        if metric == "complaint":
            return total("complaints") / total("failures")
        if metric == "satisfied":
            return total("satisfied") / total("complaints")
        horizon = np.asarray(periods["active"]).shape[1]
        return total("acquired") / (prospects * horizon)


def noise_variance(plan: PilotPlan, periods: int, row: Any) -> float:
    """The variance of the pilot's estimate of the per-period (or per-event) effect."""
    n = row["units_per_arm"]
    if n is None or not np.isfinite(n) or n <= 0:
        return math.inf
    p0, p1 = plan.control, plan.treated
    if plan.metric == "revenue":
        sd = row.get("sd", math.nan)
        sd = sd if np.isfinite(sd) else p0  # REVENUE_CV = 1: sd equal to the mean
        return 2.0 * sd**2 / (n * periods)
    if plan.unit == "customers":  # cumulative over `periods`, back to the per-period scale
        c0, c1 = row["control"], row["treated"]
        slope = periods * (1.0 - p0) ** (periods - 1) if periods > 0 else 1.0
        return (c0 * (1 - c0) + c1 * (1 - c1)) / n / slope**2
    return (p0 * (1 - p0) + p1 * (1 - p1)) / n


def with_evsi(
    plan: PilotPlan,
    scenario: Scenario,
    *,
    runs: int = 500,
    seed: int | None = None,
    pilot_cost: float = 0.0,
    workers: int | None = 1,
) -> PilotPlan:
    """The plan with each pilot length's EVSI, against `pilot_cost`, from `runs` Monte Carlo
    runs: the intervention's NPV (business case) and its full effect on the metric, per run."""
    scenario = for_business_case(scenario)
    known = [iv.name for iv in scenario.interventions]
    chosen = InterventionSet((known.index(plan.intervention),), plan.intervention)
    seed = new_seed() if seed is None else int(seed)
    base, world, full = (
        combine(b)
        for b in run_chunks(
            scenario, runs, seed, [None, chosen, full_effect_variant(chosen)], workers=workers
        )
    )
    npv = business_case(base, world, payback=False).npv
    prospects = plan.per_period if plan.unit == "prospects" else math.nan
    effect = _per_run(full.periods, plan.metric, prospects) - _per_run(
        base.periods, plan.metric, prospects
    )
    ok = np.isfinite(effect)
    table = plan.table.copy()
    values = [evsi(npv[ok], effect[ok], noise_variance(plan, k, row)) for k, row in plan.rows()]
    table["evsi"] = values
    table["worth_cost"] = [v > pilot_cost for v in values]
    evpi = normal_evsi(float(np.mean(npv)), float(np.std(npv, ddof=1)))
    return dataclasses.replace(
        plan,
        table=table,
        evpi=evpi,
        npv_mean=float(np.mean(npv)),
        pilot_cost=float(pilot_cost),
        currency=scenario.economics.currency,
        language=scenario.language,
        runs=runs,
        seed=seed,
    )
