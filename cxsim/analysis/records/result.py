"""`calibrate_records`: the estimates from a company's records, as a result object."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from cxsim.analysis.records.estimate import (
    Beta,
    CurveFit,
    OddsRatios,
    Rate,
    excess_defection,
    fit_memory,
    fit_response_curve,
)
from cxsim.analysis.records.measure import (
    SEVERITY_CELLS,
    Windows,
    baseline_by_segment,
    baseline_counts,
    complaint_windows,
    path_counts,
    revenue_split,
    touchpoint_counts,
)
from cxsim.analysis.records.reading import OUTCOMES, Records
from cxsim.protocol import Result

if TYPE_CHECKING:
    import pandas as pd

    from cxsim.model.scenario import Scenario

PERIOD_DAYS = {"week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4, "year": 365.25}
#: A segment's own baseline needs this many customer-windows without a contact and this many
#: churns among them; below, its interval is too wide to be worth more than the pooled rate
#: (an assumption: with 200 windows and 5 churns the Jeffreys interval spans about 0.01-0.05).
MIN_SEGMENT_WINDOWS = 200
MIN_SEGMENT_CHURNS = 5


@dataclass(frozen=True)
class Row:
    """One input: its estimate, interval, where it comes from and the counts behind it."""

    input: str
    path: str
    source: str  # "records" or "assumption"
    estimate: float
    low: float
    high: float
    basis: str
    dist: Beta | None = None


@dataclass(frozen=True, eq=False)
class RecordsCalibration(Result):
    """Goodman's loss tree estimated from the company's customers and contacts."""

    kind: ClassVar[str] = "records_calibration"
    customers_file: str
    contacts_file: str
    customers: int
    contacts: int
    window_days: int
    period: str
    as_of: str
    outcome_source: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    memory: OddsRatios | None = None
    curve: CurveFit | None = None
    revenue: dict[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        ours = sum(r.source == "records" for r in self.rows)
        return (
            f"<RecordsCalibration: {self.customers:,} customers, {self.contacts:,} contacts, "
            f"{ours} inputs from records, {len(self.rows) - ours} assumed>"
        )

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        cols = ["input", "path", "source", "estimate", "low", "high", "basis"]
        return pd.DataFrame([[getattr(r, c) for c in cols] for r in self.rows], columns=cols)

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for r in self.rows:
            d = {k: getattr(r, k) for k in ("input", "path", "source", "estimate", "low", "high")}
            d["basis"] = r.basis
            if r.dist is not None:
                d["dist"] = {"dist": "beta", "alpha": r.dist.alpha, "beta": r.dist.beta}
            rows.append(d)
        return {
            "kind": self.kind,
            "customers_file": self.customers_file,
            "contacts_file": self.contacts_file,
            "customers": self.customers,
            "contacts": self.contacts,
            "window_days": self.window_days,
            "period": self.period,
            "as_of": self.as_of,
            "outcomes_from": self.outcome_source,
            "rows": rows,
            "memory": None if self.memory is None else vars(self.memory),
            "curve": None if self.curve is None else vars(self.curve),
            "revenue": self.revenue,
            "notes": self.notes,
        }

    def text(self) -> str:
        out = [
            f"Loss tree from records: {self.customers_file} ({self.customers:,} customers), "
            f"{self.contacts_file} ({self.contacts:,} contacts), up to {self.as_of}",
            f"  churn counted within {self.window_days} days of a contact; outcomes from "
            f"{self.outcome_source}; Jeffreys Beta(1/2, 1/2) prior on every rate",
            "",
            f"  {'input':<44} {'source':<10} {'estimate':>9}  95% interval",
        ]
        for r in self.rows:
            interval = "" if np.isnan(r.low) else f"{r.low:.4g} to {r.high:.4g}"
            out.append(f"  {r.input[:44]:<44} {r.source:<10} {r.estimate:>9.4g}  {interval}")
            out.append(f"      {r.basis}")
        if self.revenue:
            rv = self.revenue
            out += [
                "",
                f"  revenue per period: {rv['left_n']:.0f} who left {rv['left_mean']:.4g}, "
                f"{rv['stayed_n']:.0f} who stayed {rv['stayed_mean']:.4g}"
                + (
                    f" (difference 95% {rv['difference_low']:.3g} to {rv['difference_high']:.3g})"
                    if "difference_low" in rv
                    else ""
                ),
            ]
        if self.notes:
            out += ["", "notes:"] + [f"  - {n}" for n in self.notes]
        return "\n".join(out) + "\n"


def calibrate_records(
    records: Records, scenario: Scenario | None = None, window_days: int = 90
) -> RecordsCalibration:
    """Estimate the loss tree's company-specific inputs from `records`; take the rest (silent
    failures, the complaint rate) from `scenario` and mark them as assumptions."""
    period = scenario.economics.period if scenario is not None else "month"
    w = complaint_windows(records, window_days)
    base = Rate(*baseline_counts(records, window_days)[:2])
    rows: list[Row] = [
        Row(
            "baseline churn within the window (no contact)",
            "",
            "records",
            base.mean,
            *base.interval(),
            f"{base.k:,} of {base.n:,} customer-windows without a contact ended in churn",
        )
    ]
    baselines, small = _segment_baselines(records, window_days, base)
    if len(baselines) > 1:
        for seg, r in baselines.items():
            own = seg not in small
            rows.append(
                Row(
                    f"baseline churn, {seg} (no contact)",
                    "",
                    "records",
                    r.mean,
                    *r.interval(),
                    (
                        f"{r.k:,} of {r.n:,} customer-windows of {seg} without a contact "
                        "ended in churn"
                        if own
                        else "too few customer-windows without a contact: the pooled baseline"
                    ),
                )
            )
    rows += _path_rows(w, base, baselines, window_days)
    rows += _resolution_rows(records)
    memory = fit_memory(w.cell, w.prior, w.churned, 9)
    if memory is not None:
        rows += _memory_rows(memory, window_days)
    hours = records.contacts["response_hours"].to_numpy(float)
    code = records.contacts["outcome"].map({o: i for i, o in enumerate(OUTCOMES)})
    curve = fit_response_curve(hours, code.fillna(-1).to_numpy(np.int64))
    if curve is not None:
        rows += _curve_rows(curve)
    counts, exposure = touchpoint_counts(records, PERIOD_DAYS[period])
    for name, c in counts.items():
        r = Rate(int(c), max(round(exposure), int(c)))
        rows.append(
            Row(
                f"complaints per customer-{period}: {name}",
                "",
                "records",
                r.mean,
                *r.interval(),
                f"{r.k:,} contacts in {exposure:,.0f} customer-{period}s",
            )
        )
    if scenario is not None:
        rows += _assumption_rows(scenario)
    notes = _notes(w, records, window_days)
    for name in small:
        n_seg = small[name]
        notes.append(
            f"Segment {name!r} has {n_seg[1]:,} customer-windows without a contact and "
            f"{n_seg[0]:,} churns among them (fewer than {MIN_SEGMENT_WINDOWS} or "
            f"{MIN_SEGMENT_CHURNS}): its complainers are set against the pooled baseline."
        )
    return RecordsCalibration(
        customers_file=records.customers_file,
        contacts_file=records.contacts_file,
        customers=len(records.customers),
        contacts=len(records.contacts),
        window_days=window_days,
        period=period,
        as_of=str(records.as_of.date()),
        outcome_source=records.outcome_source,
        rows=rows,
        notes=notes,
        memory=memory,
        curve=curve,
        revenue=revenue_split(records),
    )


def _segment_baselines(
    records: Records, window_days: int, pooled: Rate
) -> tuple[dict[str, Rate], dict[str, tuple[int, int]]]:
    """Each segment's baseline (the pooled one where the segment is too small), and the counts
    of the segments that were too small."""
    counts = baseline_by_segment(records, window_days)
    small = {
        name: (k, n)
        for name, (k, n) in counts.items()
        if n < MIN_SEGMENT_WINDOWS or k < MIN_SEGMENT_CHURNS
    }
    rates = {name: pooled if name in small else Rate(k, n) for name, (k, n) in counts.items()}
    return rates, small


def _path_rows(w: Windows, pooled: Rate, baselines: dict[str, Rate], window_days: int) -> list[Row]:
    k, n = path_counts(w)
    cells, segments = w.cell[w.first], w.segment[w.first]
    rows: list[Row] = []
    for o, outcome in enumerate(OUTCOMES):
        for s, sev in enumerate(SEVERITY_CELLS):
            cell = o * 3 + s
            if n[cell] == 0:
                continue
            r = Rate(int(k[cell]), int(n[cell]))
            basis = (
                f"{r.k:,} of {r.n:,} {outcome} first complainers"
                + ("" if sev == "any" else f" ({sev})")
                + f" left within {window_days} days"
            )
            rows.append(
                Row(f"churn after {outcome} ({sev})", "", "records", r.mean, *r.interval(), basis)
            )
            names, counts = np.unique(segments[cells == cell], return_counts=True)
            mix = [
                (c / counts.sum(), baselines.get(str(m), pooled))
                for m, c in zip(names, counts, strict=True)
            ]
            if len(set(baselines.values())) <= 1:
                d = excess_defection(r, pooled)
                against = f"baseline {pooled.k:,} of {pooled.n:,}"
            else:
                d = excess_defection(r, mix)
                against = "baseline of their segments, weighted by their number"
            target = ["minor", "major"] if sev == "any" else [sev]
            for t in target:
                rows.append(
                    Row(
                        f"defection caused, {outcome} ({t})",
                        f"loss_tree.defection.{outcome}.{t}",
                        "records",
                        d.mean,
                        *d.interval(),
                        f"{basis}; {against}; 1 - (1 - churn) / (1 - baseline)",
                        d,
                    )
                )
    return rows


def _resolution_rows(records: Records) -> list[Row]:
    outcome = records.contacts["outcome"]
    n = int((outcome != "").sum())
    rows = []
    for name in ("satisfied", "mollified"):
        k = int((outcome == name).sum())
        d = Beta(k + 0.5, n - k + 1.0)  # marginal of the Jeffreys Dirichlet(1/2, 1/2, 1/2)
        rows.append(
            Row(
                f"complaints ending {name}",
                f"loss_tree.resolution.{name}",
                "records",
                d.mean,
                *d.interval(),
                f"{k:,} of {n:,} complaints with a recorded outcome",
                d,
            )
        )
    return rows


def _memory_rows(m: OddsRatios, window_days: int) -> list[Row]:
    basis = (
        f"logistic hazard model of churn within {window_days} days over {m.n:,} complaints: "
        f"{m.n_one:,} after one unresolved complaint, {m.n_several:,} after several"
    )
    return [
        Row("memory odds ratio, one unresolved", "memory.odds_ratio[1]", "records", m.one,
            *m.one_interval, basis),
        Row("memory odds ratio, several unresolved", "memory.odds_ratio[2]", "records",
            m.several, *m.several_interval, basis),
    ]  # fmt: skip


def _curve_rows(c: CurveFit) -> list[Row]:
    basis = f"maximum likelihood on {c.n:,} complaints with a response time and an outcome"
    nan = float("nan")
    rows = [
        Row("response-time midpoint (hours)", "support.resolution.midpoint_hours", "records",
            c.midpoint_hours, *c.midpoint_interval, basis),
    ]  # fmt: skip
    for name in ("satisfied_fast", "satisfied_slow", "dissatisfied_fast", "dissatisfied_slow"):
        rows.append(
            Row(name.replace("_", " "), f"support.resolution.{name}", "records",
                getattr(c, name), nan, nan, basis)
        )  # fmt: skip
    return rows


def _assumption_rows(scenario: Scenario) -> list[Row]:
    """What records cannot show: taken from the scenario, marked as assumptions."""
    nan = float("nan")
    lt = scenario.loss_tree
    rows = [
        Row("complaint rate", "loss_tree.complaint_rate", "assumption", lt.complaint_rate.mean(),
            lt.complaint_rate.quantile(0.025), lt.complaint_rate.quantile(0.975),
            "not in records (silent customers leave no trace): from the scenario; use "
            "`cxsim calibrate complaints` (Goodman's iceberg) or a survey"),
    ]  # fmt: skip
    for sev in ("minor", "major"):
        d = getattr(lt.defection.silent, sev)
        rows.append(
            Row(f"defection, silent ({sev})", f"loss_tree.defection.silent.{sev}", "assumption",
                d.mean(), d.quantile(0.025), d.quantile(0.975),
                "silent failures are not in records: from the scenario (published figures)")
        )  # fmt: skip
    rows.append(
        Row("word of mouth", "loss_tree.word_of_mouth", "assumption", nan, nan, nan,
            "not in records: from the scenario")
    )  # fmt: skip
    return rows


def _notes(w: Any, records: Records, window_days: int) -> list[str]:
    notes = [
        "Records show only failures that became contacts: silent failures, the complaint rate "
        "and silent defection are assumptions (from the scenario or `calibrate complaints`).",
        "Memory counts earlier dissatisfied complaints only (silent failures are unseen), so "
        "the odds ratios describe complaint history, not every unresolved failure.",
    ]
    if w.unfollowed:
        notes.append(
            f"{w.unfollowed:,} contacts in the last {window_days} days before "
            f"{records.as_of.date()} are left out of churn counts (their window is not over)."
        )
    if w.no_outcome:
        notes.append(f"{w.no_outcome:,} followed contacts have no outcome and are left out.")
    if w.dropped_after_end:
        notes.append(f"{w.dropped_after_end:,} contacts after the customer left are left out.")
    return notes
