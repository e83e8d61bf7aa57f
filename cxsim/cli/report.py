"""`cxsim report`: run a scenario (and its interventions) and write the client report.

A thin layer over `cxsim.analysis.report_contents.report_contents` (the runs, the comparison and
the tornado) and `cxsim.outputs.report.write_report`.
"""

from __future__ import annotations

from pathlib import Path

import click

import cxsim as api
from cxsim.analysis.report_contents import report_contents
from cxsim.cli.options import (
    force_option,
    json_option,
    language_option,
    out_option,
    runs_option,
    seed_option,
    set_option,
    workers_option,
)
from cxsim.cli.progress import progress
from cxsim.outputs.report import check_target, write_report


@click.command(
    epilog="Examples:\n\n\b\n  cxsim report scenarios/subscription.yaml -o report/\n"
    "  cxsim report scenarios/subscription.yaml -o report/ --runs 5000 --seed 7 --language ja\n"
    "  cxsim report scenarios/subscription.yaml -o report/ --force --json > results.json"
)
@click.argument("file", type=click.Path(dir_okay=False))
@out_option("Folder to write the report into (new or empty, unless --force).", required=True)
@runs_option()
@seed_option()
@set_option
@language_option
@workers_option
@force_option
@json_option
def report(
    file: str,
    out: str,
    runs: int,
    seed: int | None,
    overrides: tuple[str, ...],
    language: str | None,
    workers: int | None,
    force: bool,
    as_json: bool,
) -> None:
    """Simulate FILE, compare its interventions, and write charts (PNG, SVG, PDF), report.pdf,
    workbook.xlsx, results.json and summary.md into the folder given by -o."""
    scenario, source = api.load_with_source(file, overrides)
    target = Path(out)
    check_target(target, force)  # before the simulation, not after it
    with progress(runs, "simulating", enabled=not as_json) as update:
        contents = report_contents(
            scenario, runs, seed, workers=workers, source=source, progress=update
        )
    results = contents.results
    written = write_report(
        results,
        contents.comparison,
        target,
        force=force,
        language=language,
        sensitivity=contents.sensitivity,
    )
    said = f"wrote {len(written)} files to {target}/ (seed {results.seed}, {runs:,} runs)"
    if as_json:  # the results document; what was written goes to stderr
        click.echo(said, err=True)
        click.echo((target / "results.json").read_text(encoding="utf-8"), nl=False)
        return
    click.echo(said)
    click.echo(results.report_text(), nl=False)
