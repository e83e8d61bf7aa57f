"""Checks across fields: what a scenario may not ask even when every field is valid.

`check_references` (names: duplicates, keys naming no segment, paths naming no input) and
`check_soundness` return `(location, message)` pairs, so the loader locates them in the file.
Each soundness check stands for a case that used to end in an internal error, a hang or a
silently wrong result:

- correlations: an input correlated with itself, the same pair given twice, and a set of
  correlations that no joint distribution can have (the matrix is not positive definite);
- nothing to simulate: no customers and no prospects in any segment;
- intervention effects that would push an input out of its range (a negative `add` on told,
  deterred or prospects): refused, not clipped, so the business case says what it computes.
  One exception: a probability pushed above 1 is clipped to 1 where it is drawn, as it always
  has been (a complaint rate of 0.7 scaled by 1.5 complains always);
- size: touchpoints x segments x horizon bounded, so one run cannot take minutes unannounced.
"""

from __future__ import annotations

import math

import numpy as np

from cxsim.model.actuals import check_actuals
from cxsim.model.distributions import Dist, Fixed, LogNormal, Normal
from cxsim.model.paths import iter_inputs, resolve, uncertain_paths
from cxsim.model.scenario import Effect, Scenario

Where = tuple[str | int, ...]
Found = list[tuple[Where, str]]

#: Touchpoints x segments x periods: 100,000 cells is about half a minute a run on one core.
MAX_CELLS = 100_000


def check_soundness(scenario: Scenario) -> Found:
    """Every cross-field problem of a scenario whose references are already sound."""
    problems: Found = []
    problems += _correlations(scenario)
    problems += _population(scenario)
    problems += _size(scenario)
    problems += _effects(scenario)
    return problems


def _correlations(scenario: Scenario) -> Found:
    problems: Found = []
    pairs: dict[frozenset[str], int] = {}
    for i, corr in enumerate(scenario.correlations):
        a, b = corr.between
        if a == b:
            problems.append((("correlations", i, "between"), f"correlates {a!r} with itself"))
            continue
        key = frozenset((a, b))
        if key in pairs:
            message = f"the pair is already correlated in correlations[{pairs[key]}]"
            problems.append((("correlations", i, "between"), message))
        pairs.setdefault(key, i)
    if problems or not scenario.correlations:
        return problems
    names = sorted({p for c in scenario.correlations for p in c.between})
    index = {p: k for k, p in enumerate(names)}
    matrix = np.eye(len(names))
    for c in scenario.correlations:
        r = 2.0 * math.sin(math.pi * c.rho / 6.0)  # as the copula uses it
        i, j = index[c.between[0]], index[c.between[1]]
        matrix[i, j] = matrix[j, i] = r
    if np.linalg.eigvalsh(matrix).min() <= 1e-10:
        problems.append(
            (
                ("correlations",),
                "these correlations contradict each other (no joint distribution has them: "
                "the correlation matrix is not positive definite); weaken some of them",
            )
        )
    return problems


def _population(scenario: Scenario) -> Found:
    if any(s.customers.support()[1] > 0 or s.prospects.support()[1] > 0 for s in scenario.segments):
        return []
    return [(("segments",), "no segment has customers or prospects: there is nothing to simulate")]


def _size(scenario: Scenario) -> Found:
    touchpoints = sum(len(s.touchpoints) for s in scenario.journey.stages)
    cells = touchpoints * len(scenario.segments) * scenario.economics.horizon
    if cells <= MAX_CELLS:
        return []
    message = (
        f"{touchpoints:,} touchpoints x {len(scenario.segments)} segments x "
        f"{scenario.economics.horizon} periods is {cells:,} cells, more than the {MAX_CELLS:,} "
        "one run can simulate in reasonable time; merge touchpoints or shorten the horizon"
    )
    return [(("journey", "stages"), message)]


def _effects(scenario: Scenario) -> Found:
    """Effects whose result can leave the target's range, with the range it would reach."""
    problems: Found = []
    inputs = dict(iter_inputs(scenario))
    for i, iv in enumerate(scenario.interventions):
        for j, effect in enumerate(iv.effects):
            for target in resolve(scenario, effect.path):
                dist = inputs.get(target)
                if dist is None:
                    continue
                bad = _out_of_range(dist, effect)
                if bad:
                    where: Where = ("interventions", i, "effects", j, effect.op)
                    problems.append((where, f"would take {target} to {bad}"))
                    break
    return problems


def _out_of_range(dist: Dist, effect: Effect) -> str | None:
    """Describe the result's range when an effect can push `dist` outside its valid range."""
    lo, hi = dist.valid_range()
    probability = (lo, hi) == (0.0, 1.0)
    t_lo, t_hi = _span(dist)
    amount = getattr(effect, effect.op)
    a_lo, a_hi = _span(amount)
    if effect.op == "add":
        r_lo, r_hi = t_lo + a_lo, t_hi + a_hi
    elif effect.op == "scale":
        products = [t_lo * a_lo, t_lo * a_hi, t_hi * a_lo, t_hi * a_hi]
        r_lo, r_hi = min(products), max(products)
    else:
        r_lo, r_hi = a_lo, a_hi
    tol = 1e-12 * max(1.0, abs(t_lo), abs(t_hi))  # rounding, relative to the values
    if r_lo >= lo - tol and (r_hi <= hi + tol or probability):  # above 1: clipped when drawn
        return None
    span = f"{lo:g}..{hi:g}" if math.isfinite(hi) else f"at least {lo:g}"
    return (
        f"{_fmt(r_lo)}..{_fmt(r_hi)}, outside its valid range ({span}); refused rather than "
        "clipped: give an effect that stays in range"
    )


def _span(dist: Dist) -> tuple[float, float]:
    """Where a distribution's draws lie (the 0.1% tails of unbounded ones left out)."""
    if isinstance(dist, Fixed):
        return dist.value, dist.value
    if isinstance(dist, Normal | LogNormal) or not _bounded(dist):
        return dist.quantile(0.001), dist.quantile(0.999)
    lo, hi = dist.support()
    v_lo, v_hi = dist.valid_range()
    return max(lo, v_lo), min(hi, v_hi)


def _bounded(dist: Dist) -> bool:
    lo, hi = dist.support()
    return math.isfinite(lo) and math.isfinite(hi)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def check_references(scenario: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems with names: duplicates, per-segment keys naming no segment, inconsistent splits."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    segment_names = [s.name for s in scenario.segments]
    _duplicates(problems, ("segments",), segment_names, "segment")
    _duplicates(problems, ("journey", "stages"), [s.name for s in scenario.journey.stages], "stage")
    seen: dict[str, tuple[str | int, ...]] = {}
    for i, stage in enumerate(scenario.journey.stages):
        for j, tp in enumerate(stage.touchpoints):
            where: tuple[str | int, ...] = ("journey", "stages", i, "touchpoints", j)
            if tp.name in seen:
                problems.append(((*where, "name"), f"touchpoint name {tp.name!r} is used twice"))
            seen[tp.name] = where
            for field in ("exposure", "failure_rate"):
                value = getattr(tp, field)
                if isinstance(value, dict):
                    for key in value:
                        if key not in segment_names:
                            problems.append(
                                ((*where, field, key), _unknown(key, segment_names, "segment"))
                            )
    res = scenario.loss_tree.resolution
    if res is None and scenario.support is None:
        problems.append(
            (("loss_tree", "resolution"), "is required when there is no support section")
        )
    if res is not None and res.satisfied.mean() + res.mollified.mean() > 1 + 1e-12:
        problems.append(
            (
                ("loss_tree", "resolution"),
                "satisfied + mollified must not exceed 1 (dissatisfied is the rest), got "
                f"{res.satisfied.mean():g} + {res.mollified.mean():g}",
            )
        )
    if scenario.economics.lifetime is True and scenario.economics.discount_rate <= 0:
        problems.append(
            (("economics", "discount_rate"), "must be above 0 when lifetime valuation is uncapped")
        )
    if scenario.support is not None:
        _duplicates(
            problems,
            ("support", "channels"),
            [c.name for c in scenario.support.channels],
            "channel",
        )
        for i, channel in enumerate(scenario.support.channels):
            if not channel.agents.is_fixed:
                problems.append(
                    (
                        ("support", "channels", i, "agents"),
                        "must be a fixed number: the queue is simulated once per world",
                    )
                )
        if all(c.agents.mean() == 0 and not c.schedule for c in scenario.support.channels):
            problems.append((("support", "channels"), "at least one channel needs agents"))
    _duplicates(
        problems, ("interventions",), [iv.name for iv in scenario.interventions], "intervention"
    )
    for i, iv in enumerate(scenario.interventions):
        for j, effect in enumerate(iv.effects):
            if not resolve(scenario, effect.path):
                problems.append(
                    (("interventions", i, "effects", j, "path"), f"names no input: {effect.path!r}")
                )
        if iv.start > scenario.economics.horizon:
            problems.append(
                (
                    ("interventions", i, "start"),
                    f"is after the horizon ({scenario.economics.horizon})",
                )
            )

    known = uncertain_paths(scenario)
    for i, corr in enumerate(scenario.correlations):
        for j, path in enumerate(corr.between):
            if path not in known:
                problems.append(
                    (("correlations", i, "between", j), _unknown(path, sorted(known), "input"))
                )
            elif path.startswith("costs."):
                problems.append(
                    (
                        ("correlations", i, "between", j),
                        "the cost side (costs.*) is drawn apart and cannot be correlated",
                    )
                )
    if scenario.actuals:
        problems += check_actuals(scenario.actuals, segment_names, scenario.economics.horizon)
    return problems


def _duplicates(
    problems: list[tuple[tuple[str | int, ...], str]],
    where: tuple[str | int, ...],
    names: list[str],
    kind: str,
) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            problems.append(((*where, i, "name"), f"{kind} name {name!r} is used twice"))
        seen.add(name)


def _unknown(name: str, choices: list[str], kind: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, choices, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"no {kind} named {name!r}{hint}"
