"""Planning a pilot: how many customers an A/B test needs to see an intervention's effect.

The pilot measures the metric the intervention moves (`METRIC_OF`, from its effects' paths, or
one chosen): churn, failures per customer, complaints per failure, the satisfied share of
complainants (CSAT), conversion of prospects, or revenue per customer (a mean). Its level in
each arm comes from the expected-value model, the intervention at full effect from the first
period and its costs left out. Sample sizes are the textbook ones (Chow, Shao & Wang, Sample
Size Calculations in Clinical Research, 2nd ed. 2008, sections 4.2 and 3.2): two proportions,

    n = (z_{1-a/2} sqrt(2 p q) + z_{1-b} sqrt(p1 q1 + p2 q2))^2 / (p1 - p2)^2,  p the mean,

and two means with a common standard deviation s, n = 2 (z_{1-a/2} + z_{1-b})^2 s^2 / d^2.
Per-customer metrics (churn, failures, revenue) are read over pilots of several lengths;
per-event ones (complaints, CSAT, conversion) count events, and the pilot's duration is the
periods the business takes to produce that many in both arms.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from cxsim.engine.results import Results
from cxsim.engine.simulation import expected
from cxsim.errors import UserError
from cxsim.model.interventions import InterventionSet
from cxsim.model.parameters import Values, mean_values
from cxsim.model.scenario import Scenario
from cxsim.model.variants import full_effect
from cxsim.protocol import Result

FloatArray = NDArray[np.float64]


#: Metrics a pilot can measure: (what a unit is, whether the metric is per customer over time).
METRICS = {
    "churn": "customers",
    "failure": "customers",
    "revenue": "customers",
    "complaint": "failures",
    "satisfied": "complaints",
    "conversion": "prospects",
}
#: An effect's path (its last steps) to the metric it moves, first match wins.
METRIC_OF = (
    ("complaint_rate", "complaint"),
    ("failure_rate", "failure"),
    ("resolution", "satisfied"),
    ("conversion", "conversion"),
    ("prospects", "conversion"),
    ("defection", "churn"),
    ("churn", "churn"),
    ("revenue", "revenue"),
)
#: Revenue per customer has no spread in the model: its standard deviation is assumed to be
#: this multiple of the mean (an exponential-like spread) unless given.
REVENUE_CV = 1.0


def metric_of(path: str) -> str:
    """The metric an effect on `path` moves (churn when no rule matches)."""
    return next((metric for key, metric in METRIC_OF if key in path), "churn")


def two_proportions(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Units per arm for a two-sided test of p1 = p2 (Chow, Shao & Wang 2008, 4.2); inf if equal."""
    if abs(p1 - p2) < 1e-12:
        return math.inf
    z_a, z_b = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    pbar = (p1 + p2) / 2
    root = z_a * math.sqrt(2 * pbar * (1 - pbar)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return float(root**2 / (p1 - p2) ** 2)


def two_means(delta: float, sd: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Units per arm for a two-sided test of equal means, common sd (Chow, Shao & Wang, 3.2)."""
    if abs(delta) < 1e-12:
        return math.inf
    z_a, z_b = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    return float(2 * (z_a + z_b) ** 2 * sd**2 / delta**2)


@dataclass(frozen=True)
class PilotPlan(Result):
    """How large an A/B pilot must be to see an intervention's effect on one metric."""

    intervention: str
    metric: str
    control: float  # per unit (a customer a period, a failure, a complaint, a prospect)
    treated: float  # at full effect
    alpha: float
    power: float
    table: pd.DataFrame  # pilot periods -> units per arm (and customers per arm)
    unit: str = "customers"
    per_period: float = math.nan  # units the business produces a period (both arms)
    # Set by `cxsim.analysis.pilot_value.with_evsi` (the table then has `evsi`, `worth_cost`):
    evpi: float = math.nan  # perfect information on the intervention's NPV (normal approx.)
    npv_mean: float = math.nan
    pilot_cost: float = math.nan
    currency: str = ""
    language: str = "en"
    runs: int = 0
    seed: int | None = None

    kind: ClassVar[str] = "pilot_plan"

    @property
    def churn_control(self) -> float:  # the names of the churn-only plan
        return self.control

    @property
    def churn_treated(self) -> float:
        return self.treated

    def to_frame(self) -> pd.DataFrame:
        """One row per pilot length: the metric in each arm and units per arm."""
        return self.table.copy()

    def rows(self) -> Iterator[tuple[int, pd.Series[Any]]]:
        """The table's rows, each with its pilot length in periods (the table's index)."""
        for k, row in self.table.iterrows():
            assert isinstance(k, int | np.integer), "the table is indexed by pilot periods"
            yield int(k), row

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "intervention": self.intervention,
            "metric": self.metric,
            "unit": self.unit,
            "control": self.control,
            "treated": self.treated,
            "per_period": self.per_period,
            **self._value_dict(),
            "alpha": self.alpha,
            "power": self.power,
            "plan": [
                {"periods": k, **{c: _plain(v) for c, v in row.items() if c != "worth_cost"}}
                | ({"worth_cost": bool(row["worth_cost"])} if "worth_cost" in row else {})
                for k, row in self.rows()
            ],
        }

    def text(self) -> str:
        """The table of pilot sizes with the assumptions behind it."""
        lines = [
            f"Pilot for {self.intervention!r}: detect {self.metric} {self.control:.4g} -> "
            f"{self.treated:.4g} (per {self.unit[:-1]})",
            f"two-sided test at alpha {self.alpha:g}, power {self.power:.0%}",
            "",
            self.table.to_string(),
            "",
            "Assumptions: units are randomised one by one to control and treatment; the effect",
            "is at full strength from the start; levels come from the expected-value model;",
            "word of mouth between the groups is ignored.",
        ]
        return "\n".join(lines + self._value_lines()) + "\n"

    @property
    def valued(self) -> bool:
        """Whether the plan carries the value of its information (`with_evsi`)."""
        return "evsi" in self.table.columns

    def _value_dict(self) -> dict[str, Any]:
        if not self.valued:
            return {}
        return {
            "value_of_information": {
                "npv_mean": self.npv_mean,
                "evpi": self.evpi,
                "pilot_cost": self.pilot_cost,
                "currency": self.currency,
                "runs": self.runs,
                "seed": self.seed,
            }
        }

    def _value_lines(self) -> list[str]:
        """What the pilot's information is worth, by pilot length, against its cost."""
        if not self.valued:
            return []
        from cxsim.formatting.money import format_money

        money = lambda v: format_money(v, self.currency, language=self.language)  # noqa: E731
        lines = [
            "",
            f"Value of the pilot's information ({self.runs:,} runs; expected NPV "
            f"{money(self.npv_mean)}; perfect information worth {money(self.evpi)}):",
        ]
        for k, row in self.table.iterrows():
            worth = "worth" if row["worth_cost"] else "not worth"
            lines.append(
                f"  {k} period(s): EVSI {money(row['evsi'])}, {worth} its cost of "
                f"{money(self.pilot_cost)}"
            )
        return lines


def plan_pilot(
    scenario: Scenario,
    intervention: str,
    power: float = 0.8,
    alpha: float = 0.05,
    periods: Sequence[int] = (1, 2, 3, 6, 12),
    metric: str | None = None,
    sd: float | None = None,
) -> PilotPlan:
    """Units per arm for a test on the metric the intervention moves (or `metric`).

    Without `metric`, each effect's path gives a metric (`metric_of`) and the one that needs
    the fewest customers is used. `sd` is revenue's standard deviation per customer a period
    (default `REVENUE_CV` times its mean).
    """
    known = [iv.name for iv in scenario.interventions]
    if intervention not in known:
        raise UserError(
            f"no intervention named {intervention!r}; the scenario has: {', '.join(known)}"
        )
    if metric is not None and metric not in METRICS:
        raise UserError(f"unknown metric {metric!r}; choose one of: {', '.join(METRICS)}")
    full = _FullEffect(InterventionSet((known.index(intervention),), intervention))
    base, treated = expected(scenario), expected(scenario, variant=full)
    if metric is None:
        iv = scenario.interventions[known.index(intervention)]
        candidates = list(dict.fromkeys(metric_of(e.path) for e in iv.effects)) or ["churn"]
    else:
        candidates = [metric]
    plans = [
        _plan(scenario, intervention, m, base, treated, alpha, power, periods, sd)
        for m in candidates
    ]
    return min(plans, key=lambda p: _customers(p))


def _customers(plan: PilotPlan) -> float:
    sizes = plan.table["customers_per_arm"].dropna()
    return float(sizes.min()) if len(sizes) else math.inf


def _level(r: Results, metric: str, scenario: Scenario) -> tuple[float, float]:
    """(metric per unit, units a period) in one world of the expected-value model."""
    p = r.periods
    total = lambda name: float(np.sum(p[name]))  # noqa: E731
    horizon = p["active"].shape[1]
    if metric == "churn":
        return (total("churned") + total("defected")) / total("active"), total("active") / horizon
    if metric == "failure":
        return min(total("failures") / total("active"), 1.0), total("active") / horizon
    if metric == "revenue":
        return total("revenue") / total("active"), total("active") / horizon
    if metric == "complaint":
        return total("complaints") / total("failures"), total("failures") / horizon
    if metric == "satisfied":
        return total("satisfied") / total("complaints"), total("complaints") / horizon
    prospects = float(
        sum(
            np.asarray(v).mean()
            for k, v in mean_values(scenario).items()
            if k.startswith("segments.") and k.endswith(".prospects")
        )
    )
    return total("acquired") / (prospects * horizon), prospects


def _plan(
    scenario: Scenario,
    intervention: str,
    metric: str,
    base: Results,
    treated: Results,
    alpha: float,
    power: float,
    periods: Sequence[int],
    sd: float | None,
) -> PilotPlan:
    p0, per_period = _level(base, metric, scenario)
    p1, _ = _level(treated, metric, scenario)
    unit = METRICS[metric]
    rows: dict[int, dict[str, Any]] = {}
    if unit == "customers":
        for k in periods:
            if metric == "revenue":
                s = sd if sd is not None else REVENUE_CV * p0
                c0, c1 = k * p0, k * p1
                n = two_means(c1 - c0, s * math.sqrt(k), alpha, power)  # periods independent
            else:
                c0, c1 = 1 - (1 - p0) ** k, 1 - (1 - p1) ** k
                n = two_proportions(c0, c1, alpha, power)
            size = math.ceil(n) if math.isfinite(n) else None
            rows[k] = {
                "control": c0,
                "treated": c1,
                "units_per_arm": size,
                "customers_per_arm": size,
            }
    else:
        n = two_proportions(p0, p1, alpha, power)
        size = math.ceil(n) if math.isfinite(n) else None
        needed = math.ceil(2 * n / per_period) if math.isfinite(n) and per_period > 0 else None
        rows[needed or 0] = {
            "control": p0,
            "treated": p1,
            "units_per_arm": size,
            "customers_per_arm": None,
        }
        if needed is not None and unit != "prospects":  # everyone takes part for `needed` periods
            active = float(np.mean(base.periods["active"]))
            rows[needed]["customers_per_arm"] = math.ceil(active / 2)
        elif needed is not None:
            rows[needed]["customers_per_arm"] = size
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "pilot_periods"
    return PilotPlan(intervention, metric, p0, p1, alpha, power, table, unit, per_period)


@dataclass(frozen=True)
class _FullEffect:
    """A variant: an intervention at full effect from the first period, without its costs."""

    inner: InterventionSet

    has_cost = False

    @property
    def name(self) -> str:
        return self.inner.name

    def apply(
        self, values: Values, scenario: Scenario, weights: Sequence[float] | None = None
    ) -> Values:
        return self.inner.apply(values, scenario, weights)

    def timeline(self, scenario: Scenario) -> list[tuple[float, ...]]:
        return full_effect(scenario, len(self.inner.indices))

    def cost(self, values: Values, scenario: Scenario, active: FloatArray) -> FloatArray:
        return np.zeros(active.shape)


def full_effect_variant(chosen: InterventionSet) -> Any:
    """A variant: `chosen` at full effect from the first period, without its costs."""
    return _FullEffect(chosen)


def _churn_per_period(r: Results) -> float:
    p = r.periods
    return float((p["churned"] + p["defected"]).sum() / p["active"].sum())


def _plain(v: Any) -> Any:
    """A JSON-ready number: None for a missing size, Python ints and floats otherwise."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return int(v) if isinstance(v, int | np.integer) else float(v)
