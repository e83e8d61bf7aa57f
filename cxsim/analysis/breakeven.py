"""Break-even, "what must be true": the weakest effect and the highest cost at which it pays.

For one intervention, each effect in turn is pinned at a value (the other effects and every
other input at their distributions) and moved along the line from no effect (scale 1, add 0)
through its mean; the weakest value at which the intervention pays with at least the target
probability is found by bisection on common random numbers, so the probability is a monotone
function of the effect, up to the customers' own randomness, which the common numbers hold
fixed. The highest cost is read off the runs directly: the intervention pays in a run when its
loss avoided exceeds `c` times its cost, so the largest cost multiple `c` with P(pays) at least
the target is the (1 - target) quantile of loss avoided over cost.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxsim.analysis.business_case import business_case
from cxsim.analysis.portfolio import distinct_names
from cxsim.analysis.valuation import for_business_case
from cxsim.engine.execution import Scheduler, combine, new_seed, run_chunks
from cxsim.errors import UserError
from cxsim.formatting.money import format_money
from cxsim.model.interventions import InterventionSet
from cxsim.model.loader import Source, scenario_and_source
from cxsim.model.parameters import Values, iter_inputs
from cxsim.model.scenario import Scenario
from cxsim.protocol import Result

FloatArray = NDArray[np.float64]
#: How far past the mean effect the search looks (in multiples of the mean effect).
MAX_MULTIPLE = 16.0


@dataclass(frozen=True)
class Pinned:
    """An intervention set with some drawn inputs pinned at fixed values (a `Variant`)."""

    base: InterventionSet
    pins: tuple[tuple[str, float], ...]
    name: str = "pinned"

    has_cost: ClassVar[bool] = True

    def _pinned(self, values: Values) -> Values:
        out = dict(values)
        for key, x in self.pins:
            out[key] = np.full_like(np.asarray(values[key], dtype=float), x)
        return out

    def apply(
        self, values: Values, scenario: Scenario, weights: Sequence[float] | None = None
    ) -> Values:
        return self.base.apply(self._pinned(values), scenario, weights)

    def timeline(self, scenario: Scenario) -> list[tuple[float, ...]]:
        return self.base.timeline(scenario)

    def cost(self, values: Values, scenario: Scenario, active: FloatArray) -> FloatArray:
        return self.base.cost(self._pinned(values), scenario, active)


@dataclass(frozen=True, repr=False)
class BreakEven(Result):
    """What must be true for an intervention to pay with at least `target` probability."""

    scenario: Scenario
    intervention: str
    target: float
    p_pays: float  # at the effects' and costs' distributions
    cost_mean: float
    cost_multiple: float  # the largest multiple of the cost at which it still pays
    effects: pd.DataFrame  # per effect: path, op, mean, no_effect, break_even, multiple
    runs: int
    seed: int

    kind: ClassVar[str] = "breakeven"

    def to_frame(self) -> pd.DataFrame:
        return self.effects.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "scenario": self.scenario.name,
            "intervention": self.intervention,
            "target": self.target,
            "p_pays": self.p_pays,
            "cost": {
                "mean": self.cost_mean,
                "largest_multiple": self.cost_multiple,
                "largest_mean": self.cost_mean * self.cost_multiple,
            },
            "effects": self.effects.reset_index().to_dict(orient="records"),
            "runs": self.runs,
            "seed": self.seed,
        }

    def text(self) -> str:
        sc = self.scenario
        money = lambda v: format_money(v, sc.economics.currency, language=sc.language)  # noqa: E731
        lines = [
            f"{sc.name}: what must be true for {self.intervention!r} to pay with "
            f"P >= {self.target:.0%} ({self.runs:,} runs; now P(pays) {self.p_pays:.0%})",
            f"  cost: at most {money(self.cost_mean * self.cost_multiple)} "
            f"({self.cost_multiple:.2f} x the expected {money(self.cost_mean)})",
        ]
        for path, row in self.effects.iterrows():
            at = (
                "not within the search"
                if not np.isfinite(row["break_even"])
                else f"{row['op']} {row['break_even']:.4g} (mean {row['mean']:.4g}, "
                f"{row['multiple']:.0%} of the mean effect)"
            )
            lines.append(f"  effect on {path}: {at}")
        return "\n".join(lines) + "\n"


class _Runner:
    """The baseline run once; variants on the same numbers, their P(pays) and business case."""

    def __init__(
        self, scenario: Scenario, runs: int, seed: int, workers: int | None, scheduler: Scheduler
    ) -> None:
        self.run = functools.partial(
            run_chunks,
            scenario,
            runs,
            seed,
            workers=workers,
            scheduler=scheduler,
            keep_periods=False,
        )
        (blocks,) = self.run([None])
        self.base = combine(blocks)

    def case(self, variant: Any) -> Any:
        (blocks,) = self.run([variant])
        return business_case(self.base, combine(blocks), payback=False)


def bisect_threshold(
    p: Any, target: float, *, hi: float = 1.0, limit: float = MAX_MULTIPLE, tol: float = 1e-4
) -> float:
    """The smallest k in (0, limit] with p(k) >= target, for p non-decreasing in k (inf if none).

    p(0) is taken to be below the target (no effect); `hi` is doubled until p(hi) reaches it.
    """
    while p(hi) < target:
        if hi >= limit:
            return float("inf")
        hi = min(2.0 * hi, limit)
    lo = 0.0
    while hi - lo > tol * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if p(mid) >= target else (mid, hi)
    return hi


def breakeven(
    scenario: Scenario | str | os.PathLike[str],
    intervention: str,
    target: float = 0.8,
    *,
    runs: int = 500,
    seed: int | None = None,
    tol: float = 1e-3,
    workers: int | None = 1,
    scheduler: Scheduler = None,
    source: Source | None = None,
) -> BreakEven:
    """The weakest value of each effect and the highest cost at which `intervention` pays.

    "Pays" is NPV above zero on a run; the target is the share of runs in which it must. Effects
    that set a value (`set`) have no "no effect" point and are not searched.
    """
    scenario, _ = scenario_and_source(scenario, source)
    scenario = for_business_case(scenario)
    if not 0.0 < target < 1.0:
        raise UserError(f"the target probability must be between 0 and 1, got {target}")
    known = [iv.name for iv in scenario.interventions]
    (name,) = distinct_names([intervention], known)
    i = known.index(name)
    seed = new_seed() if seed is None else int(seed)
    chosen = InterventionSet((i,), name)
    runner = _Runner(scenario, runs, seed, workers, scheduler)
    case = runner.case(chosen)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(case.cost > 0, case.loss_avoided / case.cost, np.inf)
    multiple = float(np.quantile(ratio, 1.0 - target, method="inverted_cdf"))
    means = dict((p, d.mean()) for p, d in iter_inputs(scenario))
    rows = []
    for j, effect in enumerate(scenario.interventions[i].effects):
        key = f"interventions.{i}.effects.{j}.{effect.op}"
        mean = float(means[key])
        row = {"path": effect.path, "op": effect.op, "mean": mean}
        if effect.op == "set":
            rows.append({**row, "no_effect": np.nan, "break_even": np.nan, "multiple": np.nan})
            continue
        x0 = 1.0 if effect.op == "scale" else 0.0

        def p(k: float, key: str = key, x0: float = x0, mean: float = mean) -> float:
            return runner.case(Pinned(chosen, ((key, x0 + k * (mean - x0)),))).p_pays

        k = bisect_threshold(p, target, tol=tol) if mean != x0 else float("inf")
        rows.append({**row, "no_effect": x0, "break_even": x0 + k * (mean - x0), "multiple": k})
    return BreakEven(
        scenario=scenario,
        intervention=name,
        target=target,
        p_pays=case.p_pays,
        cost_mean=float(case.cost.mean()),
        cost_multiple=multiple,
        effects=pd.DataFrame(rows).set_index("path"),
        runs=runs,
        seed=seed,
    )
