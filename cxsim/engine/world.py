"""Running one world: a scenario's drawn inputs, changed by a variant, through the engine.

Every verb and sweep (`simulate`, `expected`, `compare`, the budget search, tornado, Sobol,
convergence) runs its worlds here, so a variant means the same thing everywhere: its changes
are applied per period as its timeline says (built once per distinct step of a ramp), the
support queue is coupled to each step, and a variant that costs money books its discounted cost
per run and period (`totals["cost"]`, `periods["cost"]`). `run_variants` runs many variants'
expected-value worlds as the rows of one block (the budget search's subsets), each row as
`run_world` gives it alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from cxsim.engine import coupling
from cxsim.engine.period import expected_complaints
from cxsim.engine.recursion import BlockResult, ResolutionHook, run_block
from cxsim.engine.sampling import MeanSampler, Sampler
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
        _book_cost(block, variant.cost(values, scenario, block.periods["active"]) * first.discount)
    if not keep_periods:
        block.periods = _kept(block.periods)
    return block


def run_variants(
    scenario: Scenario,
    values: Values,
    variants: Sequence[Variant | None],
    *,
    keep_periods: bool = True,
) -> list[BlockResult]:
    """Expected-value worlds of `variants`, all run as the rows of one block.

    Variant k's worlds are rows k x runs to (k + 1) x runs of a single `run_block`; each
    period's parameters are built from every variant's inputs at its own weights then (once per
    distinct combination of steps), so a sweep of many small worlds (the budget search's
    subsets, one row each) pays numpy's per-period overhead once, not once per world. Every row
    comes out as `run_world(scenario, row, variant, MeanSampler())` gives it for that row
    alone, to the bit (`Params.rowwise`). With a support section each world needs its own
    queue (a hook is built for one operation), so the variants are run one at a time.

    The expected-value model only: a Monte Carlo's rows would draw from one stream, where
    variants must see the same random numbers.
    """
    if scenario.support is not None or len(variants) < 2:
        ev = MeanSampler()
        return [run_world(scenario, values, v, ev, keep_periods=keep_periods) for v in variants]
    return _as_rows(
        scenario, values, [UNCHANGED if v is None else v for v in variants], keep_periods
    )


def _as_rows(
    scenario: Scenario, values: Values, variants: list[Variant], keep_periods: bool
) -> list[BlockResult]:
    """`run_variants` without a support section: one block, split into each variant's rows."""
    runs = len(next(iter(values.values())))
    steps = [v.timeline(scenario) for v in variants]
    keep = keep_periods or any(v.has_cost for v in variants)
    applied: dict[tuple[int, tuple[float, ...]], Values] = {}  # each variant's inputs per step
    built: dict[tuple[tuple[float, ...], ...], Params] = {}
    for combination in zip(*steps, strict=True):
        if combination not in built:
            for k, weights in enumerate(combination):
                if (k, weights) not in applied:
                    applied[k, weights] = variants[k].apply(values, scenario, weights)
            changed = [applied[k, w] for k, w in enumerate(combination)]
            built[combination] = replace(build(scenario, _stacked(changed)), rowwise=True)
    timeline = [built[c] for c in zip(*steps, strict=True)]
    block = run_block(timeline[0], MeanSampler(), keep_periods=keep, timeline=timeline)
    out = [_rows(block, slice(k * runs, (k + 1) * runs)) for k in range(len(variants))]
    for variant, world in zip(variants, out, strict=True):
        if variant.has_cost:
            active = world.periods["active"]
            _book_cost(world, variant.cost(values, scenario, active) * timeline[0].discount)
        if not keep_periods:  # as `run_world`: none kept for a variant with no cost
            world.periods = _kept(world.periods) if variant.has_cost else {}
    return out


def _book_cost(block: BlockResult, cost: np.ndarray) -> None:
    """A variant's discounted cost per run and period, and its total per run."""
    block.periods["cost"] = cost
    block.totals["cost"] = cost.sum(axis=1)


def _kept(periods: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The per-period outputs kept without `keep_periods`: those a business case reads."""
    kept = ("revenue", "cost", "failure_cost", "routine_contacts_cost")
    return {k: periods[k] for k in kept if k in periods}


def _stacked(changed: Sequence[Values]) -> Values:
    """Worlds' inputs as rows of one block, world after world."""
    return {
        path: np.concatenate([np.asarray(c[path], dtype=float) for c in changed])
        for path in changed[0]
    }


def _rows(block: BlockResult, rows: slice) -> BlockResult:
    """The runs `rows` of a block, as a block of their own."""
    return BlockResult(
        attribution=block.attribution[rows],
        totals={k: v[rows] for k, v in block.totals.items()},
        periods={k: v[rows] for k, v in block.periods.items()},
        costs=None if block.costs is None else block.costs[rows],
    )


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
