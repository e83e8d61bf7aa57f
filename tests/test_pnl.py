"""The P&L of a poor experience: cost lines by hand, attributed and adding up; savings."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

import cxsim
from cxsim.engine.results import BREAKDOWNS, PNL_METRICS
from cxsim.model.variants import NO_FAILURES

from .conftest import ROOT, TINY

COSTS = """costs:
  per_contact: 5
  repeat_contacts: {mollified: 0.5, dissatisfied: 1}
  recovery: {satisfied: 20, mollified: 10, dissatisfied: 2}
  acquisition: 50
  replaced: 0.8
"""


def test_each_cost_line_matches_a_hand_calculation_in_one_period() -> None:
    """One period, no memory, discounting at 12% a year: Goodman's arithmetic, with costs."""
    text = TINY.replace("horizon: 6, discount_rate: 0.0", "horizon: 1, discount_rate: 0.12")
    r = cxsim.expected(cxsim.loads(text + "memory: {odds_ratio: [1, 1, 1]}\n" + COSTS))
    d = 1.12 ** (-1 / 12)  # the first period's discount factor
    n = 20000 * (1 - 0.02)
    serving = recovery = replacement = 0.0
    for exposure, failure, sev, complain in ((0.5, 0.1, "major", 0.5), (1.0, 0.02, "minor", 0.7)):
        failed = n * exposure * failure
        silent, complained = failed * (1 - complain), failed * complain
        sat, mol, dis = complained * 0.3, complained * 0.3, complained * 0.4
        defect = {"major": (0.6, 0.2, 0.4, 0.7), "minor": (0.3, 0.05, 0.2, 0.4)}[sev]
        lost = silent * defect[0] + sat * defect[1] + mol * defect[2] + dis * defect[3]
        serving += 5 * (sat * 1 + mol * 1.5 + dis * 2)
        recovery += sat * 20 + mol * 10 + dis * 2
        replacement += lost * 50 * 0.8
        n -= lost
    for name, want in (
        ("serving_cost", serving * d),
        ("recovery_cost", recovery * d),
        ("replacement_cost", replacement * d),
    ):
        assert math.isclose(r.metric(name)[0], want, rel_tol=1e-9, abs_tol=0), name
    lines = serving + recovery + replacement
    headline = r.metric("lost_revenue")[0] + lines * d
    assert r.metric("cost_of_poor_experience")[0] == pytest.approx(headline, rel=1e-12)
    assert r.metric("lost_margin")[0] == r.metric("lost_revenue")[0]
    assert r.periods["failure_cost"][0, 0] == pytest.approx(lines * d, rel=1e-12)


#: Promoters' referrals and smaller wallets, for the identity with every pathway in use.
OPT_IN = {
    "promoters": {"recommend": 0.2, "told": 1},
    "smaller_wallets": {
        "share": {"silent": 0.3, "satisfied": 0.1, "mollified": 0.2, "dissatisfied": 0.5},
        "spend": 0.6,
        "periods": 3,
    },
}


def with_costs(name: str, extra: str = "", opt_in: bool = False) -> cxsim.Scenario:
    """An example with the test's cost section (and `extra` lines in it) in place of its own,
    and with `OPT_IN` when asked."""
    text = (ROOT / "scenarios" / name).read_text()
    if "\ncosts:" in text:
        start = text.index("\ncosts:")
        end = text.find("\n", start + 1)
        while end != -1 and text[end + 1 : end + 2] in (" ", "#", ""):
            end = text.find("\n", end + 1)
        text = text[:start] + ("\n" if end == -1 else text[end:])
    text = text.rstrip("\n") + "\n" + COSTS + extra
    if not opt_in:
        return cxsim.loads(text, name)
    data = yaml.safe_load(text)
    data["loss_tree"]["word_of_mouth"]["promoters"] = OPT_IN["promoters"]
    data["loss_tree"]["smaller_wallets"] = OPT_IN["smaller_wallets"]
    return cxsim.validate(data, name)


ROUTINE = "  routine_contacts: 0.3\n"
#: What the business pays in each world (the baseline's routine contacts included).
CASH = ("serving_cost", "recovery_cost", "replacement_cost", "routine_contacts_cost")


@pytest.mark.parametrize(
    ("name", "opt_in"),
    [("subscription.yaml", False), ("contact_centre.yaml", False), ("subscription.yaml", True)],
)
def test_cost_of_poor_experience_is_the_difference_from_the_failure_free_world(
    name: str, opt_in: bool
) -> None:
    """Each line, attributed, adds up to its total, and the headline is the difference between
    the world with failures and the world without them (expected-value model), in revenue and
    in every cost paid, routine contacts included: the customers lost no longer make them.
    With promoters and smaller wallets too, whose lines (referrals not made, spent less) are
    in the loss; customers spending less make as many fewer routine contacts."""
    scenario = with_costs(name, ROUTINE, opt_in)
    world, ideal = cxsim.expected(scenario), cxsim.expected(scenario, variant=NO_FAILURES)
    lost = ideal.metric("revenue")[0] - world.metric("revenue")[0]
    assert world.metric("lost_margin")[0] == pytest.approx(lost, rel=1e-10)
    for line in PNL_METRICS[2:]:
        assert ideal.metric(line)[0] == 0.0  # nothing fails, nothing to serve or replace
        total = world.metric(line)[0]
        # routine contacts: a saving (customers lost no longer call); the rest are costs
        assert (total < 0) if line == "routine_cost" else (total > 0), line
        for by in BREAKDOWNS:
            assert world.cost_by(line, by).sum() == pytest.approx(total, rel=1e-12), (line, by)
    paid = sum(world.metric(k)[0] - ideal.metric(k)[0] for k in CASH)
    routine = world.metric("routine_contacts_cost")[0] - ideal.metric("routine_contacts_cost")[0]
    assert world.metric("routine_cost")[0] == pytest.approx(routine, rel=1e-9)
    headline = world.metric("cost_of_poor_experience")[0]
    assert headline == pytest.approx(lost + paid, rel=1e-10)
    for by in BREAKDOWNS:
        split = world.cost_by("cost_of_poor_experience", by).sum()
        assert split == pytest.approx(headline, rel=1e-12)
    by_pathway = dict(zip(world.labels("pathway"), world.loss_by("pathway")[0], strict=True))
    for line in ("referrals_not_made", "spent_less"):
        assert (by_pathway[line] > 0) if opt_in else (by_pathway[line] == 0), line
    doc = world.to_dict()
    assert set(PNL_METRICS) <= set(doc["metrics"])
    assert "cost_attribution" in doc


def test_routine_contacts_cost_by_hand_in_one_period() -> None:
    """0.3 routine contacts per customer at 5 each, for those who stayed and the buyers; none
    of it is a cost of poor experience but the contacts of the customers lost."""
    text = TINY.replace("horizon: 6, discount_rate: 0.0", "horizon: 1, discount_rate: 0.12")
    memory = "memory: {odds_ratio: [1, 1, 1]}\n"
    r = cxsim.expected(cxsim.loads(text + memory + COSTS + ROUTINE))
    bare = cxsim.expected(cxsim.loads(text + memory + COSTS))
    d = 1.12 ** (-1 / 12)
    value = float(r.scenario.segments[0].revenue.mean())
    served = r.metric("revenue")[0] / (value * d)  # customers who paid this period
    want = 0.3 * 5 * served * d
    assert r.metric("routine_contacts_cost")[0] == pytest.approx(want, rel=1e-12)
    assert r.metric("routine_cost")[0] == pytest.approx(
        -0.3 * 5 / value * r.metric("lost_revenue")[0], rel=1e-12
    )
    assert bare.metric("routine_contacts_cost")[0] == 0.0


def test_monte_carlo_cost_lines_add_up_run_by_run() -> None:
    r = cxsim.simulate(cxsim.loads(TINY + COSTS + ROUTINE), runs=64, seed=3)
    for line in PNL_METRICS[2:]:
        for by in BREAKDOWNS:
            np.testing.assert_allclose(r.cost_by(line, by).sum(axis=1), r.metric(line), rtol=1e-12)
    np.testing.assert_allclose(
        r.periods["failure_cost"].sum(axis=1),
        r.metric("serving_cost") + r.metric("recovery_cost") + r.metric("replacement_cost"),
        rtol=1e-12,
    )


def test_a_scenario_without_costs_has_only_its_lost_margin() -> None:
    r = cxsim.expected(cxsim.loads(TINY))
    for line in PNL_METRICS[2:]:
        assert r.metric(line)[0] == 0.0
    assert r.metric("cost_of_poor_experience")[0] == r.metric("lost_revenue")[0]
    assert "Cost of poor experience" not in r.text()


def test_deflection_to_a_bot_lowers_the_cost_of_a_contact() -> None:
    """A bot offered 40% of contacts, containing half at 0.5 each: 0.4 (0.5 + 0.5 x 5) + 0.6 x 5."""
    base = cxsim.loads(TINY + COSTS)
    bot = cxsim.loads(TINY + COSTS + "  deflection: {share: 0.4, containment: 0.5, cost: 0.5}\n")
    ratio = (0.4 * (0.5 + 0.5 * 5) + 0.6 * 5) / 5
    a, b = cxsim.expected(base), cxsim.expected(bot)
    assert b.metric("serving_cost")[0] == pytest.approx(ratio * a.metric("serving_cost")[0])
    assert b.metric("lost_revenue")[0] == a.metric("lost_revenue")[0]


SAVING = """interventions:
  - name: Bot answers first
    effects:
      - {path: costs.deflection.share, set: 0.4}
      - {path: costs.deflection.containment, set: 0.5}
    costs: {one_off: 2000, per_period: -300}
"""


def test_an_intervention_may_save_money_and_the_comparison_shows_the_cost_side() -> None:
    text = TINY.replace("value: revenue", "value: margin")
    scenario = cxsim.loads(text + COSTS + "  deflection: {cost: 0.5}\n" + SAVING)
    comparison = cxsim.compare(scenario, runs=32, seed=1)
    o = comparison["Bot answers first"]
    assert np.all(o.loss_avoided == 0)  # a bot changes no one's experience here
    assert np.all(o.cost_avoided > 0)
    np.testing.assert_allclose(o.cost, 2000 - 300 * 6)  # six periods, undiscounted
    np.testing.assert_allclose(o.npv, o.cost_avoided - o.cost)
    assert "failure costs avoided" in comparison.text()
    assert "cost_avoided" in comparison.to_dict()["interventions"][0]


def test_a_bot_saves_on_routine_contacts_too() -> None:
    """Without a support queue a bot changes no one's experience: it saves the difference in
    the cost of a contact, 5 -> 0.4 (0.5 + 0.5 x 5) + 0.6 x 5 = 4.2, on every contact, routine
    ones included, and the comparison shows that saving on the cost side."""
    text = TINY.replace("value: revenue", "value: margin")
    scenario = cxsim.loads(text + COSTS + ROUTINE + "  deflection: {cost: 0.5}\n" + SAVING)
    comparison = cxsim.compare(scenario, runs=16, seed=1)
    o, base = comparison["Bot answers first"], comparison.baseline
    assert np.all(o.loss_avoided == 0)
    routine = base.metric("routine_contacts_cost")
    np.testing.assert_allclose(
        routine - o.results.metric("routine_contacts_cost"), routine * (1 - 4.2 / 5), rtol=1e-12
    )
    serving = base.metric("serving_cost") * (1 - 4.2 / 5)
    np.testing.assert_allclose(o.cost_avoided, serving + routine * (1 - 4.2 / 5), rtol=1e-9)
    assert "routine contacts" in comparison.text()
