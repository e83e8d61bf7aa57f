"""The verbs: `simulate` (Monte Carlo) and `expected` (the expected-value model).

Runs are cut into fixed chunks of `CHUNK` runs. Chunk k draws from child k of
`SeedSequence(seed)`, so a seed gives the same numbers whatever the number of workers or how
chunks are grouped into tasks; the first runs of a longer simulation are the runs of a shorter one
(at chunk boundaries). A `Variant` changes the drawn inputs (an intervention, a sensitivity
swing) and is applied after drawing, so a scenario and its variants see the same draws.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

import numpy as np

from cxsim import coupling
from cxsim.engine import (
    FIRST_TOUCHPOINT_SLOT,
    BlockResult,
    MeanSampler,
    RandomSampler,
    ResolutionHook,
    expected_complaints,
    run_block,
)
from cxsim.interventions import InterventionSet
from cxsim.loader import Source
from cxsim.parameters import Params, Values, build, draw_values, mean_values
from cxsim.results import Results
from cxsim.scenario import Scenario

CHUNK = 256


class Variant(Protocol):
    """A change to a scenario's drawn inputs (picklable, for worker processes)."""

    def apply(self, values: Values, scenario: Scenario) -> Values: ...


def new_seed() -> int:
    """A fresh seed, recorded in the results so the run can be repeated."""
    return int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]


def chunks(runs: int) -> list[tuple[int, int]]:
    """(index, size) of every chunk for `runs` runs."""
    return [(k, min(CHUNK, runs - k * CHUNK)) for k in range(math.ceil(runs / CHUNK))]


def run_chunk(
    scenario: Scenario,
    seed: int,
    index: int,
    size: int,
    variants: Sequence[Variant | None] = (None,),
    keep_periods: bool = True,
) -> list[BlockResult]:
    """One chunk of runs, for the baseline and each variant, on the same random numbers."""
    n_slots = FIRST_TOUCHPOINT_SLOT + len(scenario.touchpoints())
    # Chunk `index` owns the keys (index, 0..2): its inputs, its customers, its interventions.
    param_seed, engine_seed, intervention_seed = (
        np.random.SeedSequence(seed, spawn_key=(index, i)) for i in range(3)
    )
    base_values = draw_values(
        scenario, size, np.random.default_rng(param_seed), np.random.default_rng(intervention_seed)
    )
    peak = support_peak(scenario)
    out = []
    for variant in variants:
        sampler = RandomSampler(engine_seed, n_slots)
        if isinstance(variant, InterventionSet):
            timeline = timeline_params(scenario, base_values, variant)
            resolution = support_hooks(scenario, base_values, variant, peak, seed)
            block = run_block(
                timeline[0], sampler, keep_periods=True, resolution=resolution, timeline=timeline
            )
            cost = (
                variant.cost(base_values, scenario, block.periods["active"]) * timeline[0].discount
            )
            block.periods["cost"] = cost
            block.totals["cost"] = cost.sum(axis=1)
            if not keep_periods:
                block.periods = {k: block.periods[k] for k in ("revenue", "cost")}
        else:
            values = base_values if variant is None else variant.apply(dict(base_values), scenario)
            resolution = coupling.hook(scenario, values, peak, seed)
            block = run_block(
                build(scenario, values), sampler, keep_periods=keep_periods, resolution=resolution
            )
        out.append(block)
    return out


def support_peak(scenario: Scenario) -> float:
    """First-period complaints with inputs at their means: sizes the queue's grid of loads."""
    if scenario.support is None:
        return 0.0
    return float(expected_complaints(build(scenario, mean_values(scenario)))[0])


def support_hooks(
    scenario: Scenario, values: Values, variant: InterventionSet, peak: float, seed: int
) -> list[ResolutionHook | None] | None:
    """Each period's support hook under ramping interventions (one queue grid per stage)."""
    if scenario.support is None:
        return None
    cache: dict[tuple[float, ...], ResolutionHook | None] = {}
    hooks = []
    for weights in variant.timeline(scenario):
        if weights not in cache:
            changed = variant.apply(values, scenario, weights)
            cache[weights] = coupling.hook(scenario, changed, peak, seed)
        hooks.append(cache[weights])
    return hooks


def timeline_params(scenario: Scenario, values: Values, variant: InterventionSet) -> list[Params]:
    """Each period's parameters under a set of interventions (built once per distinct ramp)."""
    cache: dict[tuple[float, ...], Params] = {}
    timeline = []
    for weights in variant.timeline(scenario):
        if weights not in cache:
            cache[weights] = build(scenario, variant.apply(values, scenario, weights))
        timeline.append(cache[weights])
    return timeline


def _run_task(args: tuple[Any, ...]) -> list[list[BlockResult]]:
    scenario, seed, batch, variants, keep_periods = args
    return [run_chunk(scenario, seed, k, n, variants, keep_periods) for k, n in batch]


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_chunks(
    scenario: Scenario,
    runs: int,
    seed: int,
    variants: Sequence[Variant | None] = (None,),
    workers: int | None = None,
    keep_periods: bool = True,
    progress: Callable[[int], None] | None = None,
) -> list[list[BlockResult]]:
    """All chunks; returns, per variant, the chunks' block results in order."""
    todo = chunks(runs)
    n_workers = max(1, min(workers or default_workers(), len(todo)))
    per_chunk: list[list[BlockResult]] = []
    if n_workers == 1:
        for k, n in todo:
            per_chunk.append(run_chunk(scenario, seed, k, n, variants, keep_periods))
            if progress:
                progress(n)
    else:
        batches = [todo[i : i + 1] for i in range(len(todo))]
        ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
            tasks = ((scenario, seed, b, list(variants), keep_periods) for b in batches)
            for batch, result in zip(batches, pool.map(_run_task, tasks), strict=True):
                per_chunk.extend(result)
                if progress:
                    progress(sum(n for _, n in batch))
    return [[chunk[v] for chunk in per_chunk] for v in range(len(variants))]


def combine(blocks: Sequence[BlockResult]) -> BlockResult:
    """Concatenate blocks along the runs axis."""
    return BlockResult(
        attribution=np.concatenate([b.attribution for b in blocks]),
        totals={k: np.concatenate([b.totals[k] for b in blocks]) for k in blocks[0].totals},
        periods={k: np.concatenate([b.periods[k] for b in blocks]) for k in blocks[0].periods},
    )


def simulate(
    scenario: Scenario,
    runs: int = 1000,
    seed: int | None = None,
    *,
    workers: int | None = 1,
    keep_periods: bool = True,
    variant: Variant | None = None,
    source: Source | None = None,
    progress: Callable[[int], None] | None = None,
) -> Results:
    """Monte Carlo: `runs` runs of the scenario (optionally changed by `variant`)."""
    if runs < 1:
        raise ValueError('"runs" must be at least 1.')
    seed = new_seed() if seed is None else int(seed)
    (blocks,) = run_chunks(scenario, runs, seed, (variant,), workers, keep_periods, progress)
    return Results.from_block(
        scenario, combine(blocks), runs=runs, seed=seed, kind="monte carlo", source=source
    )


def expected(
    scenario: Scenario, *, variant: Variant | None = None, source: Source | None = None
) -> Results:
    """The expected-value model: every uncertain input at its mean, every draw its expectation."""
    values = mean_values(scenario)
    peak = support_peak(scenario)
    if isinstance(variant, InterventionSet):
        timeline = timeline_params(scenario, values, variant)
        resolution = support_hooks(scenario, values, variant, peak, 0)
        block = run_block(timeline[0], MeanSampler(), resolution=resolution, timeline=timeline)
        cost = variant.cost(values, scenario, block.periods["active"]) * timeline[0].discount
        block.periods["cost"] = cost
        block.totals["cost"] = cost.sum(axis=1)
    else:
        if variant is not None:
            values = variant.apply(values, scenario)
        resolution = coupling.hook(scenario, values, peak, 0)
        block = run_block(build(scenario, values), MeanSampler(), resolution=resolution)
    return Results.from_block(scenario, block, runs=1, seed=None, kind="expected", source=source)
