"""Value of information against closed forms (Raiffa & Schlaifer 1961; Strong et al. 2014)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

import cxsim
from cxsim.analysis.voi import drawn_inputs, evpi, evppi, value_of_information
from cxsim.model.loader import loads

RUNS = 40_000


def normal_evpi(mu: float, sigma: float) -> float:
    """EVPI of NB ~ N(mu, sigma) against 0: sigma phi(mu / sigma) - |mu| Phi(-|mu| / sigma)."""
    return sigma * stats.norm.pdf(mu / sigma) - abs(mu) * stats.norm.cdf(-abs(mu) / sigma)


@pytest.mark.parametrize(("mu", "sigma"), [(0.0, 1.0), (0.5, 1.0), (-2.0, 3.0), (1.0, 0.4)])
def test_evpi_of_a_two_action_normal_case_matches_the_closed_form(mu, sigma):
    """Fund an option whose NB is normal, or none: the EVPI is the unit normal loss integral."""
    z = stats.norm.ppf((np.arange(RUNS) + 0.5) / RUNS)  # an even normal sample: tiny error
    nb = np.column_stack([np.zeros(RUNS), mu + sigma * z])
    assert evpi(nb) == pytest.approx(normal_evpi(mu, sigma), rel=2e-3, abs=1e-6)


@pytest.mark.parametrize(("a", "b"), [(0.3, 1.0), (-0.5, 2.0), (1.0, -0.7)])
def test_partial_evpi_on_a_linear_model_is_the_evpi_of_its_part(a, b):
    """NB = a + b X + e, e independent of X: knowing X reveals a + b X ~ N(a, |b|), so the
    partial EVPI of X is the EVPI of that normal; of e (pure noise here) it is near 0."""
    rng = np.random.default_rng(7)
    x, e = rng.standard_normal(RUNS), rng.standard_normal(RUNS)
    nb = np.column_stack([np.zeros(RUNS), a + b * x + e])
    known = normal_evpi(a, abs(b))
    assert evppi(nb, x) == pytest.approx(known, rel=0.04)
    assert evppi(nb, rng.standard_normal(RUNS)) < 0.05 * known  # unrelated: near nothing
    assert evppi(nb, x) <= evpi(nb)


def test_partial_evpi_of_a_discrete_input_uses_its_group_means():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 2, RUNS).astype(float)  # NB = -1 + 2 X: worth funding only if X = 1
    nb = np.column_stack([np.zeros(RUNS), -1.0 + 2.0 * x + rng.standard_normal(RUNS)])
    # Without information fund nothing (E NB ~ 0) or it; with X known gain 1 half the time.
    assert evppi(nb, x) == pytest.approx(0.5 - max(0.0, nb[:, 1].mean()), abs=0.02)


INTERVENTION = """
interventions:
  - name: Fix delivery
    effects:
      - {path: "journey.stages[Use].touchpoints[Delivery].failure_rate",
         scale: {dist: uniform, low: 0.2, high: 1.0}}
    costs: {one_off: {dist: uniform, low: 20000, high: 60000}}
"""


def test_value_of_information_of_a_comparison(tiny_text):
    """The redrawn inputs are the runs' own (the cost drawn is the cost charged), and the
    uncertain effect and cost carry the value of information of funding or not."""
    scenario = loads(tiny_text.replace("value: revenue", "value: margin") + INTERVENTION)
    comparison = cxsim.compare(scenario, runs=600, seed=5)
    drawn = drawn_inputs(scenario, 600, 5)
    cost = comparison["Fix delivery"].cost
    assert np.corrcoef(drawn["interventions.0.costs.one_off"], cost)[0, 1] > 0.999
    voi = value_of_information(comparison)
    assert voi.kind == "value_of_information" and voi.options[0] == "none"
    assert voi.evpi == pytest.approx(
        evpi(np.column_stack([np.zeros(600), comparison["Fix delivery"].npv]))
    )
    frame = voi.to_frame()
    assert set(frame.index) == {"interventions.0.effects.0.scale", "interventions.0.costs.one_off"}
    assert (frame["evppi"] <= voi.evpi + 1e-9).all() and (frame["evppi"] >= 0).all()
    assert frame.loc["interventions.0.costs.one_off", "label"] == "Fix delivery: costs.one_off"
    assert voi.to_dict()["best"] == voi.best and "EVPI" in voi.text()
    only = value_of_information(comparison, ["interventions[Fix delivery].costs"])
    assert list(only.to_frame().index) == ["interventions.0.costs.one_off"]


def test_voi_cli(tiny_text, tmp_path):
    """The command reads a scenario file and prints the value of information as JSON (a
    one-intervention scenario: the wiring is the same as for many, without searching sets)."""
    from tests.conftest import cxsim_in_process

    path = tmp_path / "tiny.yaml"
    path.write_text(tiny_text.replace("value: revenue", "value: margin") + INTERVENTION)
    out = cxsim_in_process("voi", str(path), "--runs", "256", "--seed", "3", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["kind"] == "value_of_information" and doc["evpi"] >= 0
    assert "Examples:" in cxsim_in_process("voi", "--help").stdout
