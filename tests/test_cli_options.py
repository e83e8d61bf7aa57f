"""Every command's help and options, walked in-process: one set of shared options, help text
on every option, defaults shown one way, an example in every help, and numeric values that
are not numbers (NaN, infinity, negative, huge) refused with exit 2 and a located message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cxsim.cli.main import cli

from .conftest import ROOT, TINY, cxsim_in_process

SUBSCRIPTION = ROOT / "scenarios" / "subscription.yaml"

SHARED = ("--out", "--json", "--seed", "--runs", "--workers", "--scheduler", "--set", "--language")
SAME_HELP = ("--json", "--workers", "--scheduler", "--set", "--language")


def commands() -> list[tuple[str, click.Command]]:
    """Every command and subcommand, by its full name."""
    ctx = click.Context(cli)
    found: list[tuple[str, click.Command]] = []

    def walk(prefix: str, group: click.Group) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            found.append((f"{prefix}{name}", command))
            if isinstance(command, click.Group):
                walk(f"{prefix}{name} ", command)

    walk("", cli)
    return found


def options(command: click.Command) -> dict[str, click.Option]:
    return {
        max(p.opts, key=len): p
        for p in command.params
        if isinstance(p, click.Option) and p.name != "help"
    }


def test_every_command_is_listed_without_cut_descriptions() -> None:
    out = CliRunner().invoke(cli, ["--help"]).output
    for name, _ in commands():
        if " " not in name:
            assert f"  {name} " in out
    assert "..." not in out.split("Commands:")[1]


@pytest.mark.parametrize("name", [n for n, _ in commands()])
def test_help_has_options_with_help_and_an_example(name: str) -> None:
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.output and "cxsim " in result.output.split("Examples:")[1]
    assert "%%" not in result.output
    assert "None]" not in result.output and "None;" not in result.output  # "[x<=None]"
    command = dict(commands())[name]
    ctx = click.Context(command)
    for opt, param in options(command).items():
        assert param.help, f"{name} {opt} has no help"
        default = param.get_default(ctx)
        if isinstance(default, int | float | str) and not param.is_flag:
            assert param.show_default, f"{name} {opt} hides its default"


def test_shared_options_have_one_name_and_one_help() -> None:
    seen: dict[str, click.Option] = {}
    for name, command in commands():
        for opt, param in options(command).items():
            if opt not in SHARED:
                continue
            if opt == "--out":
                assert param.opts == ["-o", "--out"], name
            if opt in seen and opt in SAME_HELP:
                assert param.help == seen[opt].help, f"{name} {opt}"
                assert param.opts == seen[opt].opts, f"{name} {opt}"
            if opt == "--seed":
                assert param.help and param.help.startswith("Random seed: the same seed"), name
            seen.setdefault(opt, param)
    assert set(seen) == set(SHARED)


BAD_NUMBERS = ("nan", "inf", "-inf", "-1", "1e300")


def numeric_options() -> list[tuple[str, str]]:
    out = []
    for name, command in commands():
        for opt, param in options(command).items():
            if isinstance(param.type, click.types._NumberParamTypeBase):
                out.append((name, opt))
    return out


# TINY with one intervention: what a command runs on when a value is fine (1e300 for
# --budget). The check is of the option's parsing, not of the simulation, so the smallest
# scenario that every such command accepts will do (the subscription example's six
# interventions made `compare --budget=1e300` search 64 sets, 30 s of the suite).
SMALL = (
    TINY.replace("value: revenue", "value: margin")
    + """
interventions:
  - name: Fix delivery
    effects:
      - {path: "journey.stages[Use].touchpoints[Delivery].failure_rate", scale: 0.5}
    costs: {one_off: 1000}
"""
)


@pytest.fixture(scope="module")
def small_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("options") / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "opt"), numeric_options())
def test_numeric_options_refuse_nan_inf_negative_and_huge(
    name: str, opt: str, small_scenario: Path
) -> None:
    command = dict(commands())[name]
    args = [*name.split()]
    if any(isinstance(p, click.Argument) for p in command.params):
        args.append(str(small_scenario))
    if opt != "--runs" and "--runs" in options(command):
        args += ["--runs", "2"]  # as few as the command takes, for a value that is fine
    for bad in BAD_NUMBERS:
        result = CliRunner().invoke(cli, [*args, f"{opt}={bad}"])
        if result.exit_code == 0:
            continue  # e.g. 1e300 is a fine --budget; the others must not pass
        assert bad not in ("nan", "inf", "-inf") or result.exit_code == 2, (opt, bad)
        assert result.exit_code == 2, (name, opt, bad, result.output)
        assert opt in result.output or "Missing" in result.output, result.output
        assert "Traceback" not in result.output
    for bad in ("nan", "inf"):
        result = CliRunner().invoke(cli, [*args, f"{opt}={bad}"])
        assert result.exit_code == 2, (name, opt, bad)


def test_empty_scheduler_and_negative_queue_seed_are_refused() -> None:
    run = CliRunner().invoke(cli, ["run", str(SUBSCRIPTION), "--scheduler="])
    assert run.exit_code == 2 and "--scheduler" in run.output
    queue = ["queue", "--arrivals-per-hour", "1", "--aht-seconds", "1", "--agents", "1"]
    result = CliRunner().invoke(cli, [*queue, "--seed", "-1"])
    assert result.exit_code == 2 and "--seed" in result.output


def test_validate_says_what_the_scenario_holds() -> None:
    result = CliRunner().invoke(cli, ["validate", str(SUBSCRIPTION)])
    assert result.exit_code == 0
    assert "ok, 'StreamCo subscription service': 2 segments," in result.output
    assert "<Scenario" not in result.output


def test_expected_summary_has_no_seed_none() -> None:
    args = ["run", str(SUBSCRIPTION), "--expected"]
    out = CliRunner().invoke(cli, args).output
    assert "seed None" not in out and "1 runs" not in out


def test_z90_is_scipy_p90_of_a_normal() -> None:
    from scipy import stats

    from cxsim.model import distributions

    assert float(stats.norm.ppf(0.9)) == distributions._Z90


HEAVY = ("pandas", "matplotlib", "dask", "scipy.stats")


@pytest.mark.parametrize(
    "code",
    [
        "import cxsim",
        "import cxsim.cli.main",
        "import cxsim; cxsim.load('scenarios/subscription.yaml')",
    ],
)
def test_start_up_does_not_import_heavy_libraries(code: str) -> None:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""


def test_lazy_api_keeps_every_public_name() -> None:
    import cxsim

    assert set(cxsim.__all__) <= set(dir(cxsim))
    for name in cxsim.__all__:
        assert getattr(cxsim, name) is not None
    with pytest.raises(AttributeError):
        _ = cxsim.no_such_name  # type: ignore[attr-defined]


def scale_30(tmp_path: Path) -> Path:
    """The example scenario with 'scale: 30' where someone meant 30% less."""
    text = (ROOT / "scenarios" / "subscription.yaml").read_text(encoding="utf-8")
    assert 'failure_rate", scale: 0.6}' in text
    path = tmp_path / "scale30.yaml"
    path.write_text(text.replace('failure_rate", scale: 0.6}', 'failure_rate", scale: 30}'))
    return path


@pytest.mark.filterwarnings("default::cxsim.errors.ScenarioWarning")  # as outside pytest
def test_scenario_warning_is_one_clean_line_once(tmp_path: Path) -> None:
    """A ScenarioWarning prints as one 'warning:' line, without Python's source line, once,
    though compare checks the scenario again after changing it."""
    path = scale_30(tmp_path)
    # Two of its six interventions: the same checks, without searching all 64 sets of six.
    two = ("--intervention", "Live chat", "--intervention", "Verify resolution")
    done = cxsim_in_process("compare", str(path), "--runs", "10", "--seed", "1", "--json", *two)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"warning: {path}: intervention 'Live chat'")
    assert "scale: 0.7" in lines[0]
    assert "warnings.warn" not in done.stderr and "ScenarioWarning" not in done.stderr


def test_xlsx_with_another_extension_warns(tmp_path: Path, small_scenario: Path) -> None:
    """`--xlsx book.csv` still writes the workbook, with a warning naming the usual extension
    (on the one-intervention scenario: the warning is about the name, not the comparison)."""
    book = tmp_path / "book.csv"
    done = cxsim_in_process(
        "compare", str(small_scenario), "--runs", "10", "--seed", "1", "--xlsx", str(book), "--json"
    )
    assert done.returncode == 0, done.stderr
    assert f"warning: {book}: the name says a CSV file" in done.stderr
    assert "*.xlsx" in done.stderr
    assert book.is_file()


def test_xlsx_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    """No folders are created outside the target: a missing parent folder is an error."""
    book = tmp_path / "new" / "deeper" / "book.xlsx"
    done = cxsim_in_process(
        "compare", str(SUBSCRIPTION), "--runs", "10", "--seed", "1", "--xlsx", str(book)
    )
    assert done.returncode == 2
    assert "does not exist; create it first" in done.stderr
    assert not (tmp_path / "new").exists()


def test_calibrate_out_checks_extension_and_folder(tmp_path: Path) -> None:
    """`calibrate scenario -o` is a YAML file target: warned on another extension, refused in a
    missing folder before any work."""
    missing = cxsim_in_process(
        "calibrate", "scenario", str(SUBSCRIPTION), "-o", str(tmp_path / "no" / "x.yaml")
    )
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
    # A small scenario with one observed figure: the warning is about the name, not the data.
    small = tmp_path / "small.yaml"
    small.write_text(TINY + "actuals:\n  - {metric: churn, periods: [1, 6], value: 0.05}\n")
    wrong = tmp_path / "calibrated.json"
    done = cxsim_in_process("calibrate", "scenario", str(small), "-o", str(wrong))
    assert done.returncode == 0, done.stderr
    assert f"warning: {wrong}: the name says a JSON file, but a YAML file is written" in (
        done.stderr
    )


def test_staffing_reports_progress_once_per_level() -> None:
    """`progress=` is called with 1 per staffing level, as many as `staffings_to_try` says."""
    from cxsim.analysis.staffing import staffing, staffings_to_try

    done: list[int] = []
    args = (100.0, 180.0, 4)
    kwargs = {"target": 0.8}
    levels = staffings_to_try(*args, **kwargs)
    result = staffing(
        *args, **kwargs, replications=2, hours=1, warmup_hours=0, progress=done.append
    )
    assert done == [1] * len(levels)
    assert [level["agents"] for level in result.to_dict()["levels"]] == list(levels)


def test_title_is_bold_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """`echo_text` bolds the first line where colour is wanted, and never with NO_COLOR."""
    from cxsim.cli import progress

    @click.command()
    def show() -> None:
        progress.echo_text("Title\nbody\n", nl=False)

    monkeypatch.setattr(progress, "wants_colour", lambda: True)
    assert CliRunner().invoke(show, color=True).output == "\x1b[1mTitle\x1b[0m\nbody\n"
    monkeypatch.setattr(progress, "wants_colour", lambda: False)
    assert CliRunner().invoke(show, color=True).output == "Title\nbody\n"
    monkeypatch.undo()
    monkeypatch.setenv("NO_COLOR", "1")
    assert not progress.wants_colour()


def test_an_expected_run_without_a_queue_imports_neither_simpy_nor_process_pools() -> None:
    """Issue 17's start-up: `run --expected` on a scenario without a support section loads
    neither the queue's simulation (SimPy) nor what parallel runs need."""
    heavy = (*HEAVY, "simpy", "multiprocessing", "concurrent.futures")
    probe = (
        "import sys\nfrom cxsim.cli.main import main\n"
        "sys.argv = ['cxsim', 'run', 'scenarios/subscription.yaml', '--expected']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('imported:', ' '.join(m for m in {heavy!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().endswith("imported:")
