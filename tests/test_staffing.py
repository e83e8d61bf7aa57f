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
