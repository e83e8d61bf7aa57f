"""Complaints: from complaint counts to the failure and complaint rates a scenario needs.

`calibrate_complaints` turns complaint counts per touchpoint, customer counts and (optionally) a
survey's share of customers with a problem into per-touchpoint failure rates and the complaint
rate, with their uncertainty, through Goodman's complaint iceberg. Files are read by
`read_complaints_yaml`; every problem with the input is a `UserError` naming where it is.

- `inputs`: the checks, the defaults and the YAML reader;
- `calibration`: the iceberg (the draws, the multiplier, the touchpoints' rates);
- `result`: `ComplaintCalibration` and its estimates, and the YAML to paste into a scenario.
"""

from cxsim.analysis.complaints.calibration import calibrate_complaints
from cxsim.analysis.complaints.inputs import (
    DEFAULT_COMPLAIN_SHARE,
    DEFAULT_ESCALATION_SHARE,
    RECORDED_AT,
    read_complaints_yaml,
)
from cxsim.analysis.complaints.result import (
    ComplaintCalibration,
    Estimate,
    TouchpointRate,
    complaints_yaml,
)

__all__ = [
    "DEFAULT_COMPLAIN_SHARE",
    "DEFAULT_ESCALATION_SHARE",
    "RECORDED_AT",
    "ComplaintCalibration",
    "Estimate",
    "TouchpointRate",
    "calibrate_complaints",
    "complaints_yaml",
    "read_complaints_yaml",
]
