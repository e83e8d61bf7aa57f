"""`cxsim compare` and `cxsim pilot`: the business case for interventions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

import cxsim
from cxsim.analysis.compare import compare as run_compare
from cxsim.analysis.pilot import plan_pilot
from cxsim.cli.options import runs_option, seed_option, set_option
from cxsim.outputs.files import check_free, write_atomic


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--intervention", "names", multiple=True, help="Compare only these (repeatable).")
@click.option("--budget", type=click.FloatRange(min=0), help="Also find the best set within it.")
@runs_option
@seed_option
@set_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--xlsx", type=click.Path(dir_okay=False), help="Write the finance workbook here.")
@click.option("--force", is_flag=True, help="Replace an existing --xlsx file.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes.")
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run on Dask: 'local' (a LocalCluster of --workers processes) or tcp://HOST:PORT.",
)
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
    if xlsx:
        check_free([Path(xlsx)], force)
    result = run_compare(
        scenario,
        runs=runs,
        seed=seed,
        interventions=names or None,
        budget=budget,
        workers=workers,
        source=source,
        scheduler=scheduler,
    )
    if xlsx:
        from cxsim.outputs.workbook import write_workbook

        write_atomic(
            Path(xlsx), lambda tmp: write_workbook(tmp, result.baseline, result), replace=force
        )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(result.text(), nl=False)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--intervention", required=True, help="The intervention to pilot.")
@click.option("--power", default=0.8, show_default=True, type=click.FloatRange(0.5, 0.999))
@click.option("--alpha", default=0.05, show_default=True, type=click.FloatRange(0.001, 0.2))
@set_option
@click.option("--json", "as_json", is_flag=True)
def pilot(
    file: str,
    intervention: str,
    power: float,
    alpha: float,
    overrides: tuple[str, ...],
    as_json: bool,
) -> None:
    """How many customers and periods an A/B pilot needs to see the effect on churn."""
    scenario = cxsim.load(file, overrides)
    plan = plan_pilot(scenario, intervention, power=power, alpha=alpha)
    if as_json:
        rows = [row for _, row in plan.table.iterrows()]
        doc = {
            "intervention": plan.intervention,
            "churn_control": plan.churn_control,
            "churn_treated": plan.churn_treated,
            "alpha": plan.alpha,
            "power": plan.power,
            "plan": [
                {
                    "periods": int(k),
                    "churned_control": float(row["churned_control"]),
                    "churned_treated": float(row["churned_treated"]),
                    "customers_per_arm": None
                    if math.isnan(row["customers_per_arm"])
                    else int(row["customers_per_arm"]),
                }
                for k, row in zip(plan.table.index, rows, strict=True)
            ],
        }
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(plan.text(), nl=False)
