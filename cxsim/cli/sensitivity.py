"""`cxsim sensitivity`: which inputs matter (tornado, Sobol) and how many runs are enough.

A thin layer over `cxsim.analysis.sensitivity`. The tornado's JSON is a list of objects with
`input`,
`low`, `high` and `swing` (the output at the input's low and high values, and their distance),
largest swing first; Sobol and convergence print one JSON object each.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import click

import cxsim
from cxsim.analysis import sensitivity as sa
from cxsim.errors import UserError

METHODS = ("tornado", "sobol", "convergence")
#: Options that only one method reads: using them with another is a mistake worth reporting.
ONLY_FOR = {
    "--low-q": "tornado",
    "--high-q": "tornado",
    "--range": "tornado",
    "--runs": "tornado",
    "--samples": "sobol",
    "--precision": "convergence",
    "--max-runs": "convergence",
}


def _parse_range(item: str) -> tuple[str, tuple[float, float]]:
    path, sep, span = item.partition("=")
    low, comma, high = span.partition(",")
    try:
        if not (sep and comma):
            raise ValueError
        lo, hi = float(low), float(high)
    except ValueError:
        raise UserError(f"--range wants PATH=LOW,HIGH, got {item!r}") from None
    return path.strip(), (lo, hi)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--method",
    type=click.Choice(METHODS),
    help="tornado (default), sobol, or convergence (implied by --precision).",
)
@click.option(
    "--output",
    "output",
    help="Output to analyse: lost_revenue (default), customers_lost, lost_acquisitions, "
    "churn_rate, revenue; with --intervention: npv (default), loss_avoided, cost.",
)
@click.option("--intervention", help="Analyse this intervention's NPV against the baseline.")
@click.option(
    "--low-q", type=click.FloatRange(0, 1), help="Tornado: low quantile of each input [0.1]."
)
@click.option(
    "--high-q", type=click.FloatRange(0, 1), help="Tornado: high quantile of each input [0.9]."
)
@click.option(
    "--range",
    "ranges",
    multiple=True,
    metavar="PATH=LOW,HIGH",
    help="Tornado: swing this input between LOW and HIGH instead (repeatable).",
)
@click.option(
    "--runs",
    type=click.IntRange(min=2),
    help="Tornado: Monte Carlo with N runs on common random numbers instead of the "
    "expected-value model (slower; reports each swing's standard error).",
)
@click.option(
    "--samples",
    type=click.IntRange(min=2),
    help="Sobol: base sample size, a power of 2 [1024]; the model runs samples x (inputs + 2) "
    "times.",
)
@click.option(
    "--precision",
    type=click.FloatRange(min=0, min_open=True),
    help="Convergence: run until the 95% interval is within this share of the mean [0.01].",
)
@click.option(
    "--max-runs",
    type=click.IntRange(min=2),
    help="Convergence: stop here even if the precision is not reached [100000].",
)
@click.option("--seed", type=click.IntRange(min=0), help="Random seed (default: a fresh one).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a field.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes.")
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Tornado and Sobol on Dask: 'local' (a LocalCluster) or tcp://HOST:PORT.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def sensitivity(
    file: str,
    method: str | None,
    output: str | None,
    intervention: str | None,
    low_q: float | None,
    high_q: float | None,
    ranges: tuple[str, ...],
    runs: int | None,
    samples: int | None,
    precision: float | None,
    max_runs: int | None,
    seed: int | None,
    overrides: tuple[str, ...],
    workers: int | None,
    scheduler: str | None,
    as_json: bool,
) -> None:
    """Which inputs move the result most, and how many runs pin it down.

    \b
    tornado      each uncertain input at its P10 and P90, the others at their means,
                 ranked by the swing of the output (expected-value model; --runs N for
                 a Monte Carlo on common random numbers)
    sobol        first-order and total Sobol indices with bootstrap intervals
    convergence  add runs until the 95% interval is within --precision of the mean
    """
    given: dict[str, Any] = {
        "--low-q": low_q,
        "--high-q": high_q,
        "--range": ranges or None,
        "--runs": runs,
        "--samples": samples,
        "--precision": precision,
        "--max-runs": max_runs,
    }
    if method is None:  # implied by a method's own option, else the tornado
        implied = {ONLY_FOR[opt] for opt, v in given.items() if v is not None}
        if len(implied) > 1:
            used = ", ".join(opt for opt, v in given.items() if v is not None)
            raise UserError(f"{used} belong to different methods: choose one with --method")
        method = implied.pop() if implied else "tornado"
    wrong = [opt for opt, v in given.items() if v is not None and ONLY_FOR[opt] != method]
    if wrong:
        raise UserError(
            ", ".join(f"{opt} applies to --method {ONLY_FOR[opt]}" for opt in wrong)
            + f", not to {method}"
        )
    if samples is not None and samples & (samples - 1):
        raise UserError(f"--samples must be a power of 2 (512, 1024, 2048, ...), got {samples}")
    scenario = cxsim.load(file, overrides)
    result: Any
    with warnings.catch_warnings():
        # Printed below, in plain words, rather than as Python warnings.
        warnings.simplefilter("ignore", sa.SensitivityWarning)
        if method == "tornado":
            result = sa.tornado(
                scenario,
                output,
                intervention=intervention,
                low_q=0.1 if low_q is None else low_q,
                high_q=0.9 if high_q is None else high_q,
                ranges=dict(_parse_range(r) for r in ranges),
                runs=runs,
                seed=seed,
                workers=workers,
                scheduler=scheduler,
            )
            doc: Any = result.to_list()
        elif method == "sobol":
            result = sa.sobol(
                scenario,
                output,
                intervention=intervention,
                n=1024 if samples is None else samples,
                seed=seed,
                workers=workers,
                scheduler=scheduler,
            )
            doc = result.to_dict()
        else:
            result = sa.convergence(
                scenario,
                output,
                intervention=intervention,
                precision=0.01 if precision is None else precision,
                seed=seed,
                max_runs=100_000 if max_runs is None else max_runs,
                workers=workers,
                scheduler=scheduler,
            )
            doc = result.to_dict()
    if as_json:
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        for problem in result.warnings:
            click.echo(f"warning: {problem}", err=True)
    else:
        click.echo(result.text(), nl=False)
