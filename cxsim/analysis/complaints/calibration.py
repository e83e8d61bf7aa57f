"""Goodman's complaint iceberg: from complaint counts to failure and complaint rates.

`calibrate_complaints` checks its inputs (`inputs.check_complaints`), draws them (complaint
counts and the survey by Jeffreys posteriors, the shares through `cxsim.model.distributions`),
sizes the iceberg's multiplier from the shares or from a survey, and turns each touchpoint's
complaints into failures and a failure rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cxsim.analysis.complaints.inputs import DEFAULT_ESCALATION_SHARE, check_complaints, no_lines
from cxsim.analysis.complaints.result import ComplaintCalibration, Estimate, TouchpointRate
from cxsim.errors import UserError
from cxsim.model.distributions import Dist

FloatArray = NDArray[np.float64]

__all__ = ["calibrate_complaints"]

Share = float | Mapping[str, Any] | Dist | None
"""A share as a number, a distribution in scenario syntax, or a distribution model."""


def calibrate_complaints(
    touchpoints: Sequence[Mapping[str, Any]],
    *,
    customers: float | None = None,
    periods: float = 1,
    recorded_at: str = "front_line",
    complain_share: Share = None,
    escalation_share: Share = None,
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
    spec = check_complaints(
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
        where=no_lines,
    )
    if not isinstance(draws, int) or draws < 100:
        raise UserError(f"draws must be a whole number >= 100, got {draws!r}")
    return _calibrate(spec, draws=draws, seed=seed)


@dataclass(frozen=True)
class _Inputs:
    """The inputs' central values and draws: complaints per period (touchpoint x draw), the
    complain share and the escalation share (1 for front-line counts)."""

    counts: FloatArray
    counts_draw: FloatArray
    share: float
    share_draw: FloatArray
    escalation: float
    escalation_draw: FloatArray

    @property
    def prior_multiplier(self) -> FloatArray:
        """Customers with a problem per recorded complaint, by the shares given."""
        return 1.0 / (self.share_draw * self.escalation_draw)


@dataclass(frozen=True)
class _Iceberg:
    """The multiplier and the complaint rate, central and drawn; the implied escalation."""

    method: str
    multiplier: float
    multiplier_draw: FloatArray
    complaint: float
    complaint_draw: FloatArray
    escalation: Estimate | None


def _calibrate(spec: dict[str, Any], draws: int, seed: int) -> ComplaintCalibration:
    rng = np.random.default_rng(seed)
    notes: list[str] = []
    inputs = _draw_inputs(spec, rng, draws, notes)
    if spec["survey"] is None:
        ice = _from_shares(spec, inputs, notes)
    else:
        ice = _from_survey(spec, inputs, rng, draws, notes)
    rates = _touchpoint_rates(spec, inputs, ice, notes)
    total = inputs.counts.sum() * ice.multiplier
    total_draw = inputs.counts_draw.sum(axis=0) * ice.multiplier_draw
    problem_share = None
    if spec["customers"] is not None:
        problem_share = Estimate.from_draws(
            float(total / spec["customers"]),
            (inputs.counts_draw * ice.multiplier_draw[None, :]).sum(axis=0) / spec["customers"],
            rate=False,
        )
        if spec["survey"] is None and problem_share.point > 1:
            notes.append(
                "the failures add up to more than the customers: the multiplier is too large "
                "for these counts, or customers meet several failures per period"
            )
    revenue = None
    if spec["customer_value"] is not None:
        value = float(spec["customer_value"])
        revenue = Estimate.from_draws(float(total * value), total_draw * value, rate=False)
    return ComplaintCalibration(
        method=ice.method,
        recorded_at=spec["recorded_at"],
        touchpoints=tuple(rates),
        multiplier=Estimate.from_draws(ice.multiplier, ice.multiplier_draw, rate=False),
        reach=Estimate.from_draws(1.0 / ice.multiplier, 1.0 / ice.multiplier_draw, rate=False),
        complaint_rate=Estimate.from_draws(ice.complaint, ice.complaint_draw, rate=True),
        escalation=ice.escalation,
        problem_share=problem_share,
        revenue_at_risk=revenue,
        draws=draws,
        seed=seed,
        notes=tuple(notes),
    )


def _draw_inputs(
    spec: dict[str, Any], rng: np.random.Generator, draws: int, notes: list[str]
) -> _Inputs:
    """Complaint counts by the Jeffreys posterior of a Poisson rate, Gamma(C + 1/2), per
    period; the shares by their distributions (in this order: the draws are seeded)."""
    per = float(spec["periods"])
    counts = np.array([tp["complaints"] for tp in spec["touchpoints"]], dtype=float)
    counts_draw = rng.gamma(counts[:, None] + 0.5, 1.0, size=(len(counts), draws)) / per
    share: Dist = spec["complain_share"]
    share_draw = share.sample(rng, draws)
    if spec["recorded_at"] == "headquarters":
        esc: Dist = spec["escalation_share"]
        esc_point, esc_draw = esc.mean(), esc.sample(rng, draws)
    else:
        esc_point, esc_draw = 1.0, np.ones(draws)
        if spec["escalation_share_given"]:
            notes.append("escalation_share is not used: complaints are recorded at the front line")
    return _Inputs(counts / per, counts_draw, share.mean(), share_draw, esc_point, esc_draw)


def _from_shares(spec: dict[str, Any], inputs: _Inputs, notes: list[str]) -> _Iceberg:
    """No survey: the multiplier is 1 / (complain share x escalation share)."""
    escalation = None
    if spec["recorded_at"] == "headquarters":
        escalation = Estimate.from_draws(inputs.escalation, inputs.escalation_draw, rate=True)
        p10, p90 = np.quantile(inputs.prior_multiplier, [0.1, 0.9])
        notes.append(
            f"the shares given put {p10:.3g}-{p90:.3g} customers with a problem behind each "
            "headquarters complaint; published multipliers are lower: 26 (classic), 25 (Rage "
            "2020), 20 (Goodman, at 5% escalation), 10-16 (CCMC 2023-24). To use one, give "
            "shares whose product is 1 / multiplier"
        )
    return _Iceberg(
        method="multiplier",
        multiplier=1.0 / (inputs.share * inputs.escalation),
        multiplier_draw=inputs.prior_multiplier,
        complaint=inputs.share,
        complaint_draw=inputs.share_draw,
        escalation=escalation,
    )


def _from_survey(
    spec: dict[str, Any],
    inputs: _Inputs,
    rng: np.random.Generator,
    draws: int,
    notes: list[str],
) -> _Iceberg:
    """A survey's share q of customers with a problem, by the Jeffreys posterior of a binomial
    share, Beta(k + 1/2, n - k + 1/2), per period; multiplier = q N / complaints recorded."""
    survey, customers = spec["survey"], spec["customers"]
    n, k, recall = survey["respondents"], survey["with_problem"], survey["recall_periods"]
    q_point = 1.0 - (1.0 - k / n) ** (1.0 / recall)
    q_draw = 1.0 - (1.0 - rng.beta(k + 0.5, n - k + 0.5, size=draws)) ** (1.0 / recall)
    total_point = float(inputs.counts.sum())
    if total_point <= 0:
        raise UserError(
            "no complaints recorded at any touchpoint: with a survey, the multiplier is "
            "customers with a problem / complaints, so some complaints are needed"
        )
    problems_point = q_point * customers
    mult_point = problems_point / total_point
    mult_draw = q_draw * customers / inputs.counts_draw.sum(axis=0)
    if 1.0 / mult_point > 1:
        raise UserError(
            f"more complaints recorded ({total_point:.4g} per period) than customers with a "
            f"problem by the survey ({problems_point:.4g} = {q_point:.4g} x "
            f"{customers:g}): check that both cover the same customers and period, "
            "and that complaints count complaining customers, not contacts"
        )
    if spec["recorded_at"] == "headquarters":
        ice = _survey_headquarters(inputs, mult_point, mult_draw, notes)
    else:
        ice = _Iceberg(
            method="survey",
            multiplier=mult_point,
            multiplier_draw=mult_draw,
            complaint=1.0 / mult_point,
            complaint_draw=np.minimum(1.0 / mult_draw, 1.0),
            escalation=None,
        )
        if float(np.mean(1.0 / mult_draw > 1.0)) > 0.01:
            notes.append(
                "in some draws complaints exceed the survey's problems; those complaint "
                "rates were capped at 1"
            )
    p10, p90 = np.quantile(inputs.prior_multiplier, [0.1, 0.9])
    m50 = float(np.median(mult_draw))
    if not p10 / 2 <= m50 <= 2 * p90:
        notes.append(
            f"the survey implies {m50:.3g} customers with a problem per recorded complaint; "
            f"the complain and escalation shares given imply {p10:.3g}-{p90:.3g}: check "
            "that the survey and the complaint counts cover the same customers and period"
        )
    return ice


def _survey_headquarters(
    inputs: _Inputs, mult_point: float, mult_draw: FloatArray, notes: list[str]
) -> _Iceberg:
    """Headquarters counts with a survey: 1 / multiplier is complain share x escalation, so the
    escalation the complain share implies is reported."""
    implied_draw = 1.0 / (mult_draw * inputs.share_draw)
    escalation = Estimate.from_draws((1.0 / mult_point) / inputs.share, implied_draw, rate=False)
    over = float(np.mean(implied_draw > 1.0))
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
    return _Iceberg(
        method="survey",
        multiplier=mult_point,
        multiplier_draw=mult_draw,
        complaint=inputs.share,
        complaint_draw=inputs.share_draw,
        escalation=escalation,
    )


def _touchpoint_rates(
    spec: dict[str, Any], inputs: _Inputs, ice: _Iceberg, notes: list[str]
) -> list[TouchpointRate]:
    """Failures = complaints x multiplier; failure rate = failures / customers passing."""
    served = np.array([tp["customers"] for tp in spec["touchpoints"]], dtype=float)
    fail_draw = inputs.counts_draw * ice.multiplier_draw[None, :]
    rate_draw = fail_draw / served[:, None]
    rates = []
    for i, tp in enumerate(spec["touchpoints"]):
        failures_point = float(inputs.counts[i] * ice.multiplier)
        rate_point = failures_point / served[i]
        if rate_point > 1:
            raise UserError(
                f"touchpoint {tp['name']!r}: {failures_point:.4g} customers with a problem per "
                f"period (complaints {inputs.counts[i]:.4g} x multiplier {ice.multiplier:.4g}) "
                f"but only {served[i]:g} customers pass through it; check its customers, the "
                "period the complaints cover (periods), and the complain and escalation shares"
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
                complaints=float(inputs.counts[i]),
                customers=float(served[i]),
                failures=Estimate.from_draws(failures_point, fail_draw[i], rate=False),
                failure_rate=Estimate.from_draws(
                    rate_point, np.minimum(rate_draw[i], 1.0 - 1e-9), rate=True
                ),
            )
        )
    return rates
