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
   less prospects deterred by word of mouth, plus referrals (netted once, whatever the order of
   the touchpoints); they pay for the period they buy in and join the segment's classes.

The same recursion runs with every draw replaced by its expectation (`MeanSampler`): that is the
expected-value model, the Monte Carlo engine's check. Each failure-caused defection is valued at
the revenue that customer would still have brought absent failures (their class's survival,
discounted, to the horizon or, with `lifetime`, beyond it); lost and won acquisitions are valued
as new customers. In the expected-value model these values add up exactly to the revenue
difference from the world without failures; in the Monte Carlo, within sampling error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from cxsim.engine.sampling import MeanSampler, Sampler
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
    "failure_cost",  # serving, recovery and replacement costs failures caused (cash)
    "routine_contacts_cost",  # serving every customer's routine contacts (the baseline)
    "nps",
    "response_hours",
)


#: Random streams: churn, acquisition, word of mouth, then one per touchpoint.
SLOT_CHURN, SLOT_ACQUIRE, SLOT_WOM = range(3)
FIRST_TOUCHPOINT_SLOT = 3
#: Streams of their own for fading memory and the initial experience states, past any
#: touchpoint's, so that adding them moved no other stream.
SLOT_FADE, SLOT_START = 1_000_000, 1_000_001

#: More customers than this in one run is a runaway (referrals feeding on themselves), not a
#: business; counts of customers (int64, up to 9.2e18) must stay well below it.
MAX_CUSTOMERS = 1e17
MAX_POISSON = 9e18  # numpy's Poisson refuses larger means

#: The cost lines of a poor experience, in the order of `BlockResult.costs`'s line axis. The
#: last is the change failures make to the cost of routine contacts: customers lost no longer
#: make them (negative, a saving), valued as their revenue is.
COST_LINES = ("serving_cost", "recovery_cost", "replacement_cost", "routine_cost")
SERVING, RECOVERY, REPLACEMENT, ROUTINE = range(4)

#: A hook for the support model: (complaints, active customers) per run in a period ->
#: (split (R, 3), response hours).
ResolutionHook = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


@dataclass
class BlockResult:
    """A block of runs: totals per run, attribution, and per-period outputs if kept."""

    attribution: FloatArray  # (R, T, 6 pathways, S) loss value
    totals: dict[str, FloatArray]
    periods: dict[str, FloatArray] = field(default_factory=dict)
    #: (R, 3 cost lines, T, 6 pathways, S) discounted costs failures caused (`COST_LINES`).
    costs: FloatArray | None = None


def _geometric(x: FloatArray, n: FloatArray | int) -> FloatArray:
    """sum_{k<n} x^k, safe at x = 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (1.0 - x**n) / (1.0 - x)
    return np.where(np.abs(1.0 - x) < 1e-12, np.broadcast_to(n, np.shape(x)), out)


def stay_value(p: Params, t: int) -> FloatArray:
    """(R, G) value of a customer who has survived period t's churn, from period t on.

    The valuation window is the horizon plus `p.beyond` periods (0, a cap, or infinity); every
    value of the engine (defections, new customers, the revenue tail) uses this one series, so
    the per-event values add up to the revenue difference exactly.
    """
    value = p.value[:, p.group_segment]
    d = p.period_discount
    q = d * (1.0 - p.churn)
    total = np.zeros_like(q) if t >= p.horizon else _geometric(q, p.horizon - t)
    if p.beyond > 0:
        ahead = q ** max(p.horizon - t, 0)
        if math.isinf(p.beyond):
            with np.errstate(divide="ignore"):
                total = total + ahead / (1.0 - q)
        else:
            total = total + ahead * _geometric(q, p.beyond)
    return value * d ** (t + 1) * total


def new_value(p: Params, t: int) -> FloatArray:
    """(R, S) value of a customer who would buy in period t (before class is known).

    A buyer pays for the period they buy in (a first purchase, a first month) and joins the
    customers at its end: the value of one who has survived period t's churn, so a buyer lost
    or deterred in a one-period case is worth that period's value.
    """
    return (stay_value(p, t) * p.class_weight) @ p.segment_matrix()


def expected_complaints(p: Params) -> FloatArray:
    """(runs,) complaints expected in the first period, from the initial customers."""
    total = np.zeros(p.runs)
    for j in np.flatnonzero(p.tp_customers):
        total += (p.initial * p.tp_prob[:, j, :]).sum(axis=1) * p.tp_complaint[:, j]
    return total


@dataclass
class _Step:
    """The customers' part of one period: churn, then the post-purchase touchpoints."""

    counts: NDArray  # (R, G, K) after both
    churned: NDArray  # (R,)
    defected: NDArray  # (R, G) failure-caused defections
    wom_lost: FloatArray  # (R, T, S) prospects deterred (expected)
    wom_won: FloatArray  # (R, T, S) referrals (expected)
    failures: NDArray  # (R,)
    complaints: NDArray  # (R,)
    satisfied: NDArray  # (R,)


def _customers(
    pt: Params,
    p: Params,
    counts: NDArray,
    sampler: Sampler,
    split: FloatArray,
    v_stay: FloatArray | None = None,
    attribution: FloatArray | None = None,
    costs: FloatArray | None = None,
    discount: float = 1.0,
) -> _Step:
    """Baseline churn, then each post-purchase touchpoint's loss tree, on (R, G, K) counts.

    Defections are valued at `v_stay` into `attribution` when both are given; the costs the
    failures cause (contacts, recovery, replacement), discounted by `discount`, go to `costs`.
    """
    runs, n_tp, n_seg = p.runs, p.tp_prob.shape[1], p.segments
    seg_of, to_seg = p.group_segment, p.segment_matrix()
    churned = sampler.binomial(SLOT_CHURN, counts, pt.churn[:, :, None])
    counts = counts - churned
    out = _Step(
        counts=counts,
        churned=churned.sum(axis=(1, 2)),
        defected=np.zeros((runs, p.groups)),
        wom_lost=np.zeros((runs, n_tp, n_seg)),
        wom_won=np.zeros((runs, n_tp, n_seg)),
        failures=np.zeros(runs),
        complaints=np.zeros(runs),
        satisfied=np.zeros(runs),
    )
    for j in np.flatnonzero(p.tp_customers):
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
        if attribution is not None and v_stay is not None:
            value = np.einsum("rgk,rg,gs->rsk", by_group, v_stay, to_seg)
            attribution[:, j, :4, :] += value.transpose(0, 2, 1)
        people = _over_states(groups)  # (R, G, 4)
        if costs is not None:
            _book_costs(pt, costs[:, :, j], people, by_group, to_seg, discount)
        told_bad = (
            people[..., SILENT] * pt.told[:, None, SILENT]
            + people[..., MOLLIFIED] * pt.told[:, None, MOLLIFIED]
            + people[..., DISSATISFIED] * pt.told[:, None, DISSATISFIED]
        )
        out.wom_lost[:, j, :] = (told_bad @ to_seg) * pt.deterred[:, None]
        out.wom_won[:, j, :] = (people[..., SATISFIED] * pt.told[:, None, SATISFIED]) @ to_seg
        out.wom_won[:, j, :] *= pt.referred[:, None]

        out.failures += failed.sum(axis=(1, 2))
        out.complaints += complained.sum(axis=(1, 2))
        out.satisfied += sat.sum(axis=(1, 2))
        out.defected += by_group.sum(axis=2)
    out.counts = counts
    return out


def _book_costs(
    pt: Params,
    costs: FloatArray,
    people: NDArray,
    defected: NDArray,
    to_seg: FloatArray,
    discount: float,
) -> None:
    """One touchpoint's cost lines into `costs` (R, 3 lines, 6 pathways, S), discounted.

    Serving: each complaint and its repeats at the cost of a contact; recovery: per complaint
    by outcome; replacement: each defection the business replaces, at the acquisition cost.
    """
    complainers = people[..., SATISFIED:]  # (R, G, 3) satisfied, mollified, dissatisfied
    per_complaint = pt.contacts * pt.contact_cost[:, None]  # (R, 3)
    serving = np.einsum("rgo,ro,gs->ros", complainers, per_complaint, to_seg)
    recovery = np.einsum("rgo,ro,gs->ros", complainers, pt.recovery, to_seg)
    costs[:, SERVING, SATISFIED : DISSATISFIED + 1, :] += serving * discount
    costs[:, RECOVERY, SATISFIED : DISSATISFIED + 1, :] += recovery * discount
    replaced = np.einsum("rgk,gs->rks", defected, to_seg) * pt.replacement[:, None, None]
    costs[:, REPLACEMENT, :4, :] += replaced * discount


def _routine_ratio(pt: Params) -> FloatArray:
    """(R, S) cost of a customer's routine contacts per unit of their value per period (0
    where a segment's value is 0)."""
    per_customer = (pt.routine * pt.contact_cost)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pt.value > 0, per_customer / pt.value, 0.0)


def _book_routine(
    pt: Params,
    p: Params,
    stayed: NDArray,
    buyers: NDArray,
    valued: FloatArray,
    costs: FloatArray,
) -> FloatArray:
    """(R,) the period's undiscounted cost of routine contacts, and their change into `costs`.

    Routine contacts are made by the customers who bring the period's revenue (those who
    stayed and the buyers), so their cost is a fixed share of each segment's revenue; the
    customers the period's failures lost (`valued`: the value booked to the loss this period,
    (R, T, 6, S)) no longer make them, a saving valued as their revenue is. In the
    expected-value model the line is then exactly the difference from the failure-free world.
    """
    ratio = _routine_ratio(pt)
    costs[:, ROUTINE] -= valued * ratio[:, None, None, :]
    served = stayed @ p.segment_matrix() + buyers  # (R, S)
    return (served * pt.routine[:, None]).sum(axis=1) * pt.contact_cost


def _acquire(
    pt: Params,
    p: Params,
    sampler: Sampler,
    step: _Step,
    v_new: FloatArray | None = None,
    attribution: FloatArray | None = None,
) -> tuple[NDArray, NDArray, NDArray]:
    """Would-be buyers, less sales lost before purchase and prospects deterred, plus referrals.

    Returns the buyers (R, S), the acquisitions lost net of referrals (R, S), and the failures
    at pre-purchase touchpoints (R,). Lost and won buyers are valued at `v_new` into
    `attribution` when both are given.
    """
    buyers = sampler.binomial(SLOT_ACQUIRE, _whole(sampler, pt.prospects), pt.conversion)
    expected_buyers = pt.prospects * pt.conversion  # (R, S), less the sales lost below
    lost_net = np.zeros(buyers.shape)
    failures = np.zeros(p.runs)
    for j in np.flatnonzero(~p.tp_customers):
        slot = FIRST_TOUCHPOINT_SLOT + int(j)
        lost = sampler.binomial(slot, buyers, pt.tp_prob[:, j, :])
        buyers = buyers - lost
        expected_buyers = expected_buyers * (1.0 - pt.tp_prob[:, j, :])
        lost_net += lost
        failures += lost.sum(axis=1)
        if attribution is not None and v_new is not None:
            attribution[:, j, LOST_SALES, :] += lost * v_new
    deterred, won = _word_of_mouth(sampler, buyers, expected_buyers, step)
    buyers = buyers - deterred + won
    lost_net += deterred - won
    if attribution is not None and v_new is not None:
        # Each touchpoint's share of the deterred and of the won: the netting is done once,
        # so the order of the touchpoints does not change it.
        lost_share, won_share = _shares(step.wom_lost), _shares(step.wom_won)
        net = lost_share * deterred[:, None, :] - won_share * won[:, None, :]
        attribution[:, :, WORD_OF_MOUTH, :] += net * v_new[:, None, :]
    return buyers, lost_net, failures


def _word_of_mouth(
    sampler: Sampler, buyers: NDArray, expected_buyers: FloatArray, step: _Step
) -> tuple[NDArray, NDArray]:
    """(R, S) prospects deterred and referrals won in a period, each drawn once per segment.

    Netted once: referrals join the would-be buyers, and word of mouth deters each of them
    with the chance (put off) / (expected would-be buyers and referrals), at most 1, whatever
    the touchpoints' order. The chance uses the expected buyers, not the drawn ones, so the
    Monte Carlo's mean is the expected-value model's min(put off, buyers + referrals) even
    at small counts (a min of two draws is biased low).
    """
    won = sampler.poisson(SLOT_WOM, step.wom_won.sum(axis=1))
    put_off = step.wom_lost.sum(axis=1)
    reachable = expected_buyers + step.wom_won.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        chance = np.where(reachable > 0, np.minimum(put_off / reachable, 1.0), 0.0)
    deterred = sampler.binomial(SLOT_WOM, buyers + won, chance)
    return deterred, won


def _shares(x: FloatArray) -> FloatArray:
    """(R, T, S) each touchpoint's share of the total over touchpoints (0 where it is 0)."""
    total = x.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, x / total, 0.0)


def _fade(sampler: Sampler, counts: NDArray, fade: float) -> NDArray:
    """Unresolved failures forgotten: a share `fade` of each state k >= 1 moves to k - 1."""
    if fade <= 0.0:
        return counts
    moved = sampler.binomial(SLOT_FADE, counts[:, :, 1:], fade)
    counts[:, :, 1:] -= moved
    counts[:, :, :-1] += moved
    return counts


def settled_mix(p: Params, split: FloatArray) -> FloatArray:
    """(R, G, K) shares of the experience states the scenario's own dynamics settle into.

    In the expected-value sense and with `p`'s parameters, one period maps a group's counts y
    to M y + E e0: M (churn, the touchpoints' loss trees, fading) is linear in the counts, and
    E customers join with no unresolved failure. The settled shares are those y / sum(y) that
    one period leaves as they are, y proportional to M y + E e0, for the group's initial count
    (`_stationary_shares`). E depends on the mix through word of mouth, so the two are iterated
    to a fixed point (a few rounds: the mix moves word of mouth only through defections).
    """
    ev = MeanSampler()
    runs, n_grp = p.runs, p.groups
    n = p.initial[:, p.group_segment] * p.initial_weight  # (R, G) expected initial customers
    m = np.empty((runs, n_grp, STATES, STATES))
    for k in range(STATES):
        unit = np.zeros((runs, n_grp, STATES))
        unit[:, :, k] = 1.0
        m[..., k] = _fade(ev, _customers(p, p, unit, ev, split).counts, p.fade)
    rho = np.max(np.abs(np.linalg.eigvals(m)), axis=-1)  # M's spectral radius, (R, G)
    y = np.zeros((runs, n_grp, STATES))
    y[:, :, 0] = n
    shares = y / np.maximum(n, 1e-300)[..., None]
    for _ in range(50):
        buyers = _acquire(p, p, ev, _customers(p, p, y, ev, split))[0]
        entrants = buyers[:, p.group_segment] * p.class_weight
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = np.where(n > 0, entrants / n, 0.0)
        # Newcomers beyond a trillion per customer set the mix alone (to double precision);
        # the cap keeps a near-empty base (1e-300 customers) from overflowing the solve.
        ratio = np.minimum(ratio, 1e12)
        shares = _stationary_shares(m, ratio, rho)
        shares[n <= 0] = np.eye(STATES)[0]
        new = shares * n[..., None]
        done = np.max(np.abs(new - y), initial=0.0) <= 1e-14 * max(1.0, float(np.max(n)))
        y = new
        if done:
            break
    return shares


def _stationary_shares(m: FloatArray, ratio: FloatArray, rho: FloatArray) -> FloatArray:
    """Shares y (sum 1) with y proportional to M y + ratio e0, batched over (R, G).

    y = ratio (lam I - M)^-1 e0 with lam the root above M's spectral radius `rho` of
    f(lam) = ratio 1'(lam I - M)^-1 e0 = 1: f falls from infinity to 0 there, and
    f(1 + ratio) <= 1 because M loses customers and never adds any (column sums <= 1). Found
    by bisection; (lam I - M)^-1 e0 is the first column of the inverse, the cofactors of A's
    first row over det A, written out for 3 x 3. With ratio 0 it tends to M's Perron vector.
    """
    lo = rho
    hi = np.maximum(lo, 1.0) + ratio
    eye = np.eye(STATES)

    def column(lam: FloatArray) -> tuple[FloatArray, FloatArray]:
        a = lam[..., None, None] * eye - m
        c = np.stack(
            [
                a[..., 1, 1] * a[..., 2, 2] - a[..., 1, 2] * a[..., 2, 1],
                a[..., 1, 2] * a[..., 2, 0] - a[..., 1, 0] * a[..., 2, 2],
                a[..., 1, 0] * a[..., 2, 1] - a[..., 1, 1] * a[..., 2, 0],
            ],
            axis=-1,
        )
        det = (a[..., 0, :] * c).sum(axis=-1)
        return c, det

    for _ in range(200):
        mid = 0.5 * (lo + hi)
        c, det = column(mid)
        with np.errstate(divide="ignore", invalid="ignore"):
            above = ratio * c.sum(axis=-1) / det > 1.0
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
        if np.all(hi - lo <= 4 * np.finfo(float).eps * hi):
            break
    c, _ = column(hi)
    total = c.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = c / total
    ok = np.isfinite(shares).all(axis=-1) & (shares >= -1e-12).all(axis=-1)
    return np.where(ok[..., None], np.clip(shares, 0.0, 1.0), eye[0])


def _initial_counts(p: Params, sampler: Sampler, split: FloatArray) -> NDArray:
    """(R, G, K) customers at the start: split into classes, then into experience states."""
    in_class = _split_into_classes(sampler, p.initial, p.initial_weight, p.group_segment, p.groups)
    counts = sampler.zeros((p.runs, p.groups, STATES))
    if not p.settled:
        counts[:, :, 0] = in_class
        return counts
    shares = settled_mix(p, split)
    left = in_class
    share_left = np.ones(shares.shape[:2])
    for k in range(STATES - 1):  # a multinomial, by sequential binomials
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(share_left > 0, shares[..., k] / share_left, 0.0)
        counts[:, :, k] = sampler.binomial(SLOT_START, left, np.clip(q, 0.0, 1.0))
        left = left - counts[:, :, k]
        share_left = share_left - shares[..., k]
    counts[:, :, -1] = left
    return counts


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

    The loss is booked twice. Each event's whole value (to the valuation window's end) goes to
    `attribution` in its period; the per-period `loss` output is the cash-flow view: "ghost"
    customers, those lost and the buyers lost, decay with baseline churn alone and each period
    book what they would have earned then. Their sum is `lost_revenue_horizon`; what the ghosts
    left at the horizon would still have earned makes up the rest of `lost_revenue`.
    """
    # Long (about 100 lines, a third of them the docstring and the per-period outputs): the
    # period's order of events reads best in one place; the steps themselves are functions.
    runs, horizon, n_seg, n_grp = p.runs, p.horizon, p.segments, p.groups
    seg_of = p.group_segment
    first = p if timeline is None else timeline[0]
    hook0 = resolution[0] if isinstance(resolution, Sequence) else resolution
    complaints_prev = expected_complaints(p)  # the support queue's load in the first period
    split0, response = (first.split, np.full(runs, np.nan))
    if hook0 is not None:
        split0, response = hook0(complaints_prev, p.initial.sum(axis=1))
    counts = _initial_counts(p if timeline is None else timeline[0], sampler, split0)

    attribution = np.zeros((runs, p.tp_prob.shape[1], 6, n_seg))
    costs = np.zeros((runs, len(COST_LINES), p.tp_prob.shape[1], 6, n_seg))
    names = ("customers_lost", "lost_acquisitions", "churned", "active", "revenue", "end")
    totals = {k: np.zeros(runs) for k in names}
    totals["lost_revenue_horizon"] = np.zeros(runs)
    keep = {k: np.zeros((runs, horizon)) for k in PERIOD_OUTPUTS} if keep_periods else {}
    ghosts = np.zeros((runs, n_grp))
    promoters_less_detractors = p.promoters - p.detractors
    routine_on = any(np.any(q.routine > 0) for q in (timeline or (p,)))
    totals["routine_contacts_cost"] = np.zeros(runs)

    for t in range(horizon):
        pt = p if timeline is None else timeline[t]
        split = split0
        hook = resolution[t] if isinstance(resolution, Sequence) else resolution
        active = counts.sum(axis=(1, 2))
        if hook is not None and t > 0:
            split, response = hook(complaints_prev, active)
        elif t > 0:
            split = pt.split
        _check_growth(active, t)
        booked = costs[:, :ROUTINE].sum(axis=(1, 2, 3, 4)) if keep_periods else 0.0
        valued = attribution.copy() if routine_on else attribution
        step = _customers(
            pt, p, counts, sampler, split, stay_value(pt, t), attribution, costs, p.discount[t]
        )
        counts = step.counts
        stayed = counts.sum(axis=2)  # (R, G)
        revenue_t = (stayed * pt.value[:, seg_of]).sum(axis=1) * p.discount[t]
        ghosts = ghosts * (1.0 - pt.churn) + step.defected
        loss_t = (ghosts * pt.value[:, seg_of]).sum(axis=1) * p.discount[t]

        _check_growth(step.wom_won.sum(axis=1), t)
        buyers, lost_net, lost_failures = _acquire(
            pt, p, sampler, step, new_value(pt, t), attribution
        )
        # Buyers pay for the period they buy in; the buyers lost book it as a loss.
        revenue_t = revenue_t + (buyers * pt.value).sum(axis=1) * p.discount[t]
        loss_t = loss_t + (lost_net * pt.value).sum(axis=1) * p.discount[t]
        ghosts = ghosts + lost_net[:, seg_of] * pt.class_weight
        routine_t = np.zeros(runs)
        if routine_on:
            routine_t = _book_routine(pt, p, stayed, buyers, attribution - valued, costs)
            routine_t *= p.discount[t]
        joined = _split_into_classes(sampler, buyers, pt.class_weight, seg_of, n_grp)
        counts[:, :, 0] += joined
        counts = _fade(sampler, counts, pt.fade)

        defected_t = step.defected.sum(axis=1)
        lost_t = lost_net.sum(axis=1)
        totals["customers_lost"] += defected_t
        totals["lost_acquisitions"] += lost_t
        totals["churned"] += step.churned + defected_t
        totals["active"] += active
        totals["revenue"] += revenue_t
        totals["lost_revenue_horizon"] += loss_t
        totals["routine_contacts_cost"] += routine_t
        complaints_prev = step.complaints
        if keep_periods:
            end_states = counts.sum(axis=1)  # (R, K)
            with np.errstate(divide="ignore", invalid="ignore"):
                nps = (end_states @ promoters_less_detractors) / end_states.sum(axis=1) * 100
            for name, series in (
                ("active", active),
                ("churned", step.churned),
                ("defected", defected_t),
                ("failures", step.failures + lost_failures),
                ("complaints", step.complaints),
                ("satisfied", step.satisfied),
                ("acquired", joined.sum(axis=1)),
                ("lost_acquisitions", lost_t),
                ("revenue", revenue_t),
                ("loss", loss_t),
                ("failure_cost", costs[:, :ROUTINE].sum(axis=(1, 2, 3, 4)) - booked),
                ("routine_contacts_cost", routine_t),
                ("nps", nps),
                ("response_hours", response),
            ):
                keep[name][:, t] = series

    totals = _finish(p, timeline, totals, counts, ghosts, attribution)
    if routine_on and p.beyond > 0:  # valued over the same window as revenue
        last = p if timeline is None else timeline[-1]
        tail = (1.0 - last.churn) * stay_value(last, p.horizon) * _routine_ratio(last)[:, seg_of]
        totals["routine_contacts_cost"] += (counts.sum(axis=2) * tail).sum(axis=1)
    _cost_totals(totals, costs)
    return BlockResult(attribution=attribution, totals=totals, periods=keep, costs=costs)


def _finish(
    p: Params,
    timeline: Sequence[Params] | None,
    totals: dict[str, FloatArray],
    counts: NDArray,
    ghosts: FloatArray,
    attribution: FloatArray,
) -> dict[str, FloatArray]:
    """Totals at the horizon: what lies beyond it (lifetime view), churn rate, loss.

    `lost_revenue` is the per-event values' sum; `lost_revenue_horizon` plus
    `lost_revenue_beyond` (the ghosts' value after the horizon) equals it, a check on both.
    """
    totals["revenue_horizon"] = totals["revenue"].copy()
    totals["lost_revenue_beyond"] = np.zeros(p.runs)
    if p.beyond > 0:
        last = p if timeline is None else timeline[-1]
        tail_value = (1.0 - last.churn) * stay_value(last, p.horizon)
        totals["revenue"] += (counts.sum(axis=2) * tail_value).sum(axis=1)
        totals["lost_revenue_beyond"] = (ghosts * tail_value).sum(axis=1)
    totals["end"] = counts.sum(axis=(1, 2)).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        totals["churn_rate"] = np.where(
            totals["active"] > 0, totals["churned"] / totals["active"], 0.0
        )
    totals["lost_revenue"] = attribution.sum(axis=(1, 2, 3))
    return totals


def _cost_totals(totals: dict[str, FloatArray], costs: FloatArray) -> None:
    """The P&L's totals: each cost line, and the cost of poor experience (lost margin + costs).

    `lost_margin` is the loss on the scenario's basis (`economics.value`: margin or revenue),
    the same number as `lost_revenue`; the cost lines are booked in their periods, discounted.
    """
    by_line = costs.sum(axis=(2, 3, 4))  # (R, 3)
    for i, name in enumerate(COST_LINES):
        totals[name] = by_line[:, i].copy()
    totals["lost_margin"] = totals["lost_revenue"].copy()
    totals["cost_of_poor_experience"] = totals["lost_revenue"] + by_line.sum(axis=1)


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


def _whole(sampler: Sampler, x: FloatArray) -> NDArray:
    """Expected counts as whole customers, rounded at random (up with the fraction's chance),
    so the Monte Carlo's mean is the expected count: rounding to the nearest biased it (8,062.1
    prospects a period became 8,062, a bias many standard errors wide over 36 periods)."""
    if isinstance(sampler, MeanSampler):
        return x
    low = np.floor(x)
    up = sampler.binomial(SLOT_ACQUIRE, np.ones(x.shape, dtype=np.int64), x - low)
    return low.astype(np.int64) + up


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
