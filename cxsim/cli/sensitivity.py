"""`cxsim sensitivity`: which inputs matter (tornado, Sobol) and how many runs are enough.

A thin layer over `cxsim.analysis.sensitivity`. The tornado's JSON is a list of objects with
`input`,
`low`, `high` and `swing` (the output at the input's low and high values, and their distance),
largest swing first; Sobol and convergence print one JSON object each.
"""

from __future__ import annotations

import json
import math
import warnings
from typing import TYPE_CHECKING, Any

import click

import cxsim
from cxsim.analysis import sensitivity as sa
from cxsim.cli.options import (
    MAX_RUNS,
    count,
    finite,
    json_option,
    probability,
    runs_option,
    scheduler_option,
    seed_option,
    set_option,
    workers_option,
)
from cxsim.cli.progress import Progress, echo_text, progress, warn
from cxsim.errors import UserError

if TYPE_CHECKING:
    from cxsim.model.scenario import Scenario

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
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError
    except ValueError:
        raise click.BadParameter(
            f"wants PATH=LOW,HIGH with finite numbers, got {item!r}", param_hint="--range"
        ) from None
    return path.strip(), (lo, hi)


def _chosen_method(method: str | None, ranges: tuple[str, ...]) -> str:
    """The method asked for, else the one implied by its own options (else the tornado);
    options of another method are refused."""
    ctx = click.get_current_context()
    on_line = click.core.ParameterSource.COMMANDLINE
    given: dict[str, Any] = {  # None: not given on the command line
        opt: True if ctx.get_parameter_source(opt[2:].replace("-", "_")) is on_line else None
        for opt in ONLY_FOR
    }
    given["--range"] = ranges or None
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
    return method


def _analyse(
    method: str,
    scenario: Scenario,
    output: str | None,
    *,
    intervention: str | None,
    low_q: float,
    high_q: float,
    ranges: dict[str, tuple[float, float]],
    runs: int | None,
    samples: int,
    precision: float,
    max_runs: int,
    seed: int | None,
    workers: int | None,
    scheduler: str | None,
    progress: Progress | None,
) -> tuple[Any, Any]:
    """Run one method of `cxsim.analysis.sensitivity`: its result and its JSON document."""
    result: sa.Tornado | sa.SobolIndices | sa.Convergence
    if method == "tornado":
        result = sa.tornado(
            scenario,
            output,
            intervention=intervention,
            low_q=low_q,
            high_q=high_q,
            ranges=ranges,
            runs=runs,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
        )
        return result, result.to_list()
    if method == "sobol":
        result = sa.sobol(
            scenario,
            output,
            intervention=intervention,
            n=samples,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
        )
    else:
        result = sa.convergence(
            scenario,
            output,
            intervention=intervention,
            precision=precision,
            seed=seed,
            max_runs=max_runs,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
        )
    return result, result.to_dict()


@click.command(
    epilog="Examples:\n\n\b\n  cxsim sensitivity scenarios/subscription.yaml\n"
    "  cxsim sensitivity scenarios/subscription.yaml --method sobol --samples 512 --seed 1\n"
    "  cxsim sensitivity scenarios/subscription.yaml --intervention 'Live chat' --json"
)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--method",
    type=click.Choice(METHODS),
    help="tornado (default), sobol, or convergence (implied by a method's own option).",
)
@click.option(
    "--output",
    "output",
    help="Output to analyse: lost_revenue (default), customers_lost, lost_acquisitions, "
    "churn_rate, revenue; with --intervention: npv (default), loss_avoided, cost.",
)
@click.option("--intervention", help="Analyse this intervention's NPV against the baseline.")
@click.option(
    "--low-q",
    default=0.1,
    show_default=True,
    type=probability(),
    help="Tornado: low quantile of each input.",
)
@click.option(
    "--high-q",
    default=0.9,
    show_default=True,
    type=probability(),
    help="Tornado: high quantile of each input.",
)
@click.option(
    "--range",
    "ranges",
    multiple=True,
    metavar="PATH=LOW,HIGH",
    help="Tornado: swing this input between LOW and HIGH (finite numbers) instead (repeatable).",
)
@runs_option(
    None,
    "Tornado: Monte Carlo with N runs on common random numbers instead of the "
    "expected-value model (slower; reports each swing's standard error).",
)
@click.option(
    "--samples",
    default=1024,
    show_default=True,
    type=count(2, 2**24),
    help="Sobol: base sample size, a power of 2; the model runs samples x (inputs + 2) times.",
)
@click.option(
    "--precision",
    default=0.01,
    show_default=True,
    type=finite(0, 1, min_open=True),
    help="Convergence: run until the 95% interval is within this share of the mean.",
)
@click.option(
    "--max-runs",
    default=100_000,
    show_default=True,
    type=count(2, MAX_RUNS),
    help="Convergence: stop here even if the precision is not reached.",
)
@seed_option()
@set_option
@workers_option
@scheduler_option
@json_option
def sensitivity(
    file: str,
    method: str | None,
    output: str | None,
    intervention: str | None,
    low_q: float,
    high_q: float,
    ranges: tuple[str, ...],
    runs: int | None,
    samples: int,
    precision: float,
    max_runs: int,
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
    method = _chosen_method(method, ranges)
    if samples & (samples - 1):
        raise UserError(f"--samples must be a power of 2 (512, 1024, 2048, ...), got {samples}")
    scenario = cxsim.load(file, overrides)
    if method == "sobol":
        total, unit = sa.sobol_points(scenario, samples, intervention), "points"
    else:
        total = {"tornado": runs or 0, "convergence": max_runs}[method]
        unit = "runs at most" if method == "convergence" else "runs"
    with warnings.catch_warnings(), progress(total, method, enabled=not as_json, unit=unit) as bar:
        # Printed below, in plain words, rather than as Python warnings.
        warnings.simplefilter("ignore", sa.SensitivityWarning)
        result, doc = _analyse(
            method,
            scenario,
            output,
            intervention=intervention,
            low_q=low_q,
            high_q=high_q,
            ranges=dict(_parse_range(r) for r in ranges),
            runs=runs,
            samples=samples,
            precision=precision,
            max_runs=max_runs,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            progress=bar,
        )
    if as_json:
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        for problem in result.warnings:
            warn(problem.replace("max_runs", "--max-runs"))
    else:
        echo_text(result.text(), nl=False)
