"""The complaint calibration's result: estimates with their uncertainty, and the YAML to paste.

`ComplaintCalibration` holds the multiplier, per-touchpoint failure rates and the complaint rate
as `Estimate`s (a plug-in value, the draws' mean and percentiles, and a beta in scenario syntax
for a rate); `complaints_yaml` writes the lines to paste into a scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from cxsim.formatting.money import significant as _fmt

FloatArray = NDArray[np.float64]

__all__ = ["ComplaintCalibration", "Estimate", "TouchpointRate", "complaints_yaml"]


@dataclass(frozen=True)
class Estimate:
    """An uncertain quantity: plug-in value, mean and percentiles of the draws, scenario syntax."""

    point: float
    mean: float
    p10: float
    p50: float
    p90: float
    dist: float | dict[str, Any] | None = None
    """Scenario syntax: a number when fixed, else {"dist": "beta", ...}; None if not a rate."""

    def describe(self) -> str:
        if self.p10 == self.p90:
            return _fmt(self.point)
        return f"{_fmt(self.point)} (p10 {_fmt(self.p10)}, p90 {_fmt(self.p90)})"

    @classmethod
    def from_draws(cls, point: float, draw: FloatArray, rate: bool) -> Estimate:
        """Summarise draws; for a rate in (0, 1), also a beta with the draws' mean and variance."""
        draw = np.asarray(draw, dtype=float)
        mean = float(draw.mean())
        p10, p50, p90 = (float(x) for x in np.quantile(draw, [0.1, 0.5, 0.9]))
        dist: float | dict[str, Any] | None = None
        if rate:
            var = float(draw.var())
            if var <= (1e-12 * max(mean, 1e-300)) ** 2 or not 0 < mean < 1:
                dist = float(_fmt(mean))
            else:
                common = mean * (1.0 - mean) / var - 1.0
                dist = {
                    "dist": "beta",
                    "alpha": float(_fmt(mean * common)),
                    "beta": float(_fmt((1.0 - mean) * common)),
                }
        return cls(point=float(point), mean=mean, p10=p10, p50=p50, p90=p90, dist=dist)


@dataclass(frozen=True)
class TouchpointRate:
    """One touchpoint's complaints in, failures and failure rate out."""

    name: str
    complaints: float
    """Complaints recorded per period."""
    customers: float
    """Customers passing through the touchpoint per period."""
    failures: Estimate
    """Customers who met a failure here per period: complaints x multiplier."""
    failure_rate: Estimate
    """failures / customers: the scenario's `failure_rate` for this touchpoint."""


@dataclass(frozen=True)
class ComplaintCalibration:
    """Failure and complaint rates inferred from complaint counts (Goodman's iceberg)."""

    method: str
    """'survey' (the survey sizes the iceberg) or 'multiplier' (Goodman's published shares)."""
    recorded_at: str
    touchpoints: tuple[TouchpointRate, ...]
    multiplier: Estimate
    """Customers with a problem per recorded complaint."""
    reach: Estimate
    """Share of customers with a problem whose complaint is recorded (1 / multiplier)."""
    complaint_rate: Estimate
    """Share of customers with a problem who complain to a front-line person."""
    escalation: Estimate | None
    """Share of front-line complaints that reach headquarters (headquarters counts only)."""
    problem_share: Estimate | None
    """Share of all customers with a problem per period (needs `customers`)."""
    revenue_at_risk: Estimate | None
    """CCMC: complaints x multiplier x customer value, per period (needs `customer_value`)."""
    draws: int
    seed: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        def est(e: Estimate | None) -> dict[str, Any] | None:
            if e is None:
                return None
            out = {k: getattr(e, k) for k in ("point", "mean", "p10", "p50", "p90")}
            if e.dist is not None:
                out["dist"] = e.dist
            return out

        return {
            "method": self.method,
            "recorded_at": self.recorded_at,
            "touchpoints": [
                {
                    "name": tp.name,
                    "complaints": tp.complaints,
                    "customers": tp.customers,
                    "failures": est(tp.failures),
                    "failure_rate": est(tp.failure_rate),
                }
                for tp in self.touchpoints
            ],
            "multiplier": est(self.multiplier),
            "reach": est(self.reach),
            "complaint_rate": est(self.complaint_rate),
            "escalation": est(self.escalation),
            "problem_share": est(self.problem_share),
            "revenue_at_risk": est(self.revenue_at_risk),
            "draws": self.draws,
            "seed": self.seed,
            "notes": list(self.notes),
            "yaml": complaints_yaml(self),
        }

    def to_yaml(self) -> str:
        return complaints_yaml(self)

    def __repr__(self) -> str:
        names = ", ".join(f"{tp.name} {_fmt(tp.failure_rate.point)}" for tp in self.touchpoints)
        return (
            f"<ComplaintCalibration ({self.method}, recorded at {self.recorded_at}): "
            f"multiplier {_fmt(self.multiplier.point)}, failure rates {names}, "
            f"complaint rate {_fmt(self.complaint_rate.point)}>"
        )


def complaints_yaml(cal: ComplaintCalibration) -> str:
    """The touchpoints' `failure_rate:` lines and the loss tree's `complaint_rate:`, to paste."""
    how = (
        "the survey sizes the iceberg"
        if cal.method == "survey"
        else "Goodman's complain and escalation shares"
    )
    lines = [
        f"# from cxsim calibrate complaints ({how}; complaints recorded at "
        f"{cal.recorded_at.replace('_', ' ')}); p10/p90 from {cal.draws} draws",
        "# paste each failure_rate into the touchpoint of the same name in journey.stages",
        "touchpoints:",
    ]
    for tp in cal.touchpoints:
        fr = tp.failure_rate
        lines += [
            f"  - name: {_yaml_str(tp.name)}",
            f"    failure_rate: {_flow(fr.dist)}  # mean {_fmt(fr.mean)}, p10 {_fmt(fr.p10)}, "
            f"p90 {_fmt(fr.p90)}",
        ]
    cr = cal.complaint_rate
    lines += [
        "loss_tree:",
        "  # share of customers with a failure who complain to a front-line person",
        f"  complaint_rate: {_flow(cr.dist)}  # mean {_fmt(cr.mean)}, p10 {_fmt(cr.p10)}, "
        f"p90 {_fmt(cr.p90)}",
    ]
    if cal.escalation is not None:
        e = cal.escalation
        lines.append(
            f"  # of those, reaching headquarters: mean {_fmt(e.mean)}, p10 {_fmt(e.p10)}, "
            f"p90 {_fmt(e.p90)}"
        )
    return "\n".join(lines) + "\n"


# --- small formatting helpers ---


def _flow(dist: float | dict[str, Any] | None) -> str:
    if isinstance(dist, dict):
        inner = ", ".join(
            f"{k}: {v}" if isinstance(v, str) else f"{k}: {_fmt(v)}" for k, v in dist.items()
        )
        return "{" + inner + "}"
    return _fmt(float(dist)) if dist is not None else "null"


def _yaml_str(text: str) -> str:
    plain = yaml.safe_dump(text, default_flow_style=True, width=10_000).strip()
    return plain.removesuffix("\n...").removesuffix("...").strip()
