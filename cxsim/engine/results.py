"""Results: plain arrays with named axes, summary tables as DataFrames, JSON for tools.

`Results.totals[name]` holds one value per run; `attribution` is shaped (runs, touchpoints,
pathways, segments) and holds the discounted loss; `periods[name]` is shaped (runs, periods).
The readable text `cxsim run` prints is `cxsim.engine.results_text`.
"""

from __future__ import annotations

import importlib.metadata
import platform
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from cxsim._version import __version__
from cxsim.engine.period import COST_LINES
from cxsim.engine.recursion import BlockResult
from cxsim.engine.results_text import render_summary
from cxsim.engine.rounding import cpu_kind
from cxsim.engine.stats import PERCENTILES, describe
from cxsim.engine.variance import Estimate, estimate
from cxsim.formatting.money import format_money
from cxsim.formatting.tables import (
    display_attribution,
    display_metrics,
    loss_words,
)
from cxsim.model.loader import Source
from cxsim.model.scenario import PATHWAYS, Scenario
from cxsim.protocol import Result

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FloatArray = NDArray[np.float64]
#: The headline metrics, in the order reports show them.
METRICS = ("lost_revenue", "customers_lost", "lost_acquisitions", "churn_rate", "revenue")
#: The P&L of a poor experience: the headline, its revenue side and its cost lines.
PNL_METRICS = (
    "cost_of_poor_experience",
    "lost_margin",
    "serving_cost",
    "recovery_cost",
    "replacement_cost",
    "routine_cost",
)
BREAKDOWNS = ("touchpoint", "stage", "segment", "pathway")
METHODS = ("monte carlo", "expected")


class RunStatistics(Result):
    """What a Monte Carlo (or expected-value) result answers from statistics of its runs.

    `Results` (every run kept) and `Summary` (statistics folded chunk by chunk) both derive from
    it: they differ in how they describe a metric (`stats`) and a breakdown's categories
    (`described`, `attribution_means`), and share the tables, the text, the chart and the JSON.
    """

    scenario: Scenario
    runs: int
    seed: int | None
    source: Source | None
    #: How the numbers were made, as people read it: "monte carlo" or "expected".
    method: str

    # --- what each kind of result answers in its own way ---------------------------------------
    def stats(self, name: str, percentiles: tuple[float, ...] = PERCENTILES) -> dict[str, float]:
        """Mean, std, sem and percentiles of a metric over runs."""
        raise NotImplementedError

    def described(self, by: str) -> list[dict[str, float]]:
        """`describe` of the loss in each category of a breakdown, in `labels(by)` order."""
        raise NotImplementedError

    def attribution_means(self, by: str) -> list[float]:
        """Mean loss in each category of a breakdown, in `labels(by)` order."""
        raise NotImplementedError

    def per_period(self) -> dict[str, Any]:
        """The per-period block of the JSON document (key to columns), if any."""
        return {}

    def pnl_metrics(self) -> tuple[str, ...]:
        """The P&L metrics this result holds (all of `PNL_METRICS`, or those an older result
        has, or none)."""
        held = []
        for m in PNL_METRICS:
            try:
                self.stats(m)
            except KeyError:
                continue
            held.append(m)
        return tuple(held) if PNL_METRICS[0] in held else ()

    def has_costs(self) -> bool:
        """Whether any cost line of the P&L is non-zero (the scenario states costs)."""
        return any(self.stats(m)["mean"] != 0 for m in self.pnl_metrics()[2:])

    def variance_record(self) -> dict[str, Any]:
        """How the inputs were sampled and whether a control variate was used (JSON)."""
        return {}

    # --- labels ---------------------------------------------------------------------------------
    @property
    def touchpoints(self) -> list[str]:
        return [tp.name for _, tp in self.scenario.touchpoints()]

    @property
    def stages(self) -> list[str]:
        """The stage of each touchpoint."""
        return [stage.name for stage, _ in self.scenario.touchpoints()]

    @property
    def segments(self) -> list[str]:
        return [s.name for s in self.scenario.segments]

    @property
    def currency(self) -> str:
        return self.scenario.economics.currency

    def stage_names(self) -> list[str]:
        return [s.name for s in self.scenario.journey.stages]

    def labels(self, by: str) -> list[str]:
        if by not in BREAKDOWNS:
            raise ValueError(f"by must be one of {BREAKDOWNS}, got {by!r}")
        return {
            "touchpoint": self.touchpoints,
            "stage": self.stage_names(),
            "segment": self.segments,
            "pathway": list(PATHWAYS),
        }[by]

    # --- tables ---------------------------------------------------------------------------------
    def summary(
        self, percentiles: tuple[float, ...] = PERCENTILES, *, formatted: bool = False
    ) -> pd.DataFrame:
        """The headline metrics: one row each, with mean, std, sem and percentiles.

        Raw numbers; `formatted=True` gives the table for people (labelled rows, money in the
        scenario's currency, counts with separators, rates as percents).
        """
        import pandas as pd

        rows = {m: self.stats(m, percentiles) for m in METRICS}
        table = pd.DataFrame.from_dict(rows, orient="index")
        if formatted:
            return display_metrics(table, self.scenario.economics, self.scenario.language)
        return table

    def to_frame(self) -> pd.DataFrame:
        """The headline metrics table (as `summary()`)."""
        return self.summary()

    def attribution_table(self, by: str = "touchpoint", *, formatted: bool = False) -> pd.DataFrame:
        """Mean loss (with sem, percentiles and share of the total) by one breakdown.

        Raw numbers in journey order; `formatted=True` gives the table for people, sorted by
        loss (largest first) as the CLI shows it, money in the scenario's currency.
        """
        labels = self.labels(by)
        table = attribution_frame(
            by, labels, self.described(by), self.stats("lost_revenue")["mean"]
        )
        if formatted:
            return display_attribution(table, self.scenario.economics, self.scenario.language)
        return table

    def display(self, by: str | None = None) -> pd.DataFrame:
        """The table for people: the headline metrics, or the loss by `by`, formatted."""
        table = (
            self.summary(formatted=True)
            if by is None
            else self.attribution_table(by, formatted=True)
        )
        if self.runs == 1:  # the expected-value model: one number per row, no spread
            table = table[["mean"]].rename(columns={"mean": "expected"})
        return table

    @property
    def loss_words(self) -> str:
        """What the loss is called for this scenario: "lost margin" or "lost revenue"."""
        return loss_words(self.scenario.economics)

    def heading(self) -> str:
        """One line for people: the scenario, how it was computed and the loss."""
        s = self.stats("lost_revenue")
        cur = self.currency
        if self.runs == 1:
            how = "expected-value model"
            interval = ""
        else:
            how = f"Monte Carlo, {self.runs:,} runs (seed {self.seed})"
            interval = (
                f", 90% interval {format_money(s['p5'], cur)} to {format_money(s['p95'], cur)}"
            )
        loss = f"{self.loss_words} {format_money(s['mean'], cur)}"
        return f"{self.scenario.name} ({how}): {loss}{interval}"

    # --- output ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON document of `cxsim run --json`: what was run, metrics, attribution."""
        doc: dict[str, Any] = {
            "kind": self.kind,
            "scenario": self.scenario.name,
            "cxsim_version": __version__,
            "seed": self.seed,
            "runs": self.runs,
            "scenario_sha256": self.source.sha256 if self.source else None,
            "currency": self.currency,
            "horizon": self.scenario.economics.horizon,
            "period": self.scenario.economics.period,
            "metrics": {m: self.stats(m) for m in METRICS + self.pnl_metrics()},
            "attribution": {
                f"by_{by}": dict(zip(self.labels(by), self.attribution_means(by), strict=True))
                for by in BREAKDOWNS
            },
        }
        doc.update(self.per_period())
        doc.update(self.variance_record())
        doc["provenance"] = provenance(self.source)
        return doc

    def text(self) -> str:
        """The readable summary `cxsim run` prints."""
        return render_summary(self)

    def report_text(self) -> str:
        """As `text()` (the name the CLI and the notebooks have used)."""
        return self.text()

    def plot(self, ax: Axes | None = None) -> Figure:
        """The distribution of the loss over runs, P5, P50 and P95 marked."""
        from cxsim.outputs import charts  # engine does not depend on outputs until asked

        return charts.loss_distribution(self, ax=ax)  # type: ignore[arg-type]


@dataclass(frozen=True, repr=False)
class Results(RunStatistics):
    """What a simulation produced, with the scenario, seed and version that produced it."""

    scenario: Scenario
    runs: int
    seed: int | None
    method: str  # "monte carlo" or "expected"
    totals: dict[str, FloatArray]
    attribution: FloatArray
    periods: dict[str, FloatArray] = field(default_factory=dict)
    source: Source | None = None
    #: How the inputs were laid out per chunk ("random", "lhs", "sobol"; `cxsim.engine.variance`).
    sampling: str = "random"
    #: Control-variate estimates of totals (`simulate(control_variate=True)`), by total.
    controlled: dict[str, Estimate] = field(default_factory=dict)
    #: What `simulate` / `expected` say about the support operation (`coupling.notes`): overloaded
    #: channels and how each point of the response curve was computed; None without support.
    support_notes: dict[str, Any] | None = None
    #: (runs, cost lines, touchpoints, pathways, segments) discounted costs failures caused, in
    #: the order of `cxsim.engine.period.COST_LINES`; None for results made without them.
    costs: FloatArray | None = None

    @classmethod
    def from_block(
        cls,
        scenario: Scenario,
        block: BlockResult,
        runs: int,
        seed: int | None,
        kind: str,
        source: Source | None = None,
        sampling: str = "random",
        controlled: dict[str, Estimate] | None = None,
    ) -> Results:
        """One block of runs as a result; `kind`: "monte carlo" or "expected" (either spelling)."""
        method = kind.replace("_", " ")
        if method not in METHODS:
            raise ValueError(f"kind must be one of {METHODS}, got {kind!r}")
        return cls(
            scenario,
            runs,
            seed,
            method,
            block.totals,
            block.attribution,
            block.periods,
            source,
            sampling,
            dict(controlled or {}),
            costs=block.costs,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document, with the `support` block when the scenario has a support section."""
        doc = super().to_dict()
        if self.costs is not None and self.has_costs():
            doc["cost_attribution"] = {
                line: {
                    f"by_{by}": dict(
                        zip(
                            self.labels(by),
                            map(float, self.cost_by(line, by).mean(axis=0)),
                            strict=True,
                        )
                    )
                    for by in BREAKDOWNS
                }
                for line in ("cost_of_poor_experience", *COST_LINES)
            }
        if self.support_notes is not None:
            doc["support"] = self.support_notes
        return doc

    def text(self) -> str:
        """The readable summary, with a line for each overloaded support channel."""
        out = render_summary(self)
        for o in (self.support_notes or {}).get("overloaded", []):
            out += f"\nSupport is overloaded at the {o['when']}'s expected load: {o['text']}"
        return out

    @property
    def kind(self) -> str:  # type: ignore[override]  # one class, two document kinds
        """The document's kind: "monte_carlo" or "expected"."""
        return self.method.replace(" ", "_")

    # --- numbers ------------------------------------------------------------------------------
    def metric(self, name: str) -> FloatArray:
        """One value per run of a metric (`lost_revenue`, `customers_lost`, ...)."""
        if name not in self.totals:
            raise KeyError(f"no metric {name!r}; have {sorted(self.totals)}")
        return self.totals[name]

    def stats(self, name: str, percentiles: tuple[float, ...] = PERCENTILES) -> dict[str, float]:
        """As `describe`, with the mean and sem of `estimate(name)` (sampling, control variate)."""
        out = describe(self.metric(name), percentiles)
        if self.method == "monte carlo" and self.runs > 1:
            e = self.estimate(name)
            out["mean"], out["sem"] = e.mean, e.sem
        return out

    def estimate(self, name: str) -> Estimate:
        """The mean of a metric with a standard error honest for how it was sampled."""
        if name in self.controlled:
            return self.controlled[name]
        return estimate(self.metric(name), self.sampling, grouped=self.coupled)

    @property
    def coupled(self) -> bool:
        """The support queue is coupled: a chunk's runs share its response curve, so standard
        errors are batch means over chunks (`cxsim.engine.variance.estimate`)."""
        return self.scenario.support is not None

    def loss_by(self, by: str = "touchpoint") -> FloatArray:
        """(runs, categories) loss by touchpoint, stage, segment or pathway."""
        return _breakdown(self.attribution, by, self.stages, self.stage_names())

    def cost_by(self, line: str, by: str = "touchpoint") -> FloatArray:
        """(runs, categories) one cost line (`serving_cost`, ...) or `cost_of_poor_experience`
        (lost margin and every cost line) by touchpoint, stage, segment or pathway."""
        if self.costs is None:
            raise ValueError("this result holds no cost attribution")
        if line == "cost_of_poor_experience":
            a = self.attribution + self.costs.sum(axis=1)
        else:
            a = self.costs[:, COST_LINES.index(line)]
        return _breakdown(a, by, self.stages, self.stage_names())

    def described(self, by: str) -> list[dict[str, float]]:
        x = self.loss_by(by)
        return [describe(x[:, i]) for i in range(x.shape[1])]

    def attribution_means(self, by: str) -> list[float]:
        return [float(v) for v in self.loss_by(by).mean(axis=0)]

    def indicators(self) -> pd.DataFrame:
        """Per-period key indicators, averaged over runs."""
        import pandas as pd

        if not self.periods:
            raise ValueError("per-period outputs were not kept (simulate with keep_periods=True)")
        p = {k: np.asarray(v, dtype=float) for k, v in self.periods.items()}
        with np.errstate(divide="ignore", invalid="ignore"):
            churn = (p["churned"] + p["defected"]) / p["active"]
            csat = p["satisfied"] / p["complaints"]
            frame = pd.DataFrame(
                {
                    "active": p["active"].mean(axis=0),
                    "churn_rate": _nanmean(churn),
                    "retention": 1 - _nanmean(churn),
                    "failures": p["failures"].mean(axis=0),
                    "complaints": p["complaints"].mean(axis=0),
                    "complaint_rate": p["complaints"].mean(axis=0) / p["failures"].mean(axis=0),
                    "csat": _nanmean(csat),
                    "nps": _nanmean(p["nps"]),
                    "response_hours": _nanmean(p["response_hours"]),
                    "acquired": p["acquired"].mean(axis=0),
                    "lost_acquisitions": p["lost_acquisitions"].mean(axis=0),
                    "revenue": p["revenue"].mean(axis=0),
                    "loss": p["loss"].mean(axis=0),
                }
            )
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="period")
        return frame

    def variance_record(self) -> dict[str, Any]:
        if self.method != "monte carlo":
            return {}
        return {"sampling": self.sampling, "control_variate": bool(self.controlled)}

    def per_period(self) -> dict[str, Any]:
        if not self.periods:
            return {}
        return {"indicators": json_columns(self.indicators())}

    def __repr__(self) -> str:
        s = self.stats("lost_revenue")
        cur = self.currency
        interval = (
            f" (P5 {format_money(s['p5'], cur)} – P95 {format_money(s['p95'], cur)})"
            if self.runs > 1
            else ""
        )
        return (
            f"<Results {self.scenario.name!r}: {self.method}, {self.runs} runs, seed {self.seed}; "
            f"{self.loss_words} {format_money(s['mean'], cur)}{interval}>"
        )


def _breakdown(a: FloatArray, by: str, stages: list[str], names: list[str]) -> FloatArray:
    """(runs, categories) of a (runs, touchpoints, pathways, segments) attribution array."""
    if by == "touchpoint":
        return a.sum(axis=(2, 3))
    if by == "pathway":
        return a.sum(axis=(1, 3))
    if by == "segment":
        return a.sum(axis=(1, 2))
    if by == "stage":
        per_tp = a.sum(axis=(2, 3))
        out = np.zeros((a.shape[0], len(names)))
        for j, stage in enumerate(stages):
            out[:, names.index(stage)] += per_tp[:, j]
        return out
    raise ValueError(f"by must be one of {BREAKDOWNS}, got {by!r}")


def json_columns(frame: pd.DataFrame) -> dict[str, list[float | None]]:
    """A table's columns as JSON lists; values that are not finite become null."""
    return {
        str(col): [None if not np.isfinite(x) else float(x) for x in frame[col]]
        for col in frame.columns
    }


def attribution_frame(
    by: str, labels: list[str], described: list[dict[str, float]], total: float
) -> pd.DataFrame:
    """One row per category: its loss statistics and its share of the total."""
    import pandas as pd

    rows = {
        label: {**d, "share": d["mean"] / total if total else float("nan")}
        for label, d in zip(labels, described, strict=True)
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = by
    return table


def _nanmean(x: FloatArray) -> FloatArray:
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok.any(axis=0), np.where(ok, x, 0).sum(axis=0) / ok.sum(axis=0), np.nan)


def provenance(source: Source | None) -> dict[str, Any]:
    """What reproducing a result needs: the scenario text and the versions that ran it."""
    return {
        "scenario_source": source.name if source else None,
        "scenario_text": source.text if source else None,
        "overrides": list(source.overrides) if source else [],
        "cxsim_version": __version__,
        "numpy_version": np.__version__,
        # its quantile functions turn draws into inputs; read without importing it
        "scipy_version": importlib.metadata.version("scipy"),
        "python_version": platform.python_version(),
        "cpu": cpu_kind(),  # another kind of CPU may round the last digits differently
    }
