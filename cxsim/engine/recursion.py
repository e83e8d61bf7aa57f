"""The engine: customer counts flow through the journey period by period.

State is an array of counts shaped (runs, groups, memory states); a group is a segment's churn
class (one for constant churn, the quadrature classes of `cxsim.model.churn` for sBG). Each period:

1. baseline churn, a binomial draw per cell;
2. the post-purchase touchpoints in journey order: failures; Goodman's loss tree (complain or
   stay silent; a complaint ends satisfied, mollified or dissatisfied); defection by path,
   severity and memory state; word of mouth; survivors move memory state (a satisfying answer
   resets it, a mollified one leaves it, silence or dissatisfaction adds an unresolved failure);
3. revenue of the customers who stayed;
4. acquisition: would-be buyers from the funnel, less sales lost at pre-purchase touchpoints,
   less prospects deterred by word of mouth, plus referrals; they join the segment's classes.

The same recursion runs with every draw replaced by its expectation (`MeanSampler`): that is the
expected-value model, the Monte Carlo engine's check. Each failure-caused defection is valued at
the revenue that customer would still have brought absent failures (their class's survival,
discounted, to the horizon or, with `lifetime`, beyond it); lost and won acquisitions are valued
as new customers. In the expected-value model these values add up exactly to the revenue
difference from the world without failures; in the Monte Carlo, within sampling error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from cxsim.errors import UserError
from cxsim.model.parameters import Params
from cxsim.model.scenario import Pathway

FloatArray = NDArray[np.float64]
STATES = 3  # memory: no unresolved failure, one, several
SILENT, SATISFIED, MOLLIFIED, DISSATISFIED, WORD_OF_MOUTH, LOST_SALES = map(int, Pathway)

#: Per-period outputs, each (runs, periods). Counts are customers; money is discounted.
PERIOD_OUTPUTS = (
    "active",  # customers at the start of the period
    "churned",  # baseline churn
    "defected",  # failure-caused defections
    "failures",
    "complaints",
    "satisfied",
    "acquired",
    "lost_acquisitions",  # lost sales + deterred - referred
    "revenue",
    "loss",  # value of the period's loss events
    "nps",
    "response_hours",
)


class Sampler(Protocol):
    """Where the engine's randomness comes from: draws, or their expectations."""

    def binomial(self, slot: int, n: NDArray, p: NDArray | float) -> NDArray: ...

    def poisson(self, slot: int, lam: NDArray) -> NDArray: ...

    def zeros(self, shape: tuple[int, ...]) -> NDArray: ...


class RandomSampler:
    """Monte Carlo draws; one generator per slot, so a change at one touchpoint leaves the
    others' streams aligned (common random numbers between a scenario and its variants)."""

    def __init__(self, seed: np.random.SeedSequence, slots: int) -> None:
        # Children by explicit key, not `seed.spawn`: spawning again would give new children,
        # and every world built on this seed must see the same streams.
        self.rngs = [
            np.random.Generator(
                np.random.PCG64(
                    np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, i))
                )
            )
            for i in range(slots)
        ]

    def binomial(self, slot: int, n: NDArray, p: NDArray | float) -> NDArray:
        # The same values as `np.clip(p, 0, 1)`, without its Python-level dispatch.
        return self.rngs[slot].binomial(n, np.minimum(np.maximum(p, 0.0), 1.0))

    def poisson(self, slot: int, lam: NDArray) -> NDArray:
        return self.rngs[slot].poisson(lam)

    def zeros(self, shape: tuple[int, ...]) -> NDArray:
        return np.zeros(shape, dtype=np.int64)


class MeanSampler:
    """Every draw replaced by its expectation: the expected-value model."""

    def binomial(self, slot: int, n: NDArray, p: NDArray | float) -> NDArray:
        return np.asarray(n, dtype=float) * np.clip(p, 0.0, 1.0)

    def poisson(self, slot: int, lam: NDArray) -> NDArray:
        return np.asarray(lam, dtype=float)

    def zeros(self, shape: tuple[int, ...]) -> NDArray:
        return np.zeros(shape, dtype=float)


#: Random streams: churn, acquisition, word of mouth, then one per touchpoint.
SLOT_CHURN, SLOT_ACQUIRE, SLOT_WOM = range(3)
FIRST_TOUCHPOINT_SLOT = 3

#: More customers than this in one run is a runaway (referrals feeding on themselves), not a
#: business; counts of customers (int64, up to 9.2e18) must stay well below it.
MAX_CUSTOMERS = 1e17
MAX_POISSON = 9e18  # numpy's Poisson refuses larger means

#: A hook for the support model: complaints per run in a period -> (split (R, 3), response hours).
ResolutionHook = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


@dataclass
class BlockResult:
    """A block of runs: totals per run, attribution, and per-period outputs if kept."""

    attribution: FloatArray  # (R, T, 6 pathways, S) loss value
    totals: dict[str, FloatArray]
    periods: dict[str, FloatArray] = field(default_factory=dict)


def _geometric(x: FloatArray, n: FloatArray | int) -> FloatArray:
    """sum_{k<n} x^k, safe at x = 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (1.0 - x**n) / (1.0 - x)
    return np.where(np.abs(1.0 - x) < 1e-12, np.broadcast_to(n, np.shape(x)), out)


def stay_value(p: Params, t: int) -> FloatArray:
    """(R, G) value of a customer who has survived period t's churn, from period t on."""
    value = p.value[:, p.group_segment]
    d = p.period_discount
    q = d * (1.0 - p.churn)
    within = np.zeros_like(q) if t >= p.horizon else _geometric(q, p.horizon - t)
    total = within
    if p.lifetime:
        with np.errstate(divide="ignore"):
            total = within + q ** (p.horizon - t) / (1.0 - q)
    return value * d ** (t + 1) * total


def new_value(p: Params, t: int) -> FloatArray:
    """(R, S) value of a customer who would join at the end of period t (before class is known)."""
    per_group = (1.0 - p.churn) * stay_value(p, t + 1) * p.class_weight
    return per_group @ p.segment_matrix()


def expected_complaints(p: Params) -> FloatArray:
    """(runs,) complaints expected in the first period, from the initial customers."""
    total = np.zeros(p.runs)
    for j in np.flatnonzero(p.tp_customers):
        total += (p.initial * p.tp_prob[:, j, :]).sum(axis=1) * p.tp_complaint[:, j]
    return total


def run_block(
    p: Params,
    sampler: Sampler,
    keep_periods: bool = True,
    resolution: ResolutionHook | Sequence[ResolutionHook | None] | None = None,
    timeline: Sequence[Params] | None = None,
) -> BlockResult:
    """Simulate one block of runs (or the expected-value model, with a `MeanSampler`).

    `timeline` gives each period its own parameters (an intervention ramping up); `p` gives
    the structure and the first period's customers. `resolution` (one hook, or one per period)
    sets the complaint split from the support model.
    """
    runs, horizon, n_seg, n_grp = p.runs, p.horizon, p.segments, p.groups
    n_tp = p.tp_prob.shape[1]
    seg_of = p.group_segment
    to_seg = p.segment_matrix()
    customer_tps = np.flatnonzero(p.tp_customers)
    prospect_tps = np.flatnonzero(~p.tp_customers)

    state = _split_into_classes(sampler, p.initial, p.initial_weight, seg_of, n_grp)
    counts = sampler.zeros((runs, n_grp, STATES))
    counts[:, :, 0] = state

    attribution = np.zeros((runs, n_tp, 6, n_seg))
    totals = {
        k: np.zeros(runs)
        for k in ("customers_lost", "lost_acquisitions", "churned", "active", "revenue", "end")
    }
    keep = {k: np.zeros((runs, horizon)) for k in PERIOD_OUTPUTS} if keep_periods else {}
    last = p if timeline is None else timeline[-1]
    tail_value = (1.0 - last.churn) * stay_value(last, horizon) if p.lifetime else None
    promoters_less_detractors = p.promoters - p.detractors
    complaints_prev = expected_complaints(p)  # the support queue's load in the first period
    response = np.full(runs, np.nan)

    for t in range(horizon):
        pt = p if timeline is None else timeline[t]
        split = pt.split
        hook = resolution[t] if isinstance(resolution, Sequence) else resolution
        if hook is not None:
            split, response = hook(complaints_prev, pt.split)
        active = counts.sum(axis=(1, 2))
        _check_growth(active, t)
        churned = sampler.binomial(SLOT_CHURN, counts, pt.churn[:, :, None])
        counts = counts - churned
        v_stay = stay_value(pt, t)  # (R, G)
        wom_lost = np.zeros((runs, n_tp, n_seg))
        wom_won = np.zeros((runs, n_tp, n_seg))
        failures_t = np.zeros(runs)
        complaints_t = np.zeros(runs)
        satisfied_t = np.zeros(runs)
        defected_t = np.zeros(runs)
        loss_t = np.zeros(runs)

        for j in customer_tps:
            slot = FIRST_TOUCHPOINT_SLOT + int(j)
            prob = pt.tp_prob[:, j, seg_of][:, :, None]  # (R, G, 1)
            failed = sampler.binomial(slot, counts, prob)
            complained = sampler.binomial(slot, failed, pt.tp_complaint[:, j, None, None])
            sat = sampler.binomial(slot, complained, split[:, 0, None, None])
            rest = split[:, 1] / np.maximum(split[:, 1] + split[:, 2], 1e-300)
            mol = sampler.binomial(slot, complained - sat, rest[:, None, None])
            groups = np.empty((*failed.shape, 4), dtype=failed.dtype)  # (R, G, K, 4)
            np.subtract(failed, complained, out=groups[..., SILENT])
            groups[..., SATISFIED] = sat
            groups[..., MOLLIFIED] = mol
            np.subtract(complained - sat, mol, out=groups[..., DISSATISFIED])
            defect_p = pt.defect[:, p.tp_severity[j]][:, None, :, :]  # (R, 1, K, 4)
            defected = sampler.binomial(slot, groups, defect_p)  # (R, G, K, 4)
            stay = groups - defected

            counts = counts - failed
            counts[:, :, 0] += _over_states(stay[..., SATISFIED])
            counts += stay[..., MOLLIFIED]
            worse = stay[..., SILENT] + stay[..., DISSATISFIED]
            counts[:, :, 1:] += worse[:, :, :-1]
            counts[:, :, -1] += worse[:, :, -1]

            by_group = _over_states(defected)  # (R, G, 4)
            value = np.einsum("rgk,rg,gs->rsk", by_group, v_stay, to_seg)
            attribution[:, j, :4, :] += value.transpose(0, 2, 1)
            people = _over_states(groups)  # (R, G, 4)
            told_bad = (
                people[..., SILENT] * pt.told[:, None, SILENT]
                + people[..., MOLLIFIED] * pt.told[:, None, MOLLIFIED]
                + people[..., DISSATISFIED] * pt.told[:, None, DISSATISFIED]
            )
            wom_lost[:, j, :] = (told_bad @ to_seg) * pt.deterred[:, None]
            wom_won[:, j, :] = (people[..., SATISFIED] * pt.told[:, None, SATISFIED]) @ to_seg
            wom_won[:, j, :] *= pt.referred[:, None]

            failures_t += failed.sum(axis=(1, 2))
            complaints_t += complained.sum(axis=(1, 2))
            satisfied_t += sat.sum(axis=(1, 2))
            defected_t += by_group.sum(axis=(1, 2))
            loss_t += value.sum(axis=(1, 2))

        stayed = counts.sum(axis=2)  # (R, G)
        revenue_t = (stayed * pt.value[:, seg_of]).sum(axis=1) * p.discount[t]

        _check_growth(wom_won.sum(axis=1), t)
        # Acquisition: would-be buyers, sales lost before purchase, word of mouth.
        v_new = new_value(pt, t)  # (R, S)
        buyers = sampler.binomial(SLOT_ACQUIRE, _counts(sampler, pt.prospects), pt.conversion)
        lost_t = np.zeros(runs)
        for j in prospect_tps:
            slot = FIRST_TOUCHPOINT_SLOT + int(j)
            lost = sampler.binomial(slot, buyers, pt.tp_prob[:, j, :])
            buyers = buyers - lost
            attribution[:, j, LOST_SALES, :] += lost * v_new
            failures_t += lost.sum(axis=1)
            lost_t += lost.sum(axis=1)
            loss_t += (lost * v_new).sum(axis=1)
        for j in customer_tps:
            put_off = np.minimum(wom_lost[:, j, :], MAX_POISSON)  # above: deters every buyer
            deterred = np.minimum(sampler.poisson(SLOT_WOM, put_off), buyers)
            won = sampler.poisson(SLOT_WOM, wom_won[:, j, :])
            buyers = buyers - deterred + won
            net = deterred - won
            attribution[:, j, WORD_OF_MOUTH, :] += net * v_new
            lost_t += net.sum(axis=1)
            loss_t += (net * v_new).sum(axis=1)
        joined = _split_into_classes(sampler, buyers, pt.class_weight, seg_of, n_grp)
        counts[:, :, 0] += joined

        totals["customers_lost"] += defected_t
        totals["lost_acquisitions"] += lost_t
        totals["churned"] += churned.sum(axis=(1, 2)) + defected_t
        totals["active"] += active
        totals["revenue"] += revenue_t
        complaints_prev = complaints_t
        if keep_periods:
            end_states = counts.sum(axis=1)  # (R, K)
            with np.errstate(divide="ignore", invalid="ignore"):
                nps = (end_states @ promoters_less_detractors) / end_states.sum(axis=1) * 100
            for name, series in (
                ("active", active),
                ("churned", churned.sum(axis=(1, 2))),
                ("defected", defected_t),
                ("failures", failures_t),
                ("complaints", complaints_t),
                ("satisfied", satisfied_t),
                ("acquired", joined.sum(axis=1)),
                ("lost_acquisitions", lost_t),
                ("revenue", revenue_t),
                ("loss", loss_t),
                ("nps", nps),
                ("response_hours", response),
            ):
                keep[name][:, t] = series

    if tail_value is not None:
        totals["revenue"] += (counts.sum(axis=2) * tail_value).sum(axis=1)
    totals["end"] = counts.sum(axis=(1, 2)).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        totals["churn_rate"] = np.where(
            totals["active"] > 0, totals["churned"] / totals["active"], 0.0
        )
    totals["lost_revenue"] = attribution.sum(axis=(1, 2, 3))
    return BlockResult(attribution=attribution, totals=totals, periods=keep)


def _check_growth(people: NDArray, t: int) -> None:
    """Refuse a run whose customers (or referrals) outgrow any business, before counts overflow.

    A scenario that loads may still grow without bound when referrals feed on themselves.
    """
    if people.size and float(np.max(people)) > MAX_CUSTOMERS:
        raise UserError(
            f"more than {MAX_CUSTOMERS:.0e} customers in period {t + 1}: the customer base "
            "grows without bound; check the segments' customers and prospects and "
            "loss_tree.word_of_mouth (told, referred)"
        )


def _over_states(x: NDArray) -> NDArray:
    """Sum over the memory-state axis (axis 2), as `x.sum(axis=2)` but by plain additions.

    numpy's reduction over a short middle axis costs several times more than adding the
    slices. Counts (the Monte Carlo) are integers, exact in any order; the expected-value
    model's floats are added state 0, 1, 2 in turn, as numpy's reduction does here.
    """
    out = x[:, :, 0] + x[:, :, 1]
    for k in range(2, x.shape[2]):
        out += x[:, :, k]
    return out


def _counts(sampler: Sampler, x: FloatArray) -> NDArray:
    """Expected counts (uncertain inputs) as whole customers for the Monte Carlo."""
    if isinstance(sampler, MeanSampler):
        return x
    return np.rint(x).astype(np.int64)


def _split_into_classes(
    sampler: Sampler, n: NDArray, weight: FloatArray, seg_of: NDArray, n_grp: int
) -> NDArray:
    """Split (R, S) counts into (R, G) classes: a multinomial, by sequential binomials."""
    n = _counts(sampler, n)
    out = sampler.zeros((n.shape[0], n_grp))
    for s in range(n.shape[1]):
        members = np.flatnonzero(seg_of == s)
        left = n[:, s].copy()
        share_left = np.ones(n.shape[0])
        for g in members[:-1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                q = np.where(share_left > 0, weight[:, g] / share_left, 0.0)
            out[:, g] = sampler.binomial(SLOT_ACQUIRE, left, np.clip(q, 0.0, 1.0))
            left = left - out[:, g]
            share_left = share_left - weight[:, g]
        out[:, members[-1]] = left
    return out
