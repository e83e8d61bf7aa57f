"""Hostile command-line values, option by option, and the time a command takes to say so.

Every option of every command (read from the click commands, so a new option is covered without
editing this file) is given NaN, infinity, a negative, a huge number, an empty string and
unicode: each must end with exit 0 or exit 2 and a message, never a traceback or exit 1. An
unreachable Dask scheduler is reported in one line within 10 s; `queue` refuses work it cannot
finish; a long run says how long it will take before it goes on.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
import pytest

from cxsim.cli import progress

from .conftest import ROOT, TINY, cxsim_in_process
from .test_cli_options import commands, options

#: A scenario small enough that a Monte Carlo of two runs takes a tenth of a second, with one
#: uncertain input, a margin and one intervention, so every command has something to do.
SMALL = """
name: Small shop
economics: {period: month, horizon: 4, discount_rate: 0.0, value: margin}
segments:
  - name: Regulars
    customers: 2000
    prospects: 200
    conversion: 0.5
    revenue: 10
    margin: 0.4
    churn: {model: constant, rate: 0.02}
journey:
  stages:
    - name: Use
      touchpoints:
        - {name: Delivery, exposure: 0.5, failure_rate: {dist: uniform, low: 0.05, high: 0.15}}
loss_tree:
  complaint_rate: 0.5
  resolution: {satisfied: 0.3, mollified: 0.3}
  defection:
    silent: {minor: 0.3, major: 0.6}
    satisfied: {minor: 0.05, major: 0.2}
    mollified: {minor: 0.2, major: 0.4}
    dissatisfied: {minor: 0.4, major: 0.7}
  word_of_mouth:
    told: {silent: 5, satisfied: 4, mollified: 6, dissatisfied: 9}
    deterred: 0.02
    referred: 0.02
interventions:
  - name: Fix
    effects:
      - {path: "journey.stages[Use].touchpoints[Delivery].failure_rate", scale: 0.5}
    costs: {per_period: 100}
"""

HOSTILE = ("nan", "inf", "-inf", "-1", "1e300", "9" * 30, "", "é✓日本語 ☃")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The inputs the commands read: the small scenario, a results file, calibration data."""
    import cxsim

    folder = tmp_path_factory.mktemp("inputs")
    small = folder / "small.yaml"
    small.write_text(SMALL, encoding="utf-8")
    actuals = folder / "actuals.yaml"  # for `calibrate scenario`: one observed churn rate
    actuals.write_text(
        SMALL + "actuals:\n  - {metric: churn, segment: Regulars, periods: [1, 4], value: 0.03}\n",
        encoding="utf-8",
    )
    results = folder / "results.json"
    scenario, source = cxsim.load_with_source(small)
    results.write_text(cxsim.simulate(scenario, runs=2, seed=1, source=source).to_json())
    records = ROOT / "scenarios" / "records"
    return {
        "small": str(small),
        "results": str(results),
        "complaints": str(ROOT / "scenarios" / "calibration" / "complaints.yaml"),
        "cohorts": str(ROOT / "scenarios" / "calibration" / "cohorts.csv"),
        "actuals": str(actuals),
        "customers": str(records / "customers.csv"),
        "contacts": str(records / "contacts.csv"),
    }


def base(name: str, f: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Arguments and options that make command `name` valid and quick (tiny runs, one process).

    A command not listed gets the small scenario as its argument, if it takes one.
    """
    quick = {"--runs": "2", "--workers": "1", "--seed": "1"}
    table: dict[str, tuple[list[str], dict[str, str]]] = {
        "run": ([f["small"]], quick),
        "compare": ([f["small"]], quick),
        "report": ([f["small"]], {**quick, "--out": "report"}),
        "sensitivity": ([f["small"]], {"--seed": "1"}),
        "pilot": ([f["small"]], {"--intervention": "Fix"}),
        "breakeven": ([f["small"]], {**quick, "--intervention": "Fix"}),
        "voi": ([f["small"]], quick),
        "target": (
            [f["small"]],
            {
                **quick,
                "--metric": "churn",
                "--change": "-0.1",
                "--lever": "journey.stages[*].touchpoints[*].failure_rate",
            },
        ),
        "calibrate complaints": ([f["complaints"]], {"--draws": "100", "--seed": "1"}),
        "calibrate records": (
            [],
            {
                "--customers": f["customers"],
                "--contacts": f["contacts"],
                "--map": "customer=customer_id",
            },
        ),
        "calibrate retention": ([f["cohorts"]], {}),
        "calibrate scenario": ([f["actuals"]], {}),
        "queue": (
            [],
            {
                "--arrivals-per-hour": "100",
                "--aht-seconds": "180",
                "--agents": "6",
                "--replications": "2",
                "--hours": "1",
                "--warmup-hours": "0",
            },
        ),
        "rerun": ([f["results"]], {"--workers": "1"}),
        "validate": ([f["small"]], {}),
    }
    if name in table:
        return table[name]
    command = dict(commands())[name]
    takes_file = any(isinstance(p, click.Argument) for p in command.params)
    return ([f["small"]] if takes_file else []), {}


def valued_options() -> list[tuple[str, str]]:
    """(command, option) for every option that takes a value, of every command."""
    return [
        (name, opt)
        for name, command in commands()
        if not isinstance(command, click.Group)
        for opt, param in options(command).items()
        if not param.is_flag
    ]


def test_every_command_with_options_is_covered() -> None:
    """The walk finds the options a person would try first (a guard on the walk itself)."""
    found = set(valued_options())
    for pair in [("run", "--runs"), ("queue", "--handle-cv"), ("calibrate records", "--map")]:
        assert pair in found


@pytest.mark.parametrize("name", sorted({name for name, _ in valued_options()}))
def test_the_quick_arguments_work(
    name: str, files: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each command runs with its quick arguments alone, so a refusal below is the hostile
    value's doing, not a broken base."""
    import cxsim.cli.report

    monkeypatch.setattr(cxsim.cli.report, "write_report", lambda *a, **k: [])
    args, given = base(name, files)
    argv = [*name.split(), *args, *(f"{k}={v}" for k, v in given.items())]
    done = cxsim_in_process(*argv, cwd=tmp_path)
    assert done.returncode == 0, (argv, done.stderr)


@pytest.mark.parametrize(("name", "opt"), valued_options())
def test_every_option_refuses_hostile_values_or_copes(
    name: str,
    opt: str,
    files: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """NaN, infinity, negative, huge, empty and unicode values for one option: exit 0 or 2,
    a message with exit 2, never a traceback. Files go to a fresh folder; the report's charts
    and PDF are not drawn (other tests draw them), everything before them runs."""
    import cxsim.cli.report

    monkeypatch.setattr(cxsim.cli.report, "write_report", lambda *a, **k: [])
    args, given = base(name, files)
    for i, bad in enumerate(HOSTILE):
        settings = {**given, opt: bad}
        if settings.get("--out") == "report":
            settings["--out"] = f"report{i}"
        argv = [*name.split(), *args, *(f"{k}={v}" for k, v in settings.items())]
        done = cxsim_in_process(*argv, cwd=tmp_path)
        said = done.stdout + done.stderr
        assert done.returncode in (0, 2), (argv, said)
        assert "Traceback" not in said and "internal error" not in said, (argv, said)
        if done.returncode == 2:
            assert done.stderr.strip(), argv


# --- an unreachable scheduler -------------------------------------------------------------------


@pytest.mark.parametrize(
    "address", ["", "127.0.0.1:1", "nohost:8786", "local:x", "tcp://10.0.0.5", "tcp://[::1]"]
)
def test_a_scheduler_that_is_not_an_address_is_refused_at_once(address: str) -> None:
    done = cxsim_in_process(
        "run", str(ROOT / "scenarios" / "subscription.yaml"), "--scheduler", address
    )
    assert done.returncode == 2
    assert "--scheduler" in done.stderr and "tcp://HOST:PORT" in done.stderr


@pytest.mark.xdist_group("exclusive")  # a timing measurement
def test_an_unreachable_scheduler_is_one_line_at_once(tmp_path: Path) -> None:
    """Nothing listens on port 1: the refusal ends the wait at once, not Dask's retries until
    its connect timeout (5 s, where Dask's own is 30 s)."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    start = time.perf_counter()
    done = cxsim_in_process("run", str(path), "--runs", "10", "--scheduler", "tcp://127.0.0.1:1")
    took = time.perf_counter() - start
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(
        "scheduler tcp://127.0.0.1:1: no Dask scheduler answered (nothing listens there);"
    )  # said only by the refusal, before Dask tries
    assert took < 10, took


def test_a_scheduler_host_that_does_not_exist_is_said_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host name the resolver does not know (faked here: a sandbox's resolver may hang)."""
    import socket

    def no_such_host(*args: Any, **kwargs: Any) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "create_connection", no_such_host)
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    done = cxsim_in_process("run", str(path), "--scheduler", "tcp://scheduler.invalid:8786")
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "scheduler tcp://scheduler.invalid:8786: no Dask scheduler answered (no such host); "
        "start one with `dask scheduler`, or leave --scheduler out to use local processes\n"
    )


def test_a_tcp_scheduler_without_its_port_is_said_so_through_the_api() -> None:
    """The CLI refuses it as an option; in Python, Dask's own error would be a ValueError that
    read as if a scheduler had answered."""
    from cxsim.engine.execution import dask_client
    from cxsim.errors import UserError

    refused = pytest.raises(UserError, match=r"^scheduler tcp://10\.0\.0\.5: give its port")
    with refused, dask_client("tcp://10.0.0.5"):
        pass


# --- queue: refused quickly ----------------------------------------------------------------------

QUEUE = ["queue", "--arrivals-per-hour", "100", "--aht-seconds", "180", "--agents", "6"]


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--handle", "lognormal", "--handle-cv", "1e300"], "--handle-cv"),
        (["--handle-cv", "nan"], "--handle-cv"),
        (["--agents", "1e12"], "--agents"),
        (["--agents", "1000000000000"], "--agents"),
        (["--target", "nan"], "--target"),
        (["--target", "1"], "--target"),
        (["--patience-seconds", "1e300"], "--patience-seconds"),
        (["--sl-seconds", "inf"], "--sl-seconds"),
        (["--hours", "1e-300"], "fewer than one contact"),
        (["--arrivals-per-hour", "1e7", "--agents", "1"], "contacts to simulate"),
        (["--replications", "10000", "--hours", "8760"], "contacts to simulate"),
        (["--agents-max", "100000"], "staffing levels"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_queue_refuses_what_it_cannot_do_quickly(extra: list[str], said: str) -> None:
    start = time.perf_counter()
    done = cxsim_in_process(*QUEUE, *extra)
    assert done.returncode == 2, done.stdout + done.stderr
    assert said in done.stderr
    assert "Traceback" not in done.stderr
    assert time.perf_counter() - start < 5  # refused before simulating, not after


# --- an estimate before a long run -----------------------------------------------------------


class _Stop(BaseException):
    """Raised after the estimate, to end a long run there (not an Exception: main passes it)."""


def test_a_long_run_says_how_long_it_will_take(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten million runs of a tiny scenario: the estimate is printed after a second or two of
    work, before the rest; the test stops the run there."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    said: list[str] = []

    def announce(seconds: float, what: str, **_: object) -> None:
        said.append(f"{seconds} {what}")
        raise _Stop

    monkeypatch.setattr(progress, "announce", announce)
    with pytest.raises(_Stop):
        cxsim_in_process("run", str(path), "--runs", "10000000", "--workers", "1")
    seconds, _, what = said[0].partition(" ")
    assert what == "10,000,000 runs"
    assert float(seconds) > progress.ESTIMATE_FROM_SECONDS


def test_the_estimate_line_reads_plainly(capsys: pytest.CaptureFixture[str]) -> None:
    progress.announce(5.0, "2,000 runs")
    progress.announce(200.0, "100,000 runs")
    progress.announce(4 * 3600, "10,000,000 runs")
    progress.announce(40.0, "1,000 runs", left=15.0)  # too late to be news
    err = capsys.readouterr().err
    assert err == "about 3 min for 100,000 runs\nabout 4.0 h for 10,000,000 runs\n"


@pytest.mark.xdist_group("exclusive")  # a timing measurement
def test_the_estimate_is_within_a_factor_of_two_of_the_time_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A moderate run, announced from its first half second: the estimate and the time the run
    took agree within a factor of two (one process, chunks of equal work)."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    estimates: list[float] = []
    monkeypatch.setattr(progress, "MEASURE_SECONDS", 0.5)
    monkeypatch.setattr(progress, "announce", lambda s, what, **_: estimates.append(s))
    monkeypatch.setattr(progress, "on_terminal", lambda: False)
    start = time.perf_counter()
    done = cxsim_in_process("run", str(path), "--runs", "8192", "--workers", "1", "--seed", "1")
    took = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    assert len(estimates) == 1
    assert took / 2 < estimates[0] < took * 2, (estimates, took)


# --- found on the way ----------------------------------------------------------------------------


def test_sobol_of_one_uncertain_input(files: dict[str, str]) -> None:
    """One uncertain input explains all of the spread: both intervals hold 1 (scipy's
    `sobol_indices` itself fails on one input)."""
    from cxsim.analysis.sensitivity import SensitivityWarning, sobol

    with pytest.warns(SensitivityWarning, match="too small to trust"):  # S1 is noisy
        result = sobol(files["small"], n=1024, seed=1)
    row = result.table.iloc[0]
    assert row["S1_low"] <= 1.0 <= row["S1_high"] and row["ST_low"] <= 1.0 <= row["ST_high"]


def test_a_report_of_a_scenario_with_nothing_uncertain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No uncertain input to swing: the report has no tornado, rather than failing."""
    import cxsim.cli.report

    seen: dict[str, Any] = {}
    monkeypatch.setattr(cxsim.cli.report, "write_report", lambda *a, **k: seen.update(k) or ["x"])
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    done = cxsim_in_process("report", str(path), "--runs", "2", "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert seen["sensitivity"] is None
