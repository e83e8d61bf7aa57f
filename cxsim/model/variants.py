"""Changes to a scenario's drawn inputs, by path: the common currency of what-ifs.

A `Changes` variant sets, scales or adds to inputs after they are drawn, so the changed scenario
sees the same random numbers as the original (common random numbers). Paths are those of
`cxsim.model.paths`, as in interventions and `cxsim.modify`: list elements by name, index, `*`
or a filter, `**` for any depth (`journey.stages[*].touchpoints[*].failure_rate` is every
failure rate, per-segment ones included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from cxsim.model.parameters import Values, iter_inputs
from cxsim.model.paths import resolve
from cxsim.model.scenario import Scenario

Op = Literal["set", "scale", "add"]
ALL_FAILURES = "journey.stages[*].touchpoints[*].failure_rate"


@dataclass(frozen=True)
class Change:
    path: str
    op: Op
    value: float
    weight: float = 1.0  # share of the full effect (ramp-ups)

    def apply_to(self, x: np.ndarray) -> np.ndarray:
        w = self.weight
        if self.op == "set":
            return (1 - w) * x + w * self.value
        if self.op == "scale":
            return x * (1 - w + w * self.value)
        return x + w * self.value


@dataclass(frozen=True)
class Changes:
    """A variant: changes applied in order; `at_means` first puts every input at its mean."""

    changes: tuple[Change, ...] = ()
    at_means: bool = False
    name: str = field(default="", compare=False)

    def apply(self, values: Values, scenario: Scenario) -> Values:
        out = dict(values)
        if self.at_means:
            for path, dist in iter_inputs(scenario):
                out[path] = np.full_like(np.asarray(out[path], dtype=float), dist.mean())
        for change in self.changes:
            hits = [p for p in resolve(scenario, change.path) if p in out]
            if not hits:
                raise KeyError(f"no input matches {change.path!r}")
            for p in hits:
                out[p] = change.apply_to(np.asarray(out[p], dtype=float))
        return out


AT_MEANS = Changes(at_means=True, name="inputs at their means")
NO_FAILURES = Changes((Change(ALL_FAILURES, "set", 0.0),), name="no failures")
