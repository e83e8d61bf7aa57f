"""`Results` and `Summary` have the result protocol: kind, table, dict/JSON, text, chart."""

from __future__ import annotations

import json

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

import cxsim
from cxsim.engine.results import RunStatistics
from cxsim.engine.results_text import render_summary
from cxsim.engine.simulation import summarise
from cxsim.protocol import Result

from .conftest import TINY

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def scenario() -> cxsim.Scenario:
    return cxsim.loads(TINY)


def test_results_of_both_kinds(scenario: cxsim.Scenario) -> None:
    for results, kind in (
        (cxsim.simulate(scenario, runs=40, seed=3), "monte_carlo"),
        (cxsim.expected(scenario), "expected"),
    ):
        assert isinstance(results, Result) and results.kind == kind
        doc = results.to_dict()
        assert next(iter(doc)) == "kind" and doc["kind"] == kind
        assert json.loads(results.to_json()) == json.loads(json.dumps(doc))
        pd.testing.assert_frame_equal(results.to_frame(), results.summary())
        assert str(results) == results.text() == results.report_text() == render_summary(results)
        assert results.text().splitlines()[1].startswith(f"{results.method}, ")


def test_a_results_plot_is_the_loss_distribution(scenario: cxsim.Scenario) -> None:
    results = cxsim.simulate(scenario, runs=40, seed=3)
    fig = results.plot()
    (ax,) = fig.axes
    assert len(ax.patches) > 1  # the histogram's bars
    fig2, ax2 = plt.subplots()
    assert results.plot(ax=ax2) is fig2


def test_a_summary_answers_as_the_results_of_the_same_runs(scenario: cxsim.Scenario) -> None:
    """Below the sketch's capacity its percentiles are exact: the same table and text."""
    results = cxsim.simulate(scenario, runs=60, seed=4)
    summary = summarise(scenario, runs=60, seed=4)
    assert isinstance(summary, RunStatistics) and summary.kind == "monte_carlo_summary"
    doc = summary.to_dict()
    assert next(iter(doc)) == "kind" and doc["kind"] == "monte_carlo_summary"
    assert set(doc) ^ set(results.to_dict()) == {"period_means", "indicators"}
    pd.testing.assert_frame_equal(summary.to_frame(), results.to_frame(), rtol=1e-12)
    assert summary.text() == results.text()
    for by in ("touchpoint", "stage", "segment", "pathway"):
        pd.testing.assert_frame_equal(
            summary.attribution_table(by), results.attribution_table(by), rtol=1e-12
        )
    with pytest.raises(NotImplementedError, match="keeps no per-run values"):
        summary.plot()
    with pytest.raises(ValueError, match="by must be one of"):
        summary.attribution_table("channel")
