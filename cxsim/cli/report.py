"""`cxsim report`: run a scenario (and its interventions) and write the client report.

A thin layer over `cxsim.simulate`, `cxsim.analysis.compare.compare` and
`cxsim.outputs.report.write_report`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

import cxsim as api
from cxsim.cli.options import runs_option, seed_option, set_option
from cxsim.outputs.i18n import LANGUAGES
from cxsim.outputs.report import check_target, write_report


def _has(module: str) -> bool:
    """Whether an optional part of cxsim is installed."""
    return importlib.util.find_spec(module) is not None


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write the report into (new or empty, unless --force).",
)
@runs_option
@seed_option
@set_option
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Titles and labels (default: the scenario's `language`, else en).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores).",
)
@click.option("--force", is_flag=True, help="Replace the report's files in a non-empty folder.")
def report(
    file: str,
    out: str,
    runs: int,
    seed: int | None,
    overrides: tuple[str, ...],
    language: str | None,
    workers: int | None,
    force: bool,
) -> None:
    """Simulate FILE, compare its interventions, and write charts (PNG, SVG, PDF), report.pdf,
    workbook.xlsx, results.json and summary.md into the folder given by -o."""
    scenario, source = api.load_with_source(file, overrides)
    target = Path(out)
    check_target(target, force)  # before the simulation, not after it
    comparison = None
    if getattr(scenario, "interventions", None) and _has("cxsim.analysis.compare"):
        from cxsim.analysis.compare import compare

        comparison = compare(scenario, runs=runs, seed=seed, workers=workers, source=source)
    if comparison is not None:
        results = comparison.baseline  # the same runs and seed: no second simulation
    else:
        results = api.simulate(scenario, runs=runs, seed=seed, workers=workers, source=source)
    sensitivity = None
    if _has("cxsim.analysis.sensitivity"):  # optional: without it the report has no tornado
        from cxsim.analysis.sensitivity import tornado

        sensitivity = tornado(scenario)  # expected-value model: exact, and a second or two
    written = write_report(
        results, comparison, target, force=force, language=language, sensitivity=sensitivity
    )
    click.echo(f"wrote {len(written)} files to {target}/ (seed {results.seed}, {runs:,} runs)")
    click.echo(results.report_text(), nl=False)
