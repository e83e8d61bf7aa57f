"""The support model inside the engine: complaints drive the queue, the queue the split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import cxsim
from cxsim.analysis.compare import compare
from cxsim.engine import coupling
from cxsim.engine.execution import CHUNK
from cxsim.errors import ScenarioError

from .conftest import ROOT

CONTACT = ROOT / "scenarios" / "contact_centre.yaml"


def test_response_time_and_csat_reach_the_indicators() -> None:
    r = cxsim.simulate(cxsim.load(CONTACT), runs=128, seed=1)
    ind = r.indicators()
    assert np.isfinite(ind["response_hours"]).all()
    assert 5 < ind["response_hours"].mean() < 20  # about the 12 h the seed material quotes
    assert ((ind["csat"] > 0.2) & (ind["csat"] < 0.7)).all()


def test_more_agents_answer_faster_and_satisfy_more() -> None:
    scenario = cxsim.load(CONTACT)
    base = cxsim.expected(scenario)
    more = cxsim.expected(cxsim.load(CONTACT, ("support.channels.1.agents=25",)))
    assert more.indicators()["response_hours"].mean() < base.indicators()["response_hours"].mean()
    assert more.indicators()["csat"].mean() > base.indicators()["csat"].mean()
    assert more.metric("lost_revenue")[0] < base.metric("lost_revenue")[0]


def test_the_queue_carries_routine_contacts_complaints_and_repeats_less_the_bot() -> None:
    """Load on the agents = (1 - share x containment) x (routine x customers + complaints x
    (1 + repeats weighted by how complaints end)), run by run."""
    from cxsim.engine.coupling import agent_contacts

    values = {
        "costs.routine_contacts": np.array([0.05, 0.1]),
        "costs.repeat_contacts.satisfied": np.array([0.2, 0.0]),
        "costs.repeat_contacts.mollified": np.array([0.8, 0.0]),
        "costs.repeat_contacts.dissatisfied": np.array([1.5, 1.0]),
        "costs.deflection.share": np.array([0.0, 0.5]),
        "costs.deflection.containment": np.array([0.3, 0.3]),
    }
    split = np.array([[0.4, 0.3, 0.3], [0.5, 0.0, 0.5]])
    load = agent_contacts(values, np.array([1000.0, 2000.0]), np.array([4e5, 1e5]), split)
    want = [
        0.05 * 4e5 + 1000 * (1 + 0.4 * 0.2 + 0.3 * 0.8 + 0.3 * 1.5),
        (1 - 0.5 * 0.3) * (0.1 * 1e5 + 2000 * (1 + 0.5 * 1.0)),
    ]
    np.testing.assert_allclose(load, want, rtol=1e-12)


def test_a_bot_that_contains_contacts_speeds_answers_and_saves_on_both_sides() -> None:
    """The contact centre's bot takes contacts off the agents' queue (routine ones too): answers
    come faster (the revenue side) and contacts cost less (the cost side, routine included)."""
    c = compare(
        cxsim.load(CONTACT), runs=64, seed=2, interventions=["Bot answers first"], combined=False
    )
    o, base = c["Bot answers first"], c.baseline
    later = slice(2, None)  # the bot starts in period 2
    faster = (
        base.periods["response_hours"][:, later] - o.results.periods["response_hours"][:, later]
    )
    assert (faster > 0).all()
    assert o.loss_avoided.mean() > 0
    routine = base.metric("routine_contacts_cost") - o.results.metric("routine_contacts_cost")
    assert (routine > 0).all()
    assert (o.cost_avoided > routine).all()  # the failures' contacts cost less too
    text = c.text()
    assert "loss avoided" in text and "routine contacts" in text


def test_live_chat_helps_only_from_its_start() -> None:
    c = compare(cxsim.load(CONTACT), runs=64, seed=2, interventions=["Live chat"], combined=False)
    o = c["Live chat"]
    np.testing.assert_array_equal(
        o.results.periods["response_hours"][:, 0], c.baseline.periods["response_hours"][:, 0]
    )
    assert (
        o.results.periods["response_hours"][:, 1:] < c.baseline.periods["response_hours"][:, 1:]
    ).all()
    assert o.loss_avoided.mean() > 0


def test_support_agents_must_be_fixed_and_a_split_must_come_from_somewhere() -> None:
    with pytest.raises(ScenarioError, match="must be a fixed number"):
        cxsim.load(CONTACT, ("support.channels.0.agents={dist: uniform, low: 3, high: 5}",))
    text = CONTACT.read_text()
    no_support = text[: text.index("\nsupport:")]
    no_support = no_support.replace("# No fixed resolution split", "# (none)")
    with pytest.raises(ScenarioError, match=r"loss_tree\.resolution: is required"):
        cxsim.loads(no_support, "cc.yaml")


def _small(customers: int) -> cxsim.Scenario:
    """contact_centre with its customers and prospects scaled to `customers` in all."""
    scenario = cxsim.load(CONTACT)
    total = sum(s.customers.mean() for s in scenario.segments)
    changes = {}
    for i, s in enumerate(scenario.segments):
        changes[f"segments.{i}.customers"] = round(s.customers.mean() * customers / total)
        changes[f"segments.{i}.prospects"] = round(s.prospects.mean() * customers / total)
    return cxsim.modify(scenario, changes)


def test_compare_builds_one_curve_per_distinct_support_operation() -> None:
    """Baseline, "Fix it first time" (support untouched) and the ramps share the baseline's
    curve; "Live chat" and "Two more email agents" change the operation: three curves in all,
    and the channels they share with the baseline are not simulated again."""
    from cxsim.engine import coupling

    coupling.clear()
    before = coupling.BUILDS[0]
    compare(_small(20_000), runs=16, seed=3, combined=False)
    assert coupling.BUILDS[0] - before == 3
    assert len(coupling._CACHE) == 3
    simulated = sum(int(c.contacts.sum()) for v in coupling._CACHE.values() for c in v.curves)
    distinct = sum(int(p[3]) for p in coupling._POINTS.values())
    assert distinct < simulated  # shared points counted once in the cache


def test_an_overloaded_operation_is_reported() -> None:
    """At 10 million customers the few agents of the example cannot keep up: the run says which
    channels, in which hours, short of how many agents, and how the curve was computed."""
    r = cxsim.expected(_small(10_000_000))
    notes = r.support_notes
    assert notes is not None
    found = {o["channel"] for o in notes["overloaded"] if o["when"] == "first period"}
    assert found == {"Phone", "Email"}
    assert "Support is overloaded" in r.text() and "Phone" in r.text()
    doc = r.to_dict()["support"]
    assert {p["method"] for p in doc["grid"]["Phone"]} == {"fluid"}
    quiet = cxsim.expected(_small(10_000))
    assert quiet.support_notes is not None and quiet.support_notes["overloaded"] == []
    assert "overloaded" not in quiet.text()
    assert {p["method"] for p in quiet.to_dict()["support"]["grid"]["Phone"]} == {"simulated"}


def _fixed_small_centre(tmp_path: Path) -> Path:
    """contact_centre with every input at its mode (so the queue's response curve is the main
    source of noise, as in issue 17), a fifth of the customers and one agent per channel (so a
    curve costs a fifth), over a year: the same queue at a fraction of the cost."""

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            if "dist" in node:
                return node.get("mode", (node.get("low", 0) + node.get("high", 0)) / 2)
            return {k: fix(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    data = fix(yaml.safe_load(CONTACT.read_text(encoding="utf-8")))
    data.pop("actuals", None)
    data["economics"]["horizon"] = 12
    for segment in data["segments"]:
        segment["customers"] *= 0.2
        segment["prospects"] *= 0.2
    for channel in data["support"]["channels"][:2]:
        channel["agents"] = 1
    path = tmp_path / "centre.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.slow
def test_the_standard_error_counts_the_response_curves_noise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: with one curve per seed, fixed inputs gave five seeds' means 5.6 reported
    standard errors apart. Each chunk now builds its own curve and the sem is the spread of
    chunk means, so over seeds the variance of the means agrees with the mean reported sem^2:
    their ratio is F(seeds - 1, seeds (chunks - 1)) distributed, refused outside its 0.1% tails.
    Curves of a week's window and 500 contacts a load make the test cheap and the curve's noise
    large: one curve per seed (the old way) gave a ratio of about 70 here, the upper tail is 19."""
    from scipy import stats

    monkeypatch.setattr(coupling, "WINDOW_HOURS", 168.0)
    monkeypatch.setattr(coupling, "MIN_CONTACTS", 500)
    coupling.clear()
    scenario = cxsim.load(_fixed_small_centre(tmp_path))
    seeds, chunks = 4, 3
    try:
        found = [
            cxsim.simulate(scenario, runs=chunks * CHUNK, seed=s, keep_periods=False).estimate(
                "lost_revenue"
            )
            for s in range(seeds)
        ]
    finally:
        coupling.clear()  # no curve of these settings outlives the test
    assert {e.df for e in found} == {chunks - 1.0}
    spread = np.var([e.mean for e in found], ddof=1)
    reported = np.mean([e.sem**2 for e in found])
    low, high = stats.f.ppf([0.0005, 0.9995], seeds - 1, seeds * (chunks - 1))
    assert low < spread / reported < high, (spread / reported, low, high)
