"""`cxsim target`: what moving NPS, CSAT or the response time is worth (a thin layer over
`cxsim.analysis.target.target`)."""

from __future__ import annotations

import click

import cxsim
from cxsim.analysis.target import METRICS
from cxsim.analysis.target import target as find_target
from cxsim.cli.options import (
    finite,
    json_option,
    runs_option,
    seed_option,
    set_option,
    workers_option,
)


@click.command(
    epilog="Examples:\n\n\b\n"
    "  cxsim target scenarios/subscription.yaml --metric nps --change +10 \\\n"
    "      --lever 'journey.stages[*].touchpoints[*].failure_rate'\n"
    "  cxsim target scenarios/contact_centre.yaml --metric response_minutes --change -60 \\\n"
    "      --lever 'support.channels[Email].agents' --json"
)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--metric",
    required=True,
    type=click.Choice(list(METRICS)),
    help="The indicator to move (its average over the horizon).",
)
@click.option(
    "--change",
    required=True,
    type=finite(),
    help="How far to move it: NPS points, CSAT or churn percentage points, minutes.",
)
@click.option(
    "--lever",
    "levers",
    multiple=True,
    required=True,
    metavar="PATH",
    help="An input to move (repeatable; every lever scales by one common multiple).",
)
@runs_option(500)
@seed_option(1)
@set_option
@workers_option
@json_option
def target(
    file: str,
    metric: str,
    change: float,
    levers: tuple[str, ...],
    runs: int,
    seed: int | None,
    overrides: tuple[str, ...],
    workers: int | None,
    as_json: bool,
) -> None:
    """What moving a key indicator by CHANGE takes and is worth.

    The levers are scaled together and solved for in the expected-value model; the change is
    then valued on common random numbers (margin saved and failure costs spared, with P5-P95).
    """
    scenario = cxsim.load(file, overrides)
    found = find_target(scenario, metric, change, levers, runs=runs, seed=seed, workers=workers)
    click.echo(found.to_json() if as_json else found.text(), nl=as_json)
