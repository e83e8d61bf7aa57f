"""Value of information: what resolving an uncertainty before deciding would be worth.

The decision is which of the compared options to fund (each intervention, or set of them, in a
`Comparison`), or none. Its net benefit on a run is the option's NPV (none: 0), all options on
the same random numbers. The expected value of perfect information (Raiffa & Schlaifer 1961,
Applied Statistical Decision Theory, ch. 4) is what knowing every input before deciding adds:

    EVPI = E[max_a NB_a] - max_a E[NB_a]

over the Monte Carlo runs. The partial EVPI of one input X (Strong, Oakley & Brennan 2014,
"Estimating multiparameter partial expected value of perfect information from a probabilistic
sensitivity analysis sample: a nonparametric regression approach", Med Decis Making 34(3):
311-326) is what knowing X alone adds, with the conditional means E[NB_a | X] estimated by
regressing each option's NB on the drawn values of X, run by run:

    EVPPI(X) = E_X[max_a g_a(X)] - max_a E_X[g_a(X)],   g_a(x) = E[NB_a | X = x]

`g_a` is fitted by least squares on a cubic regression spline (truncated power basis, knots at
quantiles of X, as many as the runs support), or, where X takes few distinct values, by the
mean of NB within each value (the conditional mean exactly). The estimate is biased upwards by
the noise the fit keeps (of the order of the residual spread times sqrt(knots / runs)); it is
capped at the EVPI, which it cannot exceed.

The runs' input draws are not kept by `compare`; they are drawn again here from the
comparison's seed and sampling with the same seed keys as `cxsim.engine.execution.run_chunk`
(chunk k of `CHUNK` runs draws the scenario's inputs from the key (k, 0) and the interventions'
from (k, 2) of `SeedSequence(seed)`), so they are the values the runs used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxsim.engine.execution import chunks
from cxsim.errors import UserError
from cxsim.formatting.money import format_money
from cxsim.model.parameters import Values, draw_values
from cxsim.model.paths import input_label, iter_inputs, resolve
from cxsim.model.scenario import Scenario
from cxsim.protocol import Result

if TYPE_CHECKING:
    from cxsim.analysis.compare import Comparison

FloatArray = NDArray[np.float64]
#: Runs per spline knot: the fit has 4 + knots coefficients per option.
RUNS_PER_KNOT = 100
MAX_KNOTS = 10
#: Inputs with at most this many distinct drawn values are fitted by their group means.
DISCRETE = 20
NONE = "none"


def evpi(nb: FloatArray) -> float:
    """E[max_a NB_a] - max_a E[NB_a] of a (runs, options) array of net benefits."""
    nb = np.asarray(nb, dtype=float)
    return float(max(nb.max(axis=1).mean() - nb.mean(axis=0).max(), 0.0))


def conditional_means(y: FloatArray, x: FloatArray) -> FloatArray:
    """Fitted E[y | x] per run for each column of y (runs, options): spline or group means."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    values, groups = np.unique(x, return_inverse=True)
    if values.size <= DISCRETE:
        sums = np.zeros((values.size, y.shape[1]))
        np.add.at(sums, groups, y)
        return np.asarray(sums / np.bincount(groups)[:, None], dtype=float)[groups]
    return spline_basis(x) @ np.linalg.lstsq(spline_basis(x), y, rcond=None)[0]


def spline_basis(x: FloatArray) -> FloatArray:
    """A cubic regression spline's design matrix: 1, z, z^2, z^3 and (z - k)^3_+ per knot.

    z is x standardised; the knots sit at equally spaced quantiles, one per `RUNS_PER_KNOT` runs
    (at most `MAX_KNOTS`).
    """
    z = (x - x.mean()) / (x.std() or 1.0)
    knots = int(min(MAX_KNOTS, max(0, x.size // RUNS_PER_KNOT - 4)))
    cuts = np.quantile(z, np.linspace(0, 1, knots + 2)[1:-1]) if knots else np.empty(0)
    columns = [np.ones_like(z), z, z**2, z**3, *(np.clip(z - k, 0, None) ** 3 for k in cuts)]
    return np.stack(columns, axis=1)


def evppi(nb: FloatArray, x: FloatArray) -> float:
    """Partial EVPI of the input drawn as `x` (one value per run), by regression on it."""
    nb = np.asarray(nb, dtype=float)
    if np.ptp(np.asarray(x, dtype=float)) == 0:
        return 0.0
    return min(evpi(conditional_means(nb, x)), evpi(nb))


def drawn_inputs(scenario: Scenario, runs: int, seed: int, sampling: str = "random") -> Values:
    """Every input's value on each run of `simulate` / `compare` with this seed and sampling.

    Mirrors `cxsim.engine.execution.run_chunk`: chunk k draws from the keys (k, 0) (the
    scenario's inputs) and (k, 2) (the interventions') of `SeedSequence(seed)`.
    """
    parts: list[Values] = []
    for k, size in chunks(runs):
        own, theirs = (np.random.SeedSequence(seed, spawn_key=(k, i)) for i in (0, 2))
        parts.append(
            draw_values(
                scenario,
                size,
                np.random.default_rng(own),
                np.random.default_rng(theirs),
                sampling,
            )
        )
    return {p: np.concatenate([part[p] for part in parts]) for p in parts[0]}


@dataclass(frozen=True, repr=False)
class ValueOfInformation(Result):
    """EVPI of a decision among compared options (or none), and partial EVPI per input."""

    scenario: Scenario
    options: list[str]  # "none" first
    expected_npv: list[float]  # per option, "none" 0
    evpi: float
    inputs: pd.DataFrame  # per input path: label, evppi, share (of the EVPI); largest first
    runs: int
    seed: int

    kind: ClassVar[str] = "value_of_information"

    @property
    def best(self) -> str:
        """The option with the highest expected NPV (what one funds without more information)."""
        return self.options[int(np.argmax(self.expected_npv))]

    def to_frame(self) -> pd.DataFrame:
        """One row per uncertain input: its label, partial EVPI and share of the EVPI."""
        return self.inputs.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "scenario": self.scenario.name,
            "runs": self.runs,
            "seed": self.seed,
            "currency": self.scenario.economics.currency,
            "options": [
                {"name": n, "expected_npv": v}
                for n, v in zip(self.options, self.expected_npv, strict=True)
            ],
            "best": self.best,
            "evpi": self.evpi,
            "inputs": self.inputs.reset_index().to_dict(orient="records"),
        }

    def text(self) -> str:
        sc = self.scenario
        money = lambda v: format_money(v, sc.economics.currency, language=sc.language)  # noqa: E731
        lines = [
            f"{sc.name}: value of information ({self.runs:,} runs, seed {self.seed})",
            f"  without more information fund: {self.best} "
            f"(expected NPV {money(max(self.expected_npv))})",
            f"  perfect information on every input is worth at most {money(self.evpi)} (EVPI)",
            "  worth resolving first (partial EVPI, largest first):",
        ]
        shown = self.inputs[self.inputs["share"] >= 0.005].head(10)  # under 0.5%: noise
        for _, row in shown.iterrows():
            lines.append(f"    {row['label']}: {money(row['evppi'])} ({row['share']:.0%})")
        if shown.empty:
            lines.append("    none: no single input would change the decision")
        lines.append(
            "  A study costing more than an input's partial EVPI is not worth running "
            "for this decision."
        )
        return "\n".join(lines) + "\n"


def value_of_information(
    comparison: Comparison, inputs: Sequence[str] | None = None
) -> ValueOfInformation:
    """EVPI of funding one of the compared options or none, and partial EVPI per input.

    `inputs` are paths (any the path grammar accepts, e.g. `**.failure_rate`); by default every
    uncertain input. The comparison must use common random numbers (the default).
    """
    base = comparison.baseline
    if not comparison.options.get("common_random_numbers", True):
        raise UserError("value of information needs a comparison on common random numbers")
    if base.seed is None or base.runs < 2:
        raise UserError("value of information needs a Monte Carlo comparison (runs and a seed)")
    scenario = base.scenario
    names = [NONE, *(o.name for o in comparison.outcomes)]
    nb = np.column_stack([np.zeros(base.runs), *(o.npv for o in comparison.outcomes)])
    drawn = drawn_inputs(scenario, base.runs, base.seed, base.sampling)
    uncertain = [p for p, d in iter_inputs(scenario) if not d.is_fixed]
    if inputs is None:
        paths = uncertain
    else:
        paths = []
        for given in inputs:
            found = [p for p in resolve(scenario, given) if p in uncertain]
            if not found:
                raise UserError(f"{given!r} names no uncertain input of {scenario.name!r}")
            paths += [p for p in found if p not in paths]
    total = evpi(nb)
    rows = {}
    for p in paths:
        value = evppi(nb, drawn[p])
        rows[p] = {
            "label": input_label(scenario, p),
            "evppi": value,
            "share": value / total if total > 0 else 0.0,
        }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["label", "evppi", "share"])
    table.index.name = "path"
    table = table.sort_values("evppi", ascending=False, kind="stable")
    return ValueOfInformation(
        scenario=scenario,
        options=names,
        expected_npv=[float(v) for v in nb.mean(axis=0)],
        evpi=total,
        inputs=table,
        runs=base.runs,
        seed=int(base.seed),
    )
