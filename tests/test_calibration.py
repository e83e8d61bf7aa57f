"""Calibration to actuals: the examples reproduce their actuals; a known baseline is recovered;
the observed = baseline + failure-caused identity; contradictions and bad actuals are errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import cxsim
from cxsim.analysis.calibration import calibrate_scenario, reconcile
from cxsim.cli.main import cli
from tests.conftest import SCENARIOS, TINY

ACTUALS = """
actuals:
  - {metric: active, periods: [1], value: 20000}
  - {metric: churn, periods: [1, 6], value: 0.05}
  - {metric: new_customers, periods: [1, 6], value: 900}
"""


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_examples_reproduce_their_actuals_in_the_expected_value_model(path: Path) -> None:
    scenario = cxsim.load(path)
    table = reconcile(scenario)
    assert table.rows
    for row in table.rows:
        assert row["within"], row
        if row["metric"] != "retention":
            assert abs(row["difference"]) <= 0.005 * abs(row["observed"]), row


def test_calibration_matches_and_recalibrating_moves_nothing() -> None:
    cal = calibrate_scenario(cxsim.loads(TINY + ACTUALS))
    assert all(abs(r["difference"]) <= 1e-6 * r["observed"] for r in cal.reconciliation.rows)
    again = calibrate_scenario(cal.scenario)
    for path, value in cal.solved.items():
        assert again.solved[path] == pytest.approx(value, rel=1e-6)


@pytest.mark.parametrize(
    "churn", ["{model: constant, rate: 0.03}", "{model: sbg, alpha: 1.2, beta: 9.0}"]
)
def test_a_known_baseline_is_recovered_within_two_percent(churn: str) -> None:
    """Actuals made from a known baseline; calibrating a perturbed scenario recovers it."""
    text = TINY.replace("{model: constant, rate: 0.02}", churn)
    truth = cxsim.loads(text)
    ev = cxsim.expected(truth)
    if "sbg" in churn:
        from cxsim.analysis.calibration.solve import baseline_from_retention

        cohort = reconcile(
            cxsim.modify(
                truth,
                {"actuals": [{"metric": "retention", "survival": [0.5], "tolerance": 0.5}]},
            )
        )
        del cohort  # the survival of a true cohort comes from the model itself:
        from cxsim.analysis.calibration.views import cohort as make_cohort
        from cxsim.analysis.calibration.views import run_like

        active = run_like(make_cohort(truth, 0, 6), None).periods["active"][0]
        survival = [float(a / active[0]) for a in active[1:]]
        perturbed = cxsim.modify(
            truth, {"segments.0.churn.alpha": 2.0, "segments.0.churn.beta": 6.0}
        )
        solved = baseline_from_retention(perturbed, survival)
        assert solved["segments.0.churn.alpha"] == pytest.approx(1.2, rel=0.02)
        assert solved["segments.0.churn.beta"] == pytest.approx(9.0, rel=0.02)
        return
    p = ev.periods
    observed = float((p["churned"] + p["defected"]).sum() / p["active"].sum())
    actual = [{"metric": "churn", "periods": [1, 6], "value": observed}]
    perturbed = cxsim.modify(truth, {"segments.0.churn.rate": 0.05, "actuals": actual})
    cal = calibrate_scenario(perturbed)
    assert cal.solved["segments.0.churn.rate"] == pytest.approx(0.03, rel=0.02)


def test_without_failures_the_baseline_is_the_observed_churn_and_the_gap_is_failure_churn() -> None:
    scenario = cxsim.loads(TINY + ACTUALS)
    zero = {
        f"journey.stages.{i}.touchpoints.{j}.failure_rate": 0
        for i, stage in enumerate(scenario.journey.stages)
        for j in range(len(stage.touchpoints))
    }
    clean = cxsim.modify(scenario, zero)
    assert calibrate_scenario(clean).solved["segments.0.churn.rate"] == pytest.approx(
        0.05, rel=1e-9
    )
    cal = calibrate_scenario(scenario)
    p = cxsim.expected(cal.scenario).periods
    failure_caused = float(p["defected"][0, :6].sum() / p["active"][0, :6].sum())
    baseline_share = float(p["churned"][0, :6].sum() / p["active"][0, :6].sum())
    assert baseline_share == pytest.approx(cal.solved["segments.0.churn.rate"], rel=1e-9)
    assert 0.05 - baseline_share == pytest.approx(failure_caused, rel=1e-9)


def test_contradictory_actuals_exit_2_with_the_message(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(TINY + ACTUALS.replace("value: 0.05", "value: 0.03"))
    result = CliRunner().invoke(cli, ["calibrate", "scenario", str(path)])
    assert isinstance(result.exception, cxsim.UserError)
    assert "below what failures alone cause" in str(result.exception)


def test_malformed_actuals_are_located(tmp_path: Path) -> None:
    bad = TINY + "actuals:\n  - {metric: churn, periods: [1, 6], value: 0.05, segmant: x}\n"
    with pytest.raises(cxsim.ScenarioError) as err:
        cxsim.loads(bad, source="s.yaml")
    assert "s.yaml:" in str(err.value) and "actuals[0]" in str(err.value)
    unknown = TINY + "actuals:\n  - {metric: churn, segment: Nobody, periods: [1], value: 0.05}\n"
    with pytest.raises(cxsim.ScenarioError, match="no segment named 'Nobody'"):
        cxsim.loads(unknown, source="s.yaml")
