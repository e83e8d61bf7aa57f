"""Variance reduction: stratified input draws per chunk, honest standard errors, control variate.

Coverage is measured over many seeds on a small scenario: each seed's 95% interval should hold
the mean about 95% of the time; the tolerance is three binomial standard errors of that share.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import cxsim
from cxsim.engine.execution import CHUNK
from cxsim.engine.variance import Estimate, estimate, interval
from cxsim.model.parameters import _uniforms, draw_values

SMALL = """
name: Small uncertain shop
economics: {period: month, horizon: 3, discount_rate: 0.0, value: margin}
segments:
  - name: Regulars
    customers: 3000
    prospects: 300
    conversion: 0.5
    revenue: {dist: uniform, low: 8, high: 12}
    churn: {model: constant, rate: 0.02}
journey:
  stages:
    - name: Use
      touchpoints:
        - {name: Delivery, exposure: 0.5, severity: major,
           failure_rate: {dist: pert, low: 0.05, mode: 0.1, high: 0.2}}
        - {name: Billing, exposure: 1.0, complaint_rate: 0.7,
           failure_rate: {dist: uniform, low: 0.01, high: 0.04}}
loss_tree:
  complaint_rate: {dist: uniform, low: 0.3, high: 0.6}
  resolution: {satisfied: 0.3, mollified: 0.3}
  defection:
    silent: {minor: 0.3, major: {dist: uniform, low: 0.4, high: 0.8}}
    satisfied: {minor: 0.05, major: 0.2}
    mollified: {minor: 0.2, major: 0.4}
    dissatisfied: {minor: 0.4, major: 0.7}
  word_of_mouth:
    told: {silent: 5, satisfied: 4, mollified: 6, dissatisfied: 9}
    deterred: 0.02
    referred: 0.02
memory: {start: clean}  # no settled mix to solve: 2-3 times faster, and no part of what is tested
interventions:
  - name: Fix delivery
    description: Better couriers.
    effects:
      - {path: "journey.stages[Use].touchpoints[Delivery].failure_rate",
         scale: {dist: uniform, low: 0.4, high: 0.8}}
    costs: {per_period: 1000}
"""

SEEDS = 120  # coverage: 120 seeds; binomial SE of a 95% share is 0.020
#: Runs per seed: stratified sampling needs chunks as replicates (3 chunks, 2 degrees of
#: freedom); plain sampling with the control variate takes its sem from the runs, so one chunk
#: (a smaller sample, where the control's estimated coefficient is least certain) will do.
COVERAGE_RUNS = {"sobol": 3 * CHUNK, "lhs": 3 * CHUNK, "random": CHUNK}


@pytest.fixture(scope="module")
def small() -> cxsim.Scenario:
    return cxsim.loads(SMALL)


def covered_share(hits: list[bool]) -> tuple[float, float]:
    """The share of intervals that covered, and three binomial standard errors of a 95% share."""
    return float(np.mean(hits)), 3 * math.sqrt(0.95 * 0.05 / len(hits))


@pytest.mark.parametrize("sampling", ["lhs", "sobol"])
def test_uniforms_are_stratified(sampling: str) -> None:
    """Every input's 256 points fall one in each of 256 equal strata (a Sobol' 2^8 net does too)."""
    u = _uniforms(np.random.default_rng(1), CHUNK, 5, sampling)
    assert u is not None
    for column in u.T:
        assert sorted(np.floor(column * CHUNK).astype(int)) == list(range(CHUNK))


def test_random_sampling_keeps_the_original_stream(small: cxsim.Scenario) -> None:
    """`sampling="random"` draws exactly what `draw_values` drew before the option existed."""
    a = draw_values(small, 50, np.random.default_rng(3))
    b = draw_values(small, 50, np.random.default_rng(3), sampling="random")
    rng = np.random.default_rng(3)
    z = rng.standard_normal((50, 5))  # the five uncertain inputs, in path order
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert np.allclose(np.sort(a["segments.0.revenue"]), np.sort(8 + 4 * stats.norm.cdf(z[:, 0])))


def test_unknown_sampling_fails_fast(small: cxsim.Scenario) -> None:
    with pytest.raises(ValueError, match="sampling"):
        cxsim.simulate(small, runs=10, seed=1, sampling="halton")


@pytest.mark.parametrize("sampling", ["lhs", "sobol"])
def test_same_numbers_however_chunks_are_grouped(small: cxsim.Scenario, sampling: str) -> None:
    """Stratification is within fixed chunks, so grouping chunks into tasks changes nothing."""
    one = cxsim.simulate(small, runs=600, seed=5, sampling=sampling, keep_periods=False)
    two = cxsim.simulate(small, runs=600, seed=5, sampling=sampling, keep_periods=False, block=512)
    assert np.array_equal(one.metric("lost_revenue"), two.metric("lost_revenue"))
    assert one.to_dict()["sampling"] == sampling
    assert one.to_dict()["control_variate"] is False


def test_sobol_sem_comes_from_chunk_replicates() -> None:
    """With several chunks the sem is the spread of chunk means, with chunks - 1 df."""
    x = np.concatenate([np.full(CHUNK, 1.0), np.full(CHUNK, 3.0), np.full(CHUNK, 2.0)])
    e = estimate(x, "sobol")
    assert e == Estimate(2.0, pytest.approx(1 / math.sqrt(3)), 2.0)
    assert estimate(x, "random").df == math.inf
    lo, hi = interval(e)
    assert hi - lo == pytest.approx(2 * stats.t.ppf(0.975, 2) / math.sqrt(3))


def _coverage(
    small: cxsim.Scenario, sampling: str, control: bool
) -> tuple[list[bool], list[float]]:
    hits, means = [], []
    for seed in range(SEEDS):
        r = cxsim.simulate(
            small,
            runs=COVERAGE_RUNS[sampling],
            seed=1000 + seed,
            sampling=sampling,
            control_variate=control,
            keep_periods=False,
        )
        e = r.estimate("lost_revenue")
        hits.append(e)
        means.append(e.mean)
    return hits, means


@pytest.fixture(scope="module")
def reference(small: cxsim.Scenario) -> Estimate:
    """The mean loss from plain Monte Carlo on many runs (an independent check of bias)."""
    r = cxsim.simulate(small, runs=40 * CHUNK, seed=7, sampling="random", keep_periods=False)
    return r.estimate("lost_revenue")


@pytest.mark.slow  # many seeds of 3 chunks each: the power of the coverage check
@pytest.mark.parametrize(
    ("sampling", "control"), [("sobol", False), ("lhs", False), ("random", True)]
)
def test_intervals_cover(
    small: cxsim.Scenario, reference: Estimate, sampling: str, control: bool
) -> None:
    """95% intervals hold the mean in 95% of seeds, within three binomial SEs; no bias."""
    estimates, means = _coverage(small, sampling, control)
    grand = float(np.mean(means))
    grand_sem = float(np.std(means, ddof=1) / math.sqrt(len(means)))
    # Bias: the grand mean agrees with plain Monte Carlo within their combined error.
    assert abs(grand - reference.mean) < 4 * math.hypot(grand_sem, reference.sem)
    # Coverage of the grand mean (whose own error is 1/sqrt(SEEDS) of any one seed's).
    hits = [lo <= grand <= hi for lo, hi in map(interval, estimates)]
    share, tol = covered_share(hits)
    print(f"{sampling} control={control}: coverage {share:.3f} (0.95 +/- {tol:.3f})")
    assert abs(share - 0.95) <= tol


def test_control_variate_and_sobol_reduce_the_error(small: cxsim.Scenario) -> None:
    """Sobol' and the control variate both give smaller standard errors than plain MC.

    This scenario's 3,000 customers make the customers' own binomial noise a large share of
    the variance, which neither method touches: the gains here are modest (about 1.8 and 3
    times in sem), far below the headline scenario's.
    """
    plain = cxsim.simulate(small, runs=4 * CHUNK, seed=2, keep_periods=False)
    cv = cxsim.simulate(small, runs=4 * CHUNK, seed=2, control_variate=True, keep_periods=False)
    sobol = cxsim.simulate(small, runs=4 * CHUNK, seed=2, sampling="sobol", keep_periods=False)
    sem = {k: r.estimate("lost_revenue").sem for k, r in (("p", plain), ("c", cv), ("s", sobol))}
    assert sem["c"] < 0.8 * sem["p"]
    assert sem["s"] < 0.8 * sem["p"]
    assert cv.to_dict()["control_variate"] is True


def test_compare_records_and_reduces(small: cxsim.Scenario) -> None:
    """compare's loss avoided: the options are recorded; Sobol' + control cut its sem."""
    plain = cxsim.compare(small, runs=2 * CHUNK, seed=4)
    better = cxsim.compare(small, runs=2 * CHUNK, seed=4, sampling="sobol", control_variate=True)
    options = better.to_dict()["provenance"]["compare"]
    assert options["sampling"] == "sobol" and options["control_variate"] is True
    a = plain["Fix delivery"].stats("loss_avoided")["sem"]
    b = better["Fix delivery"].stats("loss_avoided")["sem"]
    assert a is not None and b is not None and b < a
