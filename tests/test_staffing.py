"""`cxsim.staffing`: the staffing search in Python, a result with a table, text, JSON and chart."""

from __future__ import annotations

import json

import matplotlib
import pytest

import cxsim
from cxsim.support.erlang import erlang_c

matplotlib.use("Agg")

QUICK = {"replications": 10, "hours": 2.0, "warmup_hours": 1.0}


@pytest.fixture(scope="module")
def search() -> cxsim.Staffing:
    return cxsim.staffing(120, 240, agents=9, agents_max=12, target=0.8, **QUICK)  # type: ignore[arg-type]


def test_the_table_has_every_staffing_tried_beside_erlang_c(search: cxsim.Staffing) -> None:
    table = search.to_frame()
    assert list(table.index) == [9, 10, 11, 12] and table.index.name == "agents"
    for n in table.index:
        c = erlang_c(n, 120.0, 240.0, 20.0)
        assert table.loc[n, "service_level_analytic"] == c.service_level
        assert table.loc[n, "occupancy"] == c.occupancy
    assert list(table.index[table["chosen"]]) == [search.answer["agents"]]
    first_met = table.index[table["service_level"] >= 0.8][0]
    assert search.answer["agents"] == first_met


def test_protocol(search: cxsim.Staffing) -> None:
    doc = search.to_dict()
    assert next(iter(doc)) == "kind" and doc["kind"] == "staffing" == search.kind
    assert json.loads(search.to_json()) == json.loads(json.dumps(doc))
    assert str(search) == search.text() and "marked *" in search.text()
    fig = search.plot()
    assert len(fig.axes[0].lines) >= 2  # Erlang C lines, plus the simulated points
    answer = search.answer["agents"]
    assert repr(search) == f"<Staffing erlang_c: tried 9-12 agents; answer {answer} agents>"


def test_without_a_target_one_staffing_and_nothing_chosen() -> None:
    one = cxsim.staffing(120, 240, agents=10, **QUICK)  # type: ignore[arg-type]
    assert list(one.to_frame().index) == [10] and not one.to_frame()["chosen"].any()
    assert one.chosen is None and "target" not in one.to_dict()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"agents": 0}, '"agents" must be >= 1'),
        ({"agents": 10, "agents_max": 5}, '"agents_max" must be >= "agents"'),
        ({"agents": 10, "target": 1.5}, '"target" must be between 0 and 1'),
        ({"agents": 1, "agents_max": 600}, "at most 501 staffing levels"),
    ],
)
def test_bad_values_fail_fast(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cxsim.staffing(120, 240, **kwargs)  # type: ignore[arg-type]


def test_the_contact_centre_phone_is_staffed_as_erlang_c_says_for_its_whole_load() -> None:
    """The example's phone queue at its real load (routine contacts, complaints and their
    repeats, in its opening hours): the scenario's agents are Erlang C's fewest for 80% answered
    within 20 s, the simulated queue (Erlang C's assumptions: Poisson arrivals, exponential
    handling, nobody hangs up) matches the closed form within three standard errors at each
    staffing tried, and the search picks the same staffing."""
    from cxsim.engine import coupling
    from cxsim.engine.world import support_peak
    from cxsim.model.parameters import mean_values

    from .conftest import ROOT

    scenario = cxsim.load(ROOT / "scenarios" / "contact_centre.yaml")
    op = coupling.operation(scenario, mean_values(scenario))
    assert op is not None
    phone = next(c for c in op.channels if c.name == "Phone")
    agents = int(phone.staff.max())
    contacts = support_peak(scenario) * phone.share  # a month's contacts reaching the phone
    assert contacts > 15_000  # the whole load, not the complaints alone (about 3,800)
    rate = contacts / (phone.open_mask.sum() * op.period_hours / 168)  # per open hour
    found = cxsim.staffing(
        rate,
        phone.aht_seconds,
        agents=agents - 1,
        agents_max=agents + 1,
        target=0.8,
        replications=16,
        hours=6.0,
        warmup_hours=1.0,
        seed=7,
    )
    assert found.agents_analytic == agents
    assert erlang_c(agents, rate, phone.aht_seconds, 20.0).service_level >= 0.8
    assert erlang_c(agents - 1, rate, phone.aht_seconds, 20.0).service_level < 0.8
    table = found.to_frame()
    for n in table.index:
        for f in ("service_level", "asa_seconds"):
            se = table.loc[n, f"{f}_hw"] / 2.13  # t(0.975, 15 degrees of freedom)
            gap = abs(table.loc[n, f] - table.loc[n, f"{f}_analytic"])
            assert gap <= 3 * se, (n, f, gap, se)
    assert found.answer["agents"] == agents
