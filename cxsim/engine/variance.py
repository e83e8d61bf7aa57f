"""Variance reduction: honest standard errors for stratified input draws, and a control variate.

**Sampling** (`sampling=` of `simulate`, `summarise`, `compare`). The uncertain inputs of each
fixed chunk of `CHUNK` runs are drawn as one independent randomisation of a Latin hypercube
(McKay, Beckman & Conover 1979) or of scrambled Sobol' points (Owen 1997), or independently
("random", plain Monte Carlo). Stratifying within the fixed chunk, never across chunks, keeps a
seed's numbers identical however chunks are grouped into tasks and workers. The customers'
own randomness (binomial draws every period) is drawn as before.

**Standard errors.** Plain Monte Carlo: the naive sem, std / sqrt(n). Latin hypercube and
scrambled Sobol': the runs of a chunk are not independent, but each chunk is an independent
randomisation, so with at least `MIN_REPLICATES` chunks the sem is the spread of the chunk
means (replicated LHS; randomised QMC, Owen 1997; L'Ecuyer & Lemieux 2002), with
`chunks - 1` degrees of freedom: intervals use Student's t (`Estimate.half_width`). With one
chunk it falls back on the naive sem: conservative for a Latin hypercube (its variance is at
most n / (n - 1) times plain Monte Carlo's; Owen 1997b), and for scrambled Sobol' at most
e = 2.72 times too small in variance in the worst case (Owen 1997), far too large in practice.

**Control variate** (`control_variate=True`; Glasserman 2004, ch. 4.1). Each run's expected-value
model, g = the same inputs with every draw at its expectation (`MeanSampler`), is almost the
run's own outcome y (correlation above 0.999 on the headline scenario). E[g] is not known in
closed form, so each chunk also runs `EXTRA` times its size of expected-value worlds on inputs
of its own (keys (k, 3) and (k, 4) of the seed, the same sampling) to estimate it (a control
variate with an estimated mean; Pasupathy, Schmeiser, Taaffe & Wang 2012). The estimate is
mean(y) - beta (mean(g) - mean(g_extra)), beta the pooled regression slope. It costs
(1 + EXTRA) expected-value runs per run, each about a sixth of a Monte Carlo run.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cxsim.engine import coupling
from cxsim.engine.execution import CHUNK, chunks
from cxsim.engine.sampling import MeanSampler
from cxsim.engine.world import run_world
from cxsim.model.parameters import SAMPLINGS, draw_values
from cxsim.model.scenario import Scenario
from cxsim.model.variants import Variant

FloatArray = NDArray[np.float64]
#: Chunks needed before the spread of chunk means is trusted as the sem of Sobol' sampling.
MIN_REPLICATES = 2
#: Expected-value runs per Monte Carlo run spent on estimating E[g].
EXTRA = 4

__all__ = [
    "CHUNK",
    "EXTRA",
    "ControlTerms",
    "Estimate",
    "check_sampling",
    "control_terms",
    "controlled",
    "controlled_estimates",
    "estimate",
    "interval",
]


@dataclass(frozen=True)
class Estimate:
    """A mean, its standard error and the degrees of freedom that error rests on."""

    mean: float
    sem: float
    df: float  # math.inf for a normal interval

    def half_width(self, level: float = 0.95) -> float:
        """Half the width of the two-sided `level` interval (Student's t with `df`)."""
        from scipy import stats as sps

        q = (
            sps.norm.ppf(0.5 + level / 2)
            if math.isinf(self.df)
            else sps.t.ppf(0.5 + level / 2, self.df)
        )
        return float(q * self.sem)


def check_sampling(sampling: str) -> None:
    """Fail fast on an unknown sampling."""
    if sampling not in SAMPLINGS:
        raise ValueError(f'"sampling" must be one of {SAMPLINGS}, got {sampling!r}')


def _chunk_means(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Sizes and means of the fixed chunks of `x` (runs in chunk order)."""
    parts = chunks(x.size)
    sizes = np.array([n for _, n in parts], dtype=float)
    means = np.array([x[k * CHUNK : k * CHUNK + n].mean() for k, n in parts])
    return sizes, means


def _between_chunks(values: FloatArray, sizes: FloatArray) -> Estimate:
    """Size-weighted mean of chunk estimates and the sem from their spread (RQMC replicates)."""
    w = sizes / sizes.sum()
    mean = float(w @ values)
    k = values.size
    # Replicate k has variance s2 / size_k (s2: the effective variance per run).
    s2 = float(np.sum(sizes * (values - mean) ** 2) / (k - 1))
    return Estimate(mean, math.sqrt(s2 * np.sum(w**2 / sizes)), k - 1.0)


def estimate(x: FloatArray, sampling: str = "random", grouped: bool = False) -> Estimate:
    """The mean of per-run values `x` (chunk order), with a sem honest for `sampling`.

    `grouped`: the runs of a chunk share something random beyond their inputs (the response
    curve of a coupled support queue, `cxsim.engine.coupling`), so only chunks are independent:
    batch means, the spread of chunk means, whatever the sampling.
    """
    check_sampling(sampling)
    x = np.asarray(x, dtype=float)
    n = x.size
    if (sampling != "random" or grouped) and len(chunks(n)) >= MIN_REPLICATES:
        sizes, means = _chunk_means(x)
        return _between_chunks(means, sizes)
    sem = float(np.std(x, ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    return Estimate(float(np.mean(x)), sem, math.inf)


def interval(e: Estimate, level: float = 0.95) -> tuple[float, float]:
    """The two-sided `level` interval of an estimate."""
    h = e.half_width(level)
    return e.mean - h, e.mean + h


# --- the control variate --------------------------------------------------------------------


#: The totals a control is kept for (what headlines and business cases are made of).
CONTROLLED = ("lost_revenue", "revenue", "cost", "customers_lost", "lost_acquisitions")


@dataclass(frozen=True)
class ControlTerms:
    """Per variant and total: each run's expected-value control, and the extra runs for E[g]."""

    per_run: list[dict[str, FloatArray]]  # variant -> total -> (runs,)
    extra_runs: list[dict[str, FloatArray]]  # variant -> total -> (extra * runs,) chunk by chunk
    extra: int

    def difference(self, name: str, world: int, base: int = 0) -> tuple[FloatArray, FloatArray]:
        """Control (and extra runs) of `world`'s total minus `base`'s, as loss avoided is."""
        return (
            self.per_run[world][name] - self.per_run[base][name],
            self.extra_runs[world][name] - self.extra_runs[base][name],
        )


def _chunk_terms(
    scenario: Scenario,
    seed: int,
    index: int,
    size: int,
    variants: Sequence[Variant | None],
    sampling: str,
    extra: int,
) -> list[tuple[dict[str, FloatArray], dict[str, FloatArray]]]:
    """One chunk: its runs' expected-value totals (on `run_chunk`'s inputs) and extra runs'."""
    key = [np.random.SeedSequence(seed, spawn_key=(index, i)) for i in range(5)]
    rng = [np.random.default_rng(k) for k in key]
    own = draw_values(scenario, size, rng[0], rng[2], sampling)  # exactly run_chunk's inputs
    more = draw_values(scenario, size * extra, rng[3], rng[4], sampling)
    # the chunk's response curve, as run_chunk's
    curve = {"seed": coupling.chunk_seed(seed, index), "replications": coupling.CHUNK_REPLICATIONS}
    out = []
    for variant in variants:
        g = run_world(scenario, own, variant, MeanSampler(), keep_periods=False, **curve)
        h = run_world(scenario, more, variant, MeanSampler(), keep_periods=False, **curve)
        names = [m for m in CONTROLLED if m in g.totals]
        out.append(
            (
                {m: np.asarray(g.totals[m], dtype=float) for m in names},
                {m: np.asarray(h.totals[m], dtype=float) for m in names},
            )
        )
    return out


def control_terms(
    scenario: Scenario,
    runs: int,
    seed: int,
    variants: Sequence[Variant | None] = (None,),
    sampling: str = "random",
    extra: int = EXTRA,
) -> ControlTerms:
    """The expected-value control of every run of `simulate`/`compare` (same seed and sampling)."""
    check_sampling(sampling)
    if extra < 1:
        raise ValueError(f'"extra" must be at least 1, got {extra}')
    per_chunk = [
        _chunk_terms(scenario, seed, k, n, variants, sampling, extra) for k, n in chunks(runs)
    ]
    per_run, extra_runs = [], []
    for v in range(len(variants)):
        names = per_chunk[0][v][0].keys()
        per_run.append({m: np.concatenate([c[v][0][m] for c in per_chunk]) for m in names})
        extra_runs.append({m: np.concatenate([c[v][1][m] for c in per_chunk]) for m in names})
    return ControlTerms(per_run, extra_runs, extra)


def controlled(
    y: FloatArray, g: FloatArray, h: FloatArray, sampling: str, extra: int, grouped: bool = False
) -> Estimate:
    """mean(y) - beta (mean(g) - mean(h)), with an honest sem for `sampling`.

    `y` and its control `g` per run, `h` the control's extra runs (`extra` per run, chunk by
    chunk). LHS and Sobol': the chunks' controlled means are independent replicates; their
    spread is the sem, and likewise when `grouped` (see `estimate`). Random (or one chunk):
    var(y - beta g) / n + beta^2 var(h) / (extra n).
    """
    y, g, h = (np.asarray(a, dtype=float) for a in (y, g, h))
    n = y.size
    vg = float(np.var(g, ddof=1)) if n > 1 else 0.0
    beta = float(np.cov(y, g, ddof=1)[0, 1] / vg) if vg > 0 else 0.0
    sizes, ybar = _chunk_means(y)
    _, gbar = _chunk_means(g)
    bounds = np.concatenate([[0], np.cumsum(sizes * extra)]).astype(int)
    hbar = np.array([h[a:b].mean() for a, b in itertools.pairwise(bounds)])
    per_chunk = ybar - beta * (gbar - hbar)
    if (sampling != "random" or grouped) and per_chunk.size >= MIN_REPLICATES:
        return _between_chunks(per_chunk, sizes)
    mean = float(sizes @ per_chunk / n)
    resid = float(np.var(y - beta * g, ddof=1)) if n > 1 else 0.0
    vh = float(np.var(h, ddof=1)) if h.size > 1 else 0.0
    return Estimate(mean, math.sqrt(resid / n + beta**2 * vh / (extra * n)), math.inf)


def controlled_estimates(
    totals: Mapping[str, FloatArray],
    terms: ControlTerms,
    variant: int,
    sampling: str,
    grouped: bool = False,
) -> dict[str, Estimate]:
    """Controlled estimates of every total a variant's runs and its controls share."""
    return {
        name: controlled(
            totals[name],
            terms.per_run[variant][name],
            terms.extra_runs[variant][name],
            sampling,
            terms.extra,
            grouped,
        )
        for name in terms.per_run[variant]
        if name in totals
    }
