"""The portfolio search: never beaten by brute force, never holding a member that lowers its NPV."""

from __future__ import annotations

import itertools
from collections import OrderedDict

import numpy as np
import pytest

import cxsim
from cxsim.analysis import portfolio
from cxsim.analysis.portfolio import distinct_names, prune, search, set_name
from cxsim.errors import UserError
from cxsim.model.interventions import InterventionSet

from .conftest import ROOT

N = 8


def synthetic(seed: int):
    """8 interventions: own values and costs, pairwise interactions (overlaps and synergies)."""
    rng = np.random.default_rng(seed)
    value = rng.uniform(-1.0, 4.0, N)
    cost = rng.uniform(0.5, 3.0, N)
    pair = np.triu(rng.normal(0.0, 0.8, (N, N)), 1)

    def evaluate(subsets):
        out = []
        for s in subsets:
            idx = list(s)
            inter = pair[np.ix_(idx, idx)].sum()
            out.append((float(value[idx].sum() - cost[idx].sum() + inter), float(cost[idx].sum())))
        return out

    return evaluate


def brute_force(evaluate, budget):
    subsets = [s for k in range(1, N + 1) for s in itertools.combinations(range(N), k)]
    figures = evaluate(subsets)
    return max(npv for (npv, cost) in figures if budget is None or cost <= budget)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("budget", [None, 4.0, 8.0])
def test_search_is_never_beaten_by_brute_force(seed, budget):
    evaluate = synthetic(seed)
    (best, npv, cost), *_ = search(range(N), evaluate, budget)
    assert npv == pytest.approx(brute_force(evaluate, budget))
    assert budget is None or cost <= budget
    # No member lowers the set's NPV.
    for i in best:
        without = tuple(j for j in best if j != i)
        if without:
            assert evaluate([without])[0][0] <= npv + 1e-12


@pytest.mark.parametrize("seed", range(10))
def test_local_search_is_one_opt_and_optimal_when_additive(seed):
    """Beyond the exhaustive limit: with no interactions and no budget, the positive ones."""
    rng = np.random.default_rng(seed)
    value = rng.normal(0.0, 1.0, N)

    def additive(subsets):
        return [(float(value[list(s)].sum()), 1.0) for s in subsets]

    (best, npv, _), *_ = search(range(N), additive, exhaustive=0)
    assert set(best) == {i for i in range(N) if value[i] > 0}
    assert npv == pytest.approx(value[value > 0].sum())


def test_prune_drops_a_member_whose_removal_raises_npv():
    figures = {(0, 1, 2): (5.0, 3.0), (1, 2): (6.0, 2.0), (0, 2): (4.0, 2.0), (0, 1): (3.0, 2.0)}
    figures |= {(1,): (2.0, 1.0), (2,): (3.0, 1.0)}
    assert prune((0, 1, 2), lambda ss: [figures[s] for s in ss]) == (1, 2)


def test_names_once_and_known():
    with pytest.raises(UserError, match="more than once"):
        distinct_names(["A", "A"], ["A", "B"])
    with pytest.raises(UserError, match="no intervention named"):
        distinct_names(["C"], ["A", "B"])
    assert set_name(3) == "Recommended set (3)"


def test_recommended_set_leaves_out_what_lowers_npv() -> None:
    """Subscription: "Verify resolution" loses money, so the recommended set leaves it out."""
    from pathlib import Path

    from cxsim.analysis.portfolio import recommended_set
    from cxsim.model.loader import load

    scenario = load(Path(__file__).parents[1] / "scenarios" / "subscription.yaml")
    best = recommended_set(scenario)
    assert best is not None and best.name.startswith("Recommended set (")
    names = [iv.name for iv in best.interventions(scenario)]
    assert "Verify resolution" not in names and len(names) >= 2


def test_subsets_in_one_block_are_the_expected_value_model_of_each_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The search's figures (every subset a row of one block, `run_variants`) are bit for bit
    those of `expected` run on each subset alone: subscription's interventions start late and
    ramp up, so rows change their inputs in different periods. In blocks of 5 (a larger
    search's batches, split over workers) they are the same again. All 63 subsets are stacked;
    a third of them, every size among them, are checked against runs of their own."""
    scenario = cxsim.load(ROOT / "scenarios" / "subscription.yaml")
    n = len(scenario.interventions)
    subsets = [s for k in range(1, n + 1) for s in itertools.combinations(range(n), k)]
    assert any(iv.start > 1 for iv in scenario.interventions)
    checked = [*subsets[::3], subsets[-1]]
    alone = []
    for s in checked:
        world = cxsim.expected(scenario, variant=InterventionSet(s, "candidate"))
        alone.append((float(world.metric("revenue")[0]), float(world.metric("cost")[0])))
    for block in (portfolio.BLOCK, 5):
        monkeypatch.setattr(portfolio, "_REMEMBERED", OrderedDict())
        monkeypatch.setattr(portfolio, "BLOCK", block)
        found = dict(zip(subsets, portfolio.SubsetFigures(scenario)(subsets), strict=True))
        assert [found[s] for s in checked] == alone
