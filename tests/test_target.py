"""Targets: what moving a key indicator is worth, on a scenario with a known answer."""

from __future__ import annotations

import json

import numpy as np
import pytest

import cxsim
from cxsim.analysis.target import target
from cxsim.model.variants import Change, Changes

from .conftest import TINY, cxsim_in_process

SHOP = TINY.replace("value: revenue", "value: margin")
SATISFIED = "loss_tree.resolution.satisfied"


def test_csat_plus_five_points_has_a_known_lever_and_value() -> None:
    """With a fixed resolution split, CSAT (complainers satisfied) is the split's satisfied
    share exactly: +5 points from 30% needs 35%, a multiple of 35 / 30. Its value is the
    margin the expected-value model saves at 35%, within the Monte Carlo's standard error
    (common random numbers)."""
    scenario = cxsim.loads(SHOP)
    found = target(scenario, "csat", 5.0, [SATISFIED], runs=400, seed=2)
    assert found.multiple == pytest.approx(0.35 / 0.30, rel=1e-5)
    assert found.levers["needed"].iloc[0] == pytest.approx(0.35, rel=1e-5)
    assert found.today == pytest.approx(30.0, rel=1e-9)
    assert found.reached - found.today == pytest.approx(5.0, abs=1e-4)
    base = cxsim.expected(scenario).metric("revenue")[0]
    at = Changes((Change(SATISFIED, "set", 0.35),))
    worth = cxsim.expected(scenario, variant=at).metric("revenue")[0] - base
    sem = found.value.std(ddof=1) / np.sqrt(found.value.size)
    assert abs(found.value.mean() - worth) < 4 * sem
    moved = found.metric_change
    assert abs(moved.mean() - 5.0) < 4 * moved.std(ddof=1) / np.sqrt(moved.size)
    d = json.loads(found.to_json())
    assert d["kind"] == "target" and d["metric"] == "csat" and d["unit"] == "percentage points"
    assert "csat +5 percentage points" in found.text()


def test_nps_target_moves_the_failure_rates_down() -> None:
    """+3 NPS points by fewer failures: the levers fall below today's values and the solved
    change is met in the expected-value model."""
    scenario = cxsim.loads(SHOP)
    path = "journey.stages[*].touchpoints[*].failure_rate"
    found = target(scenario, "nps", 3.0, [path], runs=64, seed=1)
    assert 0 < found.multiple < 1
    assert found.reached - found.today == pytest.approx(3.0, abs=1e-4)
    assert len(found.levers) == 3 and (found.levers["needed"] < found.levers["today"]).all()
    assert found.value.mean() > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--metric", "loyalty", "--change", "5"], "loyalty"),
        (["--metric", "csat", "--change", "90"], "out of the levers' reach"),
        (["--metric", "csat", "--change", "5", "--lever", "segments.0.revenue"], "do not move"),
        (["--metric", "csat", "--change", "5", "--lever", "loss_tree.nothing"], "names no input"),
        (["--metric", "response_minutes", "--change", "-5"], "no support"),
        (["--metric", "csat", "--change", "0"], "other than 0"),
    ],
)
def test_bad_targets_exit_2_with_a_clear_message(tmp_path, args, message) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP)
    levers = [] if "--lever" in args else ["--lever", SATISFIED]
    done = cxsim_in_process("target", str(path), *args, *levers, "--runs", "16")
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_prints_the_value_and_json(tmp_path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP)
    args = ("target", str(path), "--metric", "csat", "--change", "+5", "--lever", SATISFIED)
    done = cxsim_in_process(*args, "--runs", "32", "--json")
    assert done.returncode == 0, done.stderr
    d = json.loads(done.stdout)
    assert d["kind"] == "target" and d["multiple"] == pytest.approx(0.35 / 0.30, rel=1e-5)
    text = cxsim_in_process(*args, "--runs", "32").stdout
    assert "0.3 -> 0.35" in text and "worth" in text


def test_churn_reads_as_a_percentage() -> None:
    """Churn is a rate in percent: its levels print as "5.24%" (today's and the target's, as
    found), its change in percentage points."""
    path = "journey.stages[*].touchpoints[*].failure_rate"
    found = target(cxsim.loads(SHOP), "churn", -0.2, [path], runs=20, seed=2)
    text = found.text()
    assert f"churn today {found.today:.3g}%, at the target {found.reached:.3g}%" in text
    assert "percentage points)" in text
