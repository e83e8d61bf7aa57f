"""What a client report shows: the status quo's runs, the interventions compared on them, and
the tornado of the scenario as simulated.

`cxsim report` writes these (`cxsim.outputs.report.write_report`); a notebook can build them the
same way and write or chart them itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cxsim.engine.simulation import simulate
from cxsim.errors import UserError

if TYPE_CHECKING:
    from cxsim.analysis.compare import Comparison
    from cxsim.analysis.sensitivity.tornado import Tornado
    from cxsim.engine.results import Results
    from cxsim.model.loader import Source
    from cxsim.model.scenario import Scenario


@dataclass(frozen=True)
class ReportContents:
    """A report's figures: `comparison` is None without interventions, `sensitivity` None
    when no input is uncertain."""

    results: Results
    comparison: Comparison | None
    sensitivity: Tornado | None


def report_contents(
    scenario: Scenario,
    runs: int,
    seed: int | None,
    *,
    workers: int | None = 1,
    source: Source | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReportContents:
    """Simulate `scenario` (comparing its interventions, on the same runs, when it has any) and
    swing its uncertain inputs for the tornado, on the expected-value model (a second or two).

    The tornado swings the scenario as simulated: a comparison values it on margin, so the
    tornado's base measures what the headline does. `progress` is as in `cxsim.simulate`.
    """
    from cxsim.analysis.sensitivity import tornado

    comparison = None
    if scenario.interventions:
        from cxsim.analysis.compare import compare

        comparison = compare(
            scenario, runs=runs, seed=seed, workers=workers, source=source, progress=progress
        )
        results = comparison.baseline  # the same runs and seed: no second simulation
    else:
        results = simulate(
            scenario, runs=runs, seed=seed, workers=workers, source=source, progress=progress
        )
    try:
        sensitivity: Tornado | None = tornado(results.scenario)
    except UserError:  # nothing uncertain to swing: a report without a tornado
        sensitivity = None
    return ReportContents(results, comparison, sensitivity)
