"""`cxsim compare`: the business case for interventions (`cxsim pilot` is in `cxsim.cli.pilot`)."""

from __future__ import annotations

import json

import click

import cxsim
from cxsim.analysis.compare import compare as run_compare
from cxsim.cli.options import (
    file_target,
    finite,
    force_option,
    json_option,
    runs_option,
    scheduler_option,
    seed_option,
    set_option,
    workers_option,
)
from cxsim.cli.progress import echo_text, progress
from cxsim.outputs.files import write_atomic


@click.command(
    epilog="Examples:\n\n\b\n  cxsim compare scenarios/subscription.yaml --runs 400\n"
    "  cxsim compare scenarios/subscription.yaml --intervention 'Live chat' --json\n"
    "  cxsim compare scenarios/subscription.yaml --budget 500000 --xlsx case.xlsx"
)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--intervention", "names", multiple=True, help="Compare only these (repeatable).")
@click.option(
    "--budget",
    type=finite(min=0),
    help="Also find the set of interventions with the best NPV whose cost fits this budget.",
)
@runs_option()
@seed_option()
@set_option
@json_option
@click.option("--xlsx", type=click.Path(dir_okay=False), help="Write the finance workbook here.")
@force_option
@workers_option
@scheduler_option
def compare(
    file: str,
    names: tuple[str, ...],
    budget: float | None,
    runs: int,
    seed: int | None,
    overrides: tuple[str, ...],
    as_json: bool,
    xlsx: str | None,
    force: bool,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Compare interventions: loss avoided, cost, NPV, ROI, payback, P(pays)."""
    scenario, source = cxsim.load_with_source(file, overrides)
    workbook = file_target(xlsx, "xlsx", force, "--xlsx") if xlsx else None
    with progress(runs, "comparing", enabled=not as_json) as update:
        result = run_compare(
            scenario,
            runs=runs,
            seed=seed,
            interventions=names or None,
            budget=budget,
            workers=workers,
            source=source,
            scheduler=scheduler,
            progress=update,
        )
    if workbook is not None:
        from cxsim.outputs.workbook import write_workbook

        write_atomic(
            workbook, lambda tmp: write_workbook(tmp, result.baseline, result), replace=force
        )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        echo_text(result.text(), nl=False)
