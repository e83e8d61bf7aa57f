"""Pilot sizes against the textbook two-proportion and two-mean formulas (Chow, Shao & Wang)."""

from __future__ import annotations

import json
import math

import pytest

import cxsim
from cxsim.analysis.pilot import metric_of, plan_pilot, two_means, two_proportions
from tests.conftest import ROOT, cxsim_in_process

SUBSCRIPTION = ROOT / "scenarios" / "subscription.yaml"
Z_A, Z_B = 1.959964, 0.841621  # alpha 0.05 two-sided, power 0.8


def textbook(p1: float, p2: float) -> float:
    pbar = (p1 + p2) / 2
    return (
        Z_A * math.sqrt(2 * pbar * (1 - pbar)) + Z_B * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    ) ** 2 / (p1 - p2) ** 2


def test_two_proportions_and_two_means_match_the_textbook():
    assert two_proportions(0.30, 0.25) == pytest.approx(textbook(0.30, 0.25), rel=1e-5)
    assert 1249 < two_proportions(0.30, 0.25) < 1251  # the classic ~1,250 per arm
    assert two_means(0.5, 1.0) == pytest.approx(2 * (Z_A + Z_B) ** 2 / 0.25, rel=1e-5)
    assert two_proportions(0.2, 0.2) == math.inf


def test_effects_map_to_the_metric_they_move():
    assert metric_of("loss_tree.complaint_rate") == "complaint"
    assert metric_of("journey.stages[*].touchpoints[*].failure_rate") == "failure"
    assert metric_of("loss_tree.resolution.satisfied") == "satisfied"
    assert metric_of("segments[Monthly plan].conversion") == "conversion"
    assert metric_of("loss_tree.defection.silent.minor") == "churn"


def test_a_pilot_sizes_on_the_metric_the_intervention_moves():
    scenario = cxsim.load(SUBSCRIPTION)
    plan = plan_pilot(scenario, "Make complaining easy")  # moves complaint rates
    assert plan.metric == "complaint" and plan.unit == "failures"
    (row,) = plan.table.to_dict(orient="records")
    assert row["units_per_arm"] == math.ceil(textbook(plan.control, plan.treated))
    assert plan.treated > plan.control
    # Duration: the periods the business takes to produce both arms' failures.
    (periods,) = plan.table.index
    assert periods == math.ceil(2 * textbook(plan.control, plan.treated) / plan.per_period)
    csat = plan_pilot(scenario, "Live chat", metric="satisfied")
    assert csat.metric == "satisfied" and csat.treated > csat.control
    revenue = plan_pilot(scenario, "Live chat", metric="revenue")
    sd = revenue.control  # REVENUE_CV of the mean
    row1 = revenue.table.loc[1]
    assert row1["units_per_arm"] == math.ceil(two_means(row1["treated"] - row1["control"], sd))


def test_pilot_cli_takes_a_metric():
    out = cxsim_in_process(
        "pilot",
        str(SUBSCRIPTION),
        "--intervention",
        "Live chat",
        "--metric",
        "satisfied",
        "--runs",
        "64",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["kind"] == "pilot_plan" and doc["metric"] == "satisfied"
    assert "Examples:" in cxsim_in_process("pilot", "--help").stdout
