"""The `cxsim` command: a thin layer over the public API.

The group imports each command's module only when that command runs (see `LAZY`), so
`cxsim --help`, `--version` and `validate` answer without loading pandas, SciPy or Matplotlib.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import click

import cxsim as api
from cxsim._version import __version__
from cxsim.cli.lazy import LazyGroup
from cxsim.cli.options import (
    finite,
    force_option,
    json_option,
    out_option,
    runs_option,
    scheduler_option,
    seed_option,
    set_option,
    workers_option,
)
from cxsim.cli.progress import progress, warn
from cxsim.errors import ScenarioError, ScenarioWarning, UserError
from cxsim.outputs import files as output
from cxsim.outputs.files import check_free, write_text

if TYPE_CHECKING:
    from cxsim.engine.summary import Summary

#: name -> ("module:attr", short help). The short help is what `cxsim --help` lists.
LAZY: dict[str, tuple[str, str]] = {
    "run": ("cxsim.cli.main:run", "Simulate a scenario: what experience failures cost."),
    "compare": ("cxsim.cli.compare:compare", "Compare interventions: NPV, ROI, payback, P(pays)."),
    "report": ("cxsim.cli.report:report", "Write the client report: charts, PDF, workbook."),
    "sensitivity": (
        "cxsim.cli.sensitivity:sensitivity",
        "Which inputs matter most (tornado, Sobol).",
    ),
    "pilot": ("cxsim.cli.pilot:pilot", "Size an A/B pilot of an intervention."),
    "breakeven": (
        "cxsim.cli.breakeven:breakeven",
        "What must be true for an intervention to pay.",
    ),
    "voi": ("cxsim.cli.voi:voi", "What resolving each uncertainty first is worth (EVPI)."),
    "target": ("cxsim.cli.target:target", "What +10 NPS, CSAT +5 or a faster answer is worth."),
    "calibrate": ("cxsim.cli.calibrate:calibrate", "Scenario inputs from observed data."),
    "queue": ("cxsim.cli.queue:queue", "Staff a contact-centre queue (SimPy and Erlang)."),
    "rerun": ("cxsim.cli.rerun:rerun", "Repeat a recorded result and check every number."),
    "validate": ("cxsim.cli.main:validate", "Check scenario files and say what they hold."),
    "schema": ("cxsim.cli.main:schema", "Print the JSON Schema of scenario files."),
}


class _OneLineWarnings:
    """Python warnings as one plain line on stderr, without the source line.

    A scenario's warning is shown once per command, though the scenario may be checked again
    after a change (`cxsim.modify` names it `<modify>`): its text after the source is the key.
    """

    def __init__(self) -> None:
        self.shown: set[str] = set()

    def __call__(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        text = str(message)
        key = text.partition(": ")[2] if issubclass(category, ScenarioWarning) else text
        if key not in self.shown:
            self.shown.add(key)
            warn(text)


@click.group(
    cls=LazyGroup,
    lazy=LAZY,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Examples:\n\n\b\n  cxsim run scenarios/subscription.yaml\n"
    "  cxsim compare scenarios/subscription.yaml --runs 400\n"
    "  cxsim report scenarios/subscription.yaml -o report/",
)
@click.version_option(__version__, "-V", "--version", prog_name="cxsim")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """cxsim: what a bad customer experience costs, and which fix pays back.

    Run `cxsim COMMAND --help` for a command's options and examples.
    """
    ctx.with_resource(warnings.catch_warnings())
    warnings.showwarning = _OneLineWarnings()


KEEP_RUNS_UP_TO = 100_000  # beyond this, `run` keeps statistics, not every run
PROGRESS_FROM_RUNS = 2000  # below this a run takes well under two seconds: no bar


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def describe(scenario: api.Scenario) -> str:
    """One sentence on what a scenario holds: name, segments, touchpoints, horizon."""
    stages = scenario.journey.stages
    touchpoints = sum(len(s.touchpoints) for s in stages)
    e = scenario.economics
    return (
        f"{scenario.name!r}: {_plural(len(scenario.segments), 'segment')}, "
        f"{_plural(touchpoints, 'touchpoint')} in {_plural(len(stages), 'stage')}, "
        f"{_plural(len(scenario.interventions), 'intervention')}, "
        f"over {_plural(e.horizon, e.period)} in {e.currency}"
    )


@click.command(epilog="Examples:\n\n\b\n  cxsim validate scenarios/*.yaml")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check scenario files; print every problem with file, line and field."""
    bad = 0
    for name in files:
        try:
            scenario = api.load(name)
        except ScenarioError as exc:
            bad += 1
            click.echo(str(exc), err=True)
        else:
            click.echo(f"{name}: ok, {describe(scenario)}.")
    if bad:
        raise UserError(f"{bad} of {_plural(len(files), 'file')} invalid")


@click.command(
    epilog="Examples:\n\n\b\n  cxsim run scenarios/subscription.yaml --runs 5000 --seed 1\n"
    "  cxsim run scenarios/subscription.yaml --expected --set economics.horizon=24\n"
    "  cxsim run scenarios/subscription.yaml --precision 0.01 -o results/"
)
@click.argument("file", type=click.Path(dir_okay=False))
@runs_option()
@seed_option()
@set_option
@click.option(
    "--expected", is_flag=True, help="Run the expected-value model (inputs at their means)."
)
@json_option
@out_option("Also write results.json and summary.txt into this folder.")
@force_option
@workers_option
@scheduler_option
@click.option(
    "--precision",
    type=finite(0, 1, min_open=True),
    help="Run until the 95% interval of the lost revenue is within this share of its mean "
    "(e.g. 0.01); --runs is then the upper limit.",
)
def run(
    file: str,
    runs: int,
    seed: int | None,
    overrides: tuple[str, ...],
    expected: bool,
    as_json: bool,
    out: str | None,
    force: bool,
    workers: int | None,
    precision: float | None,
    scheduler: str | None,
) -> None:
    """Simulate a scenario and print what experience failures cost."""
    scenario, source = api.load_with_source(file, overrides)
    targets = [Path(out) / "results.json", Path(out) / "summary.txt"] if out else []
    check_free(targets, force)
    note = ""
    results: api.Results | Summary
    if expected:
        results = api.expected(scenario, source=source)
    elif precision is not None:
        results, note = _run_to_precision(
            scenario, precision, runs, seed, workers, source, scheduler, as_json
        )
    else:
        from cxsim.engine.simulation import summarise

        # Beyond KEEP_RUNS_UP_TO, keeping every run would take memory in proportion to runs:
        # fold the chunks into statistics instead.
        verb = summarise if runs > KEEP_RUNS_UP_TO else api.simulate
        show = not as_json and runs >= PROGRESS_FROM_RUNS
        with progress(runs, "simulating", enabled=show) as update:
            results = verb(
                scenario,
                runs=runs,
                seed=seed,
                workers=workers,
                source=source,
                progress=update,
                scheduler=scheduler,
            )
    text = results.to_json() if as_json else results.text()
    if scenario.actuals:
        text = _with_reconciliation(scenario, results, as_json, text)
    if note:
        click.echo(note, err=as_json, nl=False)
    if out:
        write_text(targets[0], results.to_json(), replace=force)
        write_text(targets[1], results.text(), replace=force)
    click.echo(text, nl=not text.endswith("\n"))


def _with_reconciliation(
    scenario: api.Scenario, results: api.Results | Summary, as_json: bool, text: str
) -> str:
    """The run's output with how its status quo compares with the scenario's actuals."""
    import math

    from cxsim.analysis.calibration import reconcile

    table = reconcile(scenario, results)
    for row in table.outside:
        what = " ".join(str(x) for x in (row["metric"], row["segment"], row["period"]) if x)
        modelled = row["modelled"]
        said = (
            f"{modelled:.6g}"
            if math.isfinite(modelled)
            else f"n/a ({row.get('reason') or 'no value'})"
        )
        click.echo(
            f"warning: status quo outside the actuals: {what}: observed {row['observed']:.6g}, "
            f"modelled {said}",
            err=True,
        )
    if as_json:
        doc = json.loads(text)
        doc["reconciliation"] = json.loads(table.to_json())  # the protocol's JSON: NaN is null
        return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)
    return text.rstrip("\n") + "\n\n" + table.text()


def _run_to_precision(
    scenario: api.Scenario,
    precision: float,
    runs: int,
    seed: int | None,
    workers: int | None,
    source: Any,
    scheduler: str | None,
    as_json: bool,
) -> tuple[api.Results, str]:
    """`run --precision`: add runs until the interval is narrow enough; say how it went."""
    from cxsim.analysis.sensitivity import SensitivityWarning, run_to_precision

    given = click.get_current_context().get_parameter_source("runs")
    limit = runs if given is click.core.ParameterSource.COMMANDLINE else 100_000
    max_runs = max(limit, 512)
    with (
        warnings.catch_warnings(),
        progress(max_runs, "simulating", enabled=not as_json, unit="runs at most") as bar,
    ):
        # Said below in the note, naming --runs rather than the API's max_runs.
        warnings.simplefilter("ignore", SensitivityWarning)
        results, record = run_to_precision(
            scenario,
            precision,
            seed=seed,
            max_runs=max_runs,
            workers=workers,
            source=source,
            scheduler=scheduler,
            progress=bar,
        )
    state = "reached" if record.converged else "NOT reached (raise --runs)"
    note = (
        f"precision {precision:.1%} {state} after {_plural(record.runs, 'run')}: "
        f"95% half-width {record.half_width:,.0f} around {record.mean:,.0f}\n"
    )
    return results, note


@click.command(epilog="Examples:\n\n\b\n  cxsim schema > cxsim-scenario.schema.json")
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors)."""
    click.echo(json.dumps(api.scenario_schema(), indent=2, ensure_ascii=False))


def main() -> None:
    """Entry point: user errors exit 2 with a message; internal errors point to a traceback file."""
    _stacks_on_request()
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        _interrupted()
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UserError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        _interrupted()
    except Exception as exc:  # cxsim's own fault: short message, full traceback in a file
        with tempfile.NamedTemporaryFile(
            "w",
            prefix=f"cxsim-crash-{time.strftime('%Y%m%d-%H%M%S')}-",
            suffix=".log",
            delete=False,
        ) as log:
            traceback.print_exc(file=log)
        what = repr(exc) if len(repr(exc)) <= 300 else repr(exc)[:297] + "..."
        click.echo(f"cxsim: internal error: {what}\nfull traceback written to {log.name}", err=True)
        sys.exit(1)


def _stacks_on_request() -> None:
    """`kill -USR1 PID` prints where each thread of cxsim is, to its stderr, and carries on: a
    run that seems stuck can say where (the workers it forks inherit this)."""
    import contextlib
    import faulthandler
    import signal

    if not hasattr(signal, "SIGUSR1"):
        return  # Windows
    # a stderr that is not a file (cxsim's main called in process, as in tests) has no fileno
    with contextlib.suppress(AttributeError, OSError, ValueError):
        faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)


def _interrupted() -> NoReturn:
    """Ctrl-C: say which files were completely written (none is ever left half-written)."""
    done = ", ".join(str(p) for p in output.written)
    more = f"wrote {done}; nothing else was written" if done else "nothing was written"
    click.echo(f"cxsim: interrupted; {more}.", err=True)
    sys.exit(130)
