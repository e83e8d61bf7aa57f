"""How a run's status quo compares with the company's actuals: one table for every output.

Each actual becomes one row per figure: observed, modelled, the difference and whether it is
within the actual's tolerance (its range, or a relative tolerance, 0.5% by default). A Monte
Carlo run is also within when the difference is inside 3 standard errors of its mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from cxsim.analysis.calibration.views import (
    cohort,
    isolate,
    per_period,
    run_like,
    segment_index,
    survival,
)
from cxsim.engine.results import Results
from cxsim.formatting.tables import pad
from cxsim.model.actuals import DEFAULT_TOLERANCE, PeriodActual, RetentionActual
from cxsim.model.scenario import Scenario
from cxsim.protocol import Result

if TYPE_CHECKING:
    import pandas as pd

    from cxsim.engine.summary import Summary

COLUMNS = ("metric", "segment", "period", "observed", "modelled", "difference", "within")


@dataclass(frozen=True, repr=False)
class Reconciliation(Result):
    """The status quo against the actuals: one row per observed figure."""

    kind: ClassVar[str] = "reconciliation"
    rows: tuple[dict[str, Any], ...]
    basis: str  # "expected" or "monte carlo"

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(list(self.rows), columns=[*COLUMNS, "sem", "low", "high", "reason"])

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "basis": self.basis, "reconciliation": self.records()}

    def records(self) -> list[dict[str, Any]]:
        """The rows as JSON-ready dicts (the keys of `COLUMNS`, plus a reason where one)."""
        out = []
        for row in self.rows:
            rec = {k: row[k] for k in COLUMNS}
            if row.get("reason"):
                rec["reason"] = row["reason"]
            out.append(rec)
        return out

    @property
    def outside(self) -> list[dict[str, Any]]:
        """Rows whose modelled figure is outside the actual's tolerance."""
        return [r for r in self.rows if not r["within"]]

    def text(self) -> str:
        if not self.rows:
            return "No actuals to reconcile.\n"
        how = {"monte_carlo": "Monte Carlo means", "expected": "expected-value model"}
        lines = [f"Status quo against actuals ({how.get(self.basis, self.basis)}):"]
        for r in self.rows:
            seg = f" [{r['segment']}]" if r["segment"] else ""
            mark = "ok " if r["within"] else "OUT"
            what = f"{r['metric']}{seg} {r['period']}"
            lines.append(
                f"  {mark} {pad(what, 38)} observed {_fmt(r['observed']):>12}  "
                f"modelled {_fmt(r['modelled']):>12}  ({_rel(r)})"
            )
            if r.get("reason"):
                lines.append(f"      {r['reason']}")
        if self.outside:
            lines.append(f"  warning: {len(self.outside)} of {len(self.rows)} outside tolerance")
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return f"<Reconciliation: {len(self.rows)} figures, {len(self.outside)} outside tolerance>"


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _rel(r: dict[str, Any]) -> str:
    obs = r["observed"]
    return f"{r['difference'] / obs:+.2%}" if obs else f"{r['difference']:+.4g}"


def reconcile(scenario: Scenario, results: Results | Summary | None = None) -> Reconciliation:
    """Compare a run's status quo (expected-value or Monte Carlo) with `scenario.actuals`.

    Without `results`, or with a run that kept no per-period figures (a `Summary`, or results
    without periods), the expected-value model is run. Figures of one segment in a scenario
    with several, and cohort retention, are modelled by further runs of the same kind (same
    runs and seed), see `cxsim.analysis.calibration.views`.
    """
    if not isinstance(results, Results) or not results.periods:
        results = run_like(scenario, None)
    basis = results.kind
    rows: list[dict[str, Any]] = []
    cache: dict[int | None, Results] = {}
    for actual in scenario.actuals or []:
        s = segment_index(scenario, actual.segment)
        if isinstance(actual, RetentionActual):
            assert s is not None  # check_actuals insists on a segment
            run = run_like(cohort(scenario, s, len(actual.survival) * actual.step), results)
            rows += _retention_rows(actual, survival(actual, run))
            continue
        if s not in cache:
            alone = s is None or len(scenario.segments) == 1
            cache[s] = results if alone else run_like(isolate(scenario, s), results)
        try:
            modelled = per_period(actual, scenario, s, cache[s])
        except ValueError as exc:
            rows.append(_unmatched(actual, str(exc)))
            continue
        rows += _period_rows(actual, modelled)
    return Reconciliation(rows=tuple(rows), basis=basis)


def _period_rows(actual: PeriodActual, modelled: np.ndarray) -> list[dict[str, Any]]:
    if actual.series is not None:
        observed = list(actual.series)
        periods: list[str] = [str(t) for t in range(actual.first, actual.last + 1)]
    else:
        observed = [float(actual.value)]  # type: ignore[arg-type]
        periods = [_span(actual.first, actual.last)]
    rows = []
    for k, (obs, period) in enumerate(zip(observed, periods, strict=True)):
        if actual.range is not None:
            low, high = actual.range
        else:
            tol = abs(obs) * (actual.tolerance or DEFAULT_TOLERANCE)
            low, high = obs - tol, obs + tol
        rows.append(_row(actual.metric, actual.segment, period, obs, modelled[:, k], low, high))
    return rows


def _retention_rows(actual: RetentionActual, modelled: np.ndarray) -> list[dict[str, Any]]:
    rows = []
    for k, obs in enumerate(actual.survival):
        t = (k + 1) * actual.step
        low, high = obs - actual.tolerance, obs + actual.tolerance
        rows.append(_row("retention", actual.segment, f"after {t}", obs, modelled[:, k], low, high))
    return rows


def _row(
    metric: str,
    segment: str | None,
    period: str,
    observed: float,
    per_run: np.ndarray,
    low: float,
    high: float,
) -> dict[str, Any]:
    per_run = np.asarray(per_run, dtype=float)
    modelled = float(per_run.mean())
    n = per_run.size
    sem = float(per_run.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    within = bool(low - 1e-12 <= modelled <= high + 1e-12)
    if n > 1:
        within = within or abs(modelled - observed) <= 3.0 * sem
    return {
        "metric": metric,
        "segment": segment,
        "period": period,
        "observed": observed,
        "modelled": modelled,
        "difference": modelled - observed,
        "within": within,
        "sem": sem,
        "low": low,
        "high": high,
        "reason": None,
    }


def _unmatched(actual: PeriodActual, reason: str) -> dict[str, Any]:
    obs = float(actual.value if actual.value is not None else np.mean(actual.series or [0]))
    nan = float("nan")
    return {
        "metric": actual.metric,
        "segment": actual.segment,
        "period": _span(actual.first, actual.last),
        "observed": obs,
        "modelled": nan,
        "difference": nan,
        "within": False,
        "sem": nan,
        "low": nan,
        "high": nan,
        "reason": reason,
    }


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"
