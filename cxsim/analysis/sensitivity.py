"""Which inputs matter, and how many runs are enough: tornado, Sobol indices, convergence.

Three questions a business case has to answer before anyone trusts it:

- **Tornado** (one at a time): each uncertain input is swung between its P10 and P90 (or a range
  the user gives) with every other input at its mean, and the inputs are ranked by how far the
  output moves. By default the output comes from the expected-value model, which is exact and
  deterministic for inputs held fixed and evaluates every swing in one vectorised pass; with
  `runs` it comes from a Monte Carlo of the customers' own randomness instead, low and high on
  common random numbers so that the swing's error is small.
- **Sobol indices** (global): the share of the output's variance due to each input alone
  (first order, S1) and with all its interactions (total, ST), over the inputs' joint
  distribution. The model is the expected-value engine vectorised over sample points: the
  question is about parameter uncertainty, not the customers' randomness, which is not an input.
  Estimators: Saltelli et al. (2010), Table 2 (b) for S1 and (f), Jansen's, for ST, through
  `scipy.stats.sobol_indices`; intervals by bootstrap over the base sample.
- **Convergence**: adds chunks of Monte Carlo runs until the 95% interval of the mean is within a
  given fraction of it. Runs come in the fixed chunks of `cxsim.engine.simulation`, so the first N
  runs
  here are the N runs of `simulate(scenario, N, seed)`.

An intervention's NPV can be the output of all three: the world with the intervention minus the
baseline world on the same inputs, less the intervention's cost.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats
from scipy.stats import qmc, sobol_indices

from cxsim.analysis.business_case import business_case
from cxsim.analysis.compare import intervention_sets
from cxsim.engine.execution import (
    Scheduler,
    chunks,
    combine,
    default_workers,
    new_seed,
    parallel_map,
    run_chunk,
    run_chunks,
)
from cxsim.engine.recursion import BlockResult, MeanSampler
from cxsim.engine.results import METRICS, Results
from cxsim.engine.world import run_world, support_peak
from cxsim.errors import UserError
from cxsim.model.distributions import Dist
from cxsim.model.interventions import InterventionSet, resolve
from cxsim.model.loader import Source
from cxsim.model.parameters import Values, input_label, iter_inputs
from cxsim.model.scenario import Scenario
from cxsim.model.variants import Change, Changes, Then
from cxsim.outputs.money import format_money

FloatArray = NDArray[np.float64]

#: Outputs of the baseline world, and of an intervention against it.
BASELINE_OUTPUTS = METRICS
INTERVENTION_OUTPUTS = ("npv", "loss_avoided", "cost")
#: Rows of the expected-value model evaluated at once (bounds memory, not results).
BATCH = 2048


class SensitivityWarning(UserWarning):
    """A sensitivity result that should not be trusted as it stands (too few samples, ...)."""


# --- inputs and outputs ------------------------------------------------------------------------


def _intervention(scenario: Scenario, name: str | None) -> InterventionSet | None:
    if name is None:
        return None
    (chosen,) = intervention_sets(scenario, [name], combined=False)
    return chosen


def _output(output: str | None, intervention: InterventionSet | None) -> str:
    """The output to analyse, checked: lost revenue by default, NPV for an intervention."""
    if output is None:
        return "npv" if intervention is not None else "lost_revenue"
    allowed = INTERVENTION_OUTPUTS if intervention is not None else BASELINE_OUTPUTS
    if output not in allowed:
        if output in INTERVENTION_OUTPUTS:
            raise UserError(f"output {output!r} needs an intervention (--intervention NAME)")
        raise UserError(f"no output {output!r}; choose one of: {', '.join(allowed)}")
    return output


def inputs_in_scope(
    scenario: Scenario, intervention: InterventionSet | None = None
) -> dict[str, Dist]:
    """Every input that can move the output: the scenario's own, plus the named intervention's."""
    own = tuple(f"interventions.{i}." for i in intervention.indices) if intervention else ()
    return {
        path: dist
        for path, dist in iter_inputs(scenario)
        if not path.startswith("interventions.") or path.startswith(own)
    }


def uncertain_inputs(scenario: Scenario, intervention: InterventionSet | None = None) -> list[str]:
    """Paths of the uncertain inputs in scope, in the scenario's order."""
    return [p for p, d in inputs_in_scope(scenario, intervention).items() if not d.is_fixed]


def label(scenario: Scenario, path: str) -> str:
    """A readable name for an input, interventions' effects and costs included."""
    parts = path.split(".")
    if parts[0] == "interventions" and len(parts) >= 4:
        iv = scenario.interventions[int(parts[1])]
        if parts[2] == "effects":
            return f"{iv.name}: {parts[4]} {iv.effects[int(parts[3])].path}"
        return f"{iv.name}: {'.'.join(parts[2:])}"
    return input_label(scenario, path)


def _labels(scenario: Scenario, paths: Sequence[str]) -> list[str]:
    """Labels, with the path added where two inputs would otherwise read the same."""
    names = [label(scenario, p) for p in paths]
    return [n if names.count(n) == 1 else f"{n} ({p})" for n, p in zip(names, paths, strict=True)]


# --- the expected-value model at many input points at once -------------------------------------


def _mean_model_batch(
    scenario: Scenario,
    output: str,
    intervention: InterventionSet | None,
    paths: Sequence[str],
    x: FloatArray,
) -> FloatArray:
    """The expected-value model's output at each column of `x` (inputs `paths`, others at means)."""
    m = x.shape[1]
    values: Values = {p: np.full(m, d.mean()) for p, d in iter_inputs(scenario)}
    for path, row in zip(paths, x, strict=True):
        values[path] = np.asarray(row, dtype=float)
    peak = support_peak(scenario)
    base = run_world(scenario, values, None, MeanSampler(), peak=peak, keep_periods=False)
    if intervention is None:
        return np.asarray(base.totals[output], dtype=float)
    world = run_world(scenario, values, intervention, MeanSampler(), peak=peak, keep_periods=False)
    return business_case(base, world, payback=False).figure(output)


def _mean_model_task(args: tuple[Any, ...]) -> FloatArray:
    return _mean_model_batch(*args)


def mean_model(
    scenario: Scenario,
    paths: Sequence[str],
    x: FloatArray,
    output: str = "lost_revenue",
    intervention: InterventionSet | None = None,
    workers: int | None = 1,
    scheduler: Scheduler = None,
) -> FloatArray:
    """The expected-value model, vectorised: one output per column of `x` (shape (d, m)).

    Row k of `x` holds values of input `paths[k]`; every other input is at its mean. Columns
    are evaluated in batches, in worker processes when `workers` > 1.
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    m = x.shape[1]
    tasks = [
        (scenario, output, intervention, list(paths), x[:, i : i + BATCH])
        for i in range(0, m, BATCH)
    ]
    n_workers = max(1, min(workers or default_workers(), len(tasks)))
    parts = parallel_map(_mean_model_task, tasks, workers=n_workers, scheduler=scheduler)
    return np.concatenate(parts) if parts else np.zeros(0)


def _pool(workers: int) -> ProcessPoolExecutor:
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


# --- tornado -----------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Tornado:
    """One-at-a-time swings of the inputs, ranked by the swing of the output (largest first).

    `bars` has one row per input: its path, the input's low and high values, the output at
    each (`low`, `high`), and `swing` = |high - low|; with Monte Carlo also `swing_sem`.
    """

    scenario: Scenario
    output: str
    intervention: str | None
    base: float  # the output with every input at its mean
    bars: pd.DataFrame
    method: str  # "expected" or "monte carlo"
    low_q: float
    high_q: float
    runs: int | None = None
    seed: int | None = None

    @property
    def warnings(self) -> tuple[str, ...]:
        return ()

    def to_df(self) -> pd.DataFrame:
        return self.bars.copy()

    def to_list(self) -> list[dict[str, Any]]:
        """The JSON of `cxsim sensitivity --json`: one object per input, largest swing first."""
        rows = []
        for name, row in self.bars.iterrows():
            item: dict[str, Any] = {
                "input": str(name),
                "low": float(row["low"]),
                "high": float(row["high"]),
                "swing": float(row["swing"]),
                "path": row["path"],
                "input_low": float(row["input_low"]),
                "input_high": float(row["input_high"]),
            }
            if "swing_sem" in row:
                item["swing_sem"] = float(row["swing_sem"])
            rows.append(item)
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "method": "tornado",
            "model": self.method.replace(" ", "_"),
            "output": self.output,
            "intervention": self.intervention,
            "base": self.base,
            "low_q": self.low_q,
            "high_q": self.high_q,
            "runs": self.runs,
            "seed": self.seed,
            "bars": self.to_list(),
        }

    def __repr__(self) -> str:
        top = self.bars.index[0] if len(self.bars) else "none"
        return (
            f"<Tornado {self.scenario.name!r}: {self.output}, {len(self.bars)} inputs, "
            f"largest swing {top!r}>"
        )

    def report_text(self, width: int = 24) -> str:
        """A table with a bar per input."""
        cur, lang = self.scenario.economics.currency, self.scenario.language
        fmt = _formatter(self.output, cur, lang)
        model = (
            "expected-value model"
            if self.method == "expected"
            else f"Monte Carlo, {self.runs:,} runs, seed {self.seed}, common random numbers"
        )
        what = self.output + (f" of {self.intervention!r}" if self.intervention else "")
        lines = [
            f"{self.scenario.name}: tornado of {what}",
            f"each input at P{self.low_q * 100:g} and P{self.high_q * 100:g} (or its given range), "
            f"the others at their means; {model}",
            f"base (every input at its mean): {fmt(self.base)}",
            "",
        ]
        if self.bars.empty:
            return "\n".join([*lines, "no uncertain inputs"]) + "\n"
        top = float(self.bars["swing"].max()) or 1.0
        name_w = min(60, max(len(str(i)) for i in self.bars.index))
        lines.append(f"{'input':<{name_w}}  {'at low':>10}  {'at high':>10}  {'swing':>10}")
        for name, row in self.bars.iterrows():
            bar = "█" * round(width * float(row["swing"]) / top)
            lines.append(
                f"{str(name)[:name_w]:<{name_w}}  {fmt(row['low']):>10}  {fmt(row['high']):>10}  "
                f"{fmt(row['swing']):>10}  {bar}"
            )
        return "\n".join(lines) + "\n"


def _formatter(output: str, currency: str, language: str) -> Callable[[float], str]:
    if output in ("customers_lost", "lost_acquisitions"):
        return lambda v: f"{v:,.0f}"
    if output == "churn_rate":
        return lambda v: f"{v:.3%}"
    return lambda v: format_money(float(v), currency, language=language)


def _resolve_ranges(
    scenario: Scenario, ranges: Mapping[str, tuple[float, float]]
) -> dict[str, tuple[float, float]]:
    """Ranges by canonical path; keys may be paths as interventions write them."""
    known = {p for p, _ in iter_inputs(scenario)}
    out: dict[str, tuple[float, float]] = {}
    for key, (lo, hi) in ranges.items():
        paths = [key] if key in known else resolve(scenario, key)
        if not paths:
            raise UserError(f"--range: no input matches {key!r}")
        for p in paths:
            out[p] = (float(lo), float(hi))
    return out


def tornado(
    scenario: Scenario,
    output: str | None = None,
    *,
    intervention: str | None = None,
    low_q: float = 0.1,
    high_q: float = 0.9,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    runs: int | None = None,
    seed: int | None = None,
    workers: int | None = 1,
    scheduler: Scheduler = None,
) -> Tornado:
    """Swing each uncertain input from its `low_q` to its `high_q` quantile, the others at their
    means, and rank the inputs by the swing of `output`.

    `ranges` gives an input's low and high values instead (by path; a fixed input given a range
    joins the tornado). With `runs` the output is the mean of a Monte Carlo of the customers'
    randomness, every setting on the same random numbers; otherwise (the default) it is the
    expected-value model, deterministic and fast. One-at-a-time swings ignore interactions and
    correlations between inputs: Sobol indices (`sobol`) account for both kinds of spread.
    """
    if not 0.0 <= low_q < high_q <= 1.0:
        raise UserError(f"need 0 <= low_q < high_q <= 1, got {low_q:g} and {high_q:g}")
    chosen = _intervention(scenario, intervention)
    output = _output(output, chosen)
    scope = inputs_in_scope(scenario, chosen)
    given = _resolve_ranges(scenario, ranges or {})
    paths = [p for p, d in scope.items() if not d.is_fixed or p in given]
    paths += [p for p in given if p not in scope and p not in paths]
    if not paths:
        raise UserError(
            "nothing to swing: no input is uncertain (give it a distribution, or a range)"
        )
    dists = dict(iter_inputs(scenario))
    lows = np.array([given[p][0] if p in given else dists[p].quantile(low_q) for p in paths])
    highs = np.array([given[p][1] if p in given else dists[p].quantile(high_q) for p in paths])

    sem: FloatArray | None = None
    if runs is None:
        base, at_low, at_high = _tornado_expected(scenario, paths, lows, highs, output, chosen)
        method = "expected"
    else:
        if runs < 1:
            raise UserError('"runs" must be at least 1')
        seed = new_seed() if seed is None else int(seed)
        base, at_low, at_high, sem = _tornado_monte_carlo(
            scenario, paths, lows, highs, output, chosen, runs, seed, workers, scheduler
        )
        method = "monte carlo"
    bars = pd.DataFrame(
        {
            "path": paths,
            "input_low": lows,
            "input_high": highs,
            "low": at_low,
            "high": at_high,
            "swing": np.abs(at_high - at_low),
        },
        index=pd.Index(_labels(scenario, paths), name="input"),
    )
    if sem is not None:
        bars["swing_sem"] = sem
    bars = bars.sort_values("swing", ascending=False, kind="stable")
    return Tornado(
        scenario=scenario,
        output=output,
        intervention=intervention,
        base=float(base),
        bars=bars,
        method=method,
        low_q=low_q,
        high_q=high_q,
        runs=runs,
        seed=seed if runs is not None else None,
    )


def _tornado_expected(
    scenario: Scenario,
    paths: list[str],
    lows: FloatArray,
    highs: FloatArray,
    output: str,
    chosen: InterventionSet | None,
) -> tuple[float, FloatArray, FloatArray]:
    """All swings in one pass: column 0 at the means, then each input low, then each high."""
    d = len(paths)
    means = np.array([dict(iter_inputs(scenario))[p].mean() for p in paths])
    x = np.repeat(means[:, None], 1 + 2 * d, axis=1)
    x[np.arange(d), 1 + np.arange(d)] = lows
    x[np.arange(d), 1 + d + np.arange(d)] = highs
    y = mean_model(scenario, paths, x, output, chosen)
    return float(y[0]), y[1 : 1 + d], y[1 + d :]


def _tornado_monte_carlo(
    scenario: Scenario,
    paths: list[str],
    lows: FloatArray,
    highs: FloatArray,
    output: str,
    chosen: InterventionSet | None,
    runs: int,
    seed: int,
    workers: int | None,
    scheduler: Scheduler = None,
) -> tuple[float, FloatArray, FloatArray, FloatArray]:
    """Every setting simulated on the same chunks of random numbers (common random numbers)."""
    settings = [Changes(at_means=True)]
    for path, lo, hi in zip(paths, lows, highs, strict=True):
        settings.append(Changes((Change(path, "set", float(lo)),), at_means=True))
        settings.append(Changes((Change(path, "set", float(hi)),), at_means=True))
    variants: list[Any] = list(settings)
    if chosen is not None:
        variants += [Then(s, chosen) for s in settings]
    per_variant = run_chunks(
        scenario, runs, seed, variants, workers, keep_periods=False, scheduler=scheduler
    )
    blocks = [combine(b) for b in per_variant]
    k = len(settings)
    y = [
        _run_output(output, blocks[i], blocks[k + i] if chosen is not None else None)
        for i in range(k)
    ]
    low, high = np.array(y[1::2]), np.array(y[2::2])
    diff = high - low
    sem = diff.std(axis=1, ddof=1) / math.sqrt(runs) if runs > 1 else np.zeros(len(paths))
    return float(np.mean(y[0])), low.mean(axis=1), high.mean(axis=1), sem


def _run_output(output: str, base: BlockResult, world: BlockResult | None) -> FloatArray:
    """One value per run: a baseline metric, or an intervention's figure against the baseline."""
    if world is None:
        return np.asarray(base.totals[output], dtype=float)
    return business_case(base, world, payback=False).figure(output)


# --- Sobol indices -----------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class SobolIndices:
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

    def to_df(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
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
                {"input": str(name), **{k: _plain(v) for k, v in row.items()}}
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

    def report_text(self) -> str:
        name = self.scenario.name + ": " if self.scenario else ""
        what = self.output + (f" of {self.intervention!r}" if self.intervention else "")
        lines = [
            f"{name}Sobol indices of {what}",
            f"expected-value model at {self.evaluations:,} points (n={self.n}, seed {self.seed}); "
            f"{self.confidence:.0%} bootstrap intervals",
            "",
        ]
        name_w = min(60, max([5, *(len(str(i)) for i in self.table.index)]))
        lines.append(f"{'input':<{name_w}}  {'first order S1':>22}  {'total ST':>22}")
        for label_, r in self.table.iterrows():
            s1 = f"{r['S1']:.3f} [{r['S1_low']:.3f}, {r['S1_high']:.3f}]"
            st = f"{r['ST']:.3f} [{r['ST_low']:.3f}, {r['ST_high']:.3f}]"
            lines.append(f"{str(label_)[:name_w]:<{name_w}}  {s1:>22}  {st:>22}")
        lines.append("")
        total = float(self.table["S1"].sum())
        lines.append(
            f"sum of S1 {total:.3f}: interactions account for about {max(0.0, 1 - total):.1%} "
            "of the variance"
        )
        for w in self.warnings:
            lines.append(f"warning: {w}")
        return "\n".join(lines) + "\n"


def _plain(v: Any) -> Any:
    return float(v) if isinstance(v, float | np.floating) else v


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
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(d)]
    seed = new_seed() if seed is None else int(seed)
    rng = np.random.default_rng(seed)

    u = qmc.Sobol(d=2 * d, scramble=True, bits=64, rng=rng).random(n_).T
    a = np.stack([np.asarray(dist.ppf(u[i]), dtype=float) for i, dist in enumerate(dists)])
    b = np.stack([np.asarray(dist.ppf(u[d + i]), dtype=float) for i, dist in enumerate(dists)])
    ab = np.repeat(a[None], d, axis=0)
    ab[np.arange(d), np.arange(d)] = b
    x = np.concatenate([a, b, *ab], axis=1)  # (d, n (d + 2))
    y = np.asarray(func(x), dtype=float).reshape(-1)
    if y.shape != (n_ * (d + 2),):
        raise ValueError(f"func returned {y.shape}, expected ({n_ * (d + 2)},)")
    if not np.all(np.isfinite(y)):
        raise ValueError("func returned values that are not finite")
    f_a, f_b = y[:n_][None], y[n_ : 2 * n_][None]
    f_ab = y[2 * n_ :].reshape(d, 1, n_)

    def indices(idx: NDArray[np.intp]) -> FloatArray:
        res = sobol_indices(
            func={"f_A": f_a[:, idx], "f_B": f_b[:, idx], "f_AB": f_ab[..., idx]}, n=n_
        )
        return np.concatenate([np.reshape(res.first_order, d), np.reshape(res.total_order, d)])

    point = indices(np.arange(n_))
    boot = stats.bootstrap(
        (np.arange(n_),),
        indices,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="percentile",
        vectorized=False,
        rng=rng,
    )
    low = np.asarray(boot.confidence_interval.low, dtype=float)
    high = np.asarray(boot.confidence_interval.high, dtype=float)
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
    problems: list[str] = []
    if variance == 0.0:
        problems.append("the output does not vary over the sample: every index is 0")
    else:
        half = (high - low) / 2
        worst = int(np.argmax(half))
        if half[worst] > max_half_width:
            kind = "S1" if worst < d else "ST"
            problems.append(
                f"the sample is too small to trust: the {confidence:.0%} interval of {kind} for "
                f"{names[worst % d]!r} is ±{half[worst]:.2f} (more than ±{max_half_width:g}); "
                f"raise n (now {n_}, {n_ * (d + 2):,} evaluations)"
            )
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


def sobol(
    scenario: Scenario,
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
) -> SobolIndices:
    """Sobol indices of a scenario's output over all its uncertain inputs.

    The model is the expected-value engine evaluated at each sample point (vectorised over
    points), i.e. the mean output given the inputs: the indices apportion the spread that comes
    from not knowing the inputs, not the customers' own randomness. Inputs are taken as
    independent; a scenario's correlations are not used here (a warning says so).
    """
    chosen = _intervention(scenario, intervention)
    output = _output(output, chosen)
    paths = uncertain_inputs(scenario, chosen)
    dists = dict(iter_inputs(scenario))

    labels = _labels(scenario, paths)

    def func(x: FloatArray) -> FloatArray:
        return mean_model(scenario, paths, x, output, chosen, workers, scheduler)

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


# --- convergence -------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Convergence:
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

    def to_df(self) -> pd.DataFrame:
        return self.trajectory.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
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
                {k: _plain(v) if k != "runs" else int(v) for k, v in row.items()}
                for row in self.trajectory.to_dict("records")
            ],
        }

    def __repr__(self) -> str:
        state = "reached" if self.converged else "did not reach"
        return (
            f"<Convergence {self.output}: {state} ±{self.precision:.2%} after {self.runs:,} runs "
            f"(mean {self.mean:,.6g} ± {self.half_width:,.3g})>"
        )

    def report_text(self) -> str:
        sc = self.scenario
        cur, lang = (sc.economics.currency, sc.language) if sc else ("USD", "en")
        fmt = _formatter(self.output, cur, lang)
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


def _chunk_stream(
    scenario: Scenario,
    seed: int,
    variants: Sequence[Any],
    max_runs: int,
    workers: int,
    keep_periods: bool,
) -> Iterator[tuple[int, list[BlockResult]]]:
    """Chunks in order (size, one block per variant), computed `workers` at a time."""
    todo = chunks(max_runs)
    if workers == 1:
        for k, size in todo:
            yield size, run_chunk(scenario, seed, k, size, variants, keep_periods)
        return
    with _pool(workers) as pool:
        for i in range(0, len(todo), workers):
            batch = todo[i : i + workers]
            futures = [
                pool.submit(run_chunk, scenario, seed, k, size, list(variants), keep_periods)
                for k, size in batch
            ]
            for (_, size), fut in zip(batch, futures, strict=True):
                yield size, fut.result()


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
) -> tuple[pd.DataFrame, bool, list[list[BlockResult]]]:
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
    for size, blocks in _chunk_stream(scenario, seed, variants, max_runs, n_workers, keep_periods):
        y = _run_output(output, blocks[0], blocks[1] if chosen is not None else None)
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
    scenario: Scenario,
    output: str | None = None,
    *,
    intervention: str | None = None,
    precision: float = 0.01,
    confidence: float = 0.95,
    seed: int | None = None,
    max_runs: int = 100_000,
    min_runs: int = 512,
    workers: int | None = 1,
) -> Convergence:
    """Add chunks of runs until the `confidence` interval's half-width is within `precision`
    of |mean| (and at least `min_runs` have run), or `max_runs` is reached.

    The interval is Student's t on the runs so far. Checking after every chunk is a sequential
    test, so the stated precision holds approximately; `min_runs` keeps an early, lucky estimate
    of the spread from stopping it. A run that stops short of the precision warns.
    """
    chosen = _intervention(scenario, intervention)
    output = _output(output, chosen)
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
    scenario: Scenario,
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
) -> tuple[Results, Convergence]:
    """`simulate`, running until the mean `output` is known to within `precision` (relative).

    Returns the results of all the runs it took, which equal `simulate(scenario, runs, seed)`
    for that number of runs, and the convergence record.
    """
    output = _output(output, None)
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
