"""Sobol indices: the share of the output's variance due to each input, alone and in total."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats
from scipy.stats import qmc, sobol_indices

from cxsim.analysis.sensitivity.common import (
    FloatArray,
    SensitivityWarning,
    checked_output,
    chosen_intervention,
    input_labels,
    mean_model,
    plain,
    uncertain_inputs,
)
from cxsim.engine.execution import (
    Scheduler,
    new_seed,
)
from cxsim.errors import UserError
from cxsim.formatting.tables import clip, pad, text_width
from cxsim.model.loader import as_scenario
from cxsim.model.paths import iter_inputs
from cxsim.model.scenario import Scenario
from cxsim.protocol import Result


@dataclass(frozen=True, repr=False)
class SobolIndices(Result):
    """First-order (S1) and total (ST) Sobol indices with bootstrap intervals.

    `table` has one row per input: `S1`, `S1_low`, `S1_high`, `ST`, `ST_low`, `ST_high`, sorted
    by ST (largest first). `warnings` says when the sample is too small to trust the figures.
    """

    output: str
    table: pd.DataFrame
    n: int  # base sample size (a power of 2)
    evaluations: int  # n * (d + 2)
    confidence: float
    seed: int
    variance: float  # of the output over the sample
    mean: float
    warnings: tuple[str, ...] = ()
    scenario: Scenario | None = None
    intervention: str | None = None

    kind: ClassVar[str] = "sobol"

    def to_frame(self) -> pd.DataFrame:
        """One row per input (largest ST first): S1 and ST with their intervals."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "scenario": self.scenario.name if self.scenario else None,
            "method": "sobol",
            "output": self.output,
            "intervention": self.intervention,
            "n": self.n,
            "evaluations": self.evaluations,
            "confidence": self.confidence,
            "seed": self.seed,
            "mean": self.mean,
            "variance": self.variance,
            "indices": [
                {"input": str(name), **{k: plain(v) for k, v in row.items()}}
                for name, row in self.table.iterrows()
            ],
            "warnings": list(self.warnings),
        }

    def __repr__(self) -> str:
        top = self.table.index[0] if len(self.table) else "none"
        flag = f", {len(self.warnings)} warning(s)" if self.warnings else ""
        return (
            f"<SobolIndices {self.output}: {len(self.table)} inputs, n={self.n}, "
            f"largest ST {top!r}{flag}>"
        )

    def text(self) -> str:
        """The indices as a table, with the share left to interactions and any warnings."""
        name = self.scenario.name + ": " if self.scenario else ""
        what = self.output + (f" of {self.intervention!r}" if self.intervention else "")
        lines = [
            f"{name}Sobol indices of {what}",
            f"expected-value model at {self.evaluations:,} points (n={self.n}, seed {self.seed}); "
            f"{self.confidence:.0%} bootstrap intervals",
            "",
        ]
        name_w = min(60, max([5, *(text_width(str(i)) for i in self.table.index)]))
        lines.append(f"{'input':<{name_w}}  {'first order S1':>22}  {'total ST':>22}")
        for label_, r in self.table.iterrows():
            s1 = f"{r['S1']:.3f} [{r['S1_low']:.3f}, {r['S1_high']:.3f}]"
            st = f"{r['ST']:.3f} [{r['ST_low']:.3f}, {r['ST_high']:.3f}]"
            lines.append(f"{pad(clip(str(label_), name_w), name_w)}  {s1:>22}  {st:>22}")
        lines.append("")
        total = float(self.table["S1"].sum())
        lines.append(
            f"sum of S1 {total:.3f}: interactions account for about {max(0.0, 1 - total):.1%} "
            "of the variance"
        )
        for w in self.warnings:
            lines.append(f"warning: {w}")
        return "\n".join(lines) + "\n"


#: Model evaluations a Sobol analysis may ask for, n (d + 2), and bootstrap work, n x resamples:
#: beyond them it would run for hours; a message instead.
MAX_EVALUATIONS = 1 << 21
MAX_BOOTSTRAP = 10**8


def check_sobol_size(n: int, d: int, n_resamples: int, confidence: float) -> None:
    """Refuse an analysis too large to finish, or with a meaningless confidence, before any work."""
    if n * (d + 2) > MAX_EVALUATIONS:
        largest = 1 << max(1, (MAX_EVALUATIONS // (d + 2)).bit_length() - 1)
        raise UserError(
            f"{n:,} samples x ({d} inputs + 2) is {n * (d + 2):,} model evaluations, more than "
            f"{MAX_EVALUATIONS:,}; with {d} inputs use at most {largest:,} samples"
        )
    if n_resamples < 1 or n * n_resamples > MAX_BOOTSTRAP:
        raise UserError(
            f"resamples must be at least 1 and samples x resamples at most {MAX_BOOTSTRAP:,}, "
            f"got {n_resamples:,}"
        )
    if not 0 < confidence < 1:
        raise UserError(f"confidence must be between 0 and 1, got {confidence}")


def sobol_analysis(
    func: Callable[[FloatArray], FloatArray],
    dists: Sequence[Any],
    n: int = 1024,
    *,
    names: Sequence[str] | None = None,
    seed: int | None = None,
    confidence: float = 0.95,
    n_resamples: int = 999,
    max_half_width: float = 0.1,
    output: str = "y",
) -> SobolIndices:
    """Sobol indices of `func` over independent inputs with distributions `dists` (with `ppf`).

    `func` maps an input matrix shaped (d, m) to m outputs. The design is Saltelli's: two
    scrambled Sobol' matrices A and B of `n` points each and the d matrices A with column i
    from B, so n (d + 2) evaluations (Saltelli et al. 2010, sec. 5). S1 uses Saltelli et al.
    (2010) Table 2 (b), ST Jansen's estimator, Table 2 (f), both as in
    `scipy.stats.sobol_indices`. Intervals: percentile bootstrap over the n base points, drawn
    from `seed` so they repeat. A warning is issued (and kept in `.warnings`) when an interval's
    half-width exceeds `max_half_width` or the output does not vary.
    """
    n_ = int(n)
    if n_ < 2 or n_ & (n_ - 1) or n_ != n:
        raise UserError(f'"n" must be a power of 2 (at least 2), got {n}')
    d = len(dists)
    if d == 0:
        raise UserError("no uncertain inputs to analyse")
    check_sobol_size(n_, d, n_resamples, confidence)
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(d)]
    seed = new_seed() if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    f_a, f_b, f_ab = _saltelli_outputs(func, dists, n_, rng)
    point, low, high = _bootstrap_indices(f_a, f_b, f_ab, rng, confidence, n_resamples)
    table = pd.DataFrame(
        {
            "S1": point[:d],
            "S1_low": low[:d],
            "S1_high": high[:d],
            "ST": point[d:],
            "ST_low": low[d:],
            "ST_high": high[d:],
        },
        index=pd.Index(names, name="input"),
    )
    variance = float(np.var(np.concatenate([f_a[0], f_b[0]])))
    problems = _sample_problems(variance, low, high, names, confidence, max_half_width, n_)
    for p in problems:
        warnings.warn(p, SensitivityWarning, stacklevel=3)
    table = table.sort_values("ST", ascending=False, kind="stable")
    return SobolIndices(
        output=output,
        table=table,
        n=n_,
        evaluations=n_ * (d + 2),
        confidence=confidence,
        seed=seed,
        variance=variance,
        mean=float(np.mean(np.concatenate([f_a[0], f_b[0]]))),
        warnings=tuple(problems),
    )


def _saltelli_outputs(
    func: Callable[[FloatArray], FloatArray],
    dists: Sequence[Any],
    n: int,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """f(A) and f(B), shaped (1, n), and f(A with column i from B), shaped (d, 1, n)."""
    d = len(dists)
    u = qmc.Sobol(d=2 * d, scramble=True, bits=64, rng=rng).random(n).T
    a = np.stack([np.asarray(dist.ppf(u[i]), dtype=float) for i, dist in enumerate(dists)])
    b = np.stack([np.asarray(dist.ppf(u[d + i]), dtype=float) for i, dist in enumerate(dists)])
    ab = np.repeat(a[None], d, axis=0)
    ab[np.arange(d), np.arange(d)] = b
    x = np.concatenate([a, b, *ab], axis=1)  # (d, n (d + 2))
    y = np.asarray(func(x), dtype=float).reshape(-1)
    if y.shape != (n * (d + 2),):
        raise ValueError(f"func returned {y.shape}, expected ({n * (d + 2)},)")
    if not np.all(np.isfinite(y)):
        raise ValueError("func returned values that are not finite")
    return y[:n][None], y[n : 2 * n][None], y[2 * n :].reshape(d, 1, n)


def _bootstrap_indices(
    f_a: FloatArray,
    f_b: FloatArray,
    f_ab: FloatArray,
    rng: np.random.Generator,
    confidence: float,
    n_resamples: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """S1 then ST for every input: the estimates and their percentile-bootstrap bounds."""
    d, n = f_ab.shape[0], f_a.shape[1]

    def indices(idx: NDArray[np.intp]) -> FloatArray:
        if d == 1:  # scipy's sobol_indices fails on one input (its arrays become scalars)
            return _one_input_indices(f_a[0, idx], f_b[0, idx], f_ab[0, 0, idx])
        res = sobol_indices(
            func={"f_A": f_a[:, idx], "f_B": f_b[:, idx], "f_AB": f_ab[..., idx]}, n=n
        )
        return np.concatenate([np.reshape(res.first_order, d), np.reshape(res.total_order, d)])

    point = indices(np.arange(n))
    boot = stats.bootstrap(
        (np.arange(n),),
        indices,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="percentile",
        vectorized=False,
        rng=rng,
    )
    low = np.asarray(boot.confidence_interval.low, dtype=float)
    high = np.asarray(boot.confidence_interval.high, dtype=float)
    return point, low, high


def _one_input_indices(f_a: FloatArray, f_b: FloatArray, f_ab: FloatArray) -> FloatArray:
    """S1 and ST of a single input, by the estimators `scipy.stats.sobol_indices` uses
    (Saltelli et al. 2010, Table 2 (b) and (f)); 0 where the output does not vary."""
    var = float(np.var(np.concatenate([f_a, f_b])))
    if var == 0.0:
        return np.zeros(2)
    s1 = float(np.mean(f_b * (f_ab - f_a))) / var
    st = 0.5 * float(np.mean((f_a - f_ab) ** 2)) / var
    return np.array([s1, st])


def _sample_problems(
    variance: float,
    low: FloatArray,
    high: FloatArray,
    names: Sequence[str],
    confidence: float,
    max_half_width: float,
    n: int,
) -> list[str]:
    """Why the figures cannot be trusted, if they cannot: no variance, or too wide intervals."""
    if variance == 0.0:
        return ["the output does not vary over the sample: every index is 0"]
    d = len(names)
    half = (high - low) / 2
    worst = int(np.argmax(half))
    if half[worst] <= max_half_width:
        return []
    kind = "S1" if worst < d else "ST"
    return [
        f"the sample is too small to trust: the {confidence:.0%} interval of {kind} for "
        f"{names[worst % d]!r} is ±{half[worst]:.2f} (more than ±{max_half_width:g}); "
        f"raise n (now {n}, {n * (d + 2):,} evaluations)"
    ]


def sobol_points(scenario: Scenario, n: int, intervention: str | None = None) -> int:
    """The points `sobol` evaluates the expected-value model at: n (d + 2), d uncertain inputs."""
    return n * (len(uncertain_inputs(scenario, chosen_intervention(scenario, intervention))) + 2)


def sobol(
    scenario: Scenario | str | os.PathLike[str],
    output: str | None = None,
    *,
    intervention: str | None = None,
    n: int = 1024,
    seed: int | None = None,
    confidence: float = 0.95,
    n_resamples: int = 999,
    max_half_width: float = 0.1,
    workers: int | None = 1,
    scheduler: Scheduler = None,
    progress: Callable[[int], None] | None = None,
) -> SobolIndices:
    """Sobol indices of a scenario's output over all its uncertain inputs.

    The model is the expected-value engine evaluated at each sample point (vectorised over
    points), i.e. the mean output given the inputs: the indices apportion the spread that comes
    from not knowing the inputs, not the customers' own randomness. Inputs are taken as
    independent; a scenario's correlations are not used here (a warning says so). `progress`
    is called with the points evaluated after each batch (`sobol_points` in all).
    """
    scenario = as_scenario(scenario)
    chosen = chosen_intervention(scenario, intervention)
    output = checked_output(output, chosen)
    paths = uncertain_inputs(scenario, chosen)
    dists = dict(iter_inputs(scenario))

    labels = input_labels(scenario, paths)

    def func(x: FloatArray) -> FloatArray:
        return mean_model(scenario, paths, x, output, chosen, workers, scheduler, progress)

    result = sobol_analysis(
        func,
        [dists[p] for p in paths],
        n,
        names=labels,
        seed=seed,
        confidence=confidence,
        n_resamples=n_resamples,
        max_half_width=max_half_width,
        output=output,
    )
    problems = list(result.warnings)
    correlated = [c for c in scenario.correlations if set(c.between) & set(paths)]
    if correlated:
        msg = (
            "the scenario correlates inputs; Sobol indices here treat every input as "
            "independent, so shares may be misattributed between correlated inputs"
        )
        warnings.warn(msg, SensitivityWarning, stacklevel=2)
        problems.append(msg)
    table = result.table.copy()
    path_of = dict(zip(labels, paths, strict=True))
    table.insert(0, "path", [path_of[str(i)] for i in table.index])
    return SobolIndices(
        output=result.output,
        table=table,
        n=result.n,
        evaluations=result.evaluations,
        confidence=result.confidence,
        seed=result.seed,
        variance=result.variance,
        mean=result.mean,
        warnings=tuple(problems),
        scenario=scenario,
        intervention=intervention,
    )
