"""Which set of interventions to fund: the best set under a budget and a risk constraint.

The search runs on the expected-value model (`cxsim.expected`), so interactions between
interventions are simulated, not summed: every subset when there are at most `EXHAUSTIVE`
candidates, otherwise a local search (forward selection, then single additions, removals and
swaps until none improves: a 1-opt set, not a guaranteed optimum). The best sets found are then
simulated together on common random numbers, and the recommended one is the best mean NPV among
those meeting the risk constraint: P(pays) at least `p_pays`, or (with `p5_nonnegative`) the
5th percentile of NPV at least 0. A recommended set never holds a member whose removal raises
its NPV: such members are pruned, on the expected-value model during the search and on the
Monte Carlo after it.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cxsim.analysis.business_case import business_case
from cxsim.analysis.valuation import for_business_case
from cxsim.engine.execution import (
    Scheduler,
    combine,
    default_workers,
    new_seed,
    parallel_map,
    run_chunks,
)
from cxsim.engine.simulation import expected
from cxsim.engine.world import run_variants
from cxsim.errors import UserError
from cxsim.formatting.money import format_money
from cxsim.model.interventions import InterventionSet
from cxsim.model.loader import Source, scenario_and_source
from cxsim.model.parameters import mean_values
from cxsim.model.scenario import Scenario
from cxsim.protocol import Result

#: Up to this many candidates every subset is evaluated; beyond, a local search.
EXHAUSTIVE = 12
Subset = tuple[int, ...]
#: Expected NPV and cost of each subset, in order (a batch, so it can be spread over workers).
Evaluate = Callable[[Sequence[Subset]], list[tuple[float, float]]]
SET_LABELS = {"en": "Recommended set ({n})", "ja": "推奨の組み合わせ（{n}件）"}


def set_name(n: int, language: str = "en") -> str:
    """A short name for a combination; its members are listed apart (names are never cut)."""
    return SET_LABELS.get(language, SET_LABELS["en"]).format(n=n)


def distinct_names(names: str | Sequence[str] | None, known: Sequence[str]) -> list[str]:
    """The named interventions (all by default); a name given twice or unknown is refused."""
    chosen = list(known) if names is None else [names] if isinstance(names, str) else list(names)
    twice = sorted({n for n in chosen if chosen.count(n) > 1})
    if twice:
        raise UserError(
            "each intervention may be named once; named more than once: "
            + ", ".join(repr(n) for n in twice)
        )
    for n in chosen:
        if n not in known:
            raise UserError(f"no intervention named {n!r}; the scenario has: {', '.join(known)}")
    return chosen


# --- the search (on any evaluation: the expected-value model, or a test's closed form) --------


class _Cache:
    """Evaluations of subsets, each computed once."""

    def __init__(self, evaluate: Evaluate) -> None:
        self.evaluate = evaluate
        self.seen: dict[Subset, tuple[float, float]] = {(): (0.0, 0.0)}

    def __call__(self, subsets: Sequence[Subset]) -> list[tuple[float, float]]:
        todo = list(dict.fromkeys(s for s in subsets if s not in self.seen))
        for s, value in zip(todo, self.evaluate(todo) if todo else [], strict=True):
            self.seen[s] = value
        return [self.seen[s] for s in subsets]


def _fits(cost: float, budget: float | None) -> bool:
    return budget is None or cost <= budget


def prune(
    subset: Subset, evaluate: Callable[[Sequence[Subset]], list[tuple[float, float]]]
) -> Subset:
    """Drop members while removing one raises the set's NPV (the one that raises it most first)."""
    while len(subset) > 1:
        (npv, _), *without = evaluate([subset, *(_drop(subset, i) for i in subset)])
        gain, i = max((w[0] - npv, i) for w, i in zip(without, subset, strict=True))
        if gain <= 0:
            break
        subset = _drop(subset, i)
    return subset


def _drop(subset: Subset, i: int) -> Subset:
    return tuple(j for j in subset if j != i)


def _add(subset: Subset, i: int) -> Subset:
    return tuple(sorted((*subset, i)))


def _local_search(pool: Sequence[int], budget: float | None, cache: _Cache) -> None:
    """Forward selection, then best single additions, removals and swaps until none improves."""
    current: Subset = ()
    while True:
        moves = [_add(current, i) for i in pool if i not in current]
        moves += [_drop(current, i) for i in current]
        moves += [_add(_drop(current, i), j) for i in current for j in pool if j not in current]
        figures = cache(moves)
        npv = cache([current])[0][0]
        best = max(
            ((f[0], m) for m, f in zip(moves, figures, strict=True) if _fits(f[1], budget)),
            default=None,
        )
        if best is None or best[0] <= npv + 1e-9 * max(1.0, abs(npv)):
            return
        current = best[1]


def search(
    pool: Sequence[int],
    evaluate: Evaluate,
    budget: float | None = None,
    *,
    exhaustive: int = EXHAUSTIVE,
) -> list[tuple[Subset, float, float]]:
    """Sets found, best expected NPV first: (members, NPV, cost), each within `budget`, pruned.

    Every subset of `pool` is evaluated when it has at most `exhaustive` members (the best is
    then the optimum); otherwise a local search from the empty set. Sets with a member whose
    removal raises their NPV are pruned to the set without it.
    """
    pool = sorted(set(pool))
    cache = _Cache(evaluate)
    if len(pool) <= exhaustive:
        cache([s for k in range(1, len(pool) + 1) for s in itertools.combinations(pool, k)])
    else:
        _local_search(pool, budget, cache)
    found: dict[Subset, tuple[float, float]] = {}
    for s, (_, cost) in sorted(cache.seen.items(), key=lambda kv: -kv[1][0]):
        if s and _fits(cost, budget):
            kept = prune(s, cache)
            npv, kept_cost = cache([kept])[0]
            if _fits(kept_cost, budget):
                found.setdefault(kept, (npv, kept_cost))
    return sorted(((s, n, c) for s, (n, c) in found.items()), key=lambda t: -t[1])


#: Subsets run as the rows of one block of the expected-value model at most (a block's arrays
#: grow with its rows; a few hundred rows take a few MB).
BLOCK = 256


def _revenue_and_cost(scenario: Scenario, subsets: Sequence[Subset]) -> list[tuple[float, float]]:
    """Expected revenue and cost of sets of interventions, each a row of one block (a task of
    the search): the numbers of `expected(scenario, variant=...)` for each, to the bit."""
    variants = [InterventionSet(s, "candidate") for s in subsets]
    worlds = run_variants(scenario, mean_values(scenario), variants, keep_periods=False)
    return [(float(w.totals["revenue"][0]), float(w.totals["cost"][0])) for w in worlds]


#: Subsets' expected (revenue, cost) by scenario (its JSON) and subset (None: the scenario as
#: it is), kept in this process: the expected-value model is deterministic, so a notebook that
#: compares the same scenario again, with other runs or another seed, does not search again.
_REMEMBERED: OrderedDict[tuple[str, Subset | None], tuple[float, float]] = OrderedDict()
REMEMBER = 4096  # entries (each a few hundred bytes)


class SubsetFigures:
    """Subsets' expected revenue and cost, each run through the expected-value model once and
    remembered: `compare --budget` searches for the recommended set and for the best set
    within budget over the same subsets (issue 17: that ran every subset twice), and a
    scenario compared again in the same process reuses them. A batch of subsets runs as the
    rows of one block (`run_variants`: numpy's per-period overhead paid once, not per subset),
    split into one block per worker when `workers` (or `scheduler`) spreads them."""

    def __init__(
        self, scenario: Scenario, *, workers: int | None = 1, scheduler: Scheduler = None
    ) -> None:
        self.scenario, self.workers, self.scheduler = scenario, workers, scheduler
        self.key = scenario.model_dump_json()

    def __call__(self, subsets: Sequence[Subset]) -> list[tuple[float, float]]:
        """(revenue, cost) of each subset; members are applied in the order given (a "set"
        effect then a "scale" is not the reverse), so that order is part of the key."""
        keys = [(self.key, tuple(s)) for s in subsets]
        todo = [k for k in dict.fromkeys(keys) if k not in _REMEMBERED]
        if not todo:
            return [_REMEMBERED[k] for k in keys]
        spread = 1 if self.workers == 1 and self.scheduler is None else self.workers
        size = min(BLOCK, math.ceil(len(todo) / (spread or default_workers())))
        blocks = [[s for _, s in todo[i : i + size]] for i in range(0, len(todo), size)]
        found = parallel_map(
            functools.partial(_revenue_and_cost, self.scenario),
            blocks,
            workers=self.workers,
            scheduler=self.scheduler,
        )
        _remember(zip(todo, itertools.chain.from_iterable(found), strict=True))
        return [_REMEMBERED[k] for k in keys]

    @property
    def base_revenue(self) -> float:
        """The scenario's expected revenue without interventions."""
        key = (self.key, None)
        if key not in _REMEMBERED:
            _remember([(key, (float(expected(self.scenario).metric("revenue")[0]), 0.0))])
        return _REMEMBERED[key][0]

    def npv_and_cost(self, subsets: Sequence[Subset]) -> list[tuple[float, float]]:
        """(expected NPV, cost) of each subset: an `Evaluate`."""
        return [(r - self.base_revenue - c, c) for r, c in self(subsets)]


def _remember(items: Iterable[tuple[tuple[str, Subset | None], tuple[float, float]]]) -> None:
    for key, value in items:
        _REMEMBERED[key] = value
        _REMEMBERED.move_to_end(key)
    while len(_REMEMBERED) > REMEMBER:
        _REMEMBERED.popitem(last=False)


def expected_evaluator(
    scenario: Scenario, *, workers: int | None = 1, scheduler: Scheduler = None
) -> Evaluate:
    """Subsets' expected NPV and cost from the expected-value model, spread over workers."""
    return SubsetFigures(scenario, workers=workers, scheduler=scheduler).npv_and_cost


def recommended_set(
    scenario: Scenario,
    names: str | Sequence[str] | None = None,
    budget: float | None = None,
    *,
    workers: int | None = 1,
    scheduler: Scheduler = None,
    evaluate: Evaluate | None = None,
) -> InterventionSet | None:
    """The set with the best expected NPV (within `budget`), when it has two or more members.

    A set of one is the intervention itself; a set with no positive expected NPV is none.
    `compare` simulates it beside the single interventions (it replaced "all together").
    `evaluate` (default: `expected_evaluator`) gives subsets' expected NPV and cost.
    """
    known = [iv.name for iv in scenario.interventions]
    pool = [known.index(n) for n in distinct_names(names, known)]
    if evaluate is None:
        evaluate = expected_evaluator(scenario, workers=workers, scheduler=scheduler)
    found = search(pool, evaluate, budget)
    if not found or found[0][1] <= 0 or len(found[0][0]) < 2:
        return None
    return InterventionSet(found[0][0], set_name(len(found[0][0]), scenario.language))


# --- simulated together: the risk constraint ---------------------------------------------------


@dataclass(frozen=True, repr=False)
class Portfolio(Result):
    """The recommended set and the candidates it was chosen from (simulated together)."""

    scenario: Scenario
    members: list[str]
    #: One row per candidate set: members, expected NPV and cost, simulated NPV, P5, P(pays).
    candidates: pd.DataFrame
    budget: float | None
    p_pays_target: float | None
    p5_nonnegative: bool
    runs: int
    seed: int
    options: dict[str, Any] = field(default_factory=dict)

    kind: ClassVar[str] = "portfolio"

    @property
    def name(self) -> str:
        return set_name(len(self.members), self.scenario.language) if self.members else "none"

    def to_frame(self) -> pd.DataFrame:
        return self.candidates.copy()

    def to_dict(self) -> dict[str, Any]:
        frame = self.candidates.reset_index()
        return {
            "kind": self.kind,
            "scenario": self.scenario.name,
            "name": self.name,
            "members": self.members,
            "budget": self.budget,
            "p_pays_target": self.p_pays_target,
            "p5_nonnegative": self.p5_nonnegative,
            "runs": self.runs,
            "seed": self.seed,
            "candidates": frame.to_dict(orient="records"),
        }

    def text(self) -> str:
        cur = self.scenario.economics.currency
        money = lambda v: format_money(float(v), cur, language=self.scenario.language)  # noqa: E731
        rule = (
            "P5 of NPV at least 0"
            if self.p5_nonnegative
            else f"P(pays) at least {self.p_pays_target:.0%}"
            if self.p_pays_target is not None
            else "no risk constraint"
        )
        budget = "no budget" if self.budget is None else f"budget {money(self.budget)}"
        lines = [f"{self.scenario.name}: which set to fund ({budget}; {rule}; {self.runs:,} runs)"]
        if not self.members:
            lines.append("No set meets the constraints: fund none.")
        else:
            row = self.candidates.loc[self.name] if self.name in self.candidates.index else None
            lines.append(f"{self.name}:")
            lines += [f"  - {m}" for m in self.members]
            if row is not None:
                lines.append(
                    f"  NPV {money(row['npv_mean'])} (P5 {money(row['npv_p5'])}), "
                    f"cost {money(row['cost_mean'])}, P(pays) {row['p_pays']:.0%}"
                )
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return f"<Portfolio {self.scenario.name!r}: {self.name}: {', '.join(self.members)}>"


def portfolio(
    scenario: Scenario | str | os.PathLike[str],
    budget: float | None = None,
    interventions: str | Sequence[str] | None = None,
    *,
    p_pays: float | None = 0.8,
    p5_nonnegative: bool = False,
    runs: int = 500,
    seed: int | None = None,
    candidates: int = 8,
    workers: int | None = 1,
    scheduler: Scheduler = None,
    source: Source | None = None,
) -> Portfolio:
    """The best set within `budget` meeting the risk constraint, simulated on common numbers.

    The `candidates` best sets of the expected-value search are simulated together with the
    baseline; the recommended set is the best mean NPV among those with P(pays) at least
    `p_pays` (or, with `p5_nonnegative`, a 5th percentile of NPV at least 0), then pruned of any
    member whose removal raises its simulated mean NPV.
    """
    scenario, source = scenario_and_source(scenario, source)
    scenario = for_business_case(scenario)
    if p_pays is not None and not 0.0 <= p_pays <= 1.0:
        raise UserError(f"the P(pays) target must be between 0 and 1, got {p_pays}")
    known = [iv.name for iv in scenario.interventions]
    pool = [known.index(n) for n in distinct_names(interventions, known)]
    seed = new_seed() if seed is None else int(seed)
    evaluate = expected_evaluator(scenario, workers=workers, scheduler=scheduler)
    found = [f for f in search(pool, evaluate, budget) if f[1] > 0][:candidates]
    simulate = _Simulated(scenario, runs, seed, workers, scheduler)
    simulate.add([s for s, _, _ in found])

    def meets(s: Subset) -> bool:
        fig = simulate.figures[s]
        return (fig["npv_p5"] >= 0) if p5_nonnegative else fig["p_pays"] >= (p_pays or 0.0)

    ok = [s for s, _, _ in found if meets(s) and simulate.figures[s]["npv_mean"] > 0]
    chosen: Subset = max(ok, key=lambda s: simulate.figures[s]["npv_mean"], default=())
    while len(chosen) > 1:  # prune on the Monte Carlo: no member may lower the set's NPV
        simulate.add([_drop(chosen, i) for i in chosen])
        npv = simulate.figures[chosen]["npv_mean"]
        gain, i = max((simulate.figures[_drop(chosen, i)]["npv_mean"] - npv, i) for i in chosen)
        if gain <= 0:
            break
        chosen = _drop(chosen, i)
    ev = {s: (n, c) for s, n, c in found}
    rows = {}
    for s, fig in simulate.figures.items():
        name = set_name(len(s), scenario.language) if len(s) > 1 else known[s[0]]
        label = name if s == chosen else " + ".join(known[i] for i in s)
        ev_npv, ev_cost = ev.get(s, (np.nan, np.nan))
        rows[label] = {
            "members": [known[i] for i in s],
            "expected_npv": ev_npv,
            "expected_cost": ev_cost,
            **fig,
            "meets_risk": meets(s),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index").sort_values("npv_mean", ascending=False)
    frame.index.name = "set"
    return Portfolio(
        scenario=scenario,
        members=[known[i] for i in chosen],
        candidates=frame,
        budget=budget,
        p_pays_target=None if p5_nonnegative else p_pays,
        p5_nonnegative=p5_nonnegative,
        runs=runs,
        seed=seed,
    )


class _Simulated:
    """Sets simulated on the same random numbers as the baseline (run once), by members."""

    def __init__(
        self, scenario: Scenario, runs: int, seed: int, workers: int | None, scheduler: Scheduler
    ) -> None:
        self.args = (scenario, runs, seed)
        self.run = functools.partial(run_chunks, workers=workers, scheduler=scheduler)
        (blocks,) = self.run(scenario, runs, seed, [None], keep_periods=False)
        self.base = self._results(blocks)
        self.figures: dict[Subset, dict[str, float]] = {}

    @staticmethod
    def _results(blocks: list[Any]) -> Any:
        return combine(blocks)

    def add(self, subsets: Sequence[Subset]) -> None:
        todo = [s for s in dict.fromkeys(subsets) if s and s not in self.figures]
        if not todo:
            return
        scenario, runs, seed = self.args
        variants = [InterventionSet(s, "candidate") for s in todo]
        for s, blocks in zip(
            todo, self.run(scenario, runs, seed, variants, keep_periods=False), strict=True
        ):
            case = business_case(self.base, self._results(blocks), payback=False)
            self.figures[s] = {
                "npv_mean": float(case.npv.mean()),
                "npv_p5": float(np.percentile(case.npv, 5)),
                "cost_mean": float(case.cost.mean()),
                "loss_avoided_mean": float(case.loss_avoided.mean()),
                "p_pays": case.p_pays,
            }
