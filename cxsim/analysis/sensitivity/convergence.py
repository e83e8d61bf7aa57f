"""Convergence: Monte Carlo runs added chunk by chunk until the mean is known well enough."""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from cxsim.analysis.sensitivity.common import (
    SensitivityWarning,
    checked_output,
    chosen_intervention,
    formatter,
    plain,
    run_output,
)
from cxsim.engine.execution import (
    Scheduler,
    chunks,
    combine,
    default_workers,
    iter_chunks,
    new_seed,
)
from cxsim.engine.recursion import BlockResult
from cxsim.engine.results import Results
from cxsim.errors import UserError
from cxsim.model.interventions import InterventionSet
from cxsim.model.loader import Source, as_scenario, scenario_and_source
from cxsim.model.scenario import Scenario
from cxsim.protocol import Result


@dataclass(frozen=True, repr=False)
class Convergence(Result):
    """How the Monte Carlo estimate of the mean and its interval settle as runs are added.

    `trajectory` has one row per chunk: `runs`, `mean`, `half_width` (of the `confidence`
    interval of the mean) and `relative` (half-width over |mean|).
    """

    output: str
    precision: float
    confidence: float
    seed: int
    runs: int
    converged: bool
    trajectory: pd.DataFrame
    scenario: Scenario | None = None
    intervention: str | None = None

    kind: ClassVar[str] = "convergence"

    @property
    def mean(self) -> float:
        return float(self.trajectory["mean"].iloc[-1])

    @property
    def half_width(self) -> float:
        return float(self.trajectory["half_width"].iloc[-1])

    @property
    def warnings(self) -> tuple[str, ...]:
        if self.converged:
            return ()
        return (
            f"{self.output}: the {self.confidence:.0%} interval is "
            f"±{self.trajectory['relative'].iloc[-1]:.2%} of the mean after {self.runs:,} runs, "
            f"short of ±{self.precision:.2%}; raise max_runs",
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per chunk: runs so far, mean, half-width and relative half-width."""
        return self.trajectory.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "scenario": self.scenario.name if self.scenario else None,
            "method": "convergence",
            "output": self.output,
            "intervention": self.intervention,
            "precision": self.precision,
            "confidence": self.confidence,
            "seed": self.seed,
            "runs": self.runs,
            "converged": self.converged,
            "mean": self.mean,
            "half_width": self.half_width,
            "trajectory": [
                {k: plain(v) if k != "runs" else int(v) for k, v in row.items()}
                for row in self.trajectory.to_dict("records")
            ],
        }

    def __repr__(self) -> str:
        state = "reached" if self.converged else "did not reach"
        return (
            f"<Convergence {self.output}: {state} ±{self.precision:.2%} after {self.runs:,} runs "
            f"(mean {self.mean:,.6g} ± {self.half_width:,.3g})>"
        )

    def text(self) -> str:
        """The trajectory at 1, 2, 4, ... chunks and whether the precision was reached."""
        sc = self.scenario
        cur, lang = (sc.economics.currency, sc.language) if sc else ("USD", "en")
        fmt = formatter(self.output, cur, lang)
        what = self.output + (f" of {self.intervention!r}" if self.intervention else "")
        lines = [
            f"{sc.name + ': ' if sc else ''}convergence of the mean {what} "
            f"(seed {self.seed}, {self.confidence:.0%} interval)",
            "",
            f"{'runs':>9}  {'mean':>12}  {'± half-width':>12}  {'relative':>9}",
        ]
        t = self.trajectory
        shown = {len(t) - 1} | {i for i in range(len(t)) if (i + 1) & i == 0}  # 1, 2, 4, 8 chunks
        for i in sorted(shown):
            r = t.iloc[i]
            lines.append(
                f"{int(r['runs']):>9,}  {fmt(r['mean']):>12}  {fmt(r['half_width']):>12}  "
                f"{r['relative']:>9.2%}"
            )
        lines.append("")
        if self.converged:
            lines.append(
                f"reached ±{self.precision:.2%} of the mean after {self.runs:,} runs: "
                f"{fmt(self.mean)} ± {fmt(self.half_width)}"
            )
        else:
            lines.append(
                f"did NOT reach ±{self.precision:.2%} within {self.runs:,} runs "
                f"(now ±{t['relative'].iloc[-1]:.2%}); raise --max-runs"
            )
        return "\n".join(lines) + "\n"


def _converge(
    scenario: Scenario,
    output: str,
    chosen: InterventionSet | None,
    precision: float,
    confidence: float,
    seed: int,
    max_runs: int,
    min_runs: int,
    workers: int | None,
    keep_periods: bool,
    progress: Callable[[int], None] | None = None,
    scheduler: Scheduler = None,
) -> tuple[pd.DataFrame, bool, list[list[BlockResult]]]:
    """Chunks in order until the interval is narrow enough: the trajectory, whether it got
    there, and the blocks run (per variant). At most one chunk per worker is computed ahead."""
    if precision <= 0:
        raise UserError(f'"precision" must be > 0, got {precision:g}')
    if not 0 < confidence < 1:
        raise UserError(f'"confidence" must lie between 0 and 1, got {confidence:g}')
    if max_runs < 2:
        raise UserError('"max_runs" must be at least 2')
    variants: list[Any] = [None] if chosen is None else [None, chosen]
    n_workers = max(1, min(workers or default_workers(), len(chunks(max_runs))))
    kept: list[list[BlockResult]] = [[] for _ in variants]
    n = 0
    total = 0.0
    total_sq = 0.0
    rows: list[dict[str, float]] = []
    converged = False
    stream = iter_chunks(
        scenario,
        max_runs,
        seed,
        variants,
        workers=n_workers,
        scheduler=scheduler,
        keep_periods=keep_periods,
        window=n_workers,
    )
    with contextlib.closing(stream):
        for size, blocks in stream:
            y = run_output(output, blocks[0], blocks[1] if chosen is not None else None)
            for v, block in enumerate(blocks):
                kept[v].append(block)
            # Running sums, shifted by the first chunk's mean against cancellation.
            shift = rows[0]["mean"] if rows else float(np.mean(y))
            n += size
            total += float(np.sum(y - shift))
            total_sq += float(np.sum((y - shift) ** 2))
            mean = shift + total / n
            var = max(0.0, (total_sq - total**2 / n) / (n - 1)) if n > 1 else math.inf
            half = (
                float(stats.t.ppf(0.5 + confidence / 2, n - 1) * math.sqrt(var / n))
                if n > 1
                else math.inf
            )
            rows.append(
                {"runs": n, "mean": mean, "half_width": half, "relative": _relative(half, mean)}
            )
            if progress:
                progress(size)
            if n >= min_runs and half <= precision * abs(mean):
                converged = True
                break
    frame = pd.DataFrame(rows, columns=["runs", "mean", "half_width", "relative"])
    return frame, converged, kept


def _relative(half: float, mean: float) -> float:
    return half / abs(mean) if mean != 0 else (0.0 if half == 0 else math.inf)


def convergence(
    scenario: Scenario | str | os.PathLike[str],
    output: str | None = None,
    *,
    intervention: str | None = None,
    precision: float = 0.01,
    confidence: float = 0.95,
    seed: int | None = None,
    max_runs: int = 100_000,
    min_runs: int = 512,
    workers: int | None = 1,
    scheduler: Scheduler = None,
    progress: Callable[[int], None] | None = None,
) -> Convergence:
    """Add chunks of runs until the `confidence` interval's half-width is within `precision`
    of |mean| (and at least `min_runs` have run), or `max_runs` is reached.

    The interval is Student's t on the runs so far. Checking after every chunk is a sequential
    test, so the stated precision holds approximately; `min_runs` keeps an early, lucky estimate
    of the spread from stopping it. A run that stops short of the precision warns. `workers`
    and `scheduler` say where the chunks run, as in `cxsim.simulate`; `progress` is called
    with the runs done after each chunk.
    """
    scenario = as_scenario(scenario)
    chosen = chosen_intervention(scenario, intervention)
    output = checked_output(output, chosen)
    seed = new_seed() if seed is None else int(seed)
    frame, converged, _ = _converge(
        scenario,
        output,
        chosen,
        precision,
        confidence,
        seed,
        max_runs,
        min_runs,
        workers,
        keep_periods=False,
        scheduler=scheduler,
        progress=progress,
    )
    result = Convergence(
        output=output,
        precision=precision,
        confidence=confidence,
        seed=seed,
        runs=int(frame["runs"].iloc[-1]),
        converged=converged,
        trajectory=frame,
        scenario=scenario,
        intervention=intervention,
    )
    for problem in result.warnings:
        warnings.warn(problem, SensitivityWarning, stacklevel=2)
    return result


def run_to_precision(
    scenario: Scenario | str | os.PathLike[str],
    precision: float = 0.01,
    *,
    output: str = "lost_revenue",
    seed: int | None = None,
    max_runs: int = 100_000,
    min_runs: int = 512,
    confidence: float = 0.95,
    workers: int | None = 1,
    source: Source | None = None,
    progress: Callable[[int], None] | None = None,
    scheduler: Scheduler = None,
) -> tuple[Results, Convergence]:
    """`simulate`, running until the mean `output` is known to within `precision` (relative).

    Returns the results of all the runs it took, which equal `simulate(scenario, runs, seed)`
    for that number of runs (wherever `workers` and `scheduler` put them), and the convergence
    record.
    """
    scenario, source = scenario_and_source(scenario, source)
    output = checked_output(output, None)
    seed = new_seed() if seed is None else int(seed)
    frame, converged, kept = _converge(
        scenario,
        output,
        None,
        precision,
        confidence,
        seed,
        max_runs,
        min_runs,
        workers,
        keep_periods=True,
        progress=progress,
        scheduler=scheduler,
    )
    runs = int(frame["runs"].iloc[-1])
    results = Results.from_block(
        scenario, combine(kept[0]), runs=runs, seed=seed, kind="monte carlo", source=source
    )
    record = Convergence(
        output=output,
        precision=precision,
        confidence=confidence,
        seed=seed,
        runs=runs,
        converged=converged,
        trajectory=frame,
        scenario=scenario,
    )
    for problem in record.warnings:
        warnings.warn(problem, SensitivityWarning, stacklevel=2)
    return results, record
