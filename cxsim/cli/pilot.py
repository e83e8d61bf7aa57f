"""`cxsim pilot`: how large an A/B pilot of an intervention must be (a thin layer over
`cxsim.analysis.pilot.plan_pilot`)."""

from __future__ import annotations

import click

import cxsim
from cxsim.analysis.pilot import METRICS, plan_pilot
from cxsim.cli.options import finite, json_option, set_option


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
@set_option
@json_option
def pilot(
    file: str,
    intervention: str,
    metric: str | None,
    power: float,
    alpha: float,
    overrides: tuple[str, ...],
    as_json: bool,
) -> None:
    """How many customers and periods an A/B pilot needs to see the intervention's effect."""
    scenario = cxsim.load(file, overrides)
    plan = plan_pilot(scenario, intervention, power=power, alpha=alpha, metric=metric)
    click.echo(plan.to_json() if as_json else plan.text(), nl=as_json)
