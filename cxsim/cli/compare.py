"""`cxsim compare` and `cxsim pilot`: the business case for interventions."""

from __future__ import annotations

import json
import math

import click

import cxsim
from cxsim.analysis.compare import compare as run_compare
from cxsim.analysis.pilot import plan_pilot
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


@click.command(
    epilog="Examples:\n\n\b\n  cxsim pilot scenarios/subscription.yaml --intervention 'Live chat'\n"
    "  cxsim pilot scenarios/subscription.yaml --intervention 'Live chat' --power 0.9 --json"
)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--intervention", required=True, help="The intervention to pilot.")
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
