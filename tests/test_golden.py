"""Golden files: a restructuring must leave every number of every example bit-identical.

Every value recorded in a golden file must come back exactly on the kind of CPU that recorded
the files, and up to floating-point rounding (`cxsim.engine.rounding`) on another: numpy and
OpenBLAS pick CPU-specific kernels whose last digits differ. A key a newer cxsim adds to a
document (such as its `kind`) is allowed, a recorded key that goes missing is not.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cxsim.engine.rounding import cpu_kind, within_rounding
from tests.golden.record import CASES, CPU_FILE, HERE, ROOT, produce, volatile

#: Bit for bit where the files were recorded; elsewhere up to the other CPU's rounding.
EXACT = CPU_FILE.exists() and CPU_FILE.read_text().strip() == cpu_kind()


def differences(want: Any, got: Any, where: str = "", *, exact: bool = True) -> list[str]:
    """Where `got` departs from `want`: changed or missing values (extra keys are allowed)."""
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for key, value in want.items():
            if key not in got:
                out.append(f"{where}.{key}: missing")
            else:
                out += differences(value, got[key], f"{where}.{key}", exact=exact)
        return out
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        return [
            d
            for i, (a, b) in enumerate(zip(want, got, strict=True))
            for d in differences(a, b, f"{where}[{i}]", exact=exact)
        ]
    same = want == got or (not exact and within_rounding(want, got))
    return [] if same else [f"{where}: {want!r} -> {got!r}"]


def test_differences_sees_a_changed_number() -> None:
    assert differences({"a": [1.0, {"b": 2.0}]}, {"a": [1.0, {"b": 2.0000001}], "c": 1}) == [
        ".a[1].b: 2.0 -> 2.0000001"
    ]
    assert differences({"a": 1}, {}) == [".a: missing"]
    # on another CPU, the last digits may differ (values seen on one), and nothing more
    rounded = {"a": 1627763.086780043, "gap": 4.087384423978602e-11, "n": 3}
    recorded = {"a": 1627763.0867800433, "gap": 4.087384597450949e-11, "n": 3}
    assert differences(recorded, rounded, exact=False) == []
    assert differences(recorded, rounded) == [
        ".a: 1627763.0867800433 -> 1627763.086780043",
        ".gap: 4.087384597450949e-11 -> 4.087384423978602e-11",
    ]
    assert differences({"a": 1627763.0867800433}, {"a": 1627763.0868}, exact=False) == [
        ".a: 1627763.0867800433 -> 1627763.0868"
    ]
    assert differences({"n": 3}, {"n": 4}, exact=False) == [".n: 3 -> 4"]


#: The contact centre's cases simulate its phone line (SimPy): tens of seconds each, so `slow`.
SLOW = ("contact_centre.",)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        pytest.param(name, args, id=name, marks=[pytest.mark.slow] * name.startswith(SLOW))
        for name, args in CASES
    ],
)
def test_golden(name: str, args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    want = json.loads((HERE / f"{name}.json").read_text())
    got = json.loads(json.dumps(volatile(produce(args)), sort_keys=True))
    assert differences(want, got, exact=EXACT) == []
