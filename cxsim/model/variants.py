"""Variants: changes to a scenario's drawn inputs, with a timeline and a cost.

A variant is what turns one world into another on the same random numbers (common random
numbers): it changes inputs after they are drawn, so the changed world sees the draws of the
original. Every variant speaks `Variant`: `apply` the change (at a share of its full effect per
component), its `timeline` (per period, the share of each component's effect: ramp-ups) and its
`cost`. `cxsim.engine.world.run_world` runs any of them.

`Changes`, the common currency of what-ifs, sets, scales or adds to inputs by path, at full
effect from the first period and at no cost. Paths are those of `cxsim.model.paths`, as in
interventions and `cxsim.modify`: list elements by name, index, `*` or a filter, `**` for any
depth (`journey.stages[*].touchpoints[*].failure_rate` is every failure rate, per-segment ones
included). Intervention sets (`cxsim.model.interventions.InterventionSet`) ramp up and cost
money; `Then` swings inputs before another variant acts (a tornado's setting under an
intervention).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from cxsim.model.parameters import Values
from cxsim.model.paths import iter_inputs, resolve
from cxsim.model.scenario import Scenario

FloatArray = NDArray[np.float64]
Op = Literal["set", "scale", "add"]
ALL_FAILURES = "journey.stages[*].touchpoints[*].failure_rate"


class Variant(Protocol):
    """A change to a scenario's drawn inputs, with a timeline and a cost (picklable).

    `has_cost` says whether the variant's worlds book a cost (and so keep the customers per
    period it is priced on); a variant that costs nothing records none.
    """

    @property
    def name(self) -> str: ...

    @property
    def has_cost(self) -> bool: ...

    def apply(
        self, values: Values, scenario: Scenario, weights: Sequence[float] | None = None
    ) -> Values:
        """`values` changed, each component at `weights[k]` of its full effect (default: full)."""
        ...

    def timeline(self, scenario: Scenario) -> list[tuple[float, ...]]:
        """Per period of the horizon, the share of full effect of each component."""
        ...

    def cost(self, values: Values, scenario: Scenario, active: FloatArray) -> FloatArray:
        """(runs, periods) undiscounted cost; `active` is (runs, periods) customers reached."""
        ...


def full_effect(scenario: Scenario, components: int = 1) -> list[tuple[float, ...]]:
    """A timeline at full effect in every period."""
    return [(1.0,) * components] * scenario.economics.horizon


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
    """A variant: changes applied in order; `at_means` first puts every input at its mean.

    One component, at full effect from the first period, at no cost.
    """

    changes: tuple[Change, ...] = ()
    at_means: bool = False
    name: str = field(default="", compare=False)

    has_cost = False

    def apply(
        self, values: Values, scenario: Scenario, weights: Sequence[float] | None = None
    ) -> Values:
        out = dict(values)
        if self.at_means:
            for path, dist in iter_inputs(scenario):
                out[path] = np.full_like(np.asarray(out[path], dtype=float), dist.mean())
        for change in self._weighted(weights):
            hits = [p for p in resolve(scenario, change.path) if p in out]
            if not hits:
                raise KeyError(f"no input matches {change.path!r}")
            for p in hits:
                out[p] = change.apply_to(np.asarray(out[p], dtype=float))
        return out

    def _weighted(self, weights: Sequence[float] | None) -> Iterator[Change]:
        """The changes at the share `weights[0]` of their effect (unchanged at full effect)."""
        w = 1.0 if weights is None else float(weights[0])
        for change in self.changes:
            yield change if w == 1.0 else dataclasses.replace(change, weight=change.weight * w)

    def timeline(self, scenario: Scenario) -> list[tuple[float, ...]]:
        return full_effect(scenario)

    def cost(self, values: Values, scenario: Scenario, active: FloatArray) -> FloatArray:
        return np.zeros(active.shape)


@dataclass(frozen=True)
class Then:
    """`first`'s changes, then `variant` acting on the changed inputs, with its timeline and cost.

    A tornado swings an input (`first`) and asks what an intervention (`variant`) is worth there.
    """

    first: Changes
    variant: Variant
    name: str = field(default="", compare=False)

    @property
    def has_cost(self) -> bool:
        return self.variant.has_cost

    def apply(
        self, values: Values, scenario: Scenario, weights: Sequence[float] | None = None
    ) -> Values:
        return self.variant.apply(self.first.apply(values, scenario), scenario, weights)

    def timeline(self, scenario: Scenario) -> list[tuple[float, ...]]:
        return self.variant.timeline(scenario)

    def cost(self, values: Values, scenario: Scenario, active: FloatArray) -> FloatArray:
        return self.variant.cost(self.first.apply(values, scenario), scenario, active)


UNCHANGED = Changes(name="as it is")
AT_MEANS = Changes(at_means=True, name="inputs at their means")
NO_FAILURES = Changes((Change(ALL_FAILURES, "set", 0.0),), name="no failures")
