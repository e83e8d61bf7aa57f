"""The Python API forgives the obvious: paths for scenarios, one name for a list, and tables and
reprs a notebook reader can read."""

from __future__ import annotations

from pathlib import Path

import pytest

import cxsim
from cxsim.analysis.compare import intervention_sets
from cxsim.analysis.sensitivity import tornado
from cxsim.engine.simulation import summarise
from cxsim.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
SUBSCRIPTION = ROOT / "scenarios" / "subscription.yaml"


@pytest.fixture(scope="module")
def scenario() -> cxsim.Scenario:
    return cxsim.load(SUBSCRIPTION)


@pytest.mark.parametrize("path", [SUBSCRIPTION, str(SUBSCRIPTION)])
def test_expected_accepts_a_path_and_records_its_source(path: str | Path, scenario) -> None:
    from_path = cxsim.expected(path)
    assert from_path.scenario == scenario
    assert from_path.source is not None and from_path.source.name == str(SUBSCRIPTION)
    assert from_path.stats("lost_revenue") == cxsim.expected(scenario).stats("lost_revenue")


def test_simulate_and_summarise_accept_a_path(scenario) -> None:
    a = cxsim.simulate(str(SUBSCRIPTION), runs=8, seed=3, keep_periods=False)
    b = cxsim.simulate(scenario, runs=8, seed=3, keep_periods=False)
    assert (a.metric("lost_revenue") == b.metric("lost_revenue")).all()
    s = summarise(SUBSCRIPTION, runs=8, seed=3)
    assert s.stats("lost_revenue")["mean"] == pytest.approx(b.stats("lost_revenue")["mean"])


def test_tornado_accepts_a_path(scenario) -> None:
    assert tornado(SUBSCRIPTION).to_frame().equals(tornado(scenario).to_frame())


@pytest.mark.parametrize("verb", [cxsim.simulate, cxsim.expected, cxsim.compare, tornado])
def test_anything_else_is_a_type_error_naming_load(verb) -> None:
    with pytest.raises(TypeError, match=r"cxsim\.load"):
        verb({"name": "not a scenario"})


def test_a_single_intervention_name_is_a_list_of_one(scenario) -> None:
    name = scenario.interventions[1].name
    (one,) = intervention_sets(scenario, name)
    assert one.name == name
    assert intervention_sets(scenario, name) == intervention_sets(scenario, [name])


def test_compare_accepts_a_single_name(scenario) -> None:
    name = scenario.interventions[1].name
    comparison = cxsim.compare(scenario, runs=4, seed=1, interventions=name)
    assert [o.name for o in comparison.outcomes] == [name]
    assert comparison.options["interventions"] == [name]


def test_an_intervention_named_twice_is_refused(scenario) -> None:
    name = scenario.interventions[0].name
    with pytest.raises(UserError, match="named more than once: 'Make complaining easy'"):
        cxsim.compare(scenario, runs=4, seed=1, interventions=[name, name])
