"""cxsim: what a bad customer experience costs, and which fix pays back.

>>> import cxsim
>>> scenario = cxsim.load("scenarios/subscription.yaml")
>>> results = cxsim.simulate(scenario, runs=1000, seed=1)
>>> results.summary()          # lost revenue, customers lost, ... with percentiles
>>> results.attribution_table("touchpoint")
>>> cxsim.compare(scenario, runs=1000, seed=1).summary()
"""

__version__ = "0.1.0"

from cxsim.compare import Comparison, compare, plan_pilot
from cxsim.errors import ScenarioError, UserError
from cxsim.loader import load, load_with_source, loads, modify, scenario_schema, validate
from cxsim.results import Results
from cxsim.scenario import Scenario
from cxsim.simulation import expected, simulate

__all__ = [
    "Comparison",
    "Results",
    "Scenario",
    "ScenarioError",
    "UserError",
    "__version__",
    "compare",
    "expected",
    "load",
    "load_with_source",
    "loads",
    "modify",
    "plan_pilot",
    "scenario_schema",
    "simulate",
    "validate",
]
