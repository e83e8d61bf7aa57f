"""Golden files: a restructuring must leave every number of every example bit-identical.

Every value recorded in a golden file must come back exactly; a key a newer cxsim adds to a
document (such as its `kind`) is allowed, a recorded key that goes missing is not.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.golden.record import CASES, HERE, ROOT, produce, volatile


def differences(want: Any, got: Any, where: str = "") -> list[str]:
    """Where `got` departs from `want`: changed or missing values (extra keys are allowed)."""
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for key, value in want.items():
            if key not in got:
                out.append(f"{where}.{key}: missing")
            else:
                out += differences(value, got[key], f"{where}.{key}")
        return out
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        return [
            d
            for i, (a, b) in enumerate(zip(want, got, strict=True))
            for d in differences(a, b, f"{where}[{i}]")
        ]
    return [] if want == got else [f"{where}: {want!r} -> {got!r}"]


def test_differences_sees_a_changed_number() -> None:
    assert differences({"a": [1.0, {"b": 2.0}]}, {"a": [1.0, {"b": 2.0000001}], "c": 1}) == [
        ".a[1].b: 2.0 -> 2.0000001"
    ]
    assert differences({"a": 1}, {}) == [".a: missing"]


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
    assert differences(want, got) == []
