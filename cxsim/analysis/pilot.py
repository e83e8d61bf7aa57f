"""Planning a pilot: how many customers an A/B test needs to see an intervention's effect on churn.

Churn rates come from the expected-value model, with the intervention at full effect from the
first period and its costs left out; the sample size is the two-proportion test's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from cxsim.engine.results import Results
from cxsim.engine.simulation import expected
from cxsim.errors import UserError
from cxsim.model.interventions import InterventionSet
from cxsim.model.parameters import Values
from cxsim.model.scenario import Scenario
from cxsim.model.variants import full_effect
from cxsim.protocol import Result

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PilotPlan(Result):
    """How large an A/B pilot must be to see an intervention's effect on churn."""

    intervention: str
    churn_control: float  # per period
    churn_treated: float  # per period, at full effect
    alpha: float
    power: float
    table: pd.DataFrame  # periods -> customers per arm

    kind: ClassVar[str] = "pilot_plan"

    def to_frame(self) -> pd.DataFrame:
        """One row per pilot length: churned share in each arm and customers per arm."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "intervention": self.intervention,
            "churn_control": self.churn_control,
            "churn_treated": self.churn_treated,
            "alpha": self.alpha,
            "power": self.power,
            "pilots": [
                {"pilot_periods": int(k), **{c: _plain(v) for c, v in row.items()}}
                for k, row in self.table.iterrows()
            ],
        }

    def text(self) -> str:
        """The table of pilot sizes with the assumptions behind it."""
        lines = [
            f"Pilot for {self.intervention!r}: detect churn {self.churn_control:.2%} -> "
            f"{self.churn_treated:.2%} a period",
            f"two-sided test at alpha {self.alpha:g}, power {self.power:.0%}",
            "",
            self.table.to_string(),
            "",
            "Assumptions: customers are randomised one by one to control and treatment; the",
            "outcome is whether a customer has left by the end of the pilot; the effect is at",
            "full strength from the start; churn rates come from the expected-value model;",
            "word of mouth between the groups is ignored.",
        ]
        return "\n".join(lines) + "\n"


def plan_pilot(
    scenario: Scenario,
    intervention: str,
    power: float = 0.8,
    alpha: float = 0.05,
    periods: Sequence[int] = (1, 2, 3, 6, 12),
) -> PilotPlan:
    """Customers per arm for a two-proportion test on cumulative churn over a pilot."""
    known = [iv.name for iv in scenario.interventions]
    if intervention not in known:
        raise UserError(
            f"no intervention named {intervention!r}; the scenario has: {', '.join(known)}"
        )
    full = _FullEffect(InterventionSet((known.index(intervention),), intervention))
    p0 = _churn_per_period(expected(scenario))
    p1 = _churn_per_period(expected(scenario, variant=full))
    z_a, z_b = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    rows = {}
    for k in periods:
        c0, c1 = 1 - (1 - p0) ** k, 1 - (1 - p1) ** k
        if abs(c0 - c1) < 1e-12:
            n = math.inf
        else:
            pbar = (c0 + c1) / 2
            n = (
                z_a * math.sqrt(2 * pbar * (1 - pbar))
                + z_b * math.sqrt(c0 * (1 - c0) + c1 * (1 - c1))
            ) ** 2 / (c0 - c1) ** 2
        rows[k] = {
            "churned_control": c0,
            "churned_treated": c1,
            "customers_per_arm": math.ceil(n) if math.isfinite(n) else None,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "pilot_periods"
    return PilotPlan(intervention, p0, p1, alpha, power, table)


@dataclass(frozen=True)
class _FullEffect:
    """A variant: an intervention at full effect from the first period, without its costs."""

    inner: InterventionSet

    has_cost = False

    @property
    def name(self) -> str:
        return self.inner.name

    def apply(
        self, values: Values, scenario: Scenario, weights: Sequence[float] | None = None
    ) -> Values:
        return self.inner.apply(values, scenario, weights)

    def timeline(self, scenario: Scenario) -> list[tuple[float, ...]]:
        return full_effect(scenario, len(self.inner.indices))

    def cost(self, values: Values, scenario: Scenario, active: FloatArray) -> FloatArray:
        return np.zeros(active.shape)


def _churn_per_period(r: Results) -> float:
    p = r.periods
    return float((p["churned"] + p["defected"]).sum() / p["active"].sum())


def _plain(v: Any) -> Any:
    """A JSON-ready number: None for a missing size, Python ints and floats otherwise."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return int(v) if isinstance(v, int | np.integer) else float(v)
