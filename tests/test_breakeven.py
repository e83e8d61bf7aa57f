"""Break-even on a scenario built with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from cxsim.analysis.breakeven import (
    Pinned,
    assumption_words,
    bisect_threshold,
    breakeven,
    cost_multiple,
    crossing,
    margin_crossing,
    pays_margin,
    threshold,
)
from cxsim.engine.simulation import expected
from cxsim.model.interventions import InterventionSet
from cxsim.model.loader import loads
from cxsim.model.paths import iter_inputs, resolve
from cxsim.model.variants import Change, Changes, Then

LOW, HIGH = 3_000_000.0, 4_000_000.0
INTERVENTION = f"""
interventions:
  - name: Fix delivery
    effects:
      - {{path: "journey.stages[Use].touchpoints[Delivery].failure_rate", scale: 0.5}}
    costs: {{one_off: {{dist: uniform, low: {LOW}, high: {HIGH}}}}}
"""


def test_bisection_finds_a_known_threshold():
    assert bisect_threshold(lambda k: float(k >= 3.7), 0.5, tol=1e-6) == pytest.approx(3.7)
    assert bisect_threshold(lambda k: 0.0, 0.5) == float("inf")


def test_breakeven_matches_the_known_answer(tiny_text):
    """The cost is uniform on [LOW, HIGH] and the effect fixed, so the intervention pays with
    probability (A - LOW) / (HIGH - LOW), A the loss avoided: at break-even A = LOW + t (HIGH -
    LOW). The weakest effect found must avoid that (expected-value model), within 1%."""
    # A hundred times the customers: their own randomness is small beside the cost's range.
    text = tiny_text.replace("value: revenue", "value: margin") + INTERVENTION
    text = text.replace("customers: 20000", "customers: 2000000").replace(
        "prospects: 2000", "prospects: 200000"
    )
    scenario = loads(text)
    target = 0.8
    # The effect and the cost only: the key assumptions' searches are checked below.
    b = breakeven(scenario, "Fix delivery", target, runs=2048, seed=3, assumptions=())
    x = float(b.effects["break_even"].iloc[0])
    key = "interventions.0.effects.0.scale"
    base = float(expected(scenario).metric("revenue")[0])
    pinned = Pinned(InterventionSet((0,), "Fix delivery"), ((key, x),))
    avoided = float(expected(scenario, variant=pinned).metric("revenue")[0]) - base
    assert avoided == pytest.approx(LOW + target * (HIGH - LOW), rel=0.01)
    # The cost: loss avoided A at the full effect, so the largest cost scale is A over the
    # cost's (1 - t) quantile ... the cost multiple c has P(A > c C) = t: c = A / q_t(C).
    full = float(expected(scenario, variant=InterventionSet((0,), "x")).metric("revenue")[0]) - base
    q = LOW + target * (HIGH - LOW)
    assert b.cost_multiple == pytest.approx(full / q, rel=0.01)
    assert b.to_dict()["kind"] == "breakeven" and "Fix delivery" in b.text()
    assert np.isfinite(b.to_frame()["multiple"]).all()


def _big_tiny(tiny_text: str) -> str:
    """TINY with a hundred times the customers, valued on margin, with "Fix delivery"."""
    text = tiny_text.replace("value: revenue", "value: margin") + INTERVENTION
    return text.replace("customers: 20000", "customers: 2000000").replace(
        "prospects: 2000", "prospects: 200000"
    )


@pytest.mark.parametrize(
    "path", ["journey.stages[Use].touchpoints[Delivery].failure_rate", "loss_tree.defection"]
)
def test_breakeven_of_a_key_assumption_matches_the_known_answer(tiny_text, path):
    """With the cost uniform on [LOW, HIGH] and the effect fixed, the intervention pays with
    probability t where its loss avoided is A = LOW + t (HIGH - LOW). The key assumption's
    break-even (one input's value, or a multiple of every input a path names), pinned in both
    worlds of the expected-value model, must avoid that within 1%."""
    scenario = loads(_big_tiny(tiny_text))
    target = 0.8
    b = breakeven(scenario, "Fix delivery", target, runs=1024, seed=3, assumptions=[path])
    (row,) = b.assumptions.to_dict(orient="records")
    assert np.isfinite(row["break_even"])
    means = {p: d.mean() for p, d in iter_inputs(scenario)}
    inputs = resolve(scenario, path)
    assert row["inputs"] == len(inputs)
    pins = Changes(tuple(Change(p, "set", row["multiple"] * means[p]) for p in inputs))
    chosen = InterventionSet((0,), "Fix delivery")
    base = float(expected(scenario, variant=pins).metric("revenue")[0])
    avoided = float(expected(scenario, variant=Then(pins, chosen)).metric("revenue")[0]) - base
    assert avoided == pytest.approx(LOW + target * (HIGH - LOW), rel=0.01)
    # More failures (or defections) make fixing them worth more: the break-even is a floor.
    assert row["must"] == "at least"
    assert row["label"] in b.text()
    assert b.to_dict()["assumptions"][0]["path"] == path


def test_crossing_finds_a_known_threshold_on_either_side():
    """A step at k = 3.7 (paying above) found from k = 1, and a falling step at 0.3."""
    k, must = crossing(lambda k: float(k >= 3.7), 0.5, 0.0, lo=1 / 16, hi=16, tol=1e-6)
    assert k == pytest.approx(3.7, rel=1e-5) and must == "at least"
    k, must = crossing(lambda k: float(k <= 0.3), 0.5, 0.0, lo=1 / 16, hi=16, tol=1e-6)
    assert k == pytest.approx(0.3, rel=1e-5) and must == "at most"
    k, must = crossing(lambda k: float(k <= 3.0), 0.5, 1.0, lo=1 / 16, hi=16, tol=1e-6)
    assert k == pytest.approx(3.0, rel=1e-5) and must == "at most"
    assert crossing(lambda k: 1.0, 0.5, 1.0, lo=1 / 16, hi=16) == (float("inf"), "")


def test_cost_multiple_is_the_largest_that_still_pays_with_the_target():
    """At the multiple c, benefit > c x cost in at least the target share of runs; at the next
    run's ratio it no longer does (here the runs' ratios are 1, 2, ..., 10)."""
    cost = np.full(10, 100.0)
    benefit = cost * np.arange(1.0, 11.0)
    c = cost_multiple(benefit, cost, 0.8)
    assert c == 2.0
    assert np.mean(benefit > c * cost) >= 0.8 > np.mean(benefit > 3.0 * cost)
    assert cost_multiple(benefit, np.zeros(10), 0.8) == float("inf")


def test_an_assumption_with_no_crossing_says_which_way():
    """No crossing in the search: it pays whatever the value if it pays today, else never."""
    row = {"today": 3.0, "inputs": 1, "break_even": np.nan, "multiple": np.inf, "must": ""}
    assert assumption_words({**row, "p_today": 0.9}, 0.8).startswith("pays with the target")
    assert assumption_words({**row, "p_today": 0.1}, 0.8).startswith("does not pay")
    found = {**row, "break_even": 4.5, "multiple": 1.5, "must": "at least", "p_today": 0.9}
    assert assumption_words(found, 0.8) == "at least 4.5 (today 3)"


@pytest.mark.parametrize("runs", [7, 50, 500])
def test_the_margin_is_positive_exactly_when_it_pays_with_the_target(runs):
    """The margin (one run's NPV) is above zero exactly when P(NPV > 0) reaches the target,
    however the target falls between the runs' shares."""
    rng = np.random.default_rng(runs)
    for _ in range(200):
        npv = rng.normal(rng.normal(), 1.0, runs)
        target = float(rng.uniform(0.05, 0.95))
        assert (pays_margin(npv, target) > 0) == (np.mean(npv > 0) >= target)
    npv = np.arange(1.0, 11.0) - 3.0  # 7 of 10 runs pay
    assert pays_margin(npv, 0.7) > 0 >= pays_margin(npv, 0.71)


def test_the_secant_searches_need_few_evaluations_on_a_smooth_margin():
    """On a smooth margin regula falsi (Illinois) needs a handful of evaluations where
    bisection to the same tolerance needs about twenty; the answers are the same."""
    calls = []

    def g(k):
        calls.append(k)
        return np.tanh(3.0 * (k - 2.7)) + 0.1 * (k - 2.7)

    assert threshold(g, tol=1e-6) == pytest.approx(2.7, rel=1e-6)
    assert len(calls) <= 12
    calls.clear()
    k, must = margin_crossing(lambda k: -g(k), -g(1.0), lo=1 / 16, hi=16, tol=1e-6)
    assert k == pytest.approx(2.7, rel=1e-5) and must == "at most"
    assert len(calls) <= 14
    # A good guess saves the doubling steps; a misleading one still finds the crossing.
    for guess, most in ((2.6, 8), (0.2, 20)):
        calls.clear()
        k, _ = margin_crossing(g, g(1.0), lo=1 / 16, hi=16, tol=1e-6, guess=guess)
        assert k == pytest.approx(2.7, rel=1e-5) and len(calls) <= most + 1
