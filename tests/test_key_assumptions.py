"""Key assumptions may carry a range: the memory odds ratios and the response-time midpoint.

A distribution on them is drawn once per Monte Carlo run like every other uncertain input, and
the expected-value model takes its mean.
"""

from __future__ import annotations

import numpy as np
import pytest

import cxsim
from cxsim.errors import ScenarioError
from cxsim.model.paths import iter_inputs, uncertain_paths

from .conftest import ROOT, TINY

CONTACT = ROOT / "scenarios" / "contact_centre.yaml"
LONG = TINY.replace("horizon: 6", "horizon: 24")  # time for unresolved failures to pile up
ODDS = (
    "memory: {odds_ratio: [1, {dist: uniform, low: 1.0, high: 9.0}, "
    "{dist: uniform, low: 2, high: 20}]}\n"
)
ODDS_AT_MEANS = "memory: {odds_ratio: [1, 5.0, 11.0]}\n"


def _wider(wide: cxsim.Results, narrow: cxsim.Results) -> tuple[float, float]:
    """The variance ratio of the loss and the 0.1% critical value of an F test of equal
    variances (the two runs are independent samples of their worlds)."""
    from scipy import stats

    a, b = wide.metric("lost_revenue"), narrow.metric("lost_revenue")
    ratio = float(a.var(ddof=1) / b.var(ddof=1))
    return ratio, float(stats.f.ppf(0.999, a.size - 1, b.size - 1))


def test_memory_odds_ratios_take_a_distribution_drawn_per_run() -> None:
    """Fixed at their means, only the customers' own randomness spreads the loss; given as
    ranges, each run draws its own odds and the loss varies significantly more (F test)."""
    ranged = cxsim.loads(LONG + ODDS)
    fixed = cxsim.loads(LONG + ODDS_AT_MEANS)
    assert {"memory.odds_ratio.1", "memory.odds_ratio.2"} <= uncertain_paths(ranged)
    ratio, critical = _wider(
        cxsim.simulate(ranged, runs=400, seed=4), cxsim.simulate(fixed, runs=400, seed=4)
    )
    assert ratio > critical
    # The expected-value model takes each range at its mean.
    assert cxsim.expected(ranged).metric("lost_revenue")[0] == pytest.approx(
        cxsim.expected(fixed).metric("lost_revenue")[0], rel=1e-12
    )


def test_higher_odds_lose_more_and_fixed_odds_match_the_expected_value_model() -> None:
    """The odds reach the defection probabilities; with fixed odds the Monte Carlo mean sits
    within sampling error of the expected-value model (the engine's own check)."""
    low = cxsim.expected(cxsim.loads(LONG + "memory: {odds_ratio: [1, 2, 4]}\n"))
    high = cxsim.expected(cxsim.loads(LONG + "memory: {odds_ratio: [1, 8, 16]}\n"))
    assert high.metric("lost_revenue")[0] > low.metric("lost_revenue")[0]
    fixed = cxsim.loads(LONG + ODDS_AT_MEANS)
    loss = cxsim.simulate(fixed, runs=400, seed=4).metric("lost_revenue")
    sem = loss.std(ddof=1) / np.sqrt(loss.size)
    assert abs(loss.mean() - cxsim.expected(fixed).metric("lost_revenue")[0]) < 4 * sem


def test_odds_ratio_out_of_range_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"odds_ratio"):
        cxsim.loads(TINY + "memory: {odds_ratio: [1, {dist: uniform, low: 0, high: 2}, 7]}\n")


def _small(midpoint: str) -> cxsim.Scenario:
    """contact_centre scaled to 20,000 customers, every uncertain input but the interventions'
    at its mean, with the given midpoint."""
    scenario = cxsim.load(CONTACT, (f"support.resolution.midpoint_hours={midpoint}",))
    total = sum(s.customers.mean() for s in scenario.segments)
    changes: dict[str, object] = {
        path: dist.mean()
        for path, dist in iter_inputs(scenario)
        if not dist.is_fixed and not path.startswith(("interventions", "support.resolution.mid"))
    }
    for i, s in enumerate(scenario.segments):
        changes[f"segments.{i}.customers"] = round(s.customers.mean() * 20_000 / total)
        changes[f"segments.{i}.prospects"] = round(s.prospects.mean() * 20_000 / total)
    return cxsim.modify(scenario, changes)


def test_midpoint_hours_take_a_distribution_without_simulating_the_queue_again() -> None:
    """A range on `midpoint_hours` widens the loss (F test); the queue is simulated once per
    world (the per-run midpoint acts on the curve's outcome mapping only); the expected-value
    model takes the midpoint at its mean."""
    from cxsim.engine import coupling

    ranged = _small("{dist: uniform, low: 1, high: 24}")
    fixed = _small("12.5")
    assert "support.resolution.midpoint_hours" in uncertain_paths(ranged)
    narrow = cxsim.simulate(fixed, runs=96, seed=5)
    before = coupling.BUILDS[0]
    wide = cxsim.simulate(ranged, runs=96, seed=5)
    assert coupling.BUILDS[0] == before  # the same operation: the cached curve serves it
    ratio, critical = _wider(wide, narrow)
    assert ratio > critical
    assert cxsim.expected(ranged).metric("lost_revenue")[0] == pytest.approx(
        cxsim.expected(fixed).metric("lost_revenue")[0], rel=1e-12
    )
