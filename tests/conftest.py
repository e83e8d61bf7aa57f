"""Shared fixtures: the example scenarios and small hand-checkable ones."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

TINY = """
name: Tiny shop
economics: {period: month, horizon: 6, discount_rate: 0.0, value: revenue}
segments:
  - name: Regulars
    customers: 20000
    prospects: 2000
    conversion: 0.5
    revenue: 10
    churn: {model: constant, rate: 0.02}
journey:
  stages:
    - name: Browse
      audience: prospects
      touchpoints:
        - {name: Search, exposure: 1.0, failure_rate: 0.05}
    - name: Use
      touchpoints:
        - {name: Delivery, exposure: 0.5, failure_rate: 0.1, severity: major}
        - {name: Billing, exposure: 1.0, failure_rate: 0.02, complaint_rate: 0.7}
loss_tree:
  complaint_rate: 0.5
  resolution: {satisfied: 0.3, mollified: 0.3}
  defection:
    silent: {minor: 0.3, major: 0.6}
    satisfied: {minor: 0.05, major: 0.2}
    mollified: {minor: 0.2, major: 0.4}
    dissatisfied: {minor: 0.4, major: 0.7}
  word_of_mouth:
    told: {silent: 5, satisfied: 4, mollified: 6, dissatisfied: 9}
    deterred: 0.02
    referred: 0.02
"""


@pytest.fixture
def tiny_text() -> str:
    return TINY


@pytest.fixture(params=[p.name for p in SCENARIOS])
def example_path(request: pytest.FixtureRequest) -> Path:
    return ROOT / "scenarios" / request.param
