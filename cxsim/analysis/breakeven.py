"""Break-even, "what must be true": the weakest effect and the highest cost at which it pays.

For one intervention, each effect in turn is pinned at a value (the other effects and every
other input at their distributions) and moved along the line from no effect (scale 1, add 0)
through its mean; the weakest value at which the intervention pays with at least the target
probability is found on common random numbers. The search follows the NPV of the run that
decides it (`pays_margin`: above zero exactly when P(pays) reaches the target), which moves
smoothly with the pinned value where P(pays) moves in steps, by regula falsi (Illinois): a
handful of worlds where bisection ran a dozen or more. The highest cost is read off the runs
directly: the intervention pays in a run when its loss avoided exceeds `c` times its cost, so
the largest cost multiple `c` with P(pays) at least the target is the (1 - target) quantile of
loss avoided over cost.

Key assumptions (the memory odds ratios, the response-time midpoint, defection and failure
rates: any path of the one grammar) are pinned in both worlds, the baseline and the
intervention's, at a multiple of their means (every input a path names moved together), on the
same random numbers; the multiple nearest today's at which P(pays) crosses the target is found
the same way: the expected-value model (no Monte Carlo, cheap) shifted to today's margin gives
a first guess, a few Monte Carlo worlds near it bracket the crossing, and regula falsi narrows
the bracket to 1% of the assumption's P10-P90 range: the value at which the intervention stops
paying with the target probability (or, if it does not pay today, starts to).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxsim.analysis.business_case import business_case
from cxsim.analysis.portfolio import distinct_names
from cxsim.analysis.valuation import for_business_case
from cxsim.engine.execution import Scheduler, combine, new_seed, run_chunks
from cxsim.engine.simulation import expected
from cxsim.errors import UserError
from cxsim.formatting.money import format_money
from cxsim.model.interventions import InterventionSet
from cxsim.model.loader import Source, scenario_and_source
from cxsim.model.parameters import Values, input_label, iter_inputs
from cxsim.model.paths import resolve
from cxsim.model.scenario import Scenario
from cxsim.model.variants import Change, Changes, Then
from cxsim.protocol import Result

FloatArray = NDArray[np.float64]
#: How far past the mean effect the search looks (in multiples of the mean effect).
MAX_MULTIPLE = 16.0
#: The key assumptions searched unless told: paths of the one grammar (a path naming several
#: inputs moves them together, as a multiple of their means). Those a scenario lacks are skipped.
KEY_ASSUMPTIONS = (
    "memory.odds_ratio[1]",
    "memory.odds_ratio[2]",
    "support.resolution.midpoint_hours",
    "loss_tree.defection",
    "journey.stages[*].touchpoints[*].failure_rate",
)


@dataclass(frozen=True)
class Pinned:
    """An intervention set with some drawn inputs pinned at fixed values (a `Variant`)."""

    base: InterventionSet
    pins: tuple[tuple[str, float], ...]
    name: str = "pinned"

    has_cost: ClassVar[bool] = True

    def _pinned(self, values: Values) -> Values:
        out = dict(values)
        for key, x in self.pins:
            out[key] = np.full_like(np.asarray(values[key], dtype=float), x)
        return out

    def apply(
        self, values: Values, scenario: Scenario, weights: Sequence[float] | None = None
    ) -> Values:
        return self.base.apply(self._pinned(values), scenario, weights)

    def timeline(self, scenario: Scenario) -> list[tuple[float, ...]]:
        return self.base.timeline(scenario)

    def cost(self, values: Values, scenario: Scenario, active: FloatArray) -> FloatArray:
        return self.base.cost(self._pinned(values), scenario, active)


@dataclass(frozen=True, repr=False)
class BreakEven(Result):
    """What must be true for an intervention to pay with at least `target` probability."""

    scenario: Scenario
    intervention: str
    target: float
    p_pays: float  # at the effects' and costs' distributions
    cost_mean: float
    cost_multiple: float  # the largest multiple of the cost at which it still pays
    effects: pd.DataFrame  # per effect: path, op, mean, no_effect, break_even, multiple
    runs: int
    seed: int
    #: Per key assumption: path, label, inputs, today (mean), p_today (P(pays) with the
    #: assumption at its mean), break_even (value, or multiple for several inputs), multiple,
    #: must ("at least" / "at most": what must be true for it to pay with the target).
    assumptions: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    #: Monte Carlo worlds run to find all this (each as many runs as `runs`): the work it took.
    worlds: int = 0

    kind: ClassVar[str] = "breakeven"

    def to_frame(self) -> pd.DataFrame:
        return self.effects.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "scenario": self.scenario.name,
            "intervention": self.intervention,
            "target": self.target,
            "p_pays": self.p_pays,
            "cost": {
                "mean": self.cost_mean,
                "largest_multiple": self.cost_multiple,
                "largest_mean": self.cost_mean * self.cost_multiple,
            },
            "effects": self.effects.reset_index().to_dict(orient="records"),
            "assumptions": _records(self.assumptions),
            "runs": self.runs,
            "seed": self.seed,
            "worlds": self.worlds,
        }

    def text(self) -> str:
        sc = self.scenario
        money = lambda v: format_money(v, sc.economics.currency, language=sc.language)  # noqa: E731
        lines = [
            f"{sc.name}: what must be true for {self.intervention!r} to pay with "
            f"P >= {self.target:.0%} ({self.runs:,} runs; now P(pays) {self.p_pays:.0%})",
            f"  cost: at most {money(self.cost_mean * self.cost_multiple)} "
            f"({self.cost_multiple:.2f} x the expected {money(self.cost_mean)})",
        ]
        for path, row in self.effects.iterrows():
            at = (
                "not within the search"
                if not np.isfinite(row["break_even"])
                else f"{row['op']} {row['break_even']:.4g} (mean {row['mean']:.4g}, "
                f"{row['multiple']:.0%} of the mean effect)"
            )
            lines.append(f"  effect on {path}: {at}")
        for _, row in self.assumptions.iterrows():
            lines.append(f"  {row['label']}: {assumption_words(row, self.target)}")
        return "\n".join(lines) + "\n"


def assumption_words(row: Any, target: float) -> str:
    """What must be true of one key assumption, in words (a row of `BreakEven.assumptions`)."""
    today = f"today {row['today']:.4g}" if row["inputs"] == 1 else "today's values"
    if not np.isfinite(row["break_even"]):
        if row["p_today"] >= target:
            return f"pays with the target whatever its value in the search ({today})"
        return f"does not pay with the target at any value in the search ({today})"
    if row["inputs"] == 1:
        return f"{row['must']} {row['break_even']:.4g} ({today})"
    return f"{row['must']} {row['multiple']:.3g} x {today}"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if frame.empty:
        return []
    out = frame.to_dict(orient="records")
    return [
        {str(k): (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
        for r in out
    ]


class _Runner:
    """The baseline run once; variants on the same numbers, their P(pays) and business case.

    `worlds` counts the Monte Carlo worlds run (the baseline's included)."""

    def __init__(
        self, scenario: Scenario, runs: int, seed: int, workers: int | None, scheduler: Scheduler
    ) -> None:
        self.scenario = scenario
        self.run = functools.partial(
            run_chunks,
            scenario,
            runs,
            seed,
            workers=workers,
            scheduler=scheduler,
            keep_periods=False,
        )
        (blocks,) = self.run([None])
        self.base = combine(blocks)
        self.worlds = 1

    def case(self, variant: Any) -> Any:
        (blocks,) = self.run([variant])
        self.worlds += 1
        return business_case(self.base, combine(blocks), payback=False)

    def pinned_case(self, pins: Changes, chosen: Any) -> Any:
        """The business case with `pins` applied to both worlds (same random numbers)."""
        base, world = self.run([pins, Then(pins, chosen)])
        self.worlds += 2
        return business_case(combine(base), combine(world), payback=False)

    def expected_npv(self, pins: Changes, chosen: Any) -> float:
        """The NPV of `chosen` with `pins` in both worlds of the expected-value model (cheap:
        one world of means each, no Monte Carlo)."""
        base, world = (expected(self.scenario, variant=v) for v in (pins, Then(pins, chosen)))
        return float(business_case(base, world, payback=False).npv[0])


def pays_margin(npv: FloatArray, target: float) -> float:
    """The NPV of the run that decides whether the intervention pays with the target: positive
    exactly when P(NPV > 0) is at least `target` (the m-th largest NPV, m the fewest paying runs
    that reach the target). Unlike P(pays), a step function, it moves smoothly with a pinned
    value on common random numbers, so a secant search converges where bisection halves."""
    n = npv.size
    m = max(1, int(np.ceil(target * n)))
    if (m - 1) / n >= target:  # rounding in target * n
        m -= 1
    return float(np.sort(npv)[n - m])


def cost_multiple(benefit: FloatArray, cost: FloatArray, target: float) -> float:
    """The largest multiple c of the cost with P(benefit > c cost) at least `target`: the
    (1 - target) quantile of benefit over cost, run by run (inf where nothing is spent)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cost > 0, benefit / cost, np.inf)
    return float(np.quantile(ratio, 1.0 - target, method="inverted_cdf"))


def _margin(q: float, target: float) -> float:
    """A probability as a margin for the searches: positive exactly when q >= target."""
    return q - target if q != target else float(np.finfo(float).tiny)


def bisect_threshold(
    p: Any, target: float, *, hi: float = 1.0, limit: float = MAX_MULTIPLE, tol: float = 1e-4
) -> float:
    """The smallest k in (0, limit] with p(k) >= target, for p non-decreasing in k (inf if none).

    p(0) is taken to be below the target (no effect); `hi` is doubled until p(hi) reaches it.
    """
    return threshold(lambda k: _margin(p(k), target), hi=hi, limit=limit, tol=tol)


def threshold(
    g: Any,
    *,
    hi: float = 1.0,
    limit: float = MAX_MULTIPLE,
    tol: float = 1e-4,
    g_lo: float | None = None,
) -> float:
    """The smallest k in (0, limit] with g(k) > 0, for g non-decreasing in k (inf if none), to
    within `tol` x k.

    g(0) is `g_lo` if given, else taken to be below zero and at `hi` below zero (the secant then
    starts as a bisection); `hi` is doubled until g(hi) is above zero. The bracket is narrowed by
    regula falsi (Illinois), see `illinois`.
    """
    lo, g_lo_known = 0.0, g_lo
    g_hi = g(hi)
    while g_hi <= 0:
        if hi >= limit:
            return float("inf")
        lo, g_lo_known = hi, g_hi
        hi = min(2.0 * hi, limit)
        g_hi = g(hi)
    if g_lo_known is not None and g_lo_known > 0:
        return lo
    g_a = -g_hi if g_lo_known is None else g_lo_known
    return illinois(g, lo, g_a, hi, g_hi, tol=tol * hi)[1]


def illinois(
    g: Any, a: float, g_a: float, b: float, g_b: float, *, tol: float, max_steps: int = 60
) -> tuple[float, float]:
    """Narrow [a, b] (g(a) <= 0 < g(b), or the reverse: which side of zero is kept, whatever the
    order of a and b) to width `tol` by regula falsi with the Illinois modification: the end
    kept twice in a row has its g halved, so both ends move and convergence is superlinear on a
    smooth g. A step that does not halve the bracket over two steps is followed by a bisection
    (g from Monte Carlo runs moves in small steps, where regula falsi alone may crawl).
    Returns (a, b): a on a's side of zero, b on b's, |a - b| <= tol."""
    pays_b = g_b > 0
    kept = 0  # +1: a kept last step, -1: b kept
    widths = [np.inf, np.inf]
    for _ in range(max_steps):
        width = abs(b - a)
        if width <= tol:
            break
        if width > 0.5 * widths[-2]:
            x = 0.5 * (a + b)
        else:
            x = (a * g_b - b * g_a) / (g_b - g_a) if g_b != g_a else 0.5 * (a + b)
            # Keep a step of at least half the tolerance inside the bracket.
            low, high = sorted((a, b))
            x = min(max(x, low + 0.5 * tol), high - 0.5 * tol)
        widths.append(width)
        g_x = g(x)
        if (g_x > 0) == pays_b:
            b, g_b = x, g_x
            if kept == 1:
                g_a *= 0.5
            kept = 1
        else:
            a, g_a = x, g_x
            if kept == -1:
                g_b *= 0.5
            kept = -1
    return a, b


def breakeven(
    scenario: Scenario | str | os.PathLike[str],
    intervention: str,
    target: float = 0.8,
    *,
    runs: int = 500,
    seed: int | None = None,
    tol: float = 1e-3,
    assumptions: Sequence[str] | None = None,
    workers: int | None = 1,
    scheduler: Scheduler = None,
    source: Source | None = None,
) -> BreakEven:
    """The weakest value of each effect and the highest cost at which `intervention` pays.

    "Pays" is NPV above zero on a run; the target is the share of runs in which it must. Effects
    that set a value (`set`) have no "no effect" point and are not searched. `assumptions` are
    the key assumptions' paths (default `KEY_ASSUMPTIONS`, those the scenario has; `()` for
    none).
    """
    scenario, _ = scenario_and_source(scenario, source)
    scenario = for_business_case(scenario)
    if not 0.0 < target < 1.0:
        raise UserError(f"the target probability must be between 0 and 1, got {target}")
    known = [iv.name for iv in scenario.interventions]
    (name,) = distinct_names([intervention], known)
    i = known.index(name)
    seed = new_seed() if seed is None else int(seed)
    chosen = InterventionSet((i,), name)
    runner = _Runner(scenario, runs, seed, workers, scheduler)
    case = runner.case(chosen)
    multiple = cost_multiple(case.loss_avoided, case.cost, target)
    means = dict((p, d.mean()) for p, d in iter_inputs(scenario))
    rows = []
    for j, effect in enumerate(scenario.interventions[i].effects):
        key = f"interventions.{i}.effects.{j}.{effect.op}"
        mean = float(means[key])
        row = {"path": effect.path, "op": effect.op, "mean": mean}
        if effect.op == "set":
            rows.append({**row, "no_effect": np.nan, "break_even": np.nan, "multiple": np.nan})
            continue
        x0 = 1.0 if effect.op == "scale" else 0.0

        def g(k: float, key: str = key, x0: float = x0, mean: float = mean) -> float:
            npv = runner.case(Pinned(chosen, ((key, x0 + k * (mean - x0)),))).npv
            return pays_margin(npv, target)

        k = threshold(g, tol=tol) if mean != x0 else float("inf")
        rows.append({**row, "no_effect": x0, "break_even": x0 + k * (mean - x0), "multiple": k})
    searched = _assumption_rows(
        scenario,
        runner,
        chosen,
        target,
        KEY_ASSUMPTIONS if assumptions is None else assumptions,
        explicit=assumptions is not None,
    )
    return BreakEven(
        scenario=scenario,
        intervention=name,
        target=target,
        p_pays=case.p_pays,
        cost_mean=float(case.cost.mean()),
        cost_multiple=multiple,
        effects=pd.DataFrame(rows).set_index("path"),
        runs=runs,
        seed=seed,
        assumptions=searched,
        worlds=runner.worlds,
    )


def _assumption_rows(
    scenario: Scenario,
    runner: _Runner,
    chosen: InterventionSet,
    target: float,
    paths: Sequence[str],
    *,
    explicit: bool,
) -> pd.DataFrame:
    """One row per key assumption the scenario has (see `BreakEven.assumptions`)."""
    dists = dict(iter_inputs(scenario))
    rows = []
    for path in paths:
        inputs = [p for p in resolve(scenario, path) if not p.startswith("interventions.")]
        inputs = [p for p in inputs if dists[p].mean() > 0]
        if not inputs:
            if explicit:
                raise UserError(f"--assumption {path!r} names no input of the scenario above 0")
            continue
        means = {p: dists[p].mean() for p in inputs}
        # The largest multiple that keeps every input within its valid range.
        top = min(MAX_MULTIPLE, *(dists[p].valid_range()[1] / means[p] for p in inputs))

        def pins(k: float, inputs: list[str] = inputs, means: dict[str, float] = means) -> Changes:
            return Changes(tuple(Change(q, "set", k * means[q]) for q in inputs), name="pinned")

        def g(k: float, pins: Any = pins) -> float:
            return pays_margin(runner.pinned_case(pins(k), chosen).npv, target)

        today_case = runner.pinned_case(pins(1.0), chosen)
        p_today, g_today = today_case.p_pays, pays_margin(today_case.npv, target)
        # Where the expected-value model, shifted to today's Monte Carlo margin, crosses: a
        # cheap first guess, so that few Monte Carlo worlds are run near the crossing.
        ev_today = runner.expected_npv(pins(1.0), chosen)

        def ev(k: float, pins: Any = pins, shift: float = g_today - ev_today) -> float:
            return shift + runner.expected_npv(pins(k), chosen)

        guess, _ = margin_crossing(ev, g_today, lo=1.0 / MAX_MULTIPLE, hi=top, tol=0.02)
        k, must = margin_crossing(
            g,
            g_today,
            lo=1.0 / MAX_MULTIPLE,
            hi=top,
            tol=_log_tolerance(dists, inputs),
            guess=guess if np.isfinite(guess) else None,
        )
        single = len(inputs) == 1
        label = input_label(scenario, inputs[0]) if single else path
        today = means[inputs[0]] if single else 1.0
        rows.append(
            {
                "path": path,
                "label": label,
                "inputs": len(inputs),
                "today": today,
                "p_today": p_today,
                "break_even": k * today if np.isfinite(k) else np.nan,
                "multiple": k,
                "must": must,
            }
        )
    return pd.DataFrame(rows)


def _log_tolerance(dists: dict[str, Any], inputs: Sequence[str]) -> float:
    """How finely a key assumption's multiple k is searched, in log k: 1% of its inputs'
    narrowest P10-P90 range relative to the mean (finer does not matter beside what is known of
    it), at most 2% and, for inputs without a range, 0.4% (0.2% of the value either side)."""
    spreads = [(dists[q].quantile(0.9) - dists[q].quantile(0.1)) / dists[q].mean() for q in inputs]
    spreads = [x for x in spreads if x > 0]
    return min(0.02, 0.01 * min(spreads)) if spreads else 4e-3


def crossing(
    p: Any, target: float, p_one: float, *, lo: float, hi: float, tol: float = 1e-3
) -> tuple[float, str]:
    """The multiple k nearest 1 (within [lo, hi]) at which p(k) crosses `target`, and which side
    pays: "at least" when it pays with the target above k, "at most" below (inf, "" if none).
    See `margin_crossing`."""
    return margin_crossing(
        lambda k: _margin(p(k), target), _margin(p_one, target), lo=lo, hi=hi, tol=tol
    )


def margin_crossing(
    g: Any,
    g_one: float,
    *,
    lo: float,
    hi: float,
    tol: float = 1e-3,
    guess: float | None = None,
) -> tuple[float, str]:
    """The multiple k nearest 1 (within [lo, hi]) at which g(k) crosses zero (it pays where g is
    above zero; g(1) is `g_one`), to within `tol` in log k, and which side pays: "at least"
    when it pays above k, "at most" below (inf, "" if none).

    With a `guess` of k (from a cheap model), the search tries it and a few secant steps from
    it first. Otherwise, or if they find no crossing, from k = 1 it steps by doubling or
    halving on the side where g moves towards zero (both sides when the first steps do not
    tell). The bracket found is narrowed by regula falsi in log k (`illinois`).
    """
    pays = g_one > 0
    a_lo, a_hi = float(np.log(lo)), float(np.log(hi))
    at = functools.lru_cache(maxsize=None)(lambda x: g(float(np.exp(x))) if x != 0.0 else g_one)
    bracket = None
    if guess is not None and np.isfinite(guess):
        inner, x = 0.0, float(np.clip(np.log(guess), a_lo, a_hi))
        for _ in range(3):
            if x == inner:
                break
            if (at(x) > 0) != pays:
                bracket = (inner, x)
                break
            # Still on today's side: a secant step past it, 10% beyond where the line crosses.
            g_in, g_x = at(inner), at(x)
            if (g_x - g_in) * (1 if pays else -1) >= 0:
                break  # moving away from zero: the guess misled
            step = -g_x * (x - inner) / (g_x - g_in)
            inner, x = x, float(np.clip(x + 1.1 * step + np.sign(step) * tol, a_lo, a_hi))
    if bracket is None:
        bracket = _expand(at, pays, a_lo, a_hi)
        if bracket is None:
            return float("inf"), ""
    a, b = bracket  # g(a) on today's side, g(b) across zero
    a, b = illinois(at, a, at(a), b, at(b), tol=tol)
    # It pays above k when the search went up to find where it starts paying, or down to find
    # where it stops.
    go_up = b > a
    k = (a * at(b) - b * at(a)) / (at(b) - at(a)) if at(b) != at(a) else 0.5 * (a + b)
    return float(np.exp(k)), "at least" if go_up != pays else "at most"


def _expand(at: Any, pays: bool, a_lo: float, a_hi: float) -> tuple[float, float] | None:
    """(inner, outer) in log k: the doubling/halving steps from k = 1 that cross zero nearest
    it (see `margin_crossing`), or None."""
    step_of = {True: min(float(np.log(2.0)), a_hi), False: max(-float(np.log(2.0)), a_lo)}
    moved = {up: at(x) - at(0.0) for up, x in step_of.items()}
    if moved[True] == moved[False]:
        sides = [True, False]
    else:
        sides = [(moved[True] < moved[False]) if pays else (moved[True] > moved[False])]
    found = []
    for go_up in sides:
        limit = a_hi if go_up else a_lo
        inner, step = 0.0, step_of[go_up]
        while (at(step) > 0) == pays and step != inner:
            inner, step = (
                step,
                min(step + np.log(2.0), limit) if go_up else max(step - np.log(2.0), limit),
            )
        if (at(step) > 0) != pays:
            found.append((inner, step))
    return min(found, key=lambda f: abs(f[1])) if found else None
