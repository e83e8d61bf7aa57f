"""Tornado: each uncertain input swung one at a time, the inputs ranked by the output's swing."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from cxsim.analysis.sensitivity.common import (
    FloatArray,
    checked_output,
    chosen_intervention,
    formatter,
    input_labels,
    inputs_in_scope,
    mean_model,
    run_output,
)
from cxsim.engine.execution import (
    Scheduler,
    combine,
    new_seed,
    run_chunks,
)
from cxsim.errors import UserError
from cxsim.formatting.tables import clip, pad, text_width
from cxsim.model.interventions import InterventionSet
from cxsim.model.loader import as_scenario
from cxsim.model.paths import iter_inputs, resolve
from cxsim.model.scenario import Scenario
from cxsim.model.variants import Change, Changes, Then
from cxsim.protocol import Result

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@dataclass(frozen=True, repr=False)
class Tornado(Result):
    """One-at-a-time swings of the inputs, ranked by the swing of the output (largest first).

    `bars` has one row per input: its path, the input's low and high values, the output at
    each (`low`, `high`), and `swing` = |high - low|; with Monte Carlo also `swing_sem`.
    """

    scenario: Scenario
    output: str
    intervention: str | None
    base: float  # the output with every input at its mean
    bars: pd.DataFrame
    method: str  # "expected" or "monte carlo"
    low_q: float
    high_q: float
    runs: int | None = None
    seed: int | None = None

    kind: ClassVar[str] = "tornado"

    @property
    def warnings(self) -> tuple[str, ...]:
        return ()

    def to_frame(self) -> pd.DataFrame:
        """One row per input (largest swing first): its low and high values, the output at each."""
        return self.bars.copy()

    def to_list(self) -> list[dict[str, Any]]:
        """The JSON of `cxsim sensitivity --json`: one object per input, largest swing first."""
        rows = []
        for name, row in self.bars.iterrows():
            item: dict[str, Any] = {
                "input": str(name),
                "low": float(row["low"]),
                "high": float(row["high"]),
                "swing": float(row["swing"]),
                "path": row["path"],
                "input_low": float(row["input_low"]),
                "input_high": float(row["input_high"]),
            }
            if "swing_sem" in row:
                item["swing_sem"] = float(row["swing_sem"])
            rows.append(item)
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "scenario": self.scenario.name,
            "method": "tornado",
            "model": self.method.replace(" ", "_"),
            "output": self.output,
            "intervention": self.intervention,
            "base": self.base,
            "low_q": self.low_q,
            "high_q": self.high_q,
            "runs": self.runs,
            "seed": self.seed,
            "bars": self.to_list(),
        }

    def __repr__(self) -> str:
        top = self.bars.index[0] if len(self.bars) else "none"
        return (
            f"<Tornado {self.scenario.name!r}: {self.output}, {len(self.bars)} inputs, "
            f"largest swing {top!r}>"
        )

    def text(self, width: int = 24) -> str:
        """A table with a bar per input."""
        cur, lang = self.scenario.economics.currency, self.scenario.language
        fmt = formatter(self.output, cur, lang)
        model = (
            "expected-value model"
            if self.method == "expected"
            else f"Monte Carlo, {self.runs:,} runs, seed {self.seed}, common random numbers"
        )
        what = self.output + (f" of {self.intervention!r}" if self.intervention else "")
        lines = [
            f"{self.scenario.name}: tornado of {what}",
            f"each input at P{self.low_q * 100:g} and P{self.high_q * 100:g} (or its given range), "
            f"the others at their means; {model}",
            f"base (every input at its mean): {fmt(self.base)}",
            "",
        ]
        if self.bars.empty:
            return "\n".join([*lines, "no uncertain inputs"]) + "\n"
        top = float(self.bars["swing"].max()) or 1.0
        name_w = min(60, max(text_width(str(i)) for i in self.bars.index))
        rows = [
            (str(name), [fmt(row[c]) for c in ("low", "high", "swing")], float(row["swing"]))
            for name, row in self.bars.iterrows()
        ]
        fig_w = max(10, *(text_width(c) for _, cells, _ in rows for c in cells))
        head = [pad(h, fig_w, ">") for h in ("at low", "at high", "swing")]
        lines.append("  ".join([pad("input", name_w), *head]))
        for name, cells, swing in rows:
            bar = "█" * round(width * swing / top)
            figures = [pad(c, fig_w, ">") for c in cells]
            lines.append("  ".join([pad(clip(name, name_w), name_w), *figures, bar]))
        return "\n".join(lines) + "\n"

    def plot(self, ax: Axes | None = None) -> Figure:
        """`cxsim.outputs.charts.tornado` of this result."""
        from cxsim.outputs import charts

        return charts.tornado(self, ax=ax)


def _resolve_ranges(
    scenario: Scenario, ranges: Mapping[str, tuple[float, float]]
) -> dict[str, tuple[float, float]]:
    """Ranges by canonical path; keys may be paths as interventions write them."""
    known = {p for p, _ in iter_inputs(scenario)}
    out: dict[str, tuple[float, float]] = {}
    for key, (lo, hi) in ranges.items():
        paths = [key] if key in known else resolve(scenario, key)
        if not paths:
            raise UserError(f"--range: no input matches {key!r}")
        for p in paths:
            out[p] = (float(lo), float(hi))
    return out


def tornado(
    scenario: Scenario | str | os.PathLike[str],
    output: str | None = None,
    *,
    intervention: str | None = None,
    low_q: float = 0.1,
    high_q: float = 0.9,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    runs: int | None = None,
    seed: int | None = None,
    workers: int | None = 1,
    scheduler: Scheduler = None,
    progress: Callable[[int], None] | None = None,
) -> Tornado:
    """Swing each uncertain input from its `low_q` to its `high_q` quantile, the others at their
    means, and rank the inputs by the swing of `output`.

    `ranges` gives an input's low and high values instead (by path; a fixed input given a range
    joins the tornado). With `runs` the output is the mean of a Monte Carlo of the customers'
    randomness, every setting on the same random numbers; otherwise (the default) it is the
    expected-value model, deterministic and fast. One-at-a-time swings ignore interactions and
    correlations between inputs: Sobol indices (`sobol`) account for both kinds of spread.
    With `runs`, `progress` is called with the runs done after each chunk.
    """
    scenario = as_scenario(scenario)
    if not 0.0 <= low_q < high_q <= 1.0:
        raise UserError(f"need 0 <= low_q < high_q <= 1, got {low_q:g} and {high_q:g}")
    chosen = chosen_intervention(scenario, intervention)
    output = checked_output(output, chosen)
    paths, lows, highs = _inputs_to_swing(scenario, chosen, ranges or {}, low_q, high_q)

    sem: FloatArray | None = None
    if runs is None:
        base, at_low, at_high = _tornado_expected(
            scenario, paths, lows, highs, output, chosen, workers, scheduler
        )
        method = "expected"
    else:
        if runs < 1:
            raise UserError('"runs" must be at least 1')
        seed = new_seed() if seed is None else int(seed)
        base, at_low, at_high, sem = _tornado_monte_carlo(
            scenario, paths, lows, highs, output, chosen, runs, seed, workers, scheduler, progress
        )
        method = "monte carlo"
    return Tornado(
        scenario=scenario,
        output=output,
        intervention=intervention,
        base=float(base),
        bars=_bars_by_swing(scenario, paths, lows, highs, at_low, at_high, sem),
        method=method,
        low_q=low_q,
        high_q=high_q,
        runs=runs,
        seed=seed if runs is not None else None,
    )


def _inputs_to_swing(
    scenario: Scenario,
    chosen: InterventionSet | None,
    ranges: Mapping[str, tuple[float, float]],
    low_q: float,
    high_q: float,
) -> tuple[list[str], FloatArray, FloatArray]:
    """The paths to swing (uncertain inputs in scope, and any given a range), with each one's
    low and high value: its given range, else its `low_q` and `high_q` quantiles."""
    scope = inputs_in_scope(scenario, chosen)
    given = _resolve_ranges(scenario, ranges)
    paths = [p for p, d in scope.items() if not d.is_fixed or p in given]
    paths += [p for p in given if p not in scope and p not in paths]
    if not paths:
        raise UserError(
            "nothing to swing: no input is uncertain (give it a distribution, or a range)"
        )
    dists = dict(iter_inputs(scenario))
    lows = np.array([given[p][0] if p in given else dists[p].quantile(low_q) for p in paths])
    highs = np.array([given[p][1] if p in given else dists[p].quantile(high_q) for p in paths])
    return paths, lows, highs


def _bars_by_swing(
    scenario: Scenario,
    paths: list[str],
    lows: FloatArray,
    highs: FloatArray,
    at_low: FloatArray,
    at_high: FloatArray,
    sem: FloatArray | None,
) -> pd.DataFrame:
    """One row per input, labelled for people, largest swing first (ties keep input order)."""
    bars = pd.DataFrame(
        {
            "path": paths,
            "input_low": lows,
            "input_high": highs,
            "low": at_low,
            "high": at_high,
            "swing": np.abs(at_high - at_low),
        },
        index=pd.Index(input_labels(scenario, paths), name="input"),
    )
    if sem is not None:
        bars["swing_sem"] = sem
    return bars.sort_values("swing", ascending=False, kind="stable")


def _tornado_expected(
    scenario: Scenario,
    paths: list[str],
    lows: FloatArray,
    highs: FloatArray,
    output: str,
    chosen: InterventionSet | None,
    workers: int | None = 1,
    scheduler: Scheduler = None,
) -> tuple[float, FloatArray, FloatArray]:
    """All swings in one pass: column 0 at the means, then each input low, then each high."""
    d = len(paths)
    means = np.array([dict(iter_inputs(scenario))[p].mean() for p in paths])
    x = np.repeat(means[:, None], 1 + 2 * d, axis=1)
    x[np.arange(d), 1 + np.arange(d)] = lows
    x[np.arange(d), 1 + d + np.arange(d)] = highs
    y = mean_model(scenario, paths, x, output, chosen, workers, scheduler)
    return float(y[0]), y[1 : 1 + d], y[1 + d :]


def _tornado_monte_carlo(
    scenario: Scenario,
    paths: list[str],
    lows: FloatArray,
    highs: FloatArray,
    output: str,
    chosen: InterventionSet | None,
    runs: int,
    seed: int,
    workers: int | None,
    scheduler: Scheduler = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[float, FloatArray, FloatArray, FloatArray]:
    """Every setting simulated on the same chunks of random numbers (common random numbers)."""
    settings = [Changes(at_means=True)]
    for path, lo, hi in zip(paths, lows, highs, strict=True):
        settings.append(Changes((Change(path, "set", float(lo)),), at_means=True))
        settings.append(Changes((Change(path, "set", float(hi)),), at_means=True))
    variants: list[Any] = list(settings)
    if chosen is not None:
        variants += [Then(s, chosen) for s in settings]
    per_variant = run_chunks(
        scenario,
        runs,
        seed,
        variants,
        workers,
        keep_periods=False,
        progress=progress,
        scheduler=scheduler,
    )
    blocks = [combine(b) for b in per_variant]
    k = len(settings)
    y = [
        run_output(output, blocks[i], blocks[k + i] if chosen is not None else None)
        for i in range(k)
    ]
    low, high = np.array(y[1::2]), np.array(y[2::2])
    diff = high - low
    sem = diff.std(axis=1, ddof=1) / math.sqrt(runs) if runs > 1 else np.zeros(len(paths))
    return float(np.mean(y[0])), low.mean(axis=1), high.mean(axis=1), sem
