"""Running one world: a scenario's drawn inputs, changed by a variant, through the engine.

Every verb and sweep (`simulate`, `expected`, `compare`, the budget search, tornado, Sobol,
convergence) runs its worlds here, so a variant means the same thing everywhere: its changes
are applied per period as its timeline says (built once per distinct step of a ramp), the
support queue is coupled to each step, and a variant that costs money books its discounted cost
per run and period (`totals["cost"]`, `periods["cost"]`).
"""

from __future__ import annotations

from typing import Any

from cxsim.engine import coupling
from cxsim.engine.recursion import (
    BlockResult,
    ResolutionHook,
    Sampler,
    expected_complaints,
    run_block,
)
from cxsim.model.parameters import Params, Values, build, mean_values
from cxsim.model.scenario import Scenario
from cxsim.model.variants import UNCHANGED, Variant


def support_peak(scenario: Scenario) -> float:
    """First-period contacts reaching agents with inputs at their means (routine contacts,
    complaints and their repeats, less a bot's): sizes the queue's grid of loads."""
    if scenario.support is None:
        return 0.0
    values = mean_values(scenario)
    p = build(scenario, values)
    load = coupling.agent_contacts(values, expected_complaints(p), p.initial.sum(axis=1))
    return float(load[0])


def support_notes(scenario: Scenario, variant: Variant | None = None) -> dict[str, Any] | None:
    """`coupling.notes` for the world of `scenario` changed by `variant` (at full effect),
    inputs at their means; None without a support section."""
    if scenario.support is None:
        return None
    variant = UNCHANGED if variant is None else variant
    values = mean_values(scenario)
    changed = variant.apply(values, scenario, variant.timeline(scenario)[-1])
    p = build(scenario, changed)
    complaints = expected_complaints(p)
    contacts = coupling.agent_contacts(changed, complaints, p.initial.sum(axis=1))
    return coupling.notes(scenario, changed, complaints, support_peak(scenario), contacts)


def run_world(
    scenario: Scenario,
    values: Values,
    variant: Variant | None,
    sampler: Sampler,
    *,
    seed: int = 0,
    peak: float | None = None,
    keep_periods: bool = True,
    replications: int = coupling.REPLICATIONS,
) -> BlockResult:
    """One world: `values` (drawn inputs, one row per run) changed by `variant`, simulated.

    `sampler` draws the customers' randomness (a `RandomSampler`, or a `MeanSampler` for the
    expected-value model); `seed` seeds the support queue's simulation and `peak` sizes its
    grid (default: `support_peak`), simulating each load `replications` times or more
    (`cxsim.engine.coupling`). Without `keep_periods` only totals and attribution are
    kept (and, for a variant with a cost, the revenue and cost per period).
    """
    variant = UNCHANGED if variant is None else variant
    peak = support_peak(scenario) if peak is None else peak
    steps = variant.timeline(scenario)
    keep = keep_periods or variant.has_cost
    if len(set(steps)) == 1:  # the same world every period
        changed = variant.apply(values, scenario, steps[0])
        first = build(scenario, changed)
        hook = coupling.hook(scenario, changed, peak, seed, replications)
        block = run_block(first, sampler, keep_periods=keep, resolution=hook)
    else:
        timeline, hooks = _timeline(scenario, values, variant, steps, peak, seed, replications)
        first = timeline[0]
        block = run_block(first, sampler, keep_periods=keep, resolution=hooks, timeline=timeline)
    if variant.has_cost:
        cost = variant.cost(values, scenario, block.periods["active"]) * first.discount
        block.periods["cost"] = cost
        block.totals["cost"] = cost.sum(axis=1)
        if not keep_periods:
            kept = ("revenue", "cost", "failure_cost", "routine_contacts_cost")
            block.periods = {k: block.periods[k] for k in kept if k in block.periods}
    return block


def _timeline(
    scenario: Scenario,
    values: Values,
    variant: Variant,
    steps: list[tuple[float, ...]],
    peak: float,
    seed: int,
    replications: int,
) -> tuple[list[Params], list[ResolutionHook | None] | None]:
    """Each period's parameters and support hook (each built once per distinct step)."""
    params: dict[tuple[float, ...], Params] = {}
    hooks: dict[tuple[float, ...], ResolutionHook | None] = {}
    for weights in steps:
        if weights not in params:
            changed = variant.apply(values, scenario, weights)
            params[weights] = build(scenario, changed)
            hooks[weights] = coupling.hook(scenario, changed, peak, seed, replications)
    coupled = None if scenario.support is None else [hooks[w] for w in steps]
    return [params[w] for w in steps], coupled
