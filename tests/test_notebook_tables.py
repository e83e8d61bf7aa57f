"""What the notebooks show: the analyses' charts in the package style (titles that state the
finding, drawn, no internal names) and their tables for people (inputs in words, percents,
money in one unit per table, no raw floats such as 330000.000000 or 0.048550)."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

import cxsim
from cxsim.outputs import charts
from cxsim.outputs.notebook_tables import (
    attribution_display,
    input_value,
    money_table,
    period_table,
    sobol_table,
    tornado_table,
)
from cxsim.support.contact_centre import ResolutionCurve

from .conftest import ROOT
from .test_charts import assert_drawn

RAW_FLOAT = re.compile(r"\d\.\d{4,}")  # 0.048550, 330000.000000
UNITS = re.compile(r"\$[\d.,]+([kMB]?)")


def _cells(frame: pd.DataFrame) -> list[str]:
    return [str(v) for v in frame.to_numpy().ravel()] + [str(i) for i in frame.index]


def _assert_for_people(frame: pd.DataFrame) -> None:
    cells = _cells(frame)
    assert not [c for c in cells if RAW_FLOAT.search(c)], cells
    assert not [c for c in cells if "loss_tree" in c or "word_of_mouth" in c], cells


@pytest.fixture(scope="module")
def subscription() -> Any:
    return cxsim.load(ROOT / "scenarios" / "subscription.yaml")


def test_input_values_read_as_percents_or_numbers() -> None:
    assert input_value("Streaming quality: failure rate", 0.007295) == "0.7%"
    assert input_value("Share of people told who are deterred", 0.034) == "3.4%"
    assert input_value("loss_tree.word_of_mouth.told.silent", 0.5) == "0.5"  # people, not %
    assert input_value("memory odds ratio, one unresolved", 2.751572) == "2.75"
    assert input_value("anything", float("nan")) == "–"


def test_tornado_and_period_tables_are_for_people(subscription: Any) -> None:
    from cxsim.analysis.sensitivity import tornado

    table = tornado_table(tornado(subscription), "USD")
    _assert_for_people(table)
    units = {UNITS.search(c).group(1) for c in table["swing"]}  # type: ignore[union-attr]
    assert len(units) == 1, table["swing"].tolist()  # one unit for the column
    results = cxsim.expected(subscription)
    periods = period_table(results, first=3)
    _assert_for_people(periods)
    assert periods["active customers"].iloc[0] == f"{results.indicators()['active'].iloc[0]:,.0f}"
    where = attribution_display(results, "pathway")
    _assert_for_people(where)
    assert "Silent defection (never complained)" in where.index


def test_a_money_table_has_one_unit_and_a_total() -> None:
    table = money_table({"today": pd.Series({"a": 520_500.0, "b": 1.6e6})}, "USD")
    assert table["today"].tolist() == ["$0.5M", "$1.6M", "$2.1M"]
    assert list(table.index) == ["a", "b", "Total"]


def _sobol() -> Any:
    frame = pd.DataFrame(
        {
            "S1": [0.40, -0.05],
            "S1_low": [0.17, -0.14],
            "S1_high": [0.69, 0.02],
            "ST": [0.35, 0.05],
            "ST_low": [0.21, 0.03],
            "ST_high": [0.59, 0.09],
        },
        index=["loss_tree.word_of_mouth.deterred", "loss_tree.word_of_mouth.told.silent"],
    )
    return SimpleNamespace(to_frame=lambda: frame.copy(), evaluations=928)


def test_sobol_table_and_chart() -> None:
    table = sobol_table(_sobol())
    _assert_for_people(table)
    assert table.iloc[0, 1] == "35% (21% to 59%)"
    fig = charts.sobol_indices(_sobol())
    assert_drawn(fig, "sobol")
    assert "drives 35% of the variance" in " ".join(t.get_text() for t in fig.texts)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert not [t for t in ticks if "loss_tree" in t], ticks


def test_resolution_and_convergence_charts() -> None:
    curve = ResolutionCurve(
        satisfied_fast=0.6,
        satisfied_slow=0.1,
        dissatisfied_fast=0.1,
        dissatisfied_slow=0.6,
        midpoint_hours=6.0,
    )
    fig = charts.resolution_curve(curve, today_hours=11.2)
    assert_drawn(fig, "resolution curve")
    title = fig.texts[0].get_text()
    at = float(curve.answered_split(np.array([11.2]))[0][0])
    assert title.startswith("Answered in 11 hours") and f"{at:.0%}" in title, title
    trajectory = pd.DataFrame({"runs": [256, 512, 1024], "relative": [0.021, 0.014, 0.0095]})
    done = SimpleNamespace(
        to_frame=lambda: trajectory.copy(), precision=0.01, runs=1024, converged=True
    )
    fig = charts.convergence(done)
    assert_drawn(fig, "convergence")
    assert fig.texts[0].get_text() == "1,024 runs pin the mean down to ±0.9%"
