"""The report's decisions page: the recommendation, the break-even table and the value of
information, said in words when there is nothing to learn and drawn as bars when there is."""

from __future__ import annotations

import matplotlib
import pytest

import cxsim
from cxsim.outputs.decisions import decisions_page

from .test_hostile_options import SMALL

matplotlib.use("Agg")


def words(fig: matplotlib.figure.Figure) -> str:
    found = [t.get_text() for t in fig.texts]
    found += [t.get_text() for ax in fig.axes for t in [*ax.texts, *ax.get_yticklabels()]]
    return " ".join(" ".join(found).split())


@pytest.mark.parametrize(("cost", "close_call"), [(10, False), (190, True)])
def test_value_of_information_in_words_or_bars(cost: int, close_call: bool) -> None:
    """At a cost of 10 a month the fix pays in every run (EVPI under 0.5% of its NPV:
    a sentence, no bars); at
    190 it pays in about half (EVPI > 0: the failure rate's partial EVPI as a bar)."""
    scenario = cxsim.loads(SMALL.replace("per_period: 100", f"per_period: {cost}"))
    comparison = cxsim.compare(scenario, runs=400, seed=1, workers=1)
    fig = decisions_page(comparison)
    said = words(fig)
    assert "Fund Fix" in said
    bars = [p for ax in fig.axes for p in ax.patches]
    if close_call:
        assert "(EVPI)" in said and "Delivery: failure rate" in said
        assert len(bars) == 1
    else:
        assert "rarely change the decision" in said and "before funding Fix" in said
        assert not bars
