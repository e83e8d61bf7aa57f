"""`cxsim voi`: what resolving each uncertainty before deciding is worth (a thin layer over
`cxsim.compare` and `cxsim.analysis.voi.value_of_information`)."""

from __future__ import annotations

import click

import cxsim
from cxsim.analysis.compare import compare
from cxsim.analysis.voi import value_of_information
from cxsim.cli.options import json_option, runs_option, seed_option, set_option, workers_option


@click.command(
    epilog="Examples:\n\n\b\n  cxsim voi scenarios/subscription.yaml\n"
    "  cxsim voi scenarios/subscription.yaml --runs 4000 --seed 7 --json"
)
@click.argument("file", type=click.Path(dir_okay=False))
@runs_option(2000)
@seed_option(1)
@set_option
@workers_option
@json_option
def voi(
    file: str,
    runs: int,
    seed: int | None,
    overrides: tuple[str, ...],
    workers: int | None,
    as_json: bool,
) -> None:
    """Expected value of perfect information (EVPI) of the choice among the interventions, and
    per uncertain input (partial EVPI, by regression on its drawn values)."""
    comparison = compare(cxsim.load(file, overrides), runs=runs, seed=seed, workers=workers)
    found = value_of_information(comparison)
    click.echo(found.to_json() if as_json else found.text(), nl=as_json)
