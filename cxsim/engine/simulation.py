"""The verbs: `simulate` (Monte Carlo), `summarise` (its statistics in bounded memory) and
`expected` (the expected-value model).

Where their runs go (this process, local processes, Dask) and how seeds are laid out over
chunks of runs is `cxsim.engine.execution`'s business; how one world is run is
`cxsim.engine.world`'s. A `variant` (`cxsim.model.variants.Variant`: what-if changes, a set of
interventions) changes the drawn inputs, so a scenario and its variants see the same draws.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator

from cxsim.engine.execution import Scheduler, combine, iter_chunks, new_seed, run_chunks
from cxsim.engine.results import Results
from cxsim.engine.sampling import MeanSampler
from cxsim.engine.summary import SKETCH_CAPACITY, ChunkSummary, Summary, summarise_chunk
from cxsim.engine.variance import check_sampling, control_terms, controlled_estimates
from cxsim.engine.world import run_world, support_notes
from cxsim.model.loader import Source, scenario_and_source
from cxsim.model.parameters import DEFAULT_SAMPLING, mean_values
from cxsim.model.scenario import Scenario
from cxsim.model.variants import Variant

__all__ = ["Scheduler", "expected", "simulate", "summarise"]


def _check_runs(runs: int) -> None:
    if runs < 1:
        raise ValueError('"runs" must be at least 1.')


def simulate(
    scenario: Scenario | str | os.PathLike[str],
    runs: int = 1000,
    seed: int | None = None,
    *,
    workers: int | None = 1,
    keep_periods: bool = True,
    variant: Variant | None = None,
    source: Source | None = None,
    progress: Callable[[int], None] | None = None,
    scheduler: Scheduler = None,
    block: int | None = None,
    sampling: str = DEFAULT_SAMPLING,
    control_variate: bool = False,
) -> Results:
    """Monte Carlo: `runs` runs of the scenario (optionally changed by `variant`).

    `workers` local processes (None: all cores) or a Dask `scheduler` (see the module's notes)
    run blocks of `block` runs each; the numbers are the same for a seed whichever is used.
    `keep_periods=False` keeps no (runs, periods) arrays, only totals and attribution; for
    statistics of very many runs without keeping any run, use `summarise`. `sampling` lays out
    each chunk's input draws ("random", "lhs", "sobol") and `control_variate` adjusts the
    totals' means by each run's expected-value model; see `cxsim.engine.variance`. `scenario`
    may be the path of a scenario file.
    """
    scenario, source = scenario_and_source(scenario, source)
    _check_runs(runs)
    check_sampling(sampling)
    seed = new_seed() if seed is None else int(seed)
    (blocks,) = run_chunks(
        scenario,
        runs,
        seed,
        (variant,),
        workers,
        keep_periods,
        progress,
        scheduler=scheduler,
        block=block,
        sampling=sampling,
    )
    block_result = combine(blocks)
    controlled = None
    if control_variate:
        terms = control_terms(scenario, runs, seed, (variant,), sampling)
        controlled = controlled_estimates(
            block_result.totals, terms, 0, sampling, scenario.support is not None
        )
    results = Results.from_block(
        scenario,
        block_result,
        runs=runs,
        seed=seed,
        kind="monte carlo",
        source=source,
        sampling=sampling,
        controlled=controlled,
    )
    return dataclasses.replace(results, support_notes=support_notes(scenario, variant))


def summarise(
    scenario: Scenario | str | os.PathLike[str],
    runs: int = 100_000,
    seed: int | None = None,
    *,
    workers: int | None = 1,
    variant: Variant | None = None,
    source: Source | None = None,
    progress: Callable[[int], None] | None = None,
    scheduler: Scheduler = None,
    block: int | None = None,
    capacity: int = SKETCH_CAPACITY,
    sampling: str = DEFAULT_SAMPLING,
) -> Summary:
    """The statistics of `simulate` (same seed, same runs) in memory that does not grow with runs.

    Each chunk is reduced where it is computed; the chunks are folded in order into moments
    (exact) and quantile sketches (exact up to `capacity` runs, within a small rank error
    beyond; see `cxsim.engine.summary`). Means, standard errors, percentiles, attribution and
    per-period means are answered; per-run values are not kept. With `sampling` other than
    "random" the standard errors are the naive ones (conservative; see `cxsim.engine.variance`).
    """
    scenario, source = scenario_and_source(scenario, source)
    _check_runs(runs)
    check_sampling(sampling)
    seed = new_seed() if seed is None else int(seed)

    def parts() -> Iterator[ChunkSummary]:
        for size, part in iter_chunks(
            scenario,
            runs,
            seed,
            (variant,),
            workers=workers,
            scheduler=scheduler,
            keep_periods=True,
            block=block,
            reduce=summarise_chunk,
            sampling=sampling,
        ):
            if progress:
                progress(size)
            yield part

    summary = Summary.fold(scenario, parts(), seed=seed, source=source, capacity=capacity)
    return dataclasses.replace(summary, sampling=sampling)


def expected(
    scenario: Scenario | str | os.PathLike[str],
    *,
    variant: Variant | None = None,
    source: Source | None = None,
) -> Results:
    """The expected-value model: every uncertain input at its mean, every draw its expectation."""
    scenario, source = scenario_and_source(scenario, source)
    block = run_world(scenario, mean_values(scenario), variant, MeanSampler())
    results = Results.from_block(scenario, block, runs=1, seed=None, kind="expected", source=source)
    return dataclasses.replace(results, support_notes=support_notes(scenario, variant))
