"""Complaints: from complaint counts to the failure and complaint rates a scenario needs.

`calibrate_complaints` turns complaint counts per touchpoint, customer counts and (optionally) a
survey's share of customers with a problem into per-touchpoint failure rates and the complaint
rate, with their uncertainty, through Goodman's complaint iceberg. Files are read by
`read_complaints_yaml`; every problem with the input is a `UserError` naming where it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from cxsim.errors import UserError
from cxsim.model.loader import format_loc, parse_yaml
from cxsim.outputs.money import significant as _fmt

FloatArray = NDArray[np.float64]

__all__ = [
    "ComplaintCalibration",
    "Estimate",
    "TouchpointRate",
    "calibrate_complaints",
    "complaints_yaml",
    "read_complaints_yaml",
]


# ---------------------------------------------------------------------------------------------
# Complaints: Goodman's iceberg
# ---------------------------------------------------------------------------------------------

RECORDED_AT = ("front_line", "headquarters")
DEFAULT_COMPLAIN_SHARE: dict[str, Any] = {"dist": "pert", "low": 0.3, "mode": 0.5, "high": 0.75}
"""Share of customers with a problem who tell a front-line person: about 50% (75% B2B and for
monetary-loss problems, 5-30% for mistreatment or quality); Goodman, "Basic Facts on Customer
Complaint Behavior", 1999, and ASQ Quality Progress letter, Nov 2005."""
DEFAULT_ESCALATION_SHARE: dict[str, Any] = {"dist": "uniform", "low": 0.01, "high": 0.05}
"""Share of front-line complaints that reach a manager or headquarters: 1-5% (5-10% for
large-ticket problems); same sources."""


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


def calibrate_complaints(
    touchpoints: Sequence[Mapping[str, Any]],
    *,
    customers: float | None = None,
    periods: float = 1,
    recorded_at: str = "front_line",
    complain_share: float | Mapping[str, Any] | None = None,
    escalation_share: float | Mapping[str, Any] | None = None,
    survey: Mapping[str, Any] | None = None,
    customer_value: float | None = None,
    draws: int = 100_000,
    seed: int = 0,
) -> ComplaintCalibration:
    """Per-touchpoint failure rates and the complaint rate from complaint counts.

    Goodman's complaint iceberg: most customers who meet a problem never tell anyone who records
    it. About half tell a front-line person, and of those only 1-5% reach a manager or
    headquarters (Goodman, "Basic Facts on Customer Complaint Behavior", 1999; ASQ Quality
    Progress letter, Nov 2005; Goodman & Newman, Quality Progress 36(1), 2003). So each recorded
    complaint stands for a *multiplier* of customers with a problem,

        multiplier = 1 / (complain share x share of complaints reaching the recording level),

    the second factor being 1 for complaints counted at the front line. CCMC's short form of the
    damage is complaints x multiplier x customer value = revenue at risk ("Quantifying the
    complaint iceberg and problem multipliers").

    Two ways to size the iceberg:

    - **multiplier** (no survey): the multiplier comes from the complain share and escalation
      share given (defaults: Goodman's figures as PERT(0.3, 0.5, 0.75) and Uniform(0.01, 0.05)).
    - **survey**: a survey's share q of customers with a problem in the period, times the
      customers N, counts the problems; multiplier = q N / (complaints recorded over all
      touchpoints). This assumes the touchpoints listed are where the surveyed problems happen
      and that customers complain equally readily at each. With front-line counts 1 / multiplier
      is then the complaint rate itself; with headquarters counts it is complain share x
      escalation, and the escalation implied by the complain share given is reported.

    For each touchpoint, failures = complaints per period x multiplier and
    failure_rate = failures / customers passing through it. Complaints should count complaining
    customers (cases), not contacts, and a customer is taken to meet at most one failure per
    period (fine while the rates are small).

    A caution on the figures: Goodman's 50% x 1-5% puts 40-200 customers with a problem behind
    each headquarters complaint, while the multipliers published for complaints reaching a
    company are 26 (classic), 25 (Rage 2020), 20 (Goodman, at 5% escalation) and 10-16 (CCMC
    2023-24), as if the 1-5% were a share of all customers with a problem. The result says so
    in its notes; give shares whose product is 1 / multiplier to follow a published one.

    Uncertainty: each input is drawn `draws` times (seeded): complaint counts by the Jeffreys
    posterior of a Poisson rate, Gamma(C + 1/2); the survey share by the Jeffreys posterior of
    a binomial share, Beta(k + 1/2, n - k + 1/2), turned into a per-period probability
    1 - (1 - q)^(1 / recall_periods); the shares by their distributions. Every rate is summarised
    by a beta distribution with the draws' mean and variance (scenario syntax), with p10 / p50
    / p90 of the draws to compare. `point` is the same arithmetic on the central inputs
    (observed counts, survey share, the shares' means).

    Arguments mirror the YAML file of `cxsim calibrate complaints` (see `read_complaints_yaml`):
    `touchpoints` is a list of {name, complaints, customers}; `customers` the active customers
    per period (the default for touchpoints, and needed with a survey); `periods` how many
    periods the complaint counts cover; `survey` is {respondents, with_problem,
    recall_periods}; `customer_value` the value of a customer for CCMC's revenue at risk.
    """
    spec = _check_complaints(
        {
            "touchpoints": touchpoints,
            "customers": customers,
            "periods": periods,
            "recorded_at": recorded_at,
            "complain_share": complain_share,
            "escalation_share": escalation_share,
            "survey": survey,
            "customer_value": customer_value,
        },
        where=_no_lines,
    )
    if not isinstance(draws, int) or draws < 100:
        raise UserError(f"draws must be a whole number >= 100, got {draws!r}")
    return _calibrate(spec, draws=draws, seed=seed)


def _calibrate(spec: dict[str, Any], draws: int, seed: int) -> ComplaintCalibration:
    rng = np.random.default_rng(seed)
    notes: list[str] = []
    per = float(spec["periods"])
    hq = spec["recorded_at"] == "headquarters"
    tps = spec["touchpoints"]
    counts = np.array([tp["complaints"] for tp in tps], dtype=float)
    served = np.array([tp["customers"] for tp in tps], dtype=float)
    c_point = counts / per
    c_draw = rng.gamma(counts[:, None] + 0.5, 1.0, size=(len(tps), draws)) / per
    share_draw = _sample_share(spec["complain_share"], rng, draws)
    share_point = _share_mean(spec["complain_share"])
    if hq:
        esc_draw = _sample_share(spec["escalation_share"], rng, draws)
        esc_point = _share_mean(spec["escalation_share"])
    else:
        esc_draw, esc_point = np.ones(draws), 1.0
        if spec["escalation_share_given"]:
            notes.append("escalation_share is not used: complaints are recorded at the front line")
    prior_mult = 1.0 / (share_draw * esc_draw)
    survey = spec["survey"]
    escalation: Estimate | None = None
    if survey is None:
        method = "multiplier"
        mult_point = 1.0 / (share_point * esc_point)
        mult_draw = prior_mult
        complaint_point, complaint_draw = share_point, share_draw
        if hq:
            escalation = _estimate(esc_point, esc_draw, rate=True)
            p10, p90 = np.quantile(prior_mult, [0.1, 0.9])
            notes.append(
                f"the shares given put {p10:.3g}-{p90:.3g} customers with a problem behind each "
                "headquarters complaint; published multipliers are lower: 26 (classic), 25 (Rage "
                "2020), 20 (Goodman, at 5% escalation), 10-16 (CCMC 2023-24). To use one, give "
                "shares whose product is 1 / multiplier"
            )
    else:
        method = "survey"
        n, k, recall = survey["respondents"], survey["with_problem"], survey["recall_periods"]
        q_point = 1.0 - (1.0 - k / n) ** (1.0 / recall)
        q_draw = 1.0 - (1.0 - rng.beta(k + 0.5, n - k + 0.5, size=draws)) ** (1.0 / recall)
        total_point = float(c_point.sum())
        if total_point <= 0:
            raise UserError(
                "no complaints recorded at any touchpoint: with a survey, the multiplier is "
                "customers with a problem / complaints, so some complaints are needed"
            )
        problems_point = q_point * spec["customers"]
        mult_point = problems_point / total_point
        mult_draw = q_draw * spec["customers"] / c_draw.sum(axis=0)
        reach_point = 1.0 / mult_point
        if reach_point > 1:
            raise UserError(
                f"more complaints recorded ({total_point:.4g} per period) than customers with a "
                f"problem by the survey ({problems_point:.4g} = {q_point:.4g} x "
                f"{spec['customers']:g}): check that both cover the same customers and period, "
                "and that complaints count complaining customers, not contacts"
            )
        if hq:
            complaint_point, complaint_draw = share_point, share_draw
            esc_implied_draw = 1.0 / (mult_draw * share_draw)
            escalation = _estimate(reach_point / share_point, esc_implied_draw, rate=False)
            over = float(np.mean(esc_implied_draw > 1.0))
            if over > 0.05:
                notes.append(
                    f"in {over:.0%} of draws the recorded complaints exceed the front-line "
                    "complaints the complain share allows (implied escalation above 1): the "
                    "survey, the counts and complain_share disagree"
                )
            lo, hi = DEFAULT_ESCALATION_SHARE["low"], DEFAULT_ESCALATION_SHARE["high"]
            if not lo / 2 <= escalation.p50 <= 2 * hi:
                notes.append(
                    f"the implied escalation to headquarters, {escalation.describe()}, is far "
                    f"from Goodman's {lo:.0%}-{hi:.0%}"
                )
        else:
            complaint_point = reach_point
            complaint_draw = np.minimum(1.0 / mult_draw, 1.0)
            if float(np.mean(1.0 / mult_draw > 1.0)) > 0.01:
                notes.append(
                    "in some draws complaints exceed the survey's problems; those complaint "
                    "rates were capped at 1"
                )
        p10, p90 = np.quantile(prior_mult, [0.1, 0.9])
        m50 = float(np.median(mult_draw))
        if not p10 / 2 <= m50 <= 2 * p90:
            notes.append(
                f"the survey implies {m50:.3g} customers with a problem per recorded complaint; "
                f"the complain and escalation shares given imply {p10:.3g}-{p90:.3g}: check "
                "that the survey and the complaint counts cover the same customers and period"
            )
    fail_draw = c_draw * mult_draw[None, :]
    rate_draw = fail_draw / served[:, None]
    rates = []
    for i, tp in enumerate(tps):
        failures_point = float(c_point[i] * mult_point)
        rate_point = failures_point / served[i]
        if rate_point > 1:
            raise UserError(
                f"touchpoint {tp['name']!r}: {failures_point:.4g} customers with a problem per "
                f"period (complaints {c_point[i]:.4g} x multiplier {mult_point:.4g}) but only "
                f"{served[i]:g} customers pass through it; check its customers, the period the "
                "complaints cover (periods), and the complain and escalation shares"
            )
        over = float(np.mean(rate_draw[i] >= 1.0))
        if over > 0:
            notes.append(
                f"touchpoint {tp['name']!r}: {over:.1%} of draws put the failure rate at 1 or "
                "more; they were capped just below 1"
            )
        rates.append(
            TouchpointRate(
                name=tp["name"],
                complaints=float(c_point[i]),
                customers=float(served[i]),
                failures=_estimate(failures_point, fail_draw[i], rate=False),
                failure_rate=_estimate(rate_point, np.minimum(rate_draw[i], 1.0 - 1e-9), rate=True),
            )
        )
    problem_share = None
    if spec["customers"] is not None:
        total_fail = fail_draw.sum(axis=0) / spec["customers"]
        problem_share = _estimate(
            float(c_point.sum() * mult_point / spec["customers"]), total_fail, rate=False
        )
        if survey is None and problem_share.point > 1:
            notes.append(
                "the failures add up to more than the customers: the multiplier is too large "
                "for these counts, or customers meet several failures per period"
            )
    revenue = None
    if spec["customer_value"] is not None:
        value = float(spec["customer_value"])
        revenue = _estimate(
            float(c_point.sum() * mult_point * value),
            c_draw.sum(axis=0) * mult_draw * value,
            rate=False,
        )
    return ComplaintCalibration(
        method=method,
        recorded_at=spec["recorded_at"],
        touchpoints=tuple(rates),
        multiplier=_estimate(mult_point, mult_draw, rate=False),
        reach=_estimate(1.0 / mult_point, 1.0 / mult_draw, rate=False),
        complaint_rate=_estimate(complaint_point, complaint_draw, rate=True),
        escalation=escalation,
        problem_share=problem_share,
        revenue_at_risk=revenue,
        draws=draws,
        seed=seed,
        notes=tuple(notes),
    )


def _estimate(point: float, draw: FloatArray, rate: bool) -> Estimate:
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
    return Estimate(point=float(point), mean=mean, p10=p10, p50=p50, p90=p90, dist=dist)


def _sample_share(spec: float | dict[str, Any], rng: np.random.Generator, size: int) -> FloatArray:
    """Draws of a share given as a number or a bounded distribution (scenario syntax)."""
    if not isinstance(spec, dict):
        return np.full(size, float(spec))
    kind = spec["dist"]
    if kind == "uniform":
        return rng.uniform(spec["low"], spec["high"], size)
    if kind == "triangular":
        return rng.triangular(spec["low"], spec["mode"], spec["high"], size)
    if kind == "pert":
        low, mode, high = spec["low"], spec["mode"], spec["high"]
        shape = spec.get("shape", 4.0)
        a = 1 + shape * (mode - low) / (high - low)
        b = 1 + shape * (high - mode) / (high - low)
        return low + (high - low) * rng.beta(a, b, size)
    return rng.beta(spec["alpha"], spec["beta"], size)  # "beta"


def _share_mean(spec: float | dict[str, Any]) -> float:
    if not isinstance(spec, dict):
        return float(spec)
    kind = spec["dist"]
    if kind == "uniform":
        return float((spec["low"] + spec["high"]) / 2)
    if kind == "triangular":
        return float((spec["low"] + spec["mode"] + spec["high"]) / 3)
    if kind == "pert":
        shape = spec.get("shape", 4.0)
        return float((spec["low"] + shape * spec["mode"] + spec["high"]) / (shape + 2))
    return float(spec["alpha"] / (spec["alpha"] + spec["beta"]))


# --- complaints input: checks and the YAML reader ---------------------------------------------

PathKey = tuple[str | int, ...]
Locate = Callable[[PathKey], str]

_TOP_KEYS = (
    "touchpoints",
    "customers",
    "periods",
    "recorded_at",
    "complain_share",
    "escalation_share",
    "survey",
    "customer_value",
)
_TOUCHPOINT_KEYS = ("name", "complaints", "customers")
_SURVEY_KEYS = ("respondents", "with_problem", "recall_periods")
_SHARE_DISTS = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "pert": ("low", "mode", "high"),
    "beta": ("alpha", "beta"),
}


def _no_lines(path: PathKey) -> str:
    return f"{format_loc(path)}: " if path else ""


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _number(
    data: Mapping[str, Any],
    key: str,
    path: PathKey,
    where: Locate,
    *,
    minimum: float = 0.0,
    strict: bool = False,
    whole: bool = False,
) -> float:
    value = data[key]
    here = (*path, key)
    if not _is_number(value):
        raise UserError(f"{where(here)}must be a number, got {value!r}")
    if value < minimum or (strict and value == minimum):
        sign = ">" if strict else ">="
        raise UserError(f"{where(here)}must be {sign} {minimum:g}, got {value!r}")
    if whole and value != round(value):
        raise UserError(f"{where(here)}must be a whole number, got {value!r}")
    return float(value)


def _unknown_keys(
    data: Mapping[str, Any], allowed: Sequence[str], path: PathKey, where: Locate
) -> None:
    for key in data:
        if key not in allowed:
            import difflib

            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UserError(
                f"{where((*path, key))}unknown key {key!r}{hint} (allowed: {', '.join(allowed)})"
            )


def _check_share(value: Any, path: PathKey, where: Locate) -> float | dict[str, Any]:
    """A share: a number in [0, 1], or uniform / triangular / PERT / beta within [0, 1]."""
    if _is_number(value):
        if not 0 < value <= 1:
            raise UserError(f"{where(path)}must be a share in (0, 1], got {value!r}")
        return float(value)
    if not isinstance(value, Mapping) or "dist" not in value:
        raise UserError(
            f"{where(path)}must be a share (a number in (0, 1]) or a distribution such as "
            "{dist: pert, low: 0.3, mode: 0.5, high: 0.75}"
        )
    kind = value["dist"]
    if kind not in _SHARE_DISTS:
        raise UserError(
            f"{where((*path, 'dist'))}a share takes a bounded distribution: "
            f"{', '.join(_SHARE_DISTS)}, got {kind!r}"
        )
    needed = _SHARE_DISTS[kind]
    allowed = ("dist", *needed, "shape") if kind == "pert" else ("dist", *needed)
    _unknown_keys(value, allowed, path, where)
    out: dict[str, Any] = {"dist": kind}
    for key in needed:
        if key not in value:
            raise UserError(f"{where(path)}{kind} needs {', '.join(needed)}; {key} is missing")
        out[key] = _number(value, key, path, where, strict=kind == "beta")
    if kind == "pert" and "shape" in value:
        out["shape"] = _number(value, "shape", path, where, strict=True)
    if kind != "beta":
        low, high = out["low"], out["high"]
        mode = out.get("mode", low)
        if not (0 <= low <= mode <= high <= 1 and low < high):
            raise UserError(
                f"{where(path)}need 0 <= low <= mode <= high <= 1 with low < high, got "
                + ", ".join(f"{k} {out[k]:g}" for k in needed)
            )
        if low == 0:
            raise UserError(
                f"{where((*path, 'low'))}a share of 0 would make the multiplier infinite"
            )
    return out


def _check_complaints(data: Mapping[str, Any], where: Locate) -> dict[str, Any]:
    """Check the complaint calibration's inputs; return them complete, with defaults."""
    if not isinstance(data, Mapping):
        raise UserError(f"{where(())}expected a mapping with touchpoints, customers, ...")
    _unknown_keys(data, _TOP_KEYS, (), where)
    spec: dict[str, Any] = {}
    given = {k: v for k, v in data.items() if v is not None}
    customers = (
        _number(given, "customers", (), where, strict=True) if "customers" in given else None
    )
    spec["customers"] = customers
    spec["periods"] = (
        _number(given, "periods", (), where, strict=True) if "periods" in given else 1.0
    )
    recorded = given.get("recorded_at", "front_line")
    if recorded not in RECORDED_AT:
        raise UserError(
            f"{where(('recorded_at',))}must be front_line or headquarters (where the company "
            f"counts its complaints), got {recorded!r}"
        )
    spec["recorded_at"] = recorded
    spec["complain_share"] = _check_share(
        given.get("complain_share", DEFAULT_COMPLAIN_SHARE), ("complain_share",), where
    )
    spec["escalation_share"] = _check_share(
        given.get("escalation_share", DEFAULT_ESCALATION_SHARE), ("escalation_share",), where
    )
    spec["escalation_share_given"] = "escalation_share" in given
    tps = given.get("touchpoints")
    if not isinstance(tps, Sequence) or isinstance(tps, str) or not tps:
        raise UserError(
            f"{where(('touchpoints',))}need a list of touchpoints, each with name and "
            "complaints (and customers)"
        )
    seen: set[str] = set()
    spec["touchpoints"] = []
    for i, tp in enumerate(tps):
        path: PathKey = ("touchpoints", i)
        if not isinstance(tp, Mapping):
            raise UserError(f"{where(path)}a touchpoint is a mapping with name, complaints, ...")
        _unknown_keys(tp, _TOUCHPOINT_KEYS, path, where)
        name = tp.get("name")
        if not isinstance(name, str) or not name.strip():
            raise UserError(f"{where((*path, 'name'))}each touchpoint needs a name")
        if name in seen:
            raise UserError(f"{where((*path, 'name'))}touchpoint name {name!r} is used twice")
        seen.add(name)
        if "complaints" not in tp:
            raise UserError(f"{where(path)}touchpoint {name!r} has no complaints count")
        complaints = _number(tp, "complaints", path, where)
        if tp.get("customers") is not None:
            served = _number(tp, "customers", path, where, strict=True)
        elif customers is not None:
            served = customers
        else:
            raise UserError(
                f"{where(path)}touchpoint {name!r}: how many customers pass through it per "
                "period? give its customers, or customers at the top level"
            )
        if customers is not None and served > customers * (1 + 1e-12):
            raise UserError(
                f"{where((*path, 'customers'))}{served:g} customers pass through {name!r}, more "
                f"than the {customers:g} customers in all"
            )
        spec["touchpoints"].append({"name": name, "complaints": complaints, "customers": served})
    survey = given.get("survey")
    if survey is not None:
        path = ("survey",)
        if not isinstance(survey, Mapping):
            raise UserError(f"{where(path)}a survey is a mapping with respondents, with_problem")
        _unknown_keys(survey, _SURVEY_KEYS, path, where)
        for key in ("respondents", "with_problem"):
            if key not in survey:
                raise UserError(f"{where(path)}the survey needs respondents and with_problem")
        n = _number(survey, "respondents", path, where, strict=True, whole=True)
        k = _number(survey, "with_problem", path, where, whole=True)
        if k > n:
            raise UserError(
                f"{where((*path, 'with_problem'))}{k:g} with a problem out of {n:g} respondents"
            )
        if k == 0:
            raise UserError(
                f"{where((*path, 'with_problem'))}no respondent had a problem: the survey cannot "
                "size the iceberg; leave the survey out to use the complain and escalation shares"
            )
        recall = (
            _number(survey, "recall_periods", path, where, strict=True)
            if survey.get("recall_periods") is not None
            else 1.0
        )
        if customers is None:
            raise UserError(
                f"{where(path)}with a survey, give customers (all active customers per period): "
                "the survey's share times customers counts the customers with a problem"
            )
        spec["survey"] = {"respondents": n, "with_problem": k, "recall_periods": recall}
    else:
        spec["survey"] = None
    spec["customer_value"] = (
        _number(given, "customer_value", (), where) if "customer_value" in given else None
    )
    return spec


def read_complaints_yaml(path: str | Path) -> dict[str, Any]:
    """Read and check a complaints file; returns keyword arguments for `calibrate_complaints`.

    Problems are reported with the file's name, line and field.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UserError(f"{source}: not a UTF-8 text file") from None
    data, marks = parse_yaml(text, source)
    if data is None:
        raise UserError(f"{source}: empty file")

    def where(key: PathKey) -> str:
        probe = key
        while probe and probe not in marks:
            probe = probe[:-1]
        line = f"{marks[probe][0]}:" if probe in marks else ""
        field_name = f" {format_loc(key)}:" if key else ""
        return f"{source}:{line}{field_name} "

    spec = _check_complaints(data, where)
    del spec["escalation_share_given"]
    for key in ("complain_share", "escalation_share"):
        if key not in data:
            spec[key] = None
    return spec


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
