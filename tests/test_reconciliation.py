"""Every output states how the status quo compares with the scenario's actuals (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import TINY, cxsim_in_process

# No complaints at all, so CSAT (satisfied complainers / complainers) has no value: NaN.
NO_COMPLAINTS = TINY.replace("complaint_rate: 0.7", "complaint_rate: 0.0").replace(
    "complaint_rate: 0.5", "complaint_rate: 0.0"
)
ACTUALS = """
actuals:
  - {metric: csat, periods: [1, 6], value: 0.4}
  - {metric: active, periods: [1], value: 20000}
"""


def test_run_json_reconciliation_is_strict_json_with_null_for_no_value(tmp_path: Path) -> None:
    """A figure the model cannot give (NaN) is null in `run --json`, as in every result's
    JSON, and the warning says n/a rather than nan."""
    path = tmp_path / "s.yaml"
    path.write_text(NO_COMPLAINTS + ACTUALS)
    done = cxsim_in_process("run", str(path), "--runs", "8", "--seed", "1", "--json")
    assert done.returncode == 0, done.stderr
    assert "NaN" not in done.stdout
    doc = json.loads(done.stdout, parse_constant=_refuse)
    rows = doc["reconciliation"]["reconciliation"]
    assert [(r["metric"], r["modelled"], r["difference"], r["within"]) for r in rows] == [
        ("csat", None, None, False),
        ("active", 20000.0, 0.0, True),
    ]
    assert "warning: status quo outside the actuals: csat 1-6: observed 0.4, modelled n/a" in (
        done.stderr
    )


def _refuse(constant: str) -> None:
    raise AssertionError(f"non-JSON constant {constant} in the output")
