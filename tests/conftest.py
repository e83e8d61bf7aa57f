"""Shared fixtures: the example scenarios and small hand-checkable ones."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

TINY = """
name: Tiny shop
economics: {period: month, horizon: 6, discount_rate: 0.0, value: revenue}
segments:
  - name: Regulars
    customers: 20000
    prospects: 2000
    conversion: 0.5
    revenue: 10
    churn: {model: constant, rate: 0.02}
journey:
  stages:
    - name: Browse
      audience: prospects
      touchpoints:
        - {name: Search, exposure: 1.0, failure_rate: 0.05}
    - name: Use
      touchpoints:
        - {name: Delivery, exposure: 0.5, failure_rate: 0.1, severity: major}
        - {name: Billing, exposure: 1.0, failure_rate: 0.02, complaint_rate: 0.7}
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
"""


def cxsim_in_process(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`cxsim ARGS` run in this process through the console script's `main`, as a subprocess
    would run it (exit code, stdout, stderr), without the 1-2 s of an interpreter's start-up.

    For tests where a separate process is not the point; those that are about the process
    itself (start-up, Ctrl-C, the installed script, worker processes) keep `subprocess`.
    """
    from cxsim.cli.main import main
    from cxsim.outputs import files as output

    saved = sys.argv, os.getcwd(), output.written
    code = 0
    with CliRunner().isolation() as (out, err, _):
        sys.argv, output.written = ["cxsim", *args], []
        os.chdir(cwd)
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.argv, output.written = saved[0], saved[2]
            os.chdir(saved[1])
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return subprocess.CompletedProcess(["cxsim", *args], code, stdout, stderr)


@pytest.fixture
def tiny_text() -> str:
    return TINY


@pytest.fixture(params=[p.name for p in SCENARIOS])
def example_path(request: pytest.FixtureRequest) -> Path:
    return ROOT / "scenarios" / request.param


#: Reports shared by the tests that only read them (`cli_report`); tests that use one are in
#: this xdist group, so that one worker writes each report once (``--dist loadgroup``).
SHARED_REPORTS = "shared_reports"
#: The runs and seed of the shared reports: tests that can take any share these.
SHARED_RUNS, SHARED_SEED = 64, 7
#: The shared report written with --force over an earlier one (see `cli_report`).
FORCED = ("subscription.yaml", SHARED_RUNS, SHARED_SEED)


@pytest.fixture(scope="session")
def cli_report(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., Path]:
    """`report(EXAMPLE, RUNS, SEED)`: the folder `cxsim report scenarios/EXAMPLE --runs RUNS
    --seed SEED --workers 1` wrote, each written once per session (a report takes 8-12 s).

    The folder is named in Japanese (レポート), as a Japanese user may name it. Tests must only
    read it (or run a command that is refused there); a test that writes or forces into a
    folder makes its own.

    The subscription example's (`FORCED`) is written with --force over an earlier report of
    cxsim's (a copy of the shared ecommerce report: no comparison, fewer charts, its own
    manifest) in a folder where the user added a note beside it and one among the charts:
    tests/test_report.py checks what force replaced and kept; the others read a report."""
    made: dict[tuple[str, int, int], Path] = {}

    def report(example: str, runs: int = SHARED_RUNS, seed: int = SHARED_SEED) -> Path:
        key = (example, runs, seed)
        if key not in made:
            out = tmp_path_factory.mktemp("shared_report") / "レポート"
            args = ["report", f"scenarios/{example}", "-o", str(out)]
            if key == FORCED:
                _a_users_report_folder(out, earlier=report("ecommerce.yaml"))
                args.append("--force")
            done = cxsim_in_process(
                *args, "--runs", str(runs), "--seed", str(seed), "--workers", "1"
            )
            assert done.returncode == 0, done.stderr
            made[key] = out
        return made[key]

    return report


def _a_users_report_folder(out: Path, earlier: Path) -> None:
    """`out`: a copy of an `earlier` report cxsim wrote, with the user's notes added."""
    shutil.copytree(earlier, out)
    from cxsim.outputs.files import MANIFEST

    assert (out / MANIFEST).is_file()
    assert not (out / "charts" / "intervention_npv.png").exists()  # a chart cxsim will add
    (out / "notes.txt").write_text("mine")
    (out / "charts" / "my_notes.txt").write_text("also mine")
