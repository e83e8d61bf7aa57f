"""The support model inside the engine: complaints drive the queue, the queue the split."""

from __future__ import annotations

import numpy as np
import pytest

import cxsim
from cxsim.analysis.compare import compare
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
    more = cxsim.expected(cxsim.load(CONTACT, ("support.channels.1.agents=8",)))
    assert more.indicators()["response_hours"].mean() < base.indicators()["response_hours"].mean()
    assert more.indicators()["csat"].mean() > base.indicators()["csat"].mean()
    assert more.metric("lost_revenue")[0] < base.metric("lost_revenue")[0]


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
