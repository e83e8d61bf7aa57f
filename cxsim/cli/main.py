"""The `cxsim` command: a thin layer over the public API."""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import NoReturn

import click

import cxsim as api
from cxsim._version import __version__
from cxsim.cli.options import runs_option, seed_option, set_option
from cxsim.engine.simulation import summarise
from cxsim.engine.summary import Summary
from cxsim.errors import ScenarioError, UserError
from cxsim.outputs import files as output
from cxsim.outputs.files import check_free, write_text


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cxsim")
def cli() -> None:
    """cxsim: what a bad customer experience costs, and which fix pays back."""


KEEP_RUNS_UP_TO = 100_000  # beyond this, `run` keeps statistics, not every run


def _progress_bar(runs: int, show: bool):  # type: ignore[no-untyped-def]
    """A progress bar on stderr when it is a terminal and the job is long; else a no-op."""
    if show and runs >= 2000 and sys.stderr.isatty():
        return click.progressbar(length=runs, label="simulating", file=sys.stderr)
    return contextlib.nullcontext(None)


@cli.command()
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
            click.echo(f"{name}: ok ({scenario!r})")
    if bad:
        raise UserError(f"{bad} of {len(files)} file(s) invalid")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@runs_option
@seed_option
@set_option
@click.option(
    "--expected", is_flag=True, help="Run the expected-value model (inputs at their means)."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document instead of the summary."
)
@click.option(
    "--out", type=click.Path(file_okay=False), help="Also write results.json and summary.txt here."
)
@click.option("--force", is_flag=True, help="Replace existing files in --out.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run on Dask: 'local' (a LocalCluster of --workers processes) or tcp://HOST:PORT.",
)
@click.option(
    "--precision",
    type=click.FloatRange(min=0, min_open=True, max=1),
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
        from cxsim.analysis.sensitivity import run_to_precision

        given = click.get_current_context().get_parameter_source("runs")
        limit = runs if given is click.core.ParameterSource.COMMANDLINE else 100_000
        results, record = run_to_precision(
            scenario,
            precision,
            seed=seed,
            max_runs=max(limit, 512),
            workers=workers,
            source=source,
            scheduler=scheduler,
        )
        state = "reached" if record.converged else "NOT reached (raise --runs)"
        note = (
            f"precision {precision:.1%} {state} after {record.runs:,} runs: "
            f"95% half-width {record.half_width:,.0f} around {record.mean:,.0f}\n"
        )
    else:
        # Beyond KEEP_RUNS_UP_TO, keeping every run would take memory in proportion to runs:
        # fold the chunks into statistics instead.
        verb = summarise if runs > KEEP_RUNS_UP_TO else api.simulate
        with _progress_bar(runs, not as_json) as bar:
            results = verb(
                scenario,
                runs=runs,
                seed=seed,
                workers=workers,
                source=source,
                progress=bar.update if bar is not None else None,
                scheduler=scheduler,
            )
    text = results.to_json() if as_json else results.text()
    if note:
        click.echo(note, err=as_json, nl=False)
    if out:
        write_text(targets[0], results.to_json(), replace=force)
        write_text(targets[1], results.text(), replace=force)
    click.echo(text, nl=not text.endswith("\n"))


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors)."""
    click.echo(json.dumps(api.scenario_schema(), indent=2, ensure_ascii=False))


def main() -> None:
    """Entry point: user errors exit 2 with a message; internal errors point to a traceback file."""
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


def _interrupted() -> NoReturn:
    """Ctrl-C: say which files were completely written (none is ever left half-written)."""
    done = ", ".join(str(p) for p in output.written)
    more = f"wrote {done}; nothing else was written" if done else "nothing was written"
    click.echo(f"cxsim: interrupted; {more}.", err=True)
    sys.exit(130)


from cxsim.cli.calibrate import calibrate as _calibrate  # noqa: E402
from cxsim.cli.compare import compare as _compare  # noqa: E402
from cxsim.cli.compare import pilot as _pilot  # noqa: E402

cli.add_command(_calibrate)
cli.add_command(_compare)
cli.add_command(_pilot)

from cxsim.cli.queue import queue as _queue  # noqa: E402

cli.add_command(_queue)

from cxsim.cli.report import report as _report  # noqa: E402

cli.add_command(_report)

from cxsim.cli.sensitivity import sensitivity as _sensitivity  # noqa: E402

cli.add_command(_sensitivity)

from cxsim.cli.rerun import rerun as _rerun  # noqa: E402

cli.add_command(_rerun)
