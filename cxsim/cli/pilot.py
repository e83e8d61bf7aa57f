"""`cxsim pilot`: how large an A/B pilot of an intervention must be (a thin layer over
`cxsim.analysis.pilot.plan_pilot`)."""

from __future__ import annotations

import click

import cxsim
from cxsim.analysis.pilot import METRICS, plan_pilot
from cxsim.analysis.pilot_value import with_evsi
from cxsim.cli.options import (
    finite,
    json_option,
    runs_option,
    seed_option,
    set_option,
    workers_option,
)


@click.command(
    epilog="Examples:\n\n\b\n  cxsim pilot scenarios/subscription.yaml --intervention 'Live chat'\n"
    "  cxsim pilot scenarios/subscription.yaml --intervention 'Live chat' --metric satisfied\n"
    "  cxsim pilot scenarios/subscription.yaml --intervention 'Live chat' --power 0.9 --json"
)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--intervention", required=True, help="The intervention to pilot.")
@click.option(
    "--metric",
    type=click.Choice(list(METRICS)),
    help="The metric to measure (default: the one its effects move, needing fewest customers).",
)
@click.option(
    "--power",
    default=0.8,
    show_default=True,
    type=finite(0.5, 0.999),
    help="Chance of detecting the effect if it is real.",
)
@click.option(
    "--alpha",
    default=0.05,
    show_default=True,
    type=finite(0.001, 0.2),
    help="Significance level: chance of a false alarm when there is no effect.",
)
@click.option(
    "--pilot-cost",
    default=0.0,
    show_default=True,
    type=finite(0),
    help="What the pilot costs (in the scenario's currency): its information must be worth more.",
)
@runs_option(500)
@seed_option(1)
@set_option
@workers_option
@json_option
def pilot(
    file: str,
    intervention: str,
    metric: str | None,
    power: float,
    alpha: float,
    pilot_cost: float,
    runs: int,
    seed: int | None,
    overrides: tuple[str, ...],
    workers: int | None,
    as_json: bool,
) -> None:
    """How many customers and periods an A/B pilot needs to see the intervention's effect,
    and what its information is worth (EVSI) against its cost."""
    scenario = cxsim.load(file, overrides)
    plan = plan_pilot(scenario, intervention, power=power, alpha=alpha, metric=metric)
    plan = with_evsi(plan, scenario, runs=runs, seed=seed, pilot_cost=pilot_cost, workers=workers)
    click.echo(plan.to_json() if as_json else plan.text(), nl=as_json)
