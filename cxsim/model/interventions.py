"""Interventions: named changes to a scenario, with costs, a start and a ramp-up.

An effect names scenario inputs by a path (the grammar of `cxsim.model.paths`) and scales, adds to
or sets them: `journey.stages[Support].touchpoints[Help request unanswered].failure_rate`. An
effect's value and every cost may be uncertain; they are drawn on a stream of their own, so a
scenario's own draws do not change when interventions are added to its file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from cxsim.model.parameters import Values
from cxsim.model.paths import resolve
from cxsim.model.scenario import Intervention, Scenario

FloatArray = NDArray[np.float64]

__all__ = ["InterventionSet", "resolve"]  # `resolve` lives in cxsim.model.paths (one grammar)


@dataclass(frozen=True)
class InterventionSet:
    """A variant (`cxsim.model.variants.Variant`): some of a scenario's interventions, applied
    together, each a component with its own start and ramp-up, at their costs."""

    indices: tuple[int, ...]
    name: str

    has_cost: ClassVar[bool] = True

    def interventions(self, scenario: Scenario) -> list[Intervention]:
        return [scenario.interventions[i] for i in self.indices]

    def apply(
        self, values: Values, scenario: Scenario, weights: Sequence[float] | None = None
    ) -> Values:
        """Values with each intervention at `weights[k]` of its full effect (default: full)."""
        out = dict(values)
        for k, i in enumerate(self.indices):
            w = 1.0 if weights is None else float(weights[k])
            if w == 0.0:
                continue
            for j, effect in enumerate(scenario.interventions[i].effects):
                amount = np.asarray(
                    values[f"interventions.{i}.effects.{j}.{effect.op}"], dtype=float
                )
                for target in resolve(scenario, effect.path):
                    x = np.asarray(out[target], dtype=float)
                    if effect.op == "scale":
                        out[target] = x * (1.0 - w + w * amount)
                    elif effect.op == "add":
                        out[target] = x + w * amount
                    else:
                        out[target] = (1.0 - w) * x + w * amount
        return out

    def timeline(self, scenario: Scenario) -> list[tuple[float, ...]]:
        """Per period, the share of full effect of each intervention."""
        horizon = scenario.economics.horizon
        per = np.stack([iv.weights(horizon) for iv in self.interventions(scenario)], axis=1)
        return [tuple(float(x) for x in row) for row in per]

    def cost(self, values: Values, scenario: Scenario, active: FloatArray) -> FloatArray:
        """(runs, periods) undiscounted cost; `active` is (runs, periods) customers reached."""
        runs, horizon = active.shape
        total = np.zeros((runs, horizon))
        for i in self.indices:
            iv = scenario.interventions[i]
            on = (np.arange(1, horizon + 1) >= iv.start).astype(float)
            base = f"interventions.{i}.costs"
            one_off = np.asarray(values[f"{base}.one_off"], dtype=float)[:, None]
            per_period = np.asarray(values[f"{base}.per_period"], dtype=float)[:, None]
            per_customer = np.asarray(values[f"{base}.per_customer"], dtype=float)[:, None]
            if iv.start <= horizon:
                total[:, iv.start - 1] += one_off[:, 0]
            total += on * (per_period + per_customer * active)
        return total
