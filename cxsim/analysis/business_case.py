"""The business-case figures of a variant against the baseline, run by run.

One definition for every place that prices an intervention (`compare`, the budget search,
tornado, Sobol, convergence): the loss avoided is the discounted revenue (or margin) the
changed world has over the baseline on the same random numbers (the revenue side); the cost
avoided is the serving, recovery and replacement costs of failures (`costs:`) and the cost of
serving routine contacts it spares (the cost side, in cash: a bot that contains routine
contacts saves here, and customers kept make routine contacts that cost); NPV is both less
the variant's discounted cost (negative where it saves); ROI is
NPV over cost; payback is the first period in which the cumulative net benefit turns positive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
#: The figures, in the order tables show them.
FIGURES = ("loss_avoided", "cost_avoided", "cost", "npv", "roi", "payback_periods")
#: The cost lines of a poor experience paid in cash, as `cxsim.engine.period.COST_LINES`
#: names them (its `routine_cost` is a counterfactual, not a payment: see `OPERATION_COSTS`).
FAILURE_COSTS = ("serving_cost", "recovery_cost", "replacement_cost")
#: Every cost the comparison counts: the failures' and the baseline cost of routine contacts.
OPERATION_COSTS = (*FAILURE_COSTS, "routine_contacts_cost")


class World(Protocol):
    """What a world's run leaves: per-run totals and, where kept, per-period series."""

    @property
    def totals(self) -> Mapping[str, FloatArray]: ...

    @property
    def periods(self) -> Mapping[str, FloatArray]: ...


@dataclass(frozen=True)
class BusinessCase:
    """Per-run figures of a variant against the baseline (`payback_periods`: inf if never)."""

    loss_avoided: FloatArray
    cost: FloatArray
    npv: FloatArray
    roi: FloatArray
    payback_periods: FloatArray | None
    cost_avoided: FloatArray | None = None  # None: read as zeros

    @property
    def p_pays(self) -> float:
        """The share of runs in which the variant pays (NPV above zero)."""
        return float(np.mean(self.npv > 0))

    def figure(self, name: str) -> FloatArray:
        """One figure by name (`npv`, `loss_avoided`, `cost`, `roi`, `payback_periods`)."""
        value = getattr(self, name) if name in FIGURES else None
        if name == "cost_avoided" and value is None:
            value = np.zeros_like(self.npv)
        if value is None:
            raise KeyError(f"no business-case figure {name!r}")
        return np.asarray(value, dtype=float)


def business_case(base: World, world: World, *, payback: bool = True) -> BusinessCase:
    """The figures of `world` (a variant with a cost) against `base`, on the same runs.

    Payback needs both worlds' revenue per period; with `payback=False` it is not computed
    (sweeps that keep no periods).
    """
    avoided = np.asarray(world.totals["revenue"] - base.totals["revenue"], dtype=float)
    cost = np.asarray(world.totals["cost"], dtype=float)
    spared = failure_costs(base.totals, OPERATION_COSTS) - failure_costs(
        world.totals, OPERATION_COSTS
    )
    npv = avoided + spared - cost
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(cost > 0, npv / cost, np.nan)
    periods = None
    if payback:
        benefit_t = world.periods["revenue"] - base.periods["revenue"]
        # What lies beyond the horizon (lifetime valuation) counts in the last period.
        benefit_t[:, -1] += avoided - benefit_t.sum(axis=1)
        for k in ("failure_cost", "routine_contacts_cost"):
            if k in base.periods and k in world.periods:
                benefit_t = benefit_t + base.periods[k] - world.periods[k]
        # Routine contacts beyond the horizon (lifetime valuation) count in the last period too.
        benefit_t[:, -1] += spared - failure_costs(base.totals) + failure_costs(world.totals)
        if "routine_contacts_cost" in base.periods and "routine_contacts_cost" in world.periods:
            periodic = (
                base.periods["routine_contacts_cost"] - world.periods["routine_contacts_cost"]
            )
            benefit_t[:, -1] -= periodic.sum(axis=1)
        periods = payback_periods(benefit_t, world.periods["cost"])
    return BusinessCase(avoided, cost, npv, roi, periods, spared)


def failure_costs(
    totals: Mapping[str, FloatArray], lines: tuple[str, ...] = FAILURE_COSTS
) -> FloatArray:
    """Per-run serving, recovery and replacement costs of failures (zeros without `costs:`),
    or the sum of other `lines`."""
    present = [np.asarray(totals[k], dtype=float) for k in lines if k in totals]
    ref = np.asarray(totals["revenue"], dtype=float)
    return np.sum(present, axis=0) if present else np.zeros_like(ref)


def payback_periods(benefit: FloatArray, cost: FloatArray) -> FloatArray:
    """Periods until cumulative net benefit first turns positive (inf if it never does)."""
    cum = np.cumsum(benefit - cost, axis=1)
    positive = cum > 0
    first = np.argmax(positive, axis=1).astype(float) + 1.0
    return np.where(positive.any(axis=1), first, np.inf)
