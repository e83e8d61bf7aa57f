"""Scenario files: every kind of bad input gets a located message, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cxsim
from cxsim.errors import ScenarioError

from .conftest import ROOT, TINY, cxsim_in_process

CLI = [sys.executable, "-m", "cxsim"]


def problems(text: str, overrides: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        cxsim.loads(text, "x.yaml", overrides)
    return [str(p) for p in info.value.problems]


def test_examples_validate(example_path: Path) -> None:
    scenario = cxsim.load(example_path)
    assert repr(scenario).startswith("<Scenario ")


def test_probability_out_of_range_names_file_line_column_and_field() -> None:
    text = TINY.replace(
        "{name: Delivery, exposure: 0.5, failure_rate: 0.1,",
        "{name: Delivery, exposure: 0.5, failure_rate: 1.3,",
    )
    assert problems(text) == [
        "x.yaml:19:57: journey.stages[1].touchpoints[0].failure_rate: "
        "must be between 0 and 1, got 1.3"
    ]


def test_unknown_key_suggests_the_close_one() -> None:
    text = TINY.replace("    revenue: 10\n", "    revenu: 10\n")
    assert problems(text) == [
        "x.yaml:5:5: segments[0].revenue: is required",
        "x.yaml:9:5: segments[0].revenu: unknown key 'revenu'; did you mean 'revenue'?",
    ]


def test_every_problem_is_reported_once() -> None:
    text = (
        TINY.replace("conversion: 0.5", "conversion: lots")
        .replace("rate: 0.02}", "rate: -0.1}")
        .replace("horizon: 6", "horizon: 0")
    )
    assert problems(text) == [
        "x.yaml:3:37: economics.horizon: must be >= 1, got 0",
        "x.yaml:8:17: segments[0].conversion: must be a number, got 'lots'",
        "x.yaml:10:36: segments[0].churn.rate: must be between 0 and 1, got -0.1",
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "{dist: uniform, low: 0.3, high: 0.1}",
            "bounds out of order: low 0.3 must be below high 0.1",
        ),
        ("{dist: triangular, low: 0.1, mode: 0.5, high: 0.3}", "bounds out of order"),
        ("{dist: expert, p10: 0.2, p50: 0.1, p90: 0.3}", "bounds out of order"),
        (
            "{dist: unifrom, low: 0.1, high: 0.2}",
            "unknown distribution 'unifrom'; did you mean 'uniform'?",
        ),
        (
            "{dist: uniform, low: 0.1, high: 1.2}",
            "must be between 0 and 1, got uniform(low=0.1, high=1.2)",
        ),
        ("{low: 0.1, high: 0.2}", "a distribution needs 'dist:'"),
        ("{dist: beta, alpha: -1, beta: 2}", "must be > 0, got -1"),
        (".nan", "must be a finite number"),
        (".inf", "must be a finite number"),
        ("[0.1]", "must be a number, got [0.1]"),
    ],
)
def test_distribution_problems(spec: str, message: str) -> None:
    text = TINY.replace(
        "failure_rate: 0.02, complaint_rate", f"failure_rate: {spec}, complaint_rate"
    )
    found = problems(text)
    assert len(found) == 1 and message in found[0], found
    assert found[0].startswith("x.yaml:20:")


def test_cross_references_are_checked() -> None:
    text = TINY.replace("exposure: 0.5,", "exposure: {Regular: 0.5},").replace(
        "- name: Use", "- name: Browse"
    )
    assert problems(text) == [
        "x.yaml:17:13: journey.stages[1].name: stage name 'Browse' is used twice",
        "x.yaml:19:48: journey.stages[1].touchpoints[0].exposure.Regular: "
        "no segment named 'Regular'; did you mean 'Regulars'?",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "x.yaml:1:1: a scenario must be a mapping of keys to values, got empty"),
        (b"- a\n- b\n", "x.yaml:1:1: a scenario must be a mapping of keys to values, got a list"),
        (b"name: [open\n", "x.yaml:2:1: not valid YAML"),
        (
            b"name: !!python/object/apply:os.system ['touch pwned']\n",
            "x.yaml:1:7: not valid YAML: could not determine a constructor",
        ),
        (b"name: caf\xe9\n", "x.yaml:1: not UTF-8 text (byte 9: 0xe9)"),
    ],
)
def test_files_that_are_not_scenarios(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(content)
    with pytest.raises(ScenarioError) as info:
        cxsim.load(path)
    assert str(info.value).replace(str(tmp_path) + "/", "").startswith(message)
    assert not (tmp_path / "pwned").exists()


def test_alias_bomb_is_refused_fast(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="alias bomb"):
        cxsim.load(path)
    assert time.perf_counter() - start < 5


def test_japanese_and_emoji_names_load() -> None:
    text = TINY.replace("name: Regulars", "name: 新規顧客 🛒").replace(
        "name: Delivery", "name: 配送遅延"
    )
    scenario = cxsim.loads(text)
    assert scenario.segments[0].name == "新規顧客 🛒"


def test_set_overrides_are_validated_like_the_file() -> None:
    scenario = cxsim.loads(
        TINY,
        "x.yaml",
        (
            "segments.0.customers=50000",
            "journey.stages[1].touchpoints.Delivery.failure_rate="
            "{dist: uniform, low: 0.1, high: 0.2}",
        ),
    )
    assert scenario.segments[0].customers.mean() == 50000
    assert scenario.journey.stages[1].touchpoints[0].failure_rate.mean() == pytest.approx(0.15)
    assert problems(TINY, ("segments.0.conversion=2",)) == [
        "--set segments.0.conversion=2: segments[0].conversion: must be between 0 and 1, got 2"
    ]
    assert problems(TINY, ("segments.3.customers=5",)) == [
        "--set: segments.3.customers: index 3 is out of range (0..0)"
    ]


def test_schema_describes_the_format() -> None:
    schema = cxsim.scenario_schema()
    assert {"segments", "journey", "loss_tree", "economics"} <= set(schema["properties"])
    json.dumps(schema)


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return cxsim_in_process(*args, cwd=cwd)


def test_cli_reports_bad_files_with_exit_code_2_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.replace("conversion: 0.5", "conversion: 1.5"))
    for command in (["validate", str(bad)], ["run", str(bad), "--runs", "10"]):
        out = run_cli(*command)
        assert out.returncode == 2
        assert "segments[0].conversion: must be between 0 and 1, got 1.5" in out.stderr
        assert "Traceback" not in out.stderr + out.stdout
    out = run_cli("run", str(tmp_path / "missing.yaml"))
    assert out.returncode == 2 and "cannot read" in out.stderr
    out = run_cli("run", "scenarios/ecommerce.yaml", "--runs", "0")
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_modify_sets_fields_by_path_and_validates() -> None:
    s = cxsim.loads(TINY)
    t = cxsim.modify(
        s,
        {
            "segments[Regulars].customers": 30000,
            "journey.stages[Use].touchpoints[Delivery].failure_rate": {
                "dist": "uniform",
                "low": 0.1,
                "high": 0.3,
            },
        },
    )
    assert t.segments[0].customers.mean() == 30000
    assert t.journey.stages[1].touchpoints[0].failure_rate.mean() == pytest.approx(0.2)
    assert s.segments[0].customers.mean() == 20000  # the original is untouched
    with pytest.raises(ScenarioError) as info:
        cxsim.modify(s, {"segments.0.conversion": 3})
    assert str(info.value) == (
        "modify segments.0.conversion=3: segments[0].conversion: must be between 0 and 1, got 3"
    )
