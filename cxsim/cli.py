"""The `cxsim` command: a thin layer over the public API."""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

import click

import cxsim as api
from cxsim import __version__
from cxsim.errors import ScenarioError, UserError
from cxsim.output import check_free, write_text


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cxsim")
def cli() -> None:
    """cxsim: what a bad customer experience costs, and which fix pays back."""


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
@click.option(
    "--runs", default=1000, show_default=True, type=click.IntRange(min=1), help="Monte Carlo runs."
)
@click.option(
    "--seed", type=click.IntRange(min=0), help="Random seed (default: a fresh one, recorded)."
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="PATH=VALUE",
    help="Override a field, e.g. segments.0.customers=2000000.",
)
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
) -> None:
    """Simulate a scenario and print what experience failures cost."""
    scenario, source = api.load_with_source(file, overrides)
    targets = [Path(out) / "results.json", Path(out) / "summary.txt"] if out else []
    check_free(targets, force)
    if expected:
        results = api.expected(scenario, source=source)
    else:
        with _progress_bar(runs, not as_json) as bar:
            results = api.simulate(
                scenario,
                runs=runs,
                seed=seed,
                workers=workers,
                source=source,
                progress=bar.update if bar is not None else None,
            )
    text = results.to_json() if as_json else results.report_text()
    if out:
        write_text(targets[0], results.to_json())
        write_text(targets[1], results.report_text())
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
        click.echo("cxsim: interrupted; nothing was written.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UserError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("cxsim: interrupted; nothing was written.", err=True)
        sys.exit(130)
    except Exception as exc:  # cxsim's own fault: short message, full traceback in a file
        with tempfile.NamedTemporaryFile(
            "w",
            prefix=f"cxsim-crash-{time.strftime('%Y%m%d-%H%M%S')}-",
            suffix=".log",
            delete=False,
        ) as log:
            traceback.print_exc(file=log)
        click.echo(
            f"cxsim: internal error: {exc!r}\nfull traceback written to {log.name}", err=True
        )
        sys.exit(1)


from cxsim.commands.calibrate import calibrate as _calibrate  # noqa: E402
from cxsim.commands.compare import compare as _compare  # noqa: E402
from cxsim.commands.compare import pilot as _pilot  # noqa: E402

cli.add_command(_calibrate)
cli.add_command(_compare)
cli.add_command(_pilot)

from cxsim.commands.queue import queue as _queue  # noqa: E402

cli.add_command(_queue)

from cxsim.commands.sensitivity import sensitivity as _sensitivity  # noqa: E402

cli.add_command(_sensitivity)
