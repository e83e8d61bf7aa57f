"""`cxsim breakeven`: what must be true for an intervention to pay (a thin layer over
`cxsim.analysis.breakeven.breakeven`)."""

from __future__ import annotations

import click

import cxsim
from cxsim.analysis.breakeven import breakeven as find_breakeven
from cxsim.cli.options import (
    json_option,
    probability,
    runs_option,
    seed_option,
    set_option,
    workers_option,
)


@click.command(
    epilog="Examples:\n\n\b\n"
    "  cxsim breakeven scenarios/subscription.yaml --intervention 'Live chat'\n"
    "  cxsim breakeven scenarios/subscription.yaml --intervention 'Live chat' --target 0.9 --json"
)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--intervention", required=True, help="The intervention to examine.")
@click.option(
    "--target",
    default=0.8,
    show_default=True,
    type=probability(open_ends=True),
    help="The probability with which it must pay.",
)
@click.option(
    "--assumption",
    "assumptions",
    multiple=True,
    metavar="PATH",
    help="A key assumption to search (repeatable; a path naming several inputs moves them "
    "together). Default: the memory odds ratios, the response-time midpoint, the defection "
    "rates and the failure rates.",
)
@runs_option(500)
@seed_option(1)
@set_option
@workers_option
@json_option
def breakeven(
    file: str,
    intervention: str,
    target: float,
    assumptions: tuple[str, ...],
    runs: int,
    seed: int | None,
    overrides: tuple[str, ...],
    workers: int | None,
    as_json: bool,
) -> None:
    """The weakest effect, the highest cost and the key assumptions at which an intervention
    still pays.

    Each effect in turn is pinned (the others at their distributions) and searched by regula
    falsi on common random numbers; the cost is read from the runs; each key assumption is
    pinned in both worlds and searched the same way, from a first guess by the expected-value
    model.
    """
    scenario = cxsim.load(file, overrides)
    found = find_breakeven(
        scenario,
        intervention,
        target,
        runs=runs,
        seed=seed,
        workers=workers,
        assumptions=assumptions or None,
    )
    click.echo(found.to_json() if as_json else found.text(), nl=as_json)
