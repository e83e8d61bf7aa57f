"""Anchoring a scenario to what the company observed (its `actuals:`).

`calibrate_scenario` solves for what is not observed (the failure-free baseline churn, the
prospects) so that the expected-value status quo reproduces the actuals; `reconcile` compares
any run's status quo with them.
"""

from cxsim.analysis.calibration.reconcile import Reconciliation, reconcile
from cxsim.analysis.calibration.solve import Calibration, calibrate_scenario

__all__ = ["Calibration", "Reconciliation", "calibrate_scenario", "reconcile"]
