"""`cxsim queue`: JSON keys, the staffing search, usage errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cxsim.cli.queue import queue
from cxsim.support.erlang import erlang_a, erlang_c

BASE = ["--arrivals-per-hour", "120", "--aht-seconds", "240"]
QUICK = ["--replications", "30", "--hours", "3", "--warmup-hours", "1"]


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(queue, list(args))


def test_json_beside_erlang_c() -> None:
    result = invoke(*BASE, "--agents", "10", *QUICK, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["model"] == "erlang_c" and doc["agents"] == 10
    keys = ["p_wait", "asa_seconds", "service_level", "abandon_rate"]
    assert set(doc["analytic"]) == set(keys)
    assert set(doc["simulated"]) == set(keys) | {f"{k}_hw" for k in keys}
    c = erlang_c(10, 120.0, 240.0, 20.0)
    assert doc["analytic"]["p_wait"] == pytest.approx(c.p_wait)
    assert doc["analytic"]["service_level"] == pytest.approx(c.service_level)
    sim = doc["simulated"]
    for k in ("p_wait", "service_level"):  # 30 replications agree with Erlang C
        assert abs(sim[k] - doc["analytic"][k]) < 2 * sim[f"{k}_hw"]
    assert sim["abandon_rate"] == 0.0 and sim["abandon_rate_hw"] == 0.0
    assert "target" not in doc


def test_json_beside_erlang_a_with_sl_seconds() -> None:
    result = invoke(
        *BASE, "--agents", "9", "--patience-seconds", "120", "--sl-seconds", "30", *QUICK, "--json"
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    a = erlang_a(9, 120.0, 240.0, 120.0, 30.0)
    assert doc["model"] == "erlang_a"
    assert doc["analytic"]["abandon_rate"] == pytest.approx(a.abandon_rate)
    assert doc["analytic"]["service_level"] == pytest.approx(a.service_level)
    assert (
        abs(doc["simulated"]["abandon_rate"] - a.abandon_rate)
        < 2 * doc["simulated"]["abandon_rate_hw"]
    )


def test_target_finds_the_smallest_staffing() -> None:
    """120 an hour at 240 s (8 Erlangs): Erlang C says 10 agents give 65% in 20 s, 11 give 81%."""
    result = invoke(
        *BASE, "--agents", "9", "--agents-max", "16", "--target", "0.8", *QUICK, "--json"
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["kind"] == "staffing"
    assert doc["target"] == {
        "service_level": 0.8,
        "max_occupancy": None,
        "met": True,
        "agents_simulated": 11,
        "agents_analytic": 11,
    }
    assert doc["agents"] == 11
    assert [lv["agents"] for lv in doc["levels"]] == list(range(9, 17))  # every one up to the max
    assert doc["simulated"]["service_level"] >= 0.8
    assert doc["levels"][0]["analytic"]["asa_seconds"] is not None


def test_every_staffing_tried_is_printed_the_chosen_one_marked() -> None:
    """`--agents-max 16` tries 10 to 16; 10 agents miss 80% in 20 s (Erlang C: 65%), 11 meet it."""
    result = invoke(*BASE, "--agents", "10", "--agents-max", "16", "--target", "0.8", *QUICK)
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if line[:7].strip().isdigit()]
    marked = [line.split() for line in result.output.splitlines() if line.startswith("*")]
    assert [int(r[0]) for r in rows] == [10, 12, 13, 14, 15, 16]
    assert [r[1] for r in marked] == ["11"]
    assert "11 agents (simulated mean; marked *)" in result.output


def test_an_occupancy_ceiling_chooses_the_staffing() -> None:
    """8 Erlangs at most 70% busy: 12 agents (8/12 = 67%), by Erlang C and by the simulation."""
    result = invoke(*BASE, "--agents", "9", "--max-occupancy", "0.7", *QUICK, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["target"]["agents_analytic"] == 12 and doc["target"]["agents_simulated"] == 12
    assert [lv["agents"] for lv in doc["levels"]] == list(range(9, 16))  # three above the answer
    assert doc["levels"][2]["occupancy"] > 0.7 >= doc["levels"][3]["occupancy"]


def test_target_not_met_in_range() -> None:
    result = invoke(*BASE, "--agents", "9", "--agents-max", "10", "--target", "0.95", *QUICK)
    assert result.exit_code == 0, result.output
    assert "not met with up to 10 agents" in result.output


def test_table() -> None:
    result = invoke(
        *BASE, "--agents", "8", "--agents-max", "9", "--replications", "3", "--hours", "1"
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.split()[:2] == ["8", "1.000"] for line in lines)  # 8 Erlangs on 8 agents
    assert "inf" in result.output and "grows without bound" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--agents", "0"],
        ["--agents", "10", "--agents-max", "5"],
        ["--agents", "10", "--target", "1.5"],
        ["--agents", "10", "--replications", "1"],
        ["--agents", "10", "--patience-seconds", "-3"],
        ["--agents", "ten"],
        ["--agents", "10", "--handle", "gamma"],
    ],
)
def test_bad_options_are_usage_errors(args: list[str]) -> None:
    result = invoke(*BASE, *args)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert "Traceback" not in result.output


def test_missing_required_option() -> None:
    result = invoke("--agents", "10")
    assert result.exit_code == 2 and "--arrivals-per-hour" in result.output


def test_registered_on_the_cxsim_command() -> None:
    from cxsim.cli.main import cli

    assert cli.get_command(None, "queue") is queue  # type: ignore[arg-type]
