"""One path grammar: `--set`, `cxsim.modify`, interventions, `Changes` and sensitivity ranges."""

from __future__ import annotations

import numpy as np
import pytest

import cxsim
from cxsim.errors import ScenarioError
from cxsim.model.parameters import mean_values
from cxsim.model.paths import PathError, assign, input_label, parse, resolve, split_assignment
from cxsim.model.variants import ALL_FAILURES, Change, Changes

from .conftest import ROOT, cxsim_in_process

SUBSCRIPTION = ROOT / "scenarios" / "subscription.yaml"
README_PATH = "journey.stages[*].touchpoints[cause=expectations].failure_rate"


@pytest.fixture(scope="module")
def scenario() -> cxsim.Scenario:
    return cxsim.load(SUBSCRIPTION)


def failure_paths(scenario: cxsim.Scenario) -> list[str]:
    return [p for p, _ in cxsim.model.parameters.iter_inputs(scenario) if ".failure_rate" in p]


def test_steps_read_the_same_dotted_or_bracketed() -> None:
    assert parse("segments.0.customers") == parse("segments[0].customers")
    steps = parse("journey.stages[Support].touchpoints[cause=expectations].failure_rate")
    assert [s.text for s in steps] == [
        "journey",
        "stages",
        "Support",
        "touchpoints",
        "cause=expectations",
        "failure_rate",
    ]
    assert steps[4].key == "cause" and steps[4].value == "expectations"
    assert steps[2].key is None and steps[2].index is None
    for bad in ("", "segments[0", "segments]0", "a..b", "a[]"):
        with pytest.raises(PathError):
            parse(bad)


def test_a_filter_picks_the_elements_whose_field_matches(scenario: cxsim.Scenario) -> None:
    found = resolve(scenario, README_PATH)
    expected = [
        f"journey.stages.{i}.touchpoints.{j}.failure_rate"
        for i, stage in enumerate(scenario.journey.stages)
        for j, tp in enumerate(stage.touchpoints)
        if tp.cause == "expectations"
    ]
    assert expected and found == expected


def test_a_node_names_every_input_below_it(scenario: cxsim.Scenario) -> None:
    below = resolve(scenario, "loss_tree.defection")
    assert below and all(p.startswith("loss_tree.defection.") for p in below)
    assert len(below) == 8  # four groups, two severities
    assert resolve(scenario, "journey.stages[*].touchpoints[*].failure_rate") == failure_paths(
        scenario
    )
    assert resolve(scenario, "journey.stages[Nope].touchpoints") == []


def test_double_star_reaches_any_depth_but_not_interventions(scenario: cxsim.Scenario) -> None:
    found = resolve(scenario, "**.complaint_rate")
    assert "loss_tree.complaint_rate" in found
    assert all(p.endswith("complaint_rate") for p in found) and len(found) > 1
    assert scenario.interventions and resolve(scenario, "**.one_off") == []
    assert resolve(scenario, "interventions.0.costs.one_off") == ["interventions.0.costs.one_off"]


def test_assign_sets_every_selected_place_and_says_why_when_none() -> None:
    data = {"items": [{"name": "a", "kind": "x", "v": 1}, {"name": "b", "kind": "y", "v": 2}]}
    assert assign(data, "items[kind=y].v", 5) == [("items", 1, "v")]
    assert assign(data, "items[*].v", 7) == [("items", 0, "v"), ("items", 1, "v")]
    assert [item["v"] for item in data["items"]] == [7, 7]
    assert assign(data, "items[-1].extra.w", 3) == [("items", 1, "extra", "w")]
    assert data["items"][1]["extra"] == {"w": 3}
    with pytest.raises(PathError, match="no element named 'c'"):
        assign(data, "items[c].v", 0)
    with pytest.raises(PathError, match=r"index 2 is out of range \(0..1\)"):
        assign(data, "items.2.v", 0)
    with pytest.raises(PathError, match="no element has kind = 'z'"):
        assign(data, "items[kind=z].v", 0)
    with pytest.raises(PathError, match="is a value, not a section"):
        assign(data, "items[a].v.w", 0)


def test_split_assignment_ignores_the_equals_of_a_filter() -> None:
    assert split_assignment(f"{README_PATH}=0") == (README_PATH, "0")
    assert split_assignment("a.b={dist: fixed, value: 1}") == ("a.b", "{dist: fixed, value: 1}")
    assert split_assignment("items[kind=y]") is None


def test_readme_set_example_with_star_and_filter(scenario: cxsim.Scenario) -> None:
    changed = cxsim.modify(scenario, {README_PATH: 0})
    loaded = cxsim.load(SUBSCRIPTION, (f"{README_PATH}=0",))
    for s in (changed, loaded):
        for stage in s.journey.stages:
            for tp in stage.touchpoints:
                if tp.cause == "expectations":
                    assert tp.failure_rate.mean() == 0
    others = [tp.failure_rate for st in changed.journey.stages for tp in st.touchpoints]
    assert any(
        not isinstance(f, dict) and f.mean() > 0 for f in others
    )  # only the filtered touchpoints changed
    with pytest.raises(ScenarioError, match=r"--set: .*cause=nothing.*no element has cause"):
        cxsim.load(SUBSCRIPTION, ("journey.stages[*].touchpoints[cause=nothing].failure_rate=0",))


def test_changes_use_the_grammar(scenario: cxsim.Scenario) -> None:
    values = mean_values(scenario)
    out = Changes((Change(ALL_FAILURES, "set", 0.0),)).apply(values, scenario)
    changed = [p for p in values if not np.array_equal(out[p], values[p])]
    assert changed and set(changed) <= set(failure_paths(scenario))
    assert all(out[p][0] == 0.0 for p in failure_paths(scenario))
    with pytest.raises(KeyError, match="no input matches"):
        Changes((Change("journey.stages.*.touchpoints.*.failure_rate*", "set", 0.0),)).apply(
            values, scenario
        )


def test_one_labeller_names_segments_touchpoints_and_interventions(
    scenario: cxsim.Scenario,
) -> None:
    tp = scenario.journey.stages[0].touchpoints[0]
    path = "journey.stages.0.touchpoints.0.failure_rate"
    assert input_label(scenario, path) == f"{tp.name}: failure_rate"
    assert input_label(scenario, "segments.0.customers") == (
        f"{scenario.segments[0].name}: customers"
    )
    iv = scenario.interventions[0]
    assert input_label(scenario, "interventions.0.costs.one_off") == f"{iv.name}: costs.one_off"
    assert input_label(scenario, "loss_tree.complaint_rate") == "loss_tree.complaint_rate"


def test_cli_runs_the_readme_set_example_and_locates_a_bad_path() -> None:
    """The command's parsing of --set, in this process (a separate one adds only start-up)."""
    args = ["run", str(SUBSCRIPTION), "--runs", "20", "--seed", "1"]
    ok = cxsim_in_process(*args, "--set", f"{README_PATH}=0")
    assert ok.returncode == 0, ok.stderr
    bad = cxsim_in_process(*args, "--set", "journey.stages[Suport].touchpoints[*].failure_rate=0")
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "--set: journey.stages[Suport].touchpoints[*].failure_rate: "
        "no element named 'Suport'; did you mean 'Support'?"
    )


def test_attribution_axes_come_from_one_list() -> None:
    """The engine's pathway indices are the positions of the names in `PATHWAYS`."""
    from cxsim.engine import period
    from cxsim.model.scenario import GROUPS, PATHWAYS

    assert PATHWAYS == (
        "silent",
        "satisfied",
        "mollified",
        "dissatisfied",
        "word_of_mouth",
        "lost_sales",
        "referrals_not_made",
        "spent_less",
    )
    for i, name in enumerate(PATHWAYS):
        assert getattr(period, name.upper()) == i
    assert PATHWAYS[:4] == GROUPS
