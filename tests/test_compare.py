"""Interventions and the business case: common random numbers, costs, ramps, budget, pilot."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

import cxsim
from cxsim.analysis.compare import SubsetFigures, best_within_budget, compare
from cxsim.analysis.pilot import plan_pilot
from cxsim.errors import ScenarioError
from cxsim.model.interventions import InterventionSet, resolve

from .conftest import ROOT, TINY, cxsim_in_process

SUBSCRIPTION = ROOT / "scenarios" / "subscription.yaml"

# A business case nets costs against margin (cxsim.analysis.valuation): the tiny shop's figures,
# valued on margin (margin 1 by default, so the numbers are those of revenue).
TINY_FIXES = (
    TINY.replace("value: revenue", "value: margin")
    + """
interventions:
  - name: Fix delivery
    description: A better carrier.
    effects: [{path: "journey.stages[Use].touchpoints[Delivery].failure_rate", scale: 0.5}]
    costs: {one_off: 1000, per_period: 100, per_customer: 0.01}
    start: 3
  - name: Fix everything
    effects: [{path: "journey.stages[*].touchpoints[*].failure_rate", scale: 0.5}]
    costs: {per_period: 500}
    ramp_up: 4
"""
)


def test_paths_name_inputs_by_name_index_filter_and_wildcard() -> None:
    s = cxsim.load(SUBSCRIPTION)
    assert resolve(
        s, "journey.stages[Support].touchpoints[Help request unanswered].failure_rate"
    ) == ["journey.stages.3.touchpoints.0.failure_rate"]
    assert resolve(s, "journey.stages[*].touchpoints[cause=expectations].failure_rate") == [
        "journey.stages.4.touchpoints.0.failure_rate"
    ]
    assert resolve(s, "journey.stages.1.touchpoints.1.exposure") == [
        "journey.stages.1.touchpoints.1.exposure.Monthly plan",
        "journey.stages.1.touchpoints.1.exposure.Annual plan",
    ]
    assert resolve(s, "segments[Nobody].revenue") == []


def test_an_effect_naming_nothing_is_a_located_error() -> None:
    text = TINY_FIXES.replace("touchpoints[Delivery]", "touchpoints[Delivry]")
    with pytest.raises(ScenarioError) as info:
        cxsim.loads(text, "x.yaml")
    (problem,) = info.value.problems
    assert str(problem).startswith("x.yaml:37:22: interventions[0].effects[0].path: names no input")


def test_common_random_numbers_shrink_the_error_of_the_difference() -> None:
    scenario = cxsim.load(SUBSCRIPTION)
    kw = dict(runs=512, seed=9, interventions=["Live chat"], combined=False)
    crn = compare(scenario, **kw)["Live chat"]  # type: ignore[arg-type]
    independent = compare(scenario, common_random_numbers=False, **kw)["Live chat"]  # type: ignore[arg-type]
    se_crn = crn.loss_avoided.std(ddof=1)
    se_ind = independent.loss_avoided.std(ddof=1)
    assert se_ind / se_crn > 5, (se_ind, se_crn)
    # Both estimate the same thing.
    diff = crn.loss_avoided.mean() - independent.loss_avoided.mean()
    assert abs(diff) < 4 * math.hypot(se_crn, se_ind) / math.sqrt(512)


def test_nothing_changes_before_the_start_and_costs_add_up() -> None:
    scenario = cxsim.loads(TINY_FIXES)
    c = compare(scenario, runs=256, seed=4, interventions=["Fix delivery"], combined=False)
    o = c["Fix delivery"]
    base, world = c.baseline.periods, o.results.periods
    for name in ("revenue", "active", "churned", "defected", "acquired"):
        np.testing.assert_array_equal(world[name][:, :2], base[name][:, :2])
    assert (world["defected"][:, 2:].sum(axis=1) <= base["defected"][:, 2:].sum(axis=1) + 50).all()
    d = scenario.economics.discount_factor  # 1: no discounting in TINY
    expected = 1000 * d**3 + sum(
        (100 + 0.01 * world["active"][:, t]) * d ** (t + 1) for t in range(2, 6)
    )
    np.testing.assert_allclose(o.cost, expected, rtol=1e-12)
    np.testing.assert_allclose(o.npv, o.loss_avoided - o.cost, rtol=1e-12)


def test_ramp_up_reaches_full_effect_linearly() -> None:
    iv = cxsim.loads(TINY_FIXES).interventions[1]
    np.testing.assert_allclose(iv.weights(6), [0.25, 0.5, 0.75, 1.0, 1.0, 1.0])
    late = cxsim.loads(TINY_FIXES).interventions[0]
    np.testing.assert_allclose(late.weights(6), [0, 0, 1, 1, 1, 1])


def test_combinations_are_simulated_not_summed() -> None:
    scenario = cxsim.load(SUBSCRIPTION)
    names = [iv.name for iv in scenario.interventions]
    a, b = names.index("Set expectations right"), names.index("Act on feedback")
    base = cxsim.expected(scenario).metric("revenue")[0]

    def gain(indices: tuple[int, ...]) -> float:
        world = cxsim.expected(scenario, variant=InterventionSet(indices, "x"))
        return float(world.metric("revenue")[0] - base)

    together, apart = gain((a, b)), gain((a,)) + gain((b,))
    assert together != pytest.approx(apart, rel=1e-3)  # both act on the same failures
    assert 0 < together < apart


# Four interventions on the tiny shop, whose effects overlap (a set is not the sum of its
# members): the budget search is checked against every subset, run here one by one.
BUDGET_SHOP = (
    TINY.replace("value: revenue", "value: margin")
    + """
interventions:
  - name: Fix delivery
    effects: [{path: "journey.stages[Use].touchpoints[Delivery].failure_rate", scale: 0.5}]
    costs: {one_off: 20000}
  - name: Fix billing
    effects: [{path: "journey.stages[Use].touchpoints[Billing].failure_rate", scale: 0.3}]
    costs: {per_period: 2000}
  - name: Fix search
    effects: [{path: "journey.stages[Browse].touchpoints[Search].failure_rate", scale: 0.5}]
    costs: {one_off: 5000}
  - name: Fix everything
    effects: [{path: "journey.stages[*].touchpoints[*].failure_rate", scale: 0.7}]
    costs: {per_period: 3000}
"""
)


def test_budget_finds_the_best_affordable_set() -> None:
    """The set found has the highest expected NPV of every subset within the budget (all 15
    run here through the expected-value model), where the best set overall costs more."""
    scenario = cxsim.loads(BUDGET_SHOP)
    budget = 40_000
    base = cxsim.expected(scenario).metric("revenue")[0]
    npv_cost = {}
    for k in range(1, 5):
        for subset in itertools.combinations(range(4), k):
            world = cxsim.expected(scenario, variant=InterventionSet(subset, "one"))
            cost = world.metric("cost")[0]
            npv_cost[subset] = (world.metric("revenue")[0] - base - cost, cost)
    best_overall = max(npv_cost, key=lambda s: npv_cost[s][0])
    assert npv_cost[best_overall][1] > budget  # the budget binds
    figures = SubsetFigures(scenario)  # both budgets' searches run each subset once between them
    best = best_within_budget(scenario, budget, figures=figures)
    assert best is not None
    npv, cost = npv_cost[tuple(sorted(best.indices))]
    assert cost <= budget
    affordable = [n for n, c in npv_cost.values() if c <= budget]
    assert npv == pytest.approx(max(affordable), rel=1e-12)
    assert best_within_budget(scenario, 10.0, figures=figures) is None


def test_pilot_sample_size_matches_the_two_proportion_formula() -> None:
    plan = plan_pilot(cxsim.load(SUBSCRIPTION), "Personalised onboarding")
    c0, c1 = 1 - (1 - plan.churn_control) ** 6, 1 - (1 - plan.churn_treated) ** 6
    pbar = (c0 + c1) / 2
    n = (
        1.959964 * math.sqrt(2 * pbar * (1 - pbar))
        + 0.841621 * math.sqrt(c0 * (1 - c0) + c1 * (1 - c1))
    ) ** 2 / (c0 - c1) ** 2
    assert plan.table.loc[6, "customers_per_arm"] == pytest.approx(n, rel=1e-4)
    assert plan.churn_treated < plan.churn_control
    sizes = plan.table["customers_per_arm"].tolist()
    assert sizes == sorted(sizes, reverse=True)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return cxsim_in_process(*args, cwd=ROOT)


def test_compare_cli_json_and_workbook(tmp_path: Path) -> None:
    """The JSON document and the workbook's shape (which set is recommended comes from the
    expected-value model, so a few runs show all of it)."""
    book = tmp_path / "case.xlsx"
    out = cli(
        "compare",
        str(SUBSCRIPTION),
        "--runs",
        "64",
        "--seed",
        "1",
        "--intervention",
        "Live chat",
        "--intervention",
        "Verify resolution",
        "--json",
        "--xlsx",
        str(book),
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["baseline"]["lost_revenue"]["mean"] > 0
    names = [o["name"] for o in doc["interventions"]]
    # Verify resolution lowers any set it joins: no recommended set beyond Live chat alone.
    assert set(names) == {"Live chat", "Verify resolution"}
    for o in doc["interventions"]:
        for key in ("loss_avoided", "cost", "npv", "roi", "payback_periods"):
            assert {"mean", "p5", "p50", "p95"} <= set(o[key])
        assert 0 <= o["p_pays"] <= 1
    npvs = [o["npv"]["mean"] for o in doc["interventions"]]
    assert npvs == sorted(npvs, reverse=True)
    wb = load_workbook(book)
    assert wb.sheetnames == [
        "Summary",
        "Inputs",
        "Cash flows",
        "By year",
        "Where it is lost",
        "Interventions",
        "Runs",
        "Provenance",
    ]
    npv = wb["Interventions"]["E5"].value  # NPV: the discounted net of the cash flows
    assert npv.startswith("='Cash flows'!"), npv
    again = cli("compare", str(SUBSCRIPTION), "--runs", "16", "--xlsx", str(book))
    assert again.returncode == 2 and "--force" in again.stderr


def test_pilot_and_unknown_intervention_cli() -> None:
    # The plan's sample sizes do not depend on the runs (only its EVSI does): a few suffice.
    out = cli("pilot", str(SUBSCRIPTION), "--intervention", "Live chat", "--runs", "64", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["plan"][0]["periods"] == 1
    bad = cli("pilot", str(SUBSCRIPTION), "--intervention", "Live chta")
    assert bad.returncode == 2 and "no intervention named 'Live chta'" in bad.stderr


FIXES = ROOT / "scenarios" / "interventions" / "ecommerce_fixes.yaml"


def test_an_interventions_file_names_its_scenario(tmp_path: Path) -> None:
    scenario, source = cxsim.load_with_source(FIXES)
    assert scenario.name == "Modehaus online retailer"
    assert [iv.name for iv in scenario.interventions] == [
        "Premium carrier",
        "Instant refunds",
        "Honest product pages",
    ]
    # The recorded text is the merged scenario, so a result can be re-run from it alone.
    assert cxsim.loads(source.text) == scenario
    bad = tmp_path / "fixes.yaml"  # (its scenario must be in its folder tree: copied there)
    (tmp_path / "ecommerce.yaml").write_text((ROOT / "scenarios" / "ecommerce.yaml").read_text())
    bad.write_text(
        FIXES.read_text()
        .replace("../ecommerce.yaml", "ecommerce.yaml")
        .replace("touchpoints[Slow refund]", "touchpoints[Slow refnd]")
    )
    with pytest.raises(ScenarioError) as info:
        cxsim.load(bad)
    (problem,) = info.value.problems
    assert str(problem).startswith(f"{bad}:16:16: interventions[1].effects[0].path: names no input")
    out = cli("compare", str(FIXES), "--runs", "64", "--seed", "1", "--json")
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)["interventions"]) == 4
