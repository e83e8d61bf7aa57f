"""Sensitivity: tornado swings, Sobol indices against known answers, convergence to a precision."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

import cxsim
from cxsim.analysis.business_case import failure_costs
from cxsim.analysis.compare import intervention_sets
from cxsim.analysis.sensitivity import (
    SensitivityWarning,
    convergence,
    mean_model,
    run_to_precision,
    sobol,
    sobol_analysis,
    sobol_points,
    tornado,
    uncertain_inputs,
)
from cxsim.cli.main import cli
from cxsim.errors import UserError
from cxsim.model.parameters import iter_inputs
from cxsim.model.variants import Change, Changes

from .conftest import ROOT, TINY

SUBSCRIPTION = ROOT / "scenarios" / "subscription.yaml"

REVENUE = "segments.0.revenue"
MARGIN = "segments.0.margin"
DELIVERY = "journey.stages.1.touchpoints.0.failure_rate"

#: Three uncertain inputs whose effect on lost revenue is known by construction: the loss is
#: proportional to revenue per customer (every loss is valued at revenue), grows with the
#: delivery failure rate, and does not depend on the margin at all (the scenario counts revenue).
KNOWN = TINY.replace(
    "    revenue: 10\n",
    "    revenue: {dist: uniform, low: 5, high: 15}\n"
    "    margin: {dist: uniform, low: 0.3, high: 0.6}\n",
).replace(
    "{name: Delivery, exposure: 0.5, failure_rate: 0.1,",
    "{name: Delivery, exposure: 0.5, failure_rate: {dist: uniform, low: 0.05, high: 0.15},",
)


@pytest.fixture(scope="module")
def known() -> cxsim.Scenario:
    s = cxsim.loads(KNOWN, "known.yaml")
    assert uncertain_inputs(s) == [REVENUE, MARGIN, DELIVERY]
    return s


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["sensitivity", *args])


# --- tornado -----------------------------------------------------------------------------------


def test_tornado_json_is_a_list_ranked_by_swing() -> None:
    """On the subscription example: every uncertain input once, largest swing first."""
    result = invoke(str(SUBSCRIPTION), "--json")
    assert result.exit_code == 0, result.output
    bars = json.loads(result.output)
    s = cxsim.load(SUBSCRIPTION)
    assert isinstance(bars, list) and len(bars) == len(uncertain_inputs(s)) == 27
    for bar in bars:
        assert {"input", "low", "high", "swing"} <= set(bar)
        assert bar["swing"] == pytest.approx(abs(bar["high"] - bar["low"]))
        assert not bar["path"].startswith("interventions.")
    swings = [b["swing"] for b in bars]
    assert swings == sorted(swings, reverse=True) and swings[0] > 0
    assert len({b["input"] for b in bars}) == len(bars)
    # Each bar is the expected-value model with that input set, the others at their means.
    top = bars[0]
    at_high = Changes((Change(top["path"], "set", top["input_high"]),), at_means=True)
    assert cxsim.expected(s, variant=at_high).metric("lost_revenue")[0] == pytest.approx(
        top["high"], rel=1e-9
    )


def test_tornado_of_an_interventions_npv() -> None:
    """The base is the intervention's expected NPV; its own effect size is among the inputs."""
    s = cxsim.load(SUBSCRIPTION)
    t = tornado(s, intervention="Live chat")
    assert t.output == "npv"
    (chat,) = intervention_sets(s, ["Live chat"], combined=False)
    base, world = cxsim.expected(s), cxsim.expected(s, variant=chat)
    npv = world.metric("revenue")[0] - base.metric("revenue")[0] - world.metric("cost")[0]
    # The cost side (issue 14): the serving, recovery and replacement costs the fix spares.
    npv += (failure_costs(base.totals) - failure_costs(world.totals))[0]
    assert t.base == pytest.approx(npv, rel=1e-9)
    paths = set(t.bars["path"])
    assert "interventions.1.effects.0.add" in paths  # Live chat's own uncertain effect
    assert not {p for p in paths if p.startswith("interventions.") and p[14] != "1"}
    assert "Live chat: add loss_tree.resolution.satisfied" in t.bars.index
    # Its NPV moves most with the failure rate it acts on.
    assert t.bars["path"].iloc[0] == "journey.stages.3.touchpoints.0.failure_rate"


FIX_DELIVERY = """
interventions:
  - name: Fix delivery
    effects:
      - path: "journey.stages[Use].touchpoints[Delivery].failure_rate"
        scale: {dist: uniform, low: 0.3, high: 0.7}
    costs: {one_off: 1000, per_period: {dist: uniform, low: 50, high: 150}}
    start: 2
    ramp_up: 2
"""


def test_tornado_of_an_interventions_npv_by_monte_carlo() -> None:
    """Swings of an intervention's NPV, its effect and cost inputs included, agree between
    the expected-value model and a Monte Carlo on common random numbers."""
    s = cxsim.loads(KNOWN + FIX_DELIVERY, "fix.yaml")
    ev = tornado(s, intervention="Fix delivery").bars.set_index("path")
    mc = tornado(s, intervention="Fix delivery", runs=512, seed=2).bars.set_index("path")
    cost = "interventions.0.costs.per_period"
    # Per-period cost from P10 60 to P90 140, for periods 2..6, undiscounted: exact in both.
    assert ev.loc[cost, "swing"] == pytest.approx(80 * 5) == mc.loc[cost, "swing"]
    for path in (REVENUE, DELIVERY, "interventions.0.effects.0.scale"):
        sem = mc.loc[path, "swing_sem"]
        assert abs(mc.loc[path, "swing"] - ev.loc[path, "swing"]) < 4 * sem, path


def test_tornado_known_by_construction(known: cxsim.Scenario) -> None:
    """Loss = revenue x g(failure rate), independent of margin: each swing follows exactly."""
    t = tornado(known)
    assert list(t.bars["path"]) == [REVENUE, DELIVERY, MARGIN] or list(t.bars["path"]) == [
        DELIVERY,
        REVENUE,
        MARGIN,
    ]
    bars = t.bars.set_index("path")
    base = cxsim.expected(known).metric("lost_revenue")[0]
    assert t.base == pytest.approx(base, rel=1e-12)
    # Revenue: P10 = 6, P90 = 14 of uniform(5, 15); the loss scales with it from the mean 10.
    assert bars.loc[REVENUE, "input_low"] == pytest.approx(6.0)
    assert bars.loc[REVENUE, "input_high"] == pytest.approx(14.0)
    assert bars.loc[REVENUE, "swing"] == pytest.approx(base * (14 - 6) / 10, rel=1e-9)
    # Margin is not counted: no swing at all.
    assert bars.loc[MARGIN, "swing"] == 0.0
    # Failure rate: the expected-value model at P90 minus at P10.
    lo, hi = 0.06, 0.14
    at = {
        q: cxsim.expected(
            known, variant=Changes((Change(DELIVERY, "set", q),), at_means=True)
        ).metric("lost_revenue")[0]
        for q in (lo, hi)
    }
    assert bars.loc[DELIVERY, "swing"] == pytest.approx(at[hi] - at[lo], rel=1e-9)
    assert bars.loc[DELIVERY, "high"] > bars.loc[DELIVERY, "low"]


def test_tornado_with_one_uncertain_input_has_one_bar(known: cxsim.Scenario) -> None:
    text = KNOWN.replace("revenue: {dist: uniform, low: 5, high: 15}", "revenue: 10").replace(
        "margin: {dist: uniform, low: 0.3, high: 0.6}", "margin: 0.5"
    )
    s = cxsim.loads(text, "one.yaml")
    t = tornado(s, low_q=0.25, high_q=0.75)
    assert list(t.bars["path"]) == [DELIVERY]
    assert t.bars["input_low"].iloc[0] == pytest.approx(0.075)
    assert t.bars["input_high"].iloc[0] == pytest.approx(0.125)


def test_tornado_ranges_given_by_the_user(known: cxsim.Scenario) -> None:
    """A range replaces an input's quantiles; a fixed input given a range joins the tornado."""
    search = "journey.stages[Browse].touchpoints[Search].failure_rate"
    t = tornado(known, ranges={search: (0.0, 0.1), REVENUE: (9.0, 11.0)})
    bars = t.bars.set_index("path")
    assert len(bars) == 4
    assert bars.loc["journey.stages.0.touchpoints.0.failure_rate", "swing"] > 0
    assert tuple(bars.loc[REVENUE, ["input_low", "input_high"]]) == (9.0, 11.0)
    with pytest.raises(UserError, match="no input matches"):
        tornado(known, ranges={"segments[Nobody].revenue": (1, 2)})


def test_tornado_monte_carlo_on_common_random_numbers(known: cxsim.Scenario) -> None:
    """The customers' randomness cancels between low and high: swings agree with the
    expected-value model within a few of their (small) standard errors."""
    ev = tornado(known).bars.set_index("path")
    mc = tornado(known, runs=512, seed=11).bars.set_index("path")
    for path in (REVENUE, DELIVERY):
        sem = mc.loc[path, "swing_sem"]
        assert 0 < sem < 0.02 * ev.loc[path, "swing"]
        assert abs(mc.loc[path, "swing"] - ev.loc[path, "swing"]) < 4 * sem
    assert mc.loc[MARGIN, "swing"] == 0.0 and mc.loc[MARGIN, "swing_sem"] == 0.0
    again = tornado(known, runs=512, seed=11).bars.set_index("path")
    assert again.loc[DELIVERY, "swing"] == mc.loc[DELIVERY, "swing"]


# --- Sobol -------------------------------------------------------------------------------------


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[0]) + 7 * np.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * np.sin(x[0])


ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]  # a = 7, b = 0.1 (Ishigami and Homma 1990; Saltelli 2008)
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]
PI_UNIFORM = [stats.uniform(-np.pi, 2 * np.pi)] * 3


def test_sobol_on_ishigami_brackets_the_analytic_indices() -> None:
    r = sobol_analysis(ishigami, PI_UNIFORM, n=4096, seed=0).table.loc[["x1", "x2", "x3"]]
    for col, truth in (("S1", ISHIGAMI_S1), ("ST", ISHIGAMI_ST)):
        assert (r[f"{col}_low"].to_numpy() <= truth).all(), (col, r)
        assert (r[f"{col}_high"].to_numpy() >= truth).all(), (col, r)
        assert np.abs(r[col].to_numpy() - truth).max() < 0.02
        assert ((r[f"{col}_high"] - r[f"{col}_low"]) / 2).max() < 0.05


def test_sobol_warns_when_the_sample_is_too_small() -> None:
    with pytest.warns(SensitivityWarning, match="too small to trust"):
        r = sobol_analysis(ishigami, PI_UNIFORM, n=64, seed=0)
    assert r.warnings and "raise n" in r.warnings[0]
    with pytest.raises(UserError, match="power of 2"):
        sobol_analysis(ishigami, PI_UNIFORM, n=1000, seed=0)


def test_sobol_on_a_scenario_with_known_indices(known: cxsim.Scenario) -> None:
    """Loss = r g(f), r and f independent, margin inert. Then V = E[r²]E[g²] - E[r]²E[g]²,
    S_r = Var(r) E[g]² / V, S_f = E[r]² Var(g) / V, ST_r = 1 - S_f, ST_f = 1 - S_r, and the
    margin's indices are 0. E[g], E[g²] by Gauss-Legendre over f ~ uniform(0.05, 0.15)."""
    nodes, weights = np.polynomial.legendre.leggauss(16)
    f = 0.10 + 0.05 * nodes
    g = mean_model(known, [REVENUE, DELIVERY], np.stack([np.ones_like(f), f]))
    twice = mean_model(known, [REVENUE, DELIVERY], np.stack([2 * np.ones_like(f), f]))
    np.testing.assert_allclose(twice, 2 * g, rtol=1e-12)  # the construction holds
    eg, eg2 = weights @ g / 2, weights @ g**2 / 2
    er, var_r = 10.0, 100 / 12
    v = (er**2 + var_r) * eg2 - er**2 * eg**2
    s_r, s_f = var_r * eg**2 / v, er**2 * (eg2 - eg**2) / v
    truth = {REVENUE: (s_r, 1 - s_f), DELIVERY: (s_f, 1 - s_r), MARGIN: (0.0, 0.0)}

    done: list[int] = []  # what a progress bar is told: the points of each batch of 2,048
    r = sobol(known, n=1024, seed=3, progress=done.append)
    assert r.evaluations == 1024 * 5 == sobol_points(known, 1024) and not r.warnings
    assert done == [2048, 2048, 1024]
    table = r.table.set_index("path")
    assert list(table.index[:2]) == [REVENUE, DELIVERY]  # sorted by ST
    for path, (s1, st) in truth.items():
        row = table.loc[path]
        assert row["S1_low"] <= s1 <= row["S1_high"], (path, s1, row)
        assert row["ST_low"] <= st <= row["ST_high"], (path, st, row)
        assert abs(row["S1"] - s1) < 0.03 and abs(row["ST"] - st) < 0.03
    assert table.loc[MARGIN, ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]].eq(0).all()
    assert s_r > 0.5 and s_f > 0.3 and 1 - s_r - s_f > 0.02  # a real interaction to find


def test_sobol_cli_json(known: cxsim.Scenario, tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "known.yaml"  # type: ignore[operator]
    path.write_text(KNOWN)
    result = invoke(str(path), "--method", "sobol", "--samples", "256", "--seed", "1", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["method"] == "sobol" and doc["n"] == 256 and doc["seed"] == 1
    assert [i["path"] for i in doc["indices"]][2] == MARGIN
    assert {"input", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"} <= set(doc["indices"][0])


# --- convergence -------------------------------------------------------------------------------


def test_convergence_stops_at_the_promised_precision(known: cxsim.Scenario) -> None:
    c = convergence(known, precision=0.01, seed=5, min_runs=256)
    t = c.trajectory
    assert c.converged and c.runs == t["runs"].iloc[-1] and c.runs % 256 == 0
    assert c.half_width <= 0.01 * abs(c.mean)
    assert (t["relative"].iloc[:-1] > 0.01).all()  # it stopped at the first chunk that did
    # The runs it took are exactly `simulate` with that many runs and the seed.
    x = cxsim.simulate(known, runs=c.runs, seed=5, keep_periods=False).metric("lost_revenue")
    assert c.mean == pytest.approx(x.mean(), rel=1e-12)
    half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    assert c.half_width == pytest.approx(half, rel=1e-9)
    doc = c.to_dict()
    assert doc["runs"] == c.runs and doc["converged"] is True
    assert [p["runs"] for p in doc["trajectory"]] == list(range(256, c.runs + 1, 256))


def test_convergence_that_falls_short_says_so(known: cxsim.Scenario) -> None:
    with pytest.warns(SensitivityWarning, match="short of"):
        c = convergence(known, precision=1e-6, seed=5, max_runs=300)
    assert not c.converged and c.runs == 300 and list(c.trajectory["runs"]) == [256, 300]


def test_run_to_precision_returns_the_results_it_took(known: cxsim.Scenario) -> None:
    results, record = run_to_precision(known, 0.02, seed=9, min_runs=256)
    assert record.converged and results.runs == record.runs and results.seed == 9
    again = cxsim.simulate(known, runs=record.runs, seed=9)
    np.testing.assert_array_equal(results.metric("lost_revenue"), again.metric("lost_revenue"))
    assert results.indicators().shape == again.indicators().shape


def test_convergence_cli_reports_the_runs(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "known.yaml"  # type: ignore[operator]
    path.write_text(KNOWN)
    result = invoke(str(path), "--precision", "0.02", "--seed", "2")
    assert result.exit_code == 0, result.output
    assert "reached ±2.00% of the mean after" in result.output


def test_options_of_another_method_are_refused() -> None:
    result = invoke(str(SUBSCRIPTION), "--method", "sobol", "--runs", "100")
    assert isinstance(result.exception, UserError)
    assert "--runs applies to --method tornado" in str(result.exception)
    result = invoke(str(SUBSCRIPTION), "--samples", "256", "--precision", "0.01")
    assert "different methods" in str(result.exception)
    result = invoke(str(SUBSCRIPTION), "--output", "npv")
    assert "needs an intervention" in str(result.exception)


def test_every_input_path_is_known() -> None:
    """Inputs in scope are the scenario's own and the named intervention's only."""
    s = cxsim.load(SUBSCRIPTION)
    own = uncertain_inputs(s)
    (chat,) = intervention_sets(s, ["Live chat"], combined=False)
    with_chat = uncertain_inputs(s, chat)
    assert set(with_chat) - set(own) == {"interventions.1.effects.0.add"}
    assert set(own) <= {p for p, _ in iter_inputs(s)}
