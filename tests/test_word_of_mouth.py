"""Word of mouth: deterred and referred prospects netted once, whatever the touchpoints' order."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import cxsim

#: No prospect funnel: every acquisition comes from referrals, so netting touchpoint by
#: touchpoint (deterring at most the buyers so far) depended on which touchpoint came first.
#: Nobody defects, so the touchpoints see the same customers in any order.
NO_FUNNEL = """
name: Referrals only
economics: {horizon: 4, discount_rate: 0.0}
segments:
  - {name: Everyone, customers: 10000, revenue: 10, churn: {rate: 0.02}}
journey:
  stages:
    - name: Use
      touchpoints:
        - {name: Delivery, failure_rate: 0.1, complaint_rate: 0.9}
        - {name: Billing, failure_rate: 0.05, complaint_rate: 0.0}
        - {name: App, failure_rate: 0.2, complaint_rate: 0.3, severity: major}
loss_tree:
  complaint_rate: 0.5
  resolution: {satisfied: 0.8, mollified: 0.1}
  defection:
    silent: {minor: 0, major: 0}
    satisfied: {minor: 0, major: 0}
    mollified: {minor: 0, major: 0}
    dissatisfied: {minor: 0, major: 0}
  word_of_mouth:
    told: {silent: 5, satisfied: 4, mollified: 6, dissatisfied: 9}
    deterred: 0.05
    referred: 0.05
"""


def _in_order(order: list[int]) -> cxsim.Scenario:
    data = yaml.safe_load(NO_FUNNEL)
    tps = data["journey"]["stages"][0]["touchpoints"]
    data["journey"]["stages"][0]["touchpoints"] = [tps[i] for i in order]
    return cxsim.loads(yaml.safe_dump(data), "permuted")


@settings(max_examples=6, deadline=None)
@given(st.permutations([0, 1, 2]))
def test_results_do_not_depend_on_the_order_of_touchpoints(order: list[int]) -> None:
    base, permuted = cxsim.expected(_in_order([0, 1, 2])), cxsim.expected(_in_order(order))
    for metric in ("lost_revenue", "lost_acquisitions", "revenue", "end"):
        got, want = permuted.metric(metric)[0], base.metric(metric)[0]
        assert got == pytest.approx(want, rel=1e-12, abs=1e-6), metric
    by_name = dict(
        zip(permuted.labels("touchpoint"), permuted.loss_by("touchpoint")[0], strict=True)
    )
    for name, value in zip(base.labels("touchpoint"), base.loss_by("touchpoint")[0], strict=True):
        assert by_name[name] == pytest.approx(value, rel=1e-12, abs=1e-6), name


def test_deterred_prospects_never_exceed_the_would_be_buyers_and_referrals() -> None:
    """Referrals (Delivery's satisfied complainers) offset the deterred before anything is
    clipped: the net loss of acquisitions is deterred - won, never below -won."""
    r = cxsim.expected(_in_order([0, 1, 2]))
    assert r.metric("lost_acquisitions")[0] <= 0.0  # referrals outweigh the deterred
    assert np.all(r.periods["acquired"] >= 0)
