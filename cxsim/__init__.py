"""cxsim: what a bad customer experience costs, and which fix pays back.

>>> import cxsim
>>> scenario = cxsim.load("scenarios/subscription.yaml")
>>> results = cxsim.simulate(scenario, runs=1000, seed=1)
>>> results.summary()          # lost revenue, customers lost, ... with percentiles
>>> results.attribution_table("touchpoint")
>>> cxsim.compare(scenario, runs=1000, seed=1).summary()
>>> cxsim.rerun("case/results.json").reproduced   # a recorded result, run again
>>> cxsim.staffing(120, 240, agents=8, target=0.8).to_frame()   # agents for a queue
"""

from cxsim._version import __version__
from cxsim.analysis.compare import Comparison, compare
from cxsim.analysis.pilot import PilotPlan, plan_pilot
from cxsim.analysis.rerun import Reproduction, rerun
from cxsim.analysis.staffing import Staffing, staffing
from cxsim.engine.results import Results
from cxsim.engine.simulation import expected, simulate
from cxsim.errors import ScenarioError, UserError
from cxsim.model.loader import load, load_with_source, loads, modify, scenario_schema, validate
from cxsim.model.scenario import Scenario

__all__ = [
    "Comparison",
    "PilotPlan",
    "Reproduction",
    "Results",
    "Scenario",
    "ScenarioError",
    "Staffing",
    "UserError",
    "__version__",
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
    "validate",
]
