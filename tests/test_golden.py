"""Golden files: a restructuring must leave every number of every example bit-identical."""

from __future__ import annotations

import json

import pytest

from tests.golden.record import CASES, HERE, ROOT, produce, volatile


@pytest.mark.parametrize(("name", "args"), CASES, ids=[name for name, _ in CASES])
def test_golden(name: str, args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    want = json.loads((HERE / f"{name}.json").read_text())
    got = json.loads(json.dumps(volatile(produce(args)), sort_keys=True))
    assert got == want
