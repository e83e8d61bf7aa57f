"""Which inputs matter, and how many runs are enough: tornado, Sobol indices, convergence.

Three questions a business case has to answer before anyone trusts it:

- **Tornado** (one at a time): each uncertain input is swung between its P10 and P90 (or a range
  the user gives) with every other input at its mean, and the inputs are ranked by how far the
  output moves. By default the output comes from the expected-value model, which is exact and
  deterministic for inputs held fixed and evaluates every swing in one vectorised pass; with
  `runs` it comes from a Monte Carlo of the customers' own randomness instead, low and high on
  common random numbers so that the swing's error is small.
- **Sobol indices** (global): the share of the output's variance due to each input alone
  (first order, S1) and with all its interactions (total, ST), over the inputs' joint
  distribution. The model is the expected-value engine vectorised over sample points: the
  question is about parameter uncertainty, not the customers' randomness, which is not an input.
  Estimators: Saltelli et al. (2010), Table 2 (b) for S1 and (f), Jansen's, for ST, through
  `scipy.stats.sobol_indices`; intervals by bootstrap over the base sample.
- **Convergence**: adds chunks of Monte Carlo runs until the 95% interval of the mean is within a
  given fraction of it. Runs come in the fixed chunks of `cxsim.engine.execution`, so the first
  N runs here are the N runs of `simulate(scenario, N, seed)`.

An intervention's NPV can be the output of all three: the world with the intervention minus the
baseline world on the same inputs, less the intervention's cost
(`cxsim.analysis.business_case`). Every sweep takes `workers=` and `scheduler=` and runs
through `cxsim.engine.execution`.

One module per analysis (`tornado`, `sobol`, `convergence`) and what they share (`common`);
the public names are importable from here.
"""

from cxsim.analysis.sensitivity.common import (
    BASELINE_OUTPUTS,
    BATCH,
    INTERVENTION_OUTPUTS,
    SensitivityWarning,
    input_labels,
    inputs_in_scope,
    mean_model,
    uncertain_inputs,
)
from cxsim.analysis.sensitivity.convergence import Convergence, convergence, run_to_precision
from cxsim.analysis.sensitivity.sobol import SobolIndices, sobol, sobol_analysis, sobol_points
from cxsim.analysis.sensitivity.tornado import Tornado, tornado

__all__ = [
    "BASELINE_OUTPUTS",
    "BATCH",
    "INTERVENTION_OUTPUTS",
    "Convergence",
    "SensitivityWarning",
    "SobolIndices",
    "Tornado",
    "convergence",
    "input_labels",
    "inputs_in_scope",
    "mean_model",
    "run_to_precision",
    "sobol",
    "sobol_analysis",
    "sobol_points",
    "tornado",
    "uncertain_inputs",
]
