"""The value of a pilot's information (EVSI) against closed forms on a normal two-action case."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from cxsim.analysis.pilot_value import evsi, normal_evsi, preposterior_sd

from .conftest import TINY, cxsim_in_process


def test_normal_evsi_is_the_expected_gain_of_choosing_after_the_sign():
    """E[max(X, 0)] - max(E[X], 0) for X ~ N(m, s²), by numerical integration."""
    for m, s in [(0.0, 1.0), (-1.5, 2.0), (3.0, 1.0), (100.0, 1.0)]:
        gain = stats.norm(m, s).expect(lambda x: max(x, 0.0)) - max(m, 0.0)
        assert normal_evsi(m, s) == pytest.approx(gain, abs=1e-7)
    assert normal_evsi(5.0, 0.0) == 0.0


def test_evsi_from_draws_matches_the_preposterior_closed_form():
    """NPV = a + b Δ + e with Δ ~ N(μ, t²) and noise e the pilot cannot see; the pilot
    observes Δ + N(0, v). The preposterior mean of the NPV is normal with standard deviation
    |b| t² / sqrt(t² + v): EVSI is `normal_evsi(a + b μ, that)`. From 200,000 draws the
    estimate must match it within 2% (the slope's sampling error is far below that), and a
    direct preposterior simulation must too."""
    rng = np.random.default_rng(7)
    a, b, mu, t, v, e = -50.0, 40.0, 1.0, 1.5, 2.0, 30.0
    n = 200_000
    delta = rng.normal(mu, t, n)
    npv = a + b * delta + rng.normal(0, e, n)
    sd = abs(b) * t**2 / np.sqrt(t**2 + v)
    closed = normal_evsi(a + b * mu, sd)
    assert preposterior_sd(npv, delta, v) == pytest.approx(sd, rel=0.01)
    assert evsi(npv, delta, v) == pytest.approx(closed, rel=0.02)
    # Preposterior simulation: observe, update Δ (normal-normal), choose, average.
    seen = delta + rng.normal(0, np.sqrt(v), n)
    posterior = mu + t**2 / (t**2 + v) * (seen - mu)
    chosen = np.maximum(a + b * posterior, 0.0)
    sem = chosen.std(ddof=1) / np.sqrt(n)
    assert abs(chosen.mean() - max(a + b * mu, 0.0) - closed) < 4 * sem
    # A pilot that sees nothing is worth nothing; a perfect one is worth the explained part.
    assert evsi(npv, delta, np.inf) == 0.0
    assert evsi(npv, delta, 0.0) == pytest.approx(normal_evsi(a + b * mu, abs(b) * t), rel=0.02)


COIN_FLIP = """
interventions:
  - name: Fix delivery
    effects:
      - {path: "journey.stages[Use].touchpoints[Delivery].failure_rate",
         scale: {dist: uniform, low: 0.2, high: 1.0}}
    costs: {one_off: 60000}
"""


def test_pilot_cli_says_whether_the_pilot_is_worth_its_cost(tmp_path):
    """An intervention whose effect is as likely to pay as not: its pilot's information is
    worth something, more than nothing and less than a fortune."""
    path = tmp_path / "shop.yaml"
    path.write_text(TINY.replace("value: revenue", "value: margin") + COIN_FLIP)
    args = ("pilot", str(path), "--intervention", "Fix delivery", "--runs", "400", "--json")
    cheap = cxsim_in_process(*args, "--pilot-cost", "0")
    assert cheap.returncode == 0, cheap.stderr
    doc = json.loads(cheap.stdout)
    value = doc["value_of_information"]
    assert 0 < min(row["evsi"] for row in doc["plan"]) <= value["evpi"] * 1.05
    assert all(row["worth_cost"] for row in doc["plan"])
    dear = json.loads(cxsim_in_process(*args, "--pilot-cost", "1e9").stdout)
    assert not any(row["worth_cost"] for row in dear["plan"])
    text = cxsim_in_process(*args[:-1], "--pilot-cost", "1e9").stdout
    assert "EVSI" in text and "not worth its cost" in text
