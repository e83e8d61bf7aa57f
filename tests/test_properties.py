"""Robustness: generated scenarios, valid and broken, and the nasty inputs users really send.

Valid scenarios (built by hypothesis, dumped to YAML, loaded like a file) run and keep the model's
invariants; broken ones (one mutation of a valid one) are refused with every problem located by
line and field. Then every nasty input of issue 9 goes through the real `cxsim` command: exit
code 2, a `file:line` message, never a traceback.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cxsim
import cxsim.cli.main
from cxsim.engine import execution
from cxsim.errors import ScenarioError, UserError
from cxsim.model.loader import format_loc
from cxsim.model.variants import Change, Changes
from cxsim.outputs import files as output

from .conftest import ROOT, TINY, cxsim_in_process

CLI = [sys.executable, "-m", "cxsim"]
# Derandomized: CI sees the same examples every run. A random search that finds a counterexample
# is recorded as an explicit test below (see the known word-of-mouth anomaly).
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- strategies: scenario dicts -----------------------------------------------------------------

#: Words the format gives a meaning to inside a mapping; a segment named so could not be a key of
#: a per-segment mapping (`exposure: {low: 0.5}` reads as a distribution).
RESERVED = {
    *("dist", "value", "low", "mode", "high", "mean", "sd", "alpha", "beta", "p10", "p50", "p90"),
    *("fixed", "uniform", "triangular", "pert", "normal", "lognormal", "expert"),
    *("all", "per_segment", "constant", "sbg", "colour"),
}
NAMES = st.one_of(
    st.sampled_from(["Regulars", "新規顧客", "配送遅延 🚚", "🛒", "Ünïcødé shoppers", "a"]),
    st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=12),
).filter(lambda s: s.strip() == s and s not in RESERVED)


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi], with the ends themselves likely."""
    return st.one_of(st.sampled_from([lo, hi]), st.floats(lo, hi, allow_subnormal=False))


@st.composite
def ordered(draw: st.DrawFn, lo: float, hi: float, n: int) -> list[float]:
    """n sorted values in [lo, hi], the first below the last."""
    values = sorted(draw(st.lists(floats(lo, hi), min_size=n, max_size=n)))
    if values[-1] - values[0] <= 1e-6 * (hi - lo):
        values[0], values[-1] = lo, hi
    return values


@st.composite
def uncertain(draw: st.DrawFn, lo: float, hi: float) -> Any:
    """A number or a distribution whose values lie in [lo, hi] (the field's valid range)."""
    kind = draw(st.sampled_from(["fixed", "fixed", "uniform", "triangular", "pert", "beta"]))
    if kind == "fixed":
        return draw(floats(lo, hi))
    if kind == "uniform":
        a, b = draw(ordered(lo, hi, 2))
        return {"dist": "uniform", "low": a, "high": b}
    if kind in ("triangular", "pert"):
        a, m, b = draw(ordered(lo, hi, 3))
        return {"dist": kind, "low": a, "mode": m, "high": b}
    if (lo, hi) == (0.0, 1.0):
        return {"dist": "beta", "alpha": draw(floats(0.2, 20)), "beta": draw(floats(0.2, 20))}
    mean = draw(floats(max(lo, 1.0), max(hi, 2.0)))
    return {"dist": "lognormal", "mean": mean, "sd": mean * draw(floats(0.05, 1.0))}


def probability() -> st.SearchStrategy[Any]:
    return uncertain(0.0, 1.0)


@st.composite
def per_segment(draw: st.DrawFn, segments: list[str]) -> Any:
    """A probability for every segment alike, or a mapping from (some) segment names."""
    if draw(st.booleans()):
        return draw(probability())
    chosen = draw(st.lists(st.sampled_from(segments), min_size=1, unique=True))
    return {name: draw(probability()) for name in chosen}


@st.composite
def segment(draw: st.DrawFn, name: str, horizon: int) -> dict[str, Any]:
    if draw(st.booleans()):
        # a rate of 1 (everyone leaves every period) is refused: nothing left to lose
        churn: dict[str, Any] = {
            "model": "constant",
            "rate": draw(probability().filter(lambda r: r != 1)),
        }
    else:
        churn = {
            "model": "sbg",
            "alpha": draw(uncertain(0.1, 20.0)),
            "beta": draw(uncertain(0.1, 20.0)),
            "tenure": draw(st.integers(0, 2 * horizon)),
        }
    return {
        "name": name,
        "customers": draw(st.one_of(st.integers(1, 10**6), uncertain(1.0, 1e6))),
        "prospects": draw(st.one_of(st.integers(0, 10**5), uncertain(0.0, 1e5))),
        "conversion": draw(probability()),
        "revenue": draw(uncertain(0.0, 1e4)),
        "margin": draw(probability()),
        "churn": churn,
    }


@st.composite
def scenario_dicts(draw: st.DrawFn, monotone: bool = False) -> dict[str, Any]:
    """A valid scenario as plain data (what a YAML file holds).

    `monotone` leaves out what may make a failure pay for itself: referrals by satisfied
    complainers, a satisfying answer wiping out earlier unresolved failures (flat memory), and
    word of mouth that puts off more than one would-be buyer per failure (told x deterred at
    most 1, deterred anywhere in 0..1): a customer who deters more buyers than they are worth
    costs less gone, and a failure that loses them early then lowers the loss
    (`test_a_customer_who_deters_more_than_they_are_worth_costs_less_gone`).
    """
    horizon = draw(st.sampled_from([1, 2, 3, 6, 12, 24]))
    lifetime = draw(st.booleans())
    names = draw(st.lists(NAMES, min_size=5, max_size=12, unique=True))
    n_seg = draw(st.integers(1, 3))
    seg_names, rest = names[:n_seg], names[n_seg:]
    n_stages = draw(st.integers(1, min(3, len(rest) // 2)))
    stage_names, tp_names = rest[:n_stages], rest[n_stages:]
    per_stage = [tp_names[i::n_stages] for i in range(n_stages)]
    stages = []
    for stage_name, tps in zip(stage_names, per_stage, strict=True):
        touchpoints = []
        for tp_name in tps:
            tp: dict[str, Any] = {
                "name": tp_name,
                "exposure": draw(per_segment(seg_names)),
                "failure_rate": draw(per_segment(seg_names)),
                "severity": draw(st.sampled_from(["minor", "major"])),
            }
            if draw(st.booleans()):
                tp["complaint_rate"] = draw(probability())
            touchpoints.append(tp)
        audience = draw(st.sampled_from(["customers", "prospects"]))
        stages.append({"name": stage_name, "audience": audience, "touchpoints": touchpoints})
    satisfied = draw(floats(0.0, 1.0))
    deterred = draw(probability()) if not monotone else draw(floats(0.0, 1.0))
    most_told = 20.0 if not monotone else min(20.0, 1.0 / max(deterred, 0.05))
    told = {g: draw(uncertain(0.0, most_told)) for g in ("silent", "satisfied", "mollified")}
    told["dissatisfied"] = draw(uncertain(0.0, most_told))
    data: dict[str, Any] = {
        "name": draw(NAMES),
        "economics": {
            "currency": draw(st.sampled_from(["USD", "EUR", "JPY"])),
            "period": draw(st.sampled_from(["week", "month", "quarter", "year"])),
            "horizon": horizon,
            "discount_rate": draw(floats(0.01 if lifetime else 0.0, 0.5)),
            "value": draw(st.sampled_from(["revenue", "margin"])),
            "lifetime": lifetime,
        },
        "segments": [draw(segment(name, horizon)) for name in seg_names],
        "journey": {"stages": stages},
        "loss_tree": {
            "complaint_rate": draw(probability()),
            "resolution": {
                "satisfied": satisfied,
                "mollified": draw(floats(0.0, 1.0)) * (1.0 - satisfied),
            },
            "defection": {
                group: {"minor": draw(probability()), "major": draw(probability())}
                for group in ("silent", "satisfied", "mollified", "dissatisfied")
            },
            "word_of_mouth": {
                "told": told,
                "deterred": deterred,
                "referred": 0.0 if monotone else draw(probability()),
            },
        },
    }
    if monotone:
        data["memory"] = {"odds_ratio": [1.0, 1.0, 1.0]}
    elif draw(st.booleans()):
        data["memory"] = {
            "odds_ratio": sorted(draw(st.lists(floats(0.1, 50), min_size=3, max_size=3)))
        }
    return data


class Dumper(yaml.SafeDumper):
    """Quotes what cxsim's loader would read as a number (`1e5`), as the loader reads it."""


Dumper.yaml_implicit_resolvers = {
    k: list(v) for k, v in cxsim.model.loader.SafeLoader.yaml_implicit_resolvers.items()
}


def dump(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=Dumper, allow_unicode=True, sort_keys=False)


# --- valid scenarios keep the invariants --------------------------------------------------------

COUNTS = ("active", "churned", "defected", "failures", "complaints", "satisfied", "acquired")


def check_invariants(r: cxsim.Results) -> None:
    """Conservation, no negative counts, attribution adding up, everything finite."""
    p, totals = r.periods, r.totals
    exact = r.method == "monte carlo" and float(np.max(totals["end"], initial=0)) < 2**53
    for name, values in totals.items():
        assert np.isfinite(values).all(), name
    for name in COUNTS:
        assert np.isfinite(p[name]).all(), name
        assert (p[name] >= (0 if exact else -1e-9 * max(1.0, np.abs(p[name]).max()))).all(), name
    assert (totals["end"] >= 0).all() and (totals["customers_lost"] >= 0).all()
    # customers at the start + acquired - churned - defected = customers at the next start
    flow = p["active"] + p["acquired"] - p["churned"] - p["defected"]
    after = np.concatenate([p["active"][:, 1:], totals["end"][:, None]], axis=1)
    if exact:
        np.testing.assert_array_equal(flow, after)
    else:
        np.testing.assert_allclose(flow, after, rtol=1e-9, atol=1e-6)
    total = r.metric("lost_revenue")
    scale = max(1.0, float(np.abs(r.attribution).sum(axis=(1, 2, 3)).max()))
    for by in ("touchpoint", "stage", "segment", "pathway"):
        np.testing.assert_allclose(r.loss_by(by).sum(axis=1), total, rtol=1e-9, atol=1e-9 * scale)
    # the loss is phased into the periods it would have been earned: within the horizon
    horizon = r.metric("lost_revenue_horizon")
    np.testing.assert_allclose(p["loss"].sum(axis=1), horizon, rtol=1e-9, atol=1e-9 * scale)


@SETTINGS
@given(scenario_dicts())
def test_valid_scenarios_run_and_keep_the_invariants(data: dict[str, Any]) -> None:
    scenario = cxsim.loads(dump(data), "generated.yaml")
    try:
        check_invariants(cxsim.simulate(scenario, runs=8, seed=1))
        check_invariants(cxsim.expected(scenario))
    except UserError as exc:  # referrals feeding on themselves: refused, not overflowed
        assert "grows without bound" in str(exc)
        wom = scenario.loss_tree.word_of_mouth
        assert wom.referred.quantile(1.0) > 0 and wom.told.satisfied.quantile(1.0) > 0


@SETTINGS
@given(scenario_dicts(monotone=True), st.data())
def test_expected_loss_does_not_fall_when_a_failure_rate_rises(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    scenario = cxsim.loads(dump(data), "generated.yaml")
    i = draw.draw(st.integers(0, len(scenario.journey.stages) - 1), label="stage")
    j = draw.draw(st.integers(0, len(scenario.journey.stages[i].touchpoints) - 1), label="tp")
    factor = draw.draw(st.floats(1.01, 4.0), label="factor")
    rise = Changes((Change(f"journey.stages.{i}.touchpoints.{j}.failure_rate", "scale", factor),))
    base = cxsim.expected(scenario).metric("lost_revenue")[0]
    more = cxsim.expected(scenario, variant=rise).metric("lost_revenue")[0]
    assert more >= base - 1e-9 * abs(base) - 1e-9


#: Found by the random search on a fresh clone (2026-12-02): raising a failure rate by 6% made
#: the expected revenue *rise* (259k to 559k) when word of mouth deters every would-be buyer
#: (deterred 1.0, 20 told per silent failure) of a one-customer segment with sBG churn and an
#: uncapped lifetime. The cause: deterrence capped at min(put off, buyers) has a kink; fed back
#: through the customers (fewer customers, fewer tellers, more buyers next period) it drove a
#: four-period cycle of acquisition bursts, and where the horizon fell in the cycle set the
#: revenue. Deterrence by occupancy (1 - exp(-x) of the buyers) has no kink and damps it.
WOM_SATURATION = {
    "name": "Regulars",
    "economics": {"period": "week", "horizon": 24, "discount_rate": 0.01, "lifetime": True},
    "segments": [
        {"name": "Regulars", "customers": 1, "revenue": 0.0, "churn": {"rate": 0.0}},
        {
            "name": "New",
            "customers": 1,
            "prospects": 1,
            "conversion": 1.0,
            "revenue": 10000.0,
            "churn": {"model": "sbg", "alpha": 0.1, "beta": 0.1},
        },
    ],
    "journey": {
        "stages": [
            {
                "name": "Use",
                "touchpoints": [
                    {"name": "a", "exposure": 1.0, "failure_rate": 0.390625},
                    {
                        "name": "c",
                        "exposure": {"Regulars": 0.0, "New": 1.0},
                        "failure_rate": {"New": 1.0, "Regulars": 0.0},
                        "complaint_rate": 0.5,
                    },
                ],
            }
        ]
    },
    "loss_tree": {
        "complaint_rate": 0.0,
        "resolution": {"satisfied": 1.0, "mollified": 0.0},
        "defection": {
            "silent": {"minor": 0.0, "major": 0.0},
            "satisfied": {"minor": 1.0, "major": 0.0},
            "mollified": {"minor": 0.0, "major": 0.0},
            "dissatisfied": {"minor": 0.0, "major": 0.0},
        },
        "word_of_mouth": {
            "told": {"silent": 20.0, "satisfied": 0.0, "mollified": 0.0, "dissatisfied": 0.0},
            "deterred": 1.0,
            "referred": 0.0,
        },
    },
    "memory": {"odds_ratio": [1.0, 1.0, 1.0]},
}


def test_more_failures_never_bring_more_revenue_when_word_of_mouth_saturates() -> None:
    scenario = cxsim.validate(WOM_SATURATION, "saturation.yaml")
    revenue, loss = [], []
    for factor in (1.0, 1.0625, 1.25, 1.5, 2.0, 2.56):
        rise = Changes((Change("journey.stages.0.touchpoints.0.failure_rate", "scale", factor),))
        r = cxsim.expected(scenario, variant=rise)
        revenue.append(r.metric("revenue")[0])
        loss.append(r.metric("lost_revenue")[0])
    assert np.all(np.diff(revenue) <= 1e-9 * np.abs(revenue[:-1]))
    assert np.all(np.diff(loss) >= -1e-9 * np.abs(loss[:-1]))
    # no cycle: the acquisitions settle (the capped engine had bursts every fourth period)
    acquired = cxsim.expected(scenario).periods["acquired"][0]
    assert np.ptp(acquired[-6:]) < 1e-3 * acquired[-6:].mean()


def test_a_customer_who_deters_more_than_they_are_worth_costs_less_gone() -> None:
    """Not an anomaly: the model as it is meant. Found by the random search once the generator
    allowed 20 deterred per failure. One period: the customer (worth 10,000) fails at A with
    chance a, complains, and leaves; one who stays fails at B silently and tells 20 people,
    all put off, so the one would-be buyer (worth 10,000) is deterred with chance
    1 - exp(-20 (1 - a)). A failing more often loses the customer but saves the buyer."""
    data = {
        "name": "Deterrence",
        "economics": {"period": "week", "horizon": 1, "discount_rate": 0.0},
        "segments": [
            {
                "name": "All",
                "customers": 1,
                "prospects": 1,
                "conversion": 1.0,
                "revenue": 10000.0,
                "churn": {"rate": 0.0},
            },
        ],
        "journey": {
            "stages": [
                {
                    "name": "Use",
                    "touchpoints": [
                        {"name": "A", "failure_rate": 0.5, "complaint_rate": 1.0},
                        {"name": "B", "failure_rate": 1.0, "complaint_rate": 0.0},
                    ],
                }
            ]
        },
        "loss_tree": {
            "complaint_rate": 0.0,
            "resolution": {"satisfied": 1.0, "mollified": 0.0},
            "defection": {
                "silent": {"minor": 0.0, "major": 0.0},
                "satisfied": {"minor": 1.0, "major": 0.0},
                "mollified": {"minor": 0.0, "major": 0.0},
                "dissatisfied": {"minor": 0.0, "major": 0.0},
            },
            "word_of_mouth": {
                "told": {"silent": 20.0, "satisfied": 0.0, "mollified": 0.0, "dissatisfied": 0.0},
                "deterred": 1.0,
            },
        },
        "memory": {"odds_ratio": [1.0, 1.0, 1.0], "start": "clean"},
    }
    scenario = cxsim.validate(data, "deterrence.yaml")
    for a in (0.5, 1.0):
        rise = Changes((Change("journey.stages.0.touchpoints.0.failure_rate", "set", a),))
        got = cxsim.expected(scenario, variant=rise).metric("lost_revenue")[0]
        assert got == pytest.approx(10000 * (a + 1 - math.exp(-20 * (1 - a))), rel=1e-12)


# --- broken scenarios are refused, every problem located ---------------------------------------

PROBABILITIES = {
    *("conversion", "margin", "rate", "exposure", "failure_rate", "complaint_rate"),
    *("satisfied", "mollified", "minor", "major", "deterred", "referred"),
}
Loc = tuple[str | int, ...]


def fields(data: Any, loc: Loc = ()) -> list[tuple[Loc, Any]]:
    """Every field holding a number or a distribution, with its location (not inside one)."""
    if isinstance(data, dict) and "dist" in data:
        return [(loc, data)]
    if isinstance(data, dict):
        return [f for key, value in data.items() for f in fields(value, (*loc, key))]
    if isinstance(data, list):
        return [f for i, value in enumerate(data) for f in fields(value, (*loc, i))]
    if isinstance(data, int | float) and not isinstance(data, bool):
        return [(loc, data)]
    return []


def mappings(data: Any, loc: Loc = ()) -> list[Loc]:
    """Every mapping in the data, with its location."""
    if isinstance(data, dict):
        return [loc, *(m for key, value in data.items() for m in mappings(value, (*loc, key)))]
    if isinstance(data, list):
        return [m for i, value in enumerate(data) for m in mappings(value, (*loc, i))]
    return []


def is_probability(loc: Loc) -> bool:
    inside = [part for part in loc if isinstance(part, str)]
    per_segment = len(loc) > 1 and loc[-2] in ("exposure", "failure_rate")
    return "told" not in inside and (loc[-1] in PROBABILITIES or per_segment)


def put(data: dict[str, Any], loc: Loc, value: Any) -> None:
    target: Any = data
    for part in loc[:-1]:
        target = target[part]
    target[loc[-1]] = value


BAD_VALUES = {
    "nan or infinity": st.sampled_from([math.nan, math.inf, -math.inf]),
    "wrong type": st.sampled_from(["lots", "12 %", [0.5], ""]),
}


@SETTINGS
@given(scenario_dicts(), st.data())
def test_broken_scenarios_are_refused_with_every_problem_located(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    kind = draw.draw(
        st.sampled_from(
            [
                "probability out of range",
                "negative count",
                "bounds out of order",
                "unknown key",
                *BAD_VALUES,
            ]
        ),
        label="mutation",
    )
    numbers = fields(data)
    if kind == "unknown key":
        where = draw.draw(st.sampled_from(mappings(data)), label="mapping")
        put(data, (*where, "colour"), "blue")
        target: Loc = (*where, "colour")
    else:
        if kind == "negative count":
            candidates = [loc for loc, _ in numbers if loc[-1] in ("customers", "prospects")]
        elif kind in ("probability out of range", "bounds out of order"):
            candidates = [loc for loc, _ in numbers if is_probability(loc)]
        else:
            candidates = [loc for loc, _ in numbers]
        target = draw.draw(st.sampled_from(candidates), label="field")
        if kind == "probability out of range":
            bad: Any = draw.draw(st.one_of(st.floats(1.001, 1e6), st.floats(-1e6, -0.001)))
        elif kind == "negative count":
            bad = draw.draw(st.one_of(st.integers(-(10**9), -1), st.floats(-1e9, -0.5)))
        elif kind == "bounds out of order":
            low, high = draw.draw(ordered(0.0, 1.0, 2))
            bad = draw.draw(
                st.sampled_from(
                    [
                        {"dist": "uniform", "low": high, "high": low},
                        {"dist": "triangular", "low": high, "mode": low, "high": high},
                        {"dist": "pert", "low": low, "mode": high, "high": low},
                        {"dist": "expert", "p10": high, "p50": low, "p90": high},
                    ]
                )
            )
        else:
            bad = draw.draw(BAD_VALUES[kind])
        put(data, target, bad)
    text = dump(data)
    with pytest.raises(ScenarioError) as info:
        cxsim.loads(text, "broken.yaml")
    problems = info.value.problems
    assert problems
    for p in problems:
        assert p.source == "broken.yaml" and p.line is not None and p.path, str(p)
        assert str(p).startswith(f"broken.yaml:{p.line}:"), str(p)
    assert format_loc(target) in [p.path for p in problems], (kind, text)


# --- the nasty inputs of issue 9, through the real command --------------------------------------


def bomb(levels: int = 10) -> str:
    """The 'billion laughs': each alias ten of the one before, 10**levels values in all."""
    lines = ['lol: &l0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def tiny(*changes: tuple[str, str]) -> str:
    text = TINY
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    return text


#: A file with every kind of bad value: (what, replaced, by, the message expected).
BAD_VALUES_IN_ONE_FILE = [
    ("wrong type", "customers: 20000", "customers: lots",
     "6:16: segments[0].customers: must be a number, got 'lots'"),
    ("negative count", "prospects: 2000", "prospects: -2000",
     "7:16: segments[0].prospects: must be between 0 and 1e+15, got -2000"),
    ("NaN", "revenue: 10", "revenue: .nan",
     "9:14: segments[0].revenue: must be a finite number, got nan"),
    ("bounds out of order", "failure_rate: 0.05",
     "failure_rate: {dist: pert, low: 0.2, mode: 0.1, high: 0.3}",
     "16:55: journey.stages[0].touchpoints[0].failure_rate: bounds out of order"),
    ("probability above 1", "complaint_rate: 0.5", "complaint_rate: 1.5",
     "22:19: loss_tree.complaint_rate: must be between 0 and 1, got 1.5"),
    ("wrong type of section", "resolution: {satisfied: 0.3, mollified: 0.3}",
     "resolution: [0.3, 0.3]",
     "23:15: loss_tree.resolution: must be a mapping of keys to values, got [0.3, 0.3]"),
    ("infinity", "deterred: 0.02", "deterred: .inf",
     "31:15: loss_tree.word_of_mouth.deterred: must be a finite number, got inf"),
]  # fmt: skip
#: Files `cxsim run` refuses at once: name -> (content, the message expected after `file:`).
REFUSED = {
    "empty file": (b"", "1:1: a scenario must be a mapping of keys to values, got empty"),
    "not YAML": (b"name: [unclosed\nsegments: {\n", "2:9: not valid YAML"),
    "a YAML list": (b"- segments\n- journey\n", "1:1: a scenario must be a mapping"),
    "alias bomb": (
        bomb().encode(),
        "1:1: aliases (*name) expand the document to more than 200,000 values",
    ),
    "Python object tag": (
        b"name: !!python/object/apply:os.system ['touch PWNED']\n",
        "1:7: not valid YAML: could not determine a constructor for the tag",
    ),
    "not UTF-8": ("\nname: Café\n".encode("latin-1"), "2: not UTF-8 text (byte 10: 0xe9)"),
}
#: More bad files, checked together by `cxsim validate`: name -> (content, message expected).
MORE_REFUSED = {
    "only a comment": (b"# a scenario will go here\n", "1:1: a scenario must be a mapping"),
    "plain text": (b"Please simulate our shop.\n", "1:1: a scenario must be a mapping"),
    "Python name tag": (b"name: !!python/name:os.system\n", "1:7: not valid YAML: could not"),
    "UTF-16": (TINY.encode("utf-16"), "1: not UTF-8 text (byte 0: 0xff)"),
    "a NUL character": (
        tiny(("Tiny shop", "Tiny\x00shop")).encode(),
        "2:11: not valid YAML: character U+0000 is not allowed",
    ),
    "a key given twice": (
        tiny(("    revenue: 10\n", "    revenue: 10\n    revenue: 12\n")).encode(),
        "10:5: segments[0].revenue: duplicate key 'revenue' (first on line 9)",
    ),
    "nested too deeply": (
        b"name: " + b"[" * 3000 + b"]" * 3000 + b"\n",
        "1: not valid YAML: nested",
    ),
    "two documents": ((TINY + "---\n" + TINY).encode(), "33:1: not valid YAML: expected a single"),
}
#: Files that must run end to end: name -> (content, extra arguments of `cxsim run`).
RUNS = {
    "10^12 customers": (tiny(("customers: 20000", "customers: 1e12")), ["--runs", "64"]),
    "horizon of 1": (tiny(("horizon: 6", "horizon: 1")), ["--runs", "64"]),
    "horizon of 600": (tiny(("horizon: 6", "horizon: 600")), ["--runs", "16"]),
}
JAPANESE = tiny(
    ("name: Tiny shop", "name: 小さな店 🏪"),
    ("name: Regulars", "name: 常連客 🛒"),
    ("name: Delivery", "name: 配送遅延 🚚"),
    ("name: Use", "name: 利用"),
)
RUNAWAY = tiny(
    ("horizon: 6", "horizon: 600"),
    ("satisfied: 4,", "satisfied: 500,"),
    ("referred: 0.02", "referred: 1"),
)


def cli(*args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, encoding="utf-8", cwd=cwd, timeout=timeout
    )


#: The tests that read `nasty` run on one worker, which makes it once (7 s of CLI runs).
NASTY = pytest.mark.xdist_group("nasty")


@pytest.fixture(scope="module")
def nasty(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every nasty case through `cxsim`: name -> outcome."""
    where = tmp_path_factory.mktemp("nasty")
    bad = tiny(*((old, new) for _, old, new, _ in BAD_VALUES_IN_ONE_FILE))
    (where / "bad values.yaml").write_text(bad, encoding="utf-8")
    jobs = {"bad values": ["run", "bad values.yaml"]}
    for i, (name, (content, _)) in enumerate(REFUSED.items()):
        (where / f"refused{i}.yaml").write_bytes(content)
        jobs[name] = ["run", f"refused{i}.yaml", "--runs", "10"]
    for i, (content, _) in enumerate(MORE_REFUSED.values()):
        (where / f"more{i}.yaml").write_bytes(content)
    (where / "notepad.yaml").write_bytes(b"\xef\xbb\xbf" + TINY.replace("\n", "\r\n").encode())
    jobs["validate"] = ["validate", *(f"more{i}.yaml" for i in range(len(MORE_REFUSED)))]
    jobs["validate"] += ["notepad.yaml", "/dev/zero"]  # endless: refused unread
    for i, (name, (content, extra)) in enumerate(RUNS.items()):
        (where / f"runs{i}.yaml").write_text(content, encoding="utf-8")
        jobs[name] = ["run", f"runs{i}.yaml", "--json", "--seed", "1", *extra]
    (where / "店.yaml").write_text(JAPANESE, encoding="utf-8")
    jobs["Japanese"] = ["run", "店.yaml", "--runs", "64", "--seed", "1", "--out", "結果"]
    (where / "runaway.yaml").write_text(RUNAWAY, encoding="utf-8")
    jobs["runaway"] = ["run", "runaway.yaml", "--runs", "600", "--workers", "2"]
    # In this process (an interpreter's start-up is 1-2 s a case), but for the runaway base,
    # refused inside a worker process: that one is about processes.
    done = {n: cxsim_in_process(*a, cwd=where) for n, a in jobs.items() if n != "runaway"}
    done["runaway"] = cli(*jobs["runaway"], cwd=where)
    return {"dir": where, "done": done}


def refused_cleanly(out: subprocess.CompletedProcess[str]) -> None:
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr + out.stdout and "internal error" not in out.stderr


@NASTY
def test_every_bad_value_in_a_file_is_reported_with_its_line(nasty: dict[str, Any]) -> None:
    out = nasty["done"]["bad values"]
    refused_cleanly(out)
    assert out.stdout == ""
    for what, _, _, message in BAD_VALUES_IN_ONE_FILE:
        assert f"bad values.yaml:{message}" in out.stderr, what
    assert len(out.stderr.splitlines()) == len(BAD_VALUES_IN_ONE_FILE)


@pytest.mark.parametrize("name", list(REFUSED))
@NASTY
def test_files_that_are_not_scenarios_exit_2(nasty: dict[str, Any], name: str) -> None:
    out = nasty["done"][name]
    refused_cleanly(out)
    file = f"refused{list(REFUSED).index(name)}.yaml"
    assert out.stderr.startswith(f"{file}:{REFUSED[name][1]}"), out.stderr
    assert not (nasty["dir"] / "PWNED").exists()


@NASTY
def test_more_bad_files_are_each_located(nasty: dict[str, Any]) -> None:
    out = nasty["done"]["validate"]
    refused_cleanly(out)
    for i, (name, (_, message)) in enumerate(MORE_REFUSED.items()):
        assert f"more{i}.yaml:{message}" in out.stderr, name
    assert "notepad.yaml: ok" in out.stdout  # a byte-order mark and CRLF line ends are fine
    assert "/dev/zero: not a regular file" in out.stderr
    assert f"{len(MORE_REFUSED) + 1} of {len(MORE_REFUSED) + 2} files invalid" in out.stderr


@NASTY
def test_a_runaway_customer_base_is_refused_not_overflowed(nasty: dict[str, Any]) -> None:
    """Referrals feeding on themselves: refused in a worker process, reported as the user's."""
    out = nasty["done"]["runaway"]
    refused_cleanly(out)
    assert "customers in period" in out.stderr and "grows without bound" in out.stderr


@pytest.mark.xdist_group("exclusive")
def test_the_alias_bomb_is_refused_fast_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb(12))  # 10**12 values if it were expanded
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ScenarioError, match="alias bomb"):
            cxsim.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 5
    assert peak < 20e6, f"peak {peak / 1e6:.1f} MB"


@pytest.mark.parametrize("name", list(RUNS))
@NASTY
def test_edge_scenarios_run_end_to_end(nasty: dict[str, Any], name: str) -> None:
    out = nasty["done"][name]
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    numbers = [v for metric in doc["metrics"].values() for v in metric.values()]
    assert numbers and all(math.isfinite(v) for v in numbers)
    assert doc["metrics"]["lost_revenue"]["mean"] > 0
    assert len(doc["indicators"]["active"]) == doc["horizon"]
    assert min(doc["indicators"]["active"]) >= 0
    if name == "10^12 customers":
        assert min(doc["indicators"]["active"]) > 5e11


@NASTY
def test_japanese_and_emoji_names_end_to_end(nasty: dict[str, Any]) -> None:
    out = nasty["done"]["Japanese"]
    assert out.returncode == 0, out.stderr
    assert "小さな店 🏪" in out.stdout and "配送遅延 🚚" in out.stdout
    folder = nasty["dir"] / "結果"
    doc = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert doc["scenario"] == "小さな店 🏪"
    assert set(doc["attribution"]["by_segment"]) == {"常連客 🛒"}
    assert "配送遅延 🚚" in doc["attribution"]["by_touchpoint"]
    assert "利用" in doc["attribution"]["by_stage"]
    assert doc["provenance"]["scenario_text"] == JAPANESE
    assert "配送遅延 🚚" in (folder / "summary.txt").read_text(encoding="utf-8")


# --- bad options, internal errors, Ctrl-C -------------------------------------------------------


def main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """`cxsim ARGS` in this process; its exit code."""
    monkeypatch.setattr(sys, "argv", ["cxsim", *args])
    monkeypatch.setattr(output, "written", [])
    try:
        cxsim.cli.main.main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runs", "lots"], "Invalid value for '--runs': 'lots' is not a valid integer"),
        (["--seed", "-1"], "Invalid value for '--seed'"),
        (["--colour", "blue"], "No such option '--colour'"),
        (["--set", "segments.0.customers"], "--set: segments.0.customers: expected PATH=VALUE"),
        (["--set", "segments.7.revenue=1"], "index 7 is out of range (0..1)"),
    ],
)
def test_bad_options_exit_2_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    code = main(monkeypatch, "run", str(ROOT / "scenarios" / "ecommerce.yaml"), *args)
    out, err = capsys.readouterr()
    assert code == 2 and message in err, err
    assert "Traceback" not in out + err


def test_an_internal_error_names_the_file_that_holds_its_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the engine fell over")

    monkeypatch.setattr(cxsim, "simulate", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the traceback goes
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY)
    code = main(monkeypatch, "run", str(scenario), "--runs", "10")
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    first, second = err.splitlines()
    assert first == "cxsim: internal error: RuntimeError('the engine fell over')"
    assert second.startswith("full traceback written to ")
    log = Path(second.removeprefix("full traceback written to "))
    assert log.parent == tmp_path and log.name.startswith("cxsim-crash-")
    text = log.read_text()
    assert text.startswith("Traceback (most recent call last):")
    assert "in broken" in text and text.rstrip().endswith("RuntimeError: the engine fell over")


@pytest.mark.xdist_group("exclusive")
def test_ctrl_c_while_writing_leaves_no_partial_file_and_says_what_was_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Interrupted while summary.txt is half written: results.json is whole, nothing else."""
    real = Path.write_text

    def interrupted(self: Path, text: str, *args: Any, **kwargs: Any) -> int:
        if self.name.startswith(".summary.txt."):
            real(self, text[:10], *args, **kwargs)
            raise KeyboardInterrupt
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", interrupted)
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY)
    code = main(monkeypatch, "run", str(scenario), "--expected", "--out", str(tmp_path / "out"))
    _, err = capsys.readouterr()
    assert code == 130
    assert sorted(os.listdir(tmp_path / "out")) == [".cxsim-manifest.json", "results.json"]
    json.loads((tmp_path / "out" / "results.json").read_text())
    results = tmp_path / "out" / "results.json"
    assert err.strip() == f"cxsim: interrupted; wrote {results}; nothing else was written."


@pytest.mark.xdist_group("exclusive")
@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def _ctrl_c_state(_: int) -> tuple[bool, bool]:
    """In a worker: (Ctrl-C ignored, Ctrl-C blocked)."""
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    return ignored, signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])


_IGNORE_CTRL_C = execution._ignore_ctrl_c


def _ctrl_c_before_the_initializer() -> None:
    os.kill(os.getpid(), signal.SIGINT)  # pressed between the worker's fork and its initializer
    _IGNORE_CTRL_C()


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="no signal masks (Windows)")
def test_a_worker_forked_as_ctrl_c_is_pressed_carries_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers are forked with Ctrl-C blocked, so one pressed before a worker has set itself to
    ignore it is dropped (it killed the worker, and broke the pool, before); then they ignore
    it, unblocked, and the parent's signal mask is as it was."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    monkeypatch.setattr(execution, "_ignore_ctrl_c", _ctrl_c_before_the_initializer)
    assert list(execution.imap(_ctrl_c_state, range(4), workers=2)) == [(True, False)] * 4
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="no SIGUSR1 (Windows)")
def test_a_run_says_where_it_is_when_asked_and_carries_on() -> None:
    """`kill -USR1 PID` prints the stack of each thread to stderr; the run goes on (Ctrl-C then
    ends it as usual)."""
    args = ["run", "scenarios/ecommerce.yaml", "--runs", "200000", "--workers", "1"]
    proc = subprocess.Popen(
        [*CLI, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None
        assert "runs" in proc.stderr.readline()  # the time it expects: main is running
        proc.send_signal(signal.SIGUSR1)
        time.sleep(1.0)
        assert proc.poll() is None  # carried on
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "Current thread" in stderr and "cxsim/engine/" in stderr, stderr
    assert proc.returncode == 130 and "interrupted" in stderr


def test_ctrl_c_during_a_long_run_leaves_nothing_and_says_so(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group (cxsim and its workers), as from a terminal."""
    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("needs /proc/PID/task/TID/children to see the workers")
    out_dir = tmp_path / "out"
    args = ["run", "scenarios/ecommerce.yaml", "--runs", "200000", "--workers", "2"]
    proc = subprocess.Popen(
        [*CLI, *args, "--seed", "1", "--out", str(out_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 60
    while not (children.exists() and children.read_text().split()):  # the workers are busy
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    workers = [int(pid) for pid in children.read_text().split()]
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        stdout, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired as exc:
        os.killpg(proc.pid, signal.SIGUSR1)  # each process prints where its threads are
        time.sleep(2)
        os.killpg(proc.pid, signal.SIGKILL)  # not left running (or its pipes open) for later tests
        _, stacks = proc.communicate()
        raise AssertionError(f"still running 60 s after Ctrl-C; where it was:\n{stacks}") from exc
    assert proc.returncode == 130, stderr
    assert stderr.strip() == "cxsim: interrupted; nothing was written."
    assert stdout == "" and "Traceback" not in stderr
    assert not out_dir.exists() or list(out_dir.iterdir()) == []
    time.sleep(0.5)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers), "workers left running"
