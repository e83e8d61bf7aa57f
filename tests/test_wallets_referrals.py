"""Smaller wallets and promoters' referrals: by hand, against the Monte Carlo, and refused
when referrals would make a customer worth an infinite amount."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml

import cxsim
from cxsim.errors import UserError
from cxsim.model.variants import NO_FAILURES

from .conftest import TINY

#: One segment, one touchpoint where every failure is silent; no word of mouth, no prospects.
SMALL = """
name: Wallets
economics: {period: month, horizon: 3, discount_rate: 0.0}
segments:
  - {name: All, customers: 1000, revenue: 10, churn: {rate: 0.1}}
journey:
  stages:
    - name: Use
      touchpoints: [{name: App, failure_rate: 0.2, complaint_rate: 0}]
loss_tree:
  complaint_rate: 0
  resolution: {satisfied: 0.5, mollified: 0.2}
  defection:
    silent: {minor: 0.25, major: 0.5}
    satisfied: {minor: 0, major: 0}
    mollified: {minor: 0, major: 0}
    dissatisfied: {minor: 0, major: 0}
  word_of_mouth:
    told: {silent: 0, satisfied: 0, mollified: 0, dissatisfied: 0}
    deterred: 0
  smaller_wallets: {share: {silent: 0.5}, spend: 0.6, periods: 2}
memory: {odds_ratio: [1, 1, 1], start: clean}
"""


def test_smaller_wallets_match_a_hand_calculation() -> None:
    """Each period: churn 10%, 20% fail (silently), a quarter of them leave, half of those who
    stay spend 60% for this period and the next (a further failure restarts the spell)."""
    r = cxsim.expected(cxsim.loads(SMALL))
    churn, fail, leave, share, spend, value, horizon = 0.1, 0.2, 0.25, 0.5, 0.6, 10.0, 3
    stay = 1 - churn

    def forgone(periods: int, t: int) -> float:
        """Spending one customer in a spell of `periods` more periods forgoes from period t."""
        return sum((1 - spend) * value * stay**i for i in range(min(periods, horizon - t)))

    def worth(t: int) -> float:
        """A customer's value from period t on, in the world without failures."""
        return sum(value * stay**i for i in range(horizon - t))

    phase = [1000.0, 0.0, 0.0]  # customers spending as usual, and 1 or 2 periods less
    revenue = silent_value = spent_less = 0.0
    for t in range(horizon):
        phase = [n * stay for n in phase]
        failed = [n * fail for n in phase]
        for m in range(3):
            silent_value += failed[m] * leave * (worth(t) - forgone(m, t))
            spent_less += failed[m] * (1 - leave) * share * (forgone(2, t) - forgone(m, t))
        kept = [n - f * leave - f * (1 - leave) * share for n, f in zip(phase, failed, strict=True)]
        kept[2] += sum(failed) * (1 - leave) * share
        revenue += value * kept[0] + spend * value * (kept[1] + kept[2])
        phase = [kept[0] + kept[1], kept[2], 0.0]
    ideal = sum(1000 * stay ** (t + 1) * value for t in range(horizon))
    by_pathway = dict(zip(r.labels("pathway"), r.loss_by("pathway")[0], strict=True))
    assert r.metric("revenue")[0] == pytest.approx(revenue, rel=1e-9)
    assert r.metric("lost_revenue")[0] == pytest.approx(ideal - revenue, rel=1e-9)
    assert by_pathway["silent"] == pytest.approx(silent_value, rel=1e-9)
    assert by_pathway["spent_less"] == pytest.approx(spent_less, rel=1e-9)
    assert r.periods["loss"].sum() == pytest.approx(ideal - revenue, rel=1e-9)
    assert r.metric("end")[0] == pytest.approx(sum(phase), rel=1e-9)


def test_promoters_referrals_match_a_hand_calculation_in_one_period() -> None:
    """One period: the customers who meet no failure each bring 0.1 x 2 x 0.05 new customers;
    those who fail forgo theirs, each referral worth one period's revenue."""
    data = yaml.safe_load(SMALL)
    data["economics"]["horizon"] = 1
    del data["loss_tree"]["smaller_wallets"]
    data["loss_tree"]["word_of_mouth"]["promoters"] = {
        "recommend": 0.1,
        "told": 2,
        "converted": 0.05,
    }
    r = cxsim.expected(cxsim.validate(data, "promoters.yaml"))
    rate, n = 0.1 * 2 * 0.05, 1000 * 0.9
    by_pathway = dict(zip(r.labels("pathway"), r.loss_by("pathway")[0], strict=True))
    assert r.periods["acquired"][0, 0] == pytest.approx(n * 0.8 * rate, rel=1e-12)
    assert by_pathway["referrals_not_made"] == pytest.approx(n * 0.2 * rate * 10, rel=1e-12)
    assert by_pathway["silent"] == pytest.approx(n * 0.2 * 0.25 * 10, rel=1e-12)
    ideal = (n + n * rate) * 10
    assert r.metric("lost_revenue")[0] == pytest.approx(ideal - r.metric("revenue")[0], rel=1e-12)


def both(text: str, **economics: Any) -> cxsim.Scenario:
    """A scenario with promoters and smaller wallets on every pathway."""
    data = yaml.safe_load(text)
    data["economics"].update(economics)
    data["loss_tree"]["word_of_mouth"]["promoters"] = {"recommend": 0.1, "told": 1}
    data["loss_tree"]["smaller_wallets"] = {
        "share": {"silent": 0.3, "satisfied": 0.1, "mollified": 0.2, "dissatisfied": 0.5},
        "spend": 0.6,
        "periods": 3,
    }
    return cxsim.validate(data, "both.yaml")


@pytest.mark.parametrize(
    "economics",
    [{}, {"lifetime": True, "discount_rate": 0.1}, {"lifetime": {"years": 2}}],
    ids=["horizon", "lifetime", "capped"],
)
def test_the_loss_is_the_difference_from_the_failure_free_world(economics: Any) -> None:
    """Each event valued in the world without failures: the values add up to the revenue
    difference exactly, and the cash-flow view (`loss` per period, then beyond) to the same."""
    scenario = both(TINY, **economics)
    world = cxsim.expected(scenario)
    ideal = cxsim.expected(scenario, variant=NO_FAILURES)
    lost = ideal.metric("revenue")[0] - world.metric("revenue")[0]
    assert world.metric("lost_revenue")[0] == pytest.approx(lost, rel=1e-10)
    phased = world.periods["loss"].sum() + world.metric("lost_revenue_beyond")[0]
    assert phased == pytest.approx(lost, rel=1e-10)
    by_pathway = dict(zip(world.labels("pathway"), world.loss_by("pathway")[0], strict=True))
    assert by_pathway["spent_less"] > 0 and by_pathway["referrals_not_made"] > 0
    for by in ("touchpoint", "stage", "segment", "pathway"):
        assert world.loss_by(by).sum() == pytest.approx(lost, rel=1e-10), by


def test_monte_carlo_agrees_with_the_expected_value_model() -> None:
    """Fixed inputs, so the spread is the customers' own randomness: each mean within 4.5
    standard errors of the expected-value model."""
    scenario = both(TINY)
    ev = cxsim.expected(scenario)
    runs = 400
    mc = cxsim.simulate(scenario, runs=runs, seed=11)
    pathways = list(mc.labels("pathway"))
    checks = {
        "revenue": (mc.metric("revenue"), ev.metric("revenue")[0]),
        "lost_revenue": (mc.metric("lost_revenue"), ev.metric("lost_revenue")[0]),
        "end": (mc.metric("end"), ev.metric("end")[0]),
    }
    for name in ("spent_less", "referrals_not_made", "silent"):
        i = pathways.index(name)
        checks[name] = (mc.loss_by("pathway")[:, i], ev.loss_by("pathway")[0, i])
    for name, (sample, target) in checks.items():
        sem = sample.std(ddof=1) / np.sqrt(runs)
        assert sem > 0, name
        assert abs(sample.mean() - target) / sem < 4.5, name


def test_referrals_that_outgrow_churn_are_refused() -> None:
    data = yaml.safe_load(TINY)
    data["economics"].update({"lifetime": True, "discount_rate": 0.05})
    data["loss_tree"]["word_of_mouth"]["promoters"] = {"recommend": 1, "told": 2}
    with pytest.raises(UserError, match="refer more new customers than churn"):
        cxsim.expected(cxsim.validate(data, "runaway.yaml"))


def test_scenarios_without_them_have_nothing_on_the_new_lines() -> None:
    r = cxsim.expected(cxsim.loads(TINY))
    by_pathway = dict(zip(r.labels("pathway"), r.loss_by("pathway")[0], strict=True))
    assert by_pathway["spent_less"] == 0.0 and by_pathway["referrals_not_made"] == 0.0
