"""cxsim: what a bad customer experience costs, and which fix pays back.

>>> import cxsim
>>> scenario = cxsim.load("scenarios/subscription.yaml")
>>> results = cxsim.simulate(scenario, runs=1000, seed=1)
>>> results.summary()          # lost revenue, customers lost, ... with percentiles
>>> results.attribution_table("touchpoint")
>>> cxsim.compare(scenario, runs=1000, seed=1).summary()
>>> cxsim.rerun("case/results.json").reproduced   # a recorded result, run again
>>> cxsim.staffing(120, 240, agents=8, target=0.8).to_frame()   # agents for a queue

The names below are imported on first use (PEP 562), so `import cxsim` stays cheap: the
engine, pandas and SciPy load when a function that needs them is first called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cxsim._version import __version__

if TYPE_CHECKING:
    from cxsim.analysis.breakeven import BreakEven, breakeven
    from cxsim.analysis.compare import Comparison, compare
    from cxsim.analysis.pilot import PilotPlan, plan_pilot
    from cxsim.analysis.pilot_value import with_evsi
    from cxsim.analysis.rerun import Reproduction, rerun
    from cxsim.analysis.staffing import Staffing, staffing
    from cxsim.analysis.target import TargetValue, target
    from cxsim.analysis.voi import ValueOfInformation, value_of_information
    from cxsim.engine.results import Results
    from cxsim.engine.simulation import expected, simulate, summarise
    from cxsim.errors import ScenarioError, ScenarioWarning, UserError
    from cxsim.model.loader import (
        load,
        load_with_source,
        loads,
        modify,
        scenario_schema,
        validate,
    )
    from cxsim.model.scenario import Scenario

#: public name -> the module that defines it
_WHERE = {
    "BreakEven": "cxsim.analysis.breakeven",
    "breakeven": "cxsim.analysis.breakeven",
    "Comparison": "cxsim.analysis.compare",
    "compare": "cxsim.analysis.compare",
    "PilotPlan": "cxsim.analysis.pilot",
    "plan_pilot": "cxsim.analysis.pilot",
    "with_evsi": "cxsim.analysis.pilot_value",
    "Reproduction": "cxsim.analysis.rerun",
    "rerun": "cxsim.analysis.rerun",
    "Staffing": "cxsim.analysis.staffing",
    "staffing": "cxsim.analysis.staffing",
    "TargetValue": "cxsim.analysis.target",
    "target": "cxsim.analysis.target",
    "ValueOfInformation": "cxsim.analysis.voi",
    "value_of_information": "cxsim.analysis.voi",
    "Results": "cxsim.engine.results",
    "expected": "cxsim.engine.simulation",
    "simulate": "cxsim.engine.simulation",
    "summarise": "cxsim.engine.simulation",
    "ScenarioError": "cxsim.errors",
    "ScenarioWarning": "cxsim.errors",
    "UserError": "cxsim.errors",
    "load": "cxsim.model.loader",
    "load_with_source": "cxsim.model.loader",
    "loads": "cxsim.model.loader",
    "modify": "cxsim.model.loader",
    "scenario_schema": "cxsim.model.loader",
    "validate": "cxsim.model.loader",
    "Scenario": "cxsim.model.scenario",
}

__all__ = [
    "BreakEven",
    "Comparison",
    "PilotPlan",
    "Reproduction",
    "Results",
    "Scenario",
    "ScenarioError",
    "ScenarioWarning",
    "Staffing",
    "TargetValue",
    "UserError",
    "ValueOfInformation",
    "__version__",
    "breakeven",
    "compare",
    "expected",
    "load",
    "load_with_source",
    "loads",
    "modify",
    "plan_pilot",
    "rerun",
    "scenario_schema",
    "simulate",
    "staffing",
    "summarise",
    "target",
    "validate",
    "value_of_information",
    "with_evsi",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use and keep the name here."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'cxsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, including those not imported yet."""
    return sorted({*globals(), *__all__})
