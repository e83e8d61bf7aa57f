"""The engine against its own expected-value model, closed forms and its invariants."""

from __future__ import annotations

import math
from functools import cache
from itertools import combinations

import numpy as np
import pytest

import cxsim
from cxsim.engine.period import COST_LINES
from cxsim.engine.sampling import MeanSampler
from cxsim.engine.world import run_variants, run_world
from cxsim.model.churn import sbg_survival
from cxsim.model.interventions import InterventionSet
from cxsim.model.parameters import mean_values
from cxsim.model.scenario import PATHWAYS
from cxsim.model.variants import ALL_FAILURES, AT_MEANS, NO_FAILURES, Change, Changes

from .conftest import ROOT, TINY

EXAMPLES = ["subscription.yaml", "ecommerce.yaml", "contact_centre.yaml"]


def z_score(sample: np.ndarray, target: float) -> float:
    sem = sample.std(ddof=1) / np.sqrt(sample.size)
    return float((sample.mean() - target) / sem)


# One seed, the same numbers whatever the workers: tests/test_scale.py (also block sizes, Dask).


def test_longer_runs_extend_shorter_ones_at_chunk_boundaries() -> None:
    scenario = cxsim.loads(TINY)
    short = cxsim.simulate(scenario, runs=256, seed=5)
    long = cxsim.simulate(scenario, runs=700, seed=5)
    np.testing.assert_array_equal(short.totals["lost_revenue"], long.totals["lost_revenue"][:256])


@cache
def simulated(name: str) -> cxsim.Results:
    """300 runs of an example, with every period: shared by the checks of identities, which
    hold run by run whatever the seed (simulated once, not once per check: `IDENTITIES`)."""
    return cxsim.simulate(cxsim.load(ROOT / "scenarios" / name), runs=300, seed=1)


#: The checks that share `simulated` run on one pytest-xdist worker, which simulates each once.
IDENTITIES = pytest.mark.xdist_group("engine_identities")


@IDENTITIES
@pytest.mark.parametrize("name", EXAMPLES)
def test_conservation_every_run_and_period(name: str) -> None:
    """Customers at start + acquired - churned - defected = customers at the end."""
    r = simulated(name)
    p = r.periods
    end = np.concatenate([p["active"][:, 1:], r.totals["end"][:, None]], axis=1)
    np.testing.assert_array_equal(p["active"] + p["acquired"] - p["churned"] - p["defected"], end)
    assert (p["active"] >= 0).all() and (p["acquired"] >= 0).all()


@IDENTITIES
@pytest.mark.parametrize("name", EXAMPLES)
def test_attribution_adds_up_to_the_total(name: str) -> None:
    r = simulated(name)
    total = r.metric("lost_revenue")
    for by in ("touchpoint", "stage", "segment", "pathway"):
        np.testing.assert_allclose(r.loss_by(by).sum(axis=1), total, rtol=1e-12)
    # Cash-flow view: the per-period loss adds up to the part earned within the horizon, and
    # with what the lost customers would still have earned beyond it, to the total.
    horizon = r.metric("lost_revenue_horizon")
    np.testing.assert_allclose(r.periods["loss"].sum(axis=1), horizon, rtol=1e-9)
    np.testing.assert_allclose(horizon + r.metric("lost_revenue_beyond"), total, rtol=1e-9)
    if not r.scenario.economics.lifetime:
        np.testing.assert_array_equal(r.metric("lost_revenue_beyond"), 0.0)
    assert r.labels("pathway") == list(PATHWAYS)
    # The cost side: each line adds up by every breakdown, and the headline is their sum.
    lines = COST_LINES  # serving, recovery, replacement and routine contacts
    for line in (*lines, "cost_of_poor_experience"):
        for by in ("touchpoint", "stage", "segment", "pathway"):
            np.testing.assert_allclose(r.cost_by(line, by).sum(axis=1), r.metric(line), rtol=1e-12)
    headline = total + sum(r.metric(line) for line in lines)
    np.testing.assert_allclose(r.metric("cost_of_poor_experience"), headline, rtol=1e-12)


@pytest.mark.parametrize("name", EXAMPLES)
def test_expected_value_loss_is_the_revenue_difference_exactly(name: str) -> None:
    """Per-event values add up to (revenue without failures) - (revenue with them)."""
    scenario = cxsim.load(ROOT / "scenarios" / name)
    with_failures = cxsim.expected(scenario)
    without = cxsim.expected(scenario, variant=NO_FAILURES)
    difference = without.metric("revenue")[0] - with_failures.metric("revenue")[0]
    assert difference > 0
    assert with_failures.metric("lost_revenue")[0] == pytest.approx(difference, rel=1e-10)
    assert without.metric("lost_revenue")[0] == 0.0


def without_queue(name: str) -> cxsim.Scenario:
    """An example with a fixed complaint split instead of its support model (no queue coupling:
    the queue makes the split a nonlinear function of the load, so E[MC] need not be EV)."""
    text = (ROOT / "scenarios" / name).read_text()
    if "\nsupport:" in text:
        text = text[: text.index("\nsupport:")] + "\n"
        split = "  resolution: {satisfied: 0.3, mollified: 0.3}\n"
        text = text.replace("loss_tree:\n", "loss_tree:\n" + split)
    return cxsim.loads(text, name)


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLES)
def test_monte_carlo_mean_agrees_with_expected_value_model(name: str) -> None:
    """With inputs fixed at their means the Monte Carlo mean is the expected-value model's."""
    scenario = without_queue(name)
    mc = cxsim.simulate(scenario, runs=1024, seed=20261125, variant=AT_MEANS, workers=2)
    ev = cxsim.expected(scenario)
    for metric in ("lost_revenue", "customers_lost", "lost_acquisitions", "revenue", "end"):
        z = z_score(mc.metric(metric), ev.metric(metric)[0])
        assert abs(z) < 4.0, (metric, z)
    for by in ("touchpoint", "pathway"):
        for i, label in enumerate(mc.labels(by)):
            sample, target = mc.loss_by(by)[:, i], ev.loss_by(by)[0, i]
            if target == 0:
                assert (sample == 0).all()
            else:
                assert abs(z_score(sample, target)) < 4.0, (by, label)
    for name_ in ("active", "complaints", "satisfied", "acquired"):
        series = mc.periods[name_]
        sem = series.std(axis=0, ddof=1) / np.sqrt(series.shape[0])
        ok = sem > 0
        z = (series.mean(axis=0) - ev.periods[name_][0])[ok] / sem[ok]
        assert np.abs(z).max() < 4.5, name_


def test_expected_value_model_would_catch_a_biased_engine() -> None:
    """The comparison has power: a 1% change in one failure rate is many standard errors away."""
    scenario = cxsim.loads(TINY)
    mc = cxsim.simulate(scenario, runs=2048, seed=3, variant=AT_MEANS)
    ev = cxsim.expected(
        scenario,
        variant=Changes((Change("journey.stages[*].touchpoints[0].failure_rate", "scale", 1.05),)),
    )
    assert abs(z_score(mc.metric("lost_revenue"), ev.metric("lost_revenue")[0])) > 6


def test_monte_carlo_loss_is_the_revenue_difference_within_sampling_error() -> None:
    scenario = cxsim.load(ROOT / "scenarios" / "contact_centre.yaml")
    actual = cxsim.simulate(scenario, runs=512, seed=8)
    ideal = cxsim.simulate(scenario, runs=512, seed=8, variant=NO_FAILURES)
    gap = ideal.metric("revenue") - actual.metric("revenue")
    assert abs(z_score(gap - actual.metric("lost_revenue"), 0.0)) < 4.0


def test_goodman_spreadsheet_for_one_period() -> None:
    """One period, no memory: the loss is Goodman's arithmetic, done here by hand."""
    text = TINY.replace("horizon: 6", "horizon: 1") + "memory: {odds_ratio: [1, 1, 1]}\n"
    r = cxsim.expected(cxsim.loads(text))
    n = 20000 * (1 - 0.02)  # survive baseline churn
    value_now = 10.0  # one period of revenue, no discounting
    loss = 0.0
    n_left = n
    told_bad = 0.0
    told_good = 0.0
    for exposure, failure, sev, complain in ((0.5, 0.1, "major", 0.5), (1.0, 0.02, "minor", 0.7)):
        failed = n_left * exposure * failure
        silent, complained = failed * (1 - complain), failed * complain
        sat, mol, dis = complained * 0.3, complained * 0.3, complained * 0.4
        defect = {"major": (0.6, 0.2, 0.4, 0.7), "minor": (0.3, 0.05, 0.2, 0.4)}[sev]
        lost = silent * defect[0] + sat * defect[1] + mol * defect[2] + dis * defect[3]
        loss += lost * value_now
        n_left -= lost
        told_bad += silent * 5 + mol * 6 + dis * 9
        told_good += sat * 4
    assert r.metric("customers_lost")[0] == pytest.approx(n - n_left, rel=1e-12)
    lost_sales = 1000 * 0.05
    # Referrals join the would-be buyers; the tellings land on them at random, so a buyer
    # told twice is put off once: Goodman's count (told x deterred) is its first-order term.
    won = told_good * 0.02
    reachable = 1000 - lost_sales + won
    deterred = reachable * (1 - math.exp(-told_bad * 0.02 / reachable))
    wom = deterred - won
    assert r.metric("lost_acquisitions")[0] == pytest.approx(lost_sales + wom, rel=1e-12)
    # Buyers pay for the period they buy in: the lost sales and the deterred prospects (net of
    # referrals) are worth one period's revenue each, even with a one-period horizon.
    by_pathway = dict(zip(r.labels("pathway"), r.loss_by("pathway")[0], strict=True))
    assert by_pathway["lost_sales"] == pytest.approx(lost_sales * value_now, rel=1e-12)
    assert by_pathway["word_of_mouth"] == pytest.approx(wom * value_now, rel=1e-12)
    total = loss + (lost_sales + wom) * value_now
    assert r.metric("lost_revenue")[0] == pytest.approx(total, rel=1e-12)


SBG = """
name: sBG cohort
economics: {horizon: 24, discount_rate: 0.0}
segments:
  - name: Cohort
    customers: 100000
    revenue: 1
    churn: {model: sbg, alpha: 0.704, beta: 1.182, tenure: TENURE}
journey:
  stages:
    - name: Use
      touchpoints: [{name: Nothing fails, failure_rate: 0}]
loss_tree:
  complaint_rate: 0.5
  resolution: {satisfied: 0.3, mollified: 0.3}
  defection:
    silent: {minor: 0.3, major: 0.6}
    satisfied: {minor: 0.05, major: 0.2}
    mollified: {minor: 0.2, major: 0.4}
    dissatisfied: {minor: 0.4, major: 0.7}
  word_of_mouth:
    told: {silent: 5, satisfied: 4, mollified: 6, dissatisfied: 9}
    deterred: 0.02
"""


@pytest.mark.parametrize("tenure", [0, 3])
def test_sbg_cohort_follows_the_closed_form_survival_curve(tenure: int) -> None:
    """Fader & Hardie 2007's regular-customer parameters: S(t) = B(a, b + t) / B(a, b)."""
    scenario = cxsim.loads(SBG.replace("TENURE", str(tenure)))
    t = np.arange(1, 25)
    expected = 100000 * sbg_survival(0.704, 1.182, tenure + t) / sbg_survival(0.704, 1.182, tenure)
    ev = cxsim.expected(scenario)
    alive = np.append(ev.periods["active"][0, 1:], ev.metric("end"))
    np.testing.assert_allclose(alive, expected, rtol=1e-6)
    mc = cxsim.simulate(scenario, runs=512, seed=4)
    alive_mc = np.concatenate([mc.periods["active"][:, 1:], mc.metric("end")[:, None]], axis=1)
    sem = alive_mc.std(axis=0, ddof=1) / np.sqrt(512)
    z = (alive_mc.mean(axis=0) - expected) / sem
    assert np.abs(z).max() < 4.5


def test_a_higher_failure_rate_never_lowers_the_expected_loss() -> None:
    scenario = cxsim.load(ROOT / "scenarios" / "subscription.yaml")
    losses = [
        cxsim.expected(
            scenario,
            variant=Changes((Change("journey.stages[*].touchpoints[*].failure_rate", "scale", k),)),
        ).metric("lost_revenue")[0]
        for k in (0.5, 1.0, 1.5, 2.0)
    ]
    assert losses == sorted(losses) and losses[0] > 0


def test_engine_cost_does_not_depend_on_the_number_of_customers() -> None:
    """Counts, not customers: 10^12 customers run, with no overflow or negative count."""
    text = TINY.replace("customers: 20000", "customers: 1000000000000")
    r = cxsim.simulate(cxsim.loads(text), runs=64, seed=1)
    assert np.isfinite(r.metric("lost_revenue")).all()
    assert (r.periods["active"] > 5e11).all()
    ev = cxsim.expected(cxsim.loads(text))
    assert abs(z_score(r.metric("customers_lost"), ev.metric("customers_lost")[0])) < 4.5


@pytest.mark.parametrize("name", ["japan_ec.yaml", "interventions/ecommerce_fixes.yaml"])
def test_variants_run_as_rows_of_one_block_are_the_worlds_run_alone(name: str) -> None:
    """`run_variants`: every output of every variant (ramps, starts, costs, no change, a
    what-if) bit for bit as `run_world` gives it alone."""
    scenario = cxsim.load(ROOT / "scenarios" / name)
    n = len(scenario.interventions)
    variants = [None, Changes((Change(ALL_FAILURES, "scale", 0.5),))]
    variants += [
        InterventionSet(s, "set") for k in range(1, n + 1) for s in combinations(range(n), k)
    ]
    values = mean_values(scenario)
    for keep in (True, False):
        rows = run_variants(scenario, values, variants, keep_periods=keep)
        for variant, got in zip(variants, rows, strict=True):
            want = run_world(scenario, values, variant, MeanSampler(), keep_periods=keep)
            for part in ("totals", "periods"):
                assert getattr(got, part).keys() == getattr(want, part).keys()
                for key, x in getattr(want, part).items():
                    np.testing.assert_array_equal(getattr(got, part)[key], x, err_msg=key)
            np.testing.assert_array_equal(got.attribution, want.attribution)
            np.testing.assert_array_equal(got.costs, want.costs)
