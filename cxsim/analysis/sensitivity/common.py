"""What every sensitivity analysis shares: the inputs in scope, the output asked for, labels,
the output of a run, and the expected-value model evaluated at many input points at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cxsim.analysis.business_case import business_case
from cxsim.analysis.compare import intervention_sets
from cxsim.engine.execution import (
    Scheduler,
    default_workers,
    imap,
)
from cxsim.engine.recursion import BlockResult
from cxsim.engine.results import METRICS
from cxsim.engine.sampling import MeanSampler
from cxsim.engine.world import run_world, support_peak
from cxsim.errors import UserError
from cxsim.formatting.money import format_money
from cxsim.model.distributions import Dist
from cxsim.model.interventions import InterventionSet
from cxsim.model.parameters import Values
from cxsim.model.paths import input_label, iter_inputs
from cxsim.model.scenario import Scenario

FloatArray = NDArray[np.float64]

#: Outputs of the baseline world, and of an intervention against it.
BASELINE_OUTPUTS = METRICS
INTERVENTION_OUTPUTS = ("npv", "loss_avoided", "cost")
#: Rows of the expected-value model evaluated at once (bounds memory, not results).
BATCH = 2048


class SensitivityWarning(UserWarning):
    """A sensitivity result that should not be trusted as it stands (too few samples, ...)."""


# --- inputs and outputs ------------------------------------------------------------------------


def chosen_intervention(scenario: Scenario, name: str | None) -> InterventionSet | None:
    if name is None:
        return None
    (chosen,) = intervention_sets(scenario, [name], combined=False)
    return chosen


def checked_output(output: str | None, intervention: InterventionSet | None) -> str:
    """The output to analyse, checked: lost revenue by default, NPV for an intervention."""
    if output is None:
        return "npv" if intervention is not None else "lost_revenue"
    allowed = INTERVENTION_OUTPUTS if intervention is not None else BASELINE_OUTPUTS
    if output not in allowed:
        if output in INTERVENTION_OUTPUTS:
            raise UserError(f"output {output!r} needs an intervention (--intervention NAME)")
        raise UserError(f"no output {output!r}; choose one of: {', '.join(allowed)}")
    return output


def inputs_in_scope(
    scenario: Scenario, intervention: InterventionSet | None = None
) -> dict[str, Dist]:
    """Every input that can move the output: the scenario's own, plus the named intervention's."""
    own = tuple(f"interventions.{i}." for i in intervention.indices) if intervention else ()
    return {
        path: dist
        for path, dist in iter_inputs(scenario)
        if not path.startswith("interventions.") or path.startswith(own)
    }


def uncertain_inputs(scenario: Scenario, intervention: InterventionSet | None = None) -> list[str]:
    """Paths of the uncertain inputs in scope, in the scenario's order."""
    return [p for p, d in inputs_in_scope(scenario, intervention).items() if not d.is_fixed]


def input_labels(scenario: Scenario, paths: Sequence[str]) -> list[str]:
    """Labels, with the path added where two inputs would otherwise read the same."""
    names = [input_label(scenario, p) for p in paths]
    return [n if names.count(n) == 1 else f"{n} ({p})" for n, p in zip(names, paths, strict=True)]


# --- the expected-value model at many input points at once -------------------------------------


def _mean_model_batch(
    scenario: Scenario,
    output: str,
    intervention: InterventionSet | None,
    paths: Sequence[str],
    x: FloatArray,
) -> FloatArray:
    """The expected-value model's output at each column of `x` (inputs `paths`, others at means)."""
    m = x.shape[1]
    values: Values = {p: np.full(m, d.mean()) for p, d in iter_inputs(scenario)}
    for path, row in zip(paths, x, strict=True):
        values[path] = np.asarray(row, dtype=float)
    peak = support_peak(scenario)
    base = run_world(scenario, values, None, MeanSampler(), peak=peak, keep_periods=False)
    if intervention is None:
        return np.asarray(base.totals[output], dtype=float)
    world = run_world(scenario, values, intervention, MeanSampler(), peak=peak, keep_periods=False)
    return business_case(base, world, payback=False).figure(output)


def _mean_model_task(args: tuple[Any, ...]) -> FloatArray:
    return _mean_model_batch(*args)


def mean_model(
    scenario: Scenario,
    paths: Sequence[str],
    x: FloatArray,
    output: str = "lost_revenue",
    intervention: InterventionSet | None = None,
    workers: int | None = 1,
    scheduler: Scheduler = None,
    progress: Callable[[int], None] | None = None,
) -> FloatArray:
    """The expected-value model, vectorised: one output per column of `x` (shape (d, m)).

    Row k of `x` holds values of input `paths[k]`; every other input is at its mean. Columns
    are evaluated in batches, in worker processes when `workers` > 1; `progress` is called
    with the columns done after each batch.
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    m = x.shape[1]
    tasks = [
        (scenario, output, intervention, list(paths), x[:, i : i + BATCH])
        for i in range(0, m, BATCH)
    ]
    n_workers = max(1, min(workers or default_workers(), len(tasks)))
    parts = []
    for part in imap(_mean_model_task, tasks, workers=n_workers, scheduler=scheduler):
        parts.append(part)
        if progress:
            progress(part.size)
    return np.concatenate(parts) if parts else np.zeros(0)


def formatter(output: str, currency: str, language: str) -> Callable[[float], str]:
    if output in ("customers_lost", "lost_acquisitions"):
        return lambda v: f"{v:,.0f}"
    if output == "churn_rate":
        return lambda v: f"{v:.3%}"
    return lambda v: format_money(float(v), currency, language=language)


def run_output(output: str, base: BlockResult, world: BlockResult | None) -> FloatArray:
    """One value per run: a baseline metric, or an intervention's figure against the baseline."""
    if world is None:
        return np.asarray(base.totals[output], dtype=float)
    return business_case(base, world, payback=False).figure(output)


def plain(v: Any) -> Any:
    return float(v) if isinstance(v, float | np.floating) else v
