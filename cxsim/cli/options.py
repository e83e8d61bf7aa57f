"""Options shared by several commands, so they read and behave the same everywhere."""

from __future__ import annotations

import click

runs_option = click.option(
    "--runs", default=1000, show_default=True, type=click.IntRange(min=1), help="Monte Carlo runs."
)
seed_option = click.option(
    "--seed", type=click.IntRange(min=0), help="Random seed (default: a fresh one, recorded)."
)
set_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="PATH=VALUE",
    help="Override a field, e.g. segments.0.customers=2000000.",
)
