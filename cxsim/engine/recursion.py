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
   the touchpoints; tellings overlap, so the deterred saturate smoothly); they pay for the
   period they buy in and join the segment's classes.

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
SILENT, SATISFIED, MOLLIFIED, DISSATISFIED, WORD_OF_MOUTH, LOST_SALES = tuple(map(int, Pathway))[:6]
REFERRALS_NOT_MADE, SPENT_LESS = int(Pathway.REFERRALS_NOT_MADE), int(Pathway.SPENT_LESS)
N_PATHWAYS = len(Pathway)

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
#: Promoters' referrals and smaller wallets: streams of their own, used only when a scenario
#: gives them, so that scenarios without them draw as before.
SLOT_PROMOTE, SLOT_WALLET = 1_000_002, 1_000_003

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

    attribution: FloatArray  # (R, T, pathways, S) loss value
    totals: dict[str, FloatArray]
    periods: dict[str, FloatArray] = field(default_factory=dict)
    #: (R, 3 cost lines, T, pathways, S) discounted costs failures caused (`COST_LINES`).
    costs: FloatArray | None = None


def _geometric(x: FloatArray, n: FloatArray | float) -> FloatArray:
    """sum_{k<n} x^k, safe at x = 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (1.0 - x**n) / (1.0 - x)
    return np.where(np.abs(1.0 - x) < 1e-12, np.broadcast_to(n, np.shape(x)), out)


def stay_value(p: Params, t: int) -> FloatArray:
    """(R, G) value of a customer who has survived period t's churn, from period t on.

    The valuation window is the horizon plus `p.beyond` periods (0, a cap, or infinity); every
    value of the engine (defections, new customers, the revenue tail) uses this one series, so
    the per-event values add up to the revenue difference exactly. With promoters, a customer
    also refers new customers every period they meet no problem; the value counts those from
    the next period on (and theirs, and so on), and the referrals of period t itself apart
    (`referral_value`), as a customer who fails in period t makes none then.
    """
    if np.any(p.promote > 0):
        return _with_referrals(p, t)
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


def _window(p: Params, t: int) -> float:
    """Periods from period t to the valuation window's end (infinite for an uncapped lifetime)."""
    return math.inf if math.isinf(p.beyond) else max(p.horizon + p.beyond - t, 0)


_REFERRAL_SERIES: dict[int, tuple[Params, list[FloatArray]]] = {}


def _with_referrals(p: Params, t: int) -> FloatArray:
    """`stay_value` with promoters' referrals: j(n) = v + q (j(n-1) + r nu(n-1)) per period.

    j(n) (R, G) is the value, in money of the period it starts in, of a customer with n
    periods of the window left: this period's spend, then, if they survive churn and
    discounting (q = d (1 - churn)), the next period's value and their referrals then, r new
    customers each worth nu = sum over the segment's classes of class weight x j. An uncapped
    lifetime solves the fixed point, finite only while r sum(w q / (1 - q)) < 1: customers who
    refer more than churn and discounting take away are worth no finite amount.
    """
    n = _window(p, t)
    scale = p.period_discount ** (t + 1)
    seg = p.group_segment
    value, w, to_seg = p.value[:, seg], p.class_weight, p.segment_matrix()
    q = p.period_discount * (1.0 - p.churn)
    r = p.promote[:, None]
    if math.isinf(n):
        with np.errstate(divide="ignore", invalid="ignore"):
            a = _product(p, w * value / (1.0 - q), to_seg)  # (R, S)
            b = _product(p, w * q / (1.0 - q), to_seg)
            room = 1.0 - r * b
            if not np.all(np.isfinite(a) & (room > 0)):
                raise UserError(
                    "loss_tree.word_of_mouth.promoters: customers refer more new customers "
                    "than churn and discounting take away, so a customer's lifetime value is "
                    "infinite; lower the referrals or give economics.lifetime a cap"
                )
            nu = a / room
            return scale * (value + q * r * nu[:, seg]) / (1.0 - q)
    key = id(p)
    cached = _REFERRAL_SERIES.get(key)
    if cached is None or cached[0] is not p:
        series = [np.zeros_like(value)]
        for _ in range(p.horizon + int(p.beyond)):
            j = series[-1]
            nu = _product(p, w * j, to_seg)
            series.append(value + q * (j + r * nu[:, seg]))
        if len(_REFERRAL_SERIES) > 64:
            _REFERRAL_SERIES.clear()
        _REFERRAL_SERIES[key] = cached = (p, series)
    return scale * cached[1][int(n)]


def referral_value(p: Params, t: int) -> FloatArray:
    """(R, S) value of the referrals one customer with no problem makes in period t."""
    return p.promote[:, None] * new_value(p, t)


def wallet_values(p: Params, t: int) -> FloatArray:
    """(R, M + 1, G) spend a customer still to spend less for m periods forgoes, m = 0..M.

    From period t on, in the world without failures: (1 - spend) of the period's value while
    they would have stayed (churn and discounting), within the valuation window.
    """
    m_max = p.wallet_periods
    value = p.value[:, p.group_segment] * (1.0 - p.wallet_spend)[:, None]
    q = p.period_discount * (1.0 - p.churn)
    n = _window(p, t)
    out = np.zeros((p.runs, m_max + 1, p.groups))
    for m in range(1, m_max + 1):
        out[:, m] = value * p.period_discount ** (t + 1) * _geometric(q, min(m, n))
    return out


def new_value(p: Params, t: int) -> FloatArray:
    """(R, S) value of a customer who would buy in period t (before class is known).

    A buyer pays for the period they buy in (a first purchase, a first month) and joins the
    customers at its end: the value of one who has survived period t's churn, so a buyer lost
    or deterred in a one-period case is worth that period's value.
    """
    return _product(p, stay_value(p, t) * p.class_weight, p.segment_matrix())


def expected_complaints(p: Params) -> FloatArray:
    """(runs,) complaints expected in the first period, from the initial customers."""
    total = np.zeros(p.runs)
    for j in np.flatnonzero(p.tp_customers):
        total += (p.initial * p.tp_prob[:, j, :]).sum(axis=1) * p.tp_complaint[:, j]
    return total


@dataclass
class _Step:
    """The customers' part of one period: churn, then the post-purchase touchpoints."""

    counts: NDArray  # (R, G, K) after both (G: groups x wallet phases, see `_phases`)
    churned: NDArray  # (R,)
    defected: NDArray  # (R, G) failure-caused defections
    wom_lost: FloatArray  # (R, T, S) prospects deterred (expected)
    wom_won: FloatArray  # (R, T, S) referrals (expected)
    failures: NDArray  # (R,)
    complaints: NDArray  # (R,)
    satisfied: NDArray  # (R,)
    promoted: FloatArray | None = None  # (R, S) referrals by customers with no problem
    referrals_lost: FloatArray | None = None  # (R, S) those customers with a problem forwent
    spells: NDArray | None = None  # (R, G) customers starting to spend less, by former phase


def _phases(p: Params, counts: NDArray) -> int:
    """Wallet phases the counts carry: customers to spend less for 0..M more periods.

    With smaller wallets the group axis holds (phase, group) pairs, phase-major: phase m's
    block is groups m G .. (m + 1) G - 1, phase 0 spending as usual.
    """
    return counts.shape[1] // p.groups


def _tile(x: NDArray, phases: int) -> NDArray:
    """A per-group array (last axis G) repeated for every wallet phase."""
    return x if phases == 1 else np.concatenate([x] * phases, axis=-1)


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
    v_refer: FloatArray | None = None,
    v_wallet: FloatArray | None = None,
) -> _Step:
    """Baseline churn, then each post-purchase touchpoint's loss tree, on (R, G, K) counts.

    Defections are valued at `v_stay` into `attribution` when both are given; the costs the
    failures cause (contacts, recovery, replacement), discounted by `discount`, go to `costs`.
    With promoters, customers with no problem so far this period are followed (`clean`): one
    who meets a failure forgoes the period's referrals, valued at `v_refer` (R, S). With
    smaller wallets (counts carrying wallet phases), a share of each group's stayers moves to
    the last phase, valued at `v_wallet` (R, phases x G): what they forgo spending, less what
    their current phase already forgoes.
    """
    runs, n_tp, n_seg = p.runs, p.tp_prob.shape[1], p.segments
    phases = _phases(p, counts)
    seg_of = _tile(p.group_segment, phases)
    to_seg = np.concatenate([p.segment_matrix()] * phases, axis=0)
    churned = sampler.binomial(SLOT_CHURN, counts, _tile(pt.churn, phases)[:, :, None])
    counts = counts - churned
    out = _Step(
        counts=counts,
        churned=churned.sum(axis=(1, 2)),
        defected=np.zeros((runs, counts.shape[1])),
        wom_lost=np.zeros((runs, n_tp, n_seg)),
        wom_won=np.zeros((runs, n_tp, n_seg)),
        failures=np.zeros(runs),
        complaints=np.zeros(runs),
        satisfied=np.zeros(runs),
    )
    promoting = bool(np.any(pt.promote > 0))
    clean = counts.copy() if promoting else None
    refs_lost = np.zeros((runs, n_seg))
    wallets = phases > 1 and bool(np.any(pt.wallet_share > 0))
    for j in np.flatnonzero(p.tp_customers):
        slot = FIRST_TOUCHPOINT_SLOT + int(j)
        prob = pt.tp_prob[:, j, seg_of][:, :, None]  # (R, G, 1)
        if clean is None:
            failed = sampler.binomial(slot, counts, prob)
        else:  # those with no problem so far and the others, drawn apart
            first = sampler.binomial(slot, clean, prob)
            failed = first + sampler.binomial(slot, counts - clean, prob)
            clean = clean - first
            lost = _product(p, _over_states(first), to_seg)  # (R, S) referrals forgone
            refs_lost += lost
            if attribution is not None and v_refer is not None:
                attribution[:, j, REFERRALS_NOT_MADE, :] += lost * v_refer
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
        if wallets:
            spell = sampler.binomial(SLOT_WALLET, stay, pt.wallet_share[:, None, None, :])
            stay = stay - spell
            started = _over_states(spell).sum(axis=2)
            out.spells = started if out.spells is None else out.spells + started
            counts = _into_last_phase(counts, _add_moved(np.zeros_like(counts), spell), p.groups)
            if attribution is not None and v_wallet is not None:
                value = np.einsum("rgk,rg,gs->rs", _over_states(spell), v_wallet, to_seg)
                attribution[:, j, SPENT_LESS, :] += value
        _add_moved(counts, stay)

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
        out.wom_lost[:, j, :] = _product(p, told_bad, to_seg) * pt.deterred[:, None]
        told_good = people[..., SATISFIED] * pt.told[:, None, SATISFIED]
        out.wom_won[:, j, :] = _product(p, told_good, to_seg)
        out.wom_won[:, j, :] *= pt.referred[:, None]

        out.failures += failed.sum(axis=(1, 2))
        out.complaints += complained.sum(axis=(1, 2))
        out.satisfied += sat.sum(axis=(1, 2))
        out.defected += by_group.sum(axis=2)
    out.counts = counts
    if clean is not None:
        out.promoted = _product(p, _over_states(clean), to_seg) * pt.promote[:, None]
        out.referrals_lost = refs_lost * pt.promote[:, None]
    return out


def _add_moved(counts: NDArray, stay: NDArray) -> NDArray:
    """Add to (R, G, K) `counts`, in place, the customers who stayed after a failure (R, G, K, 4).

    A satisfying answer resets the memory, a mollified one leaves it, silence or
    dissatisfaction adds an unresolved failure.
    """
    counts[:, :, 0] += _over_states(stay[..., SATISFIED])
    counts += stay[..., MOLLIFIED]
    worse = stay[..., SILENT] + stay[..., DISSATISFIED]
    counts[:, :, 1:] += worse[:, :, :-1]
    counts[:, :, -1] += worse[:, :, -1]
    return counts


def _into_last_phase(counts: NDArray, moved: NDArray, n_grp: int) -> NDArray:
    """Add (R, phases x G, K) customers to the last wallet phase, whatever phase they were in."""
    phases = counts.shape[1] // n_grp
    total = moved.reshape(moved.shape[0], phases, n_grp, -1).sum(axis=1)
    counts = counts.copy()
    counts[:, (phases - 1) * n_grp :, :] += total
    return counts


def _next_phase(counts: NDArray, n_grp: int) -> NDArray:
    """One period on: wallet phase m moves to m - 1, phase 1 back to spending as usual."""
    phases = counts.shape[1] // n_grp
    if phases == 1:
        return counts
    by_phase = counts.reshape(counts.shape[0], phases, n_grp, -1)
    out = np.zeros_like(by_phase)
    out[:, 0] = by_phase[:, 0] + by_phase[:, 1]
    out[:, 1:-1] = by_phase[:, 2:]
    return out.reshape(counts.shape)


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
    served = _product(p, stayed, p.segment_matrix()) + buyers  # (R, S)
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

    Promoters' referrals (customers with no problem) join the would-be buyers after the sales
    lost before purchase and, like them, may be deterred by word of mouth.

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
    if step.promoted is not None:  # promoters' referrals join the would-be buyers
        promoted = sampler.poisson(SLOT_PROMOTE, step.promoted)
        buyers = buyers + promoted
        expected_buyers = expected_buyers + step.promoted
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
    with the chance 1 - exp(-x), x = (put off) / (expected would-be buyers and referrals),
    whatever the touchpoints' order. The tellings land on the would-be buyers at random, and
    one told twice is put off once (Poisson occupancy, as reach against frequency in media
    planning); for few tellings the deterred are Goodman's count, told x deterred.

    A hard cap, min(put off, buyers), made the last telling deter a buyer in full until every
    buyer was gone, then nothing: fed back through the customers (fewer customers, fewer
    tellers, more buyers next period) the kink drove a cycle of acquisition bursts, and the
    horizon's phase of the cycle decided the revenue: raising a failure rate could raise it
    (tests/test_properties.py, `WOM_SATURATION`). The occupancy curve has no kink, and each
    further telling deters less the more buyers are already put off, which damps the cycle.
    The chance uses the expected buyers, not the drawn ones, so the Monte Carlo's mean is the
    expected-value model's even at small counts.
    """
    won = sampler.poisson(SLOT_WOM, step.wom_won.sum(axis=1))
    put_off = step.wom_lost.sum(axis=1)
    reachable = expected_buyers + step.wom_won.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        chance = np.where(reachable > 0, -np.expm1(-put_off / reachable), 0.0)
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

    Both iterations run until every run of the block has converged, so a run's last bits
    depend on its block; for a block of separate worlds (`p.rowwise`) each run stops when it
    alone has converged, with the shares it would have alone.
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
    settled, live = shares.copy(), np.ones(runs, dtype=bool)  # per run (`p.rowwise`)
    for _ in range(50):
        buyers = _acquire(p, p, ev, _customers(p, p, y, ev, split))[0]
        entrants = buyers[:, p.group_segment] * p.class_weight
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = np.where(n > 0, entrants / n, 0.0)
        # Newcomers beyond a trillion per customer set the mix alone (to double precision);
        # the cap keeps a near-empty base (1e-300 customers) from overflowing the solve.
        ratio = np.minimum(ratio, 1e12)
        shares = _stationary_shares(m, ratio, rho, p.rowwise)
        shares[n <= 0] = np.eye(STATES)[0]
        new = shares * n[..., None]
        if p.rowwise:
            settled[live] = shares[live]
            moved = np.max(np.abs(new - y), axis=(1, 2), initial=0.0)
            live &= ~(moved <= 1e-14 * np.maximum(1.0, np.max(n, axis=1, initial=0.0)))
            done = not live.any()
        else:
            done = np.max(np.abs(new - y), initial=0.0) <= 1e-14 * max(1.0, float(np.max(n)))
        y = new
        if done:
            break
    return settled if p.rowwise else shares


def _stationary_shares(
    m: FloatArray, ratio: FloatArray, rho: FloatArray, rowwise: bool = False
) -> FloatArray:
    """Shares y (sum 1) with y proportional to M y + ratio e0, batched over (R, G).

    y = ratio (lam I - M)^-1 e0 with lam the root above M's spectral radius `rho` of
    f(lam) = ratio 1'(lam I - M)^-1 e0 = 1: f falls from infinity to 0 there, and
    f(1 + ratio) <= 1 because M loses customers and never adds any (column sums <= 1). Found
    by bisection; (lam I - M)^-1 e0 is the first column of the inverse, the cofactors of A's
    first row over det A, written out for 3 x 3. With ratio 0 it tends to M's Perron vector.
    The bisection stops when every (run, group) has converged or, with `rowwise`, leaves each
    run (axis 0) once all its groups have, as it would stop for that run alone.
    """
    lo = rho
    hi = np.maximum(lo, 1.0) + ratio
    eye = np.eye(STATES)
    # A = lam I - M: its off-diagonal entries do not depend on lam (taken once, as contiguous
    # arrays: the bisection's cost is numpy's per-call overhead, not arithmetic).
    a = [[-m[..., i, j] for j in range(STATES)] for i in range(STATES)]
    live = np.ones(m.shape[0], dtype=bool)  # runs still bisecting (`rowwise`)

    def column(lam: FloatArray) -> tuple[list[FloatArray], FloatArray]:
        d0, d1, d2 = (lam - m[..., i, i] for i in range(STATES))
        c = [
            d1 * d2 - a[1][2] * a[2][1],
            a[1][2] * a[2][0] - a[1][0] * d2,
            a[1][0] * a[2][1] - d1 * a[2][0],
        ]
        det = d0 * c[0] + a[0][1] * c[1] + a[0][2] * c[2]
        return c, det

    for _ in range(200):
        mid = 0.5 * (lo + hi)
        c, det = column(mid)
        with np.errstate(divide="ignore", invalid="ignore"):
            above = ratio * (c[0] + c[1] + c[2]) / det > 1.0
        below = ~above
        if rowwise:
            above, below = above & live[:, None], below & live[:, None]
        lo = np.where(above, mid, lo)
        hi = np.where(below, mid, hi)
        converged = hi - lo <= 4 * np.finfo(float).eps * hi
        if rowwise:
            live &= ~converged.all(axis=1)
            if not live.any():
                break
        elif np.all(converged):
            break
    col = np.stack(column(hi)[0], axis=-1)
    total = col.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = col / total
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
    left at the horizon would still have earned makes up the rest of `lost_revenue`. Ghosts
    refer as customers without problems would (promoters), and customers spending less book
    what they do not spend.

    With smaller wallets the counts carry wallet phases (`_phases`): customers who stayed
    after a failure but spend less, for m more periods; each period moves them one phase on.
    Customers start, and new ones join, spending as usual.
    """
    # Long (about 120 lines, a third of them the docstring and the per-period outputs): the
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
    phases = p.wallet_periods + 1
    if phases > 1:
        counts = np.concatenate([counts, sampler.zeros((runs, n_grp * (phases - 1), STATES))], 1)
    seg_x = _tile(seg_of, phases)

    n_tp = p.tp_prob.shape[1]
    attribution = np.zeros((runs, n_tp, N_PATHWAYS, n_seg))
    costs = np.zeros((runs, len(COST_LINES), n_tp, N_PATHWAYS, n_seg))
    names = ("customers_lost", "lost_acquisitions", "churned", "active", "revenue", "end")
    totals = {k: np.zeros(runs) for k in names}
    totals["lost_revenue_horizon"] = np.zeros(runs)
    keep = {k: np.zeros((runs, horizon)) for k in PERIOD_OUTPUTS} if keep_periods else {}
    ghosts = np.zeros((runs, n_grp))
    spelled = np.zeros((runs, n_grp * phases))  # customers spending less, as the values see them
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
        v_stay, v_wallet = stay_value(pt, t), None
        if phases > 1:  # a defector's value less the spending their phase already forgoes
            forgone = wallet_values(pt, t).reshape(runs, -1)  # (R, phases x G)
            v_wallet = _tile(forgone[:, -n_grp:], phases) - forgone
            v_stay = _tile(v_stay, phases) - forgone
        step = _customers(
            pt,
            p,
            counts,
            sampler,
            split,
            v_stay,
            attribution,
            costs,
            p.discount[t],
            referral_value(pt, t),
            v_wallet,
        )
        counts = step.counts
        stayed = counts.sum(axis=2)  # (R, phases x G)
        spend = pt.value[:, seg_x]
        if phases > 1:  # customers in a wallet phase spend less
            spend = spend * _tile(np.repeat(pt.wallet_spend[:, None], n_grp, axis=1), phases)
            spend[:, :n_grp] = pt.value[:, seg_of]
        revenue_t = (stayed * spend).sum(axis=1) * p.discount[t]
        # Ghosts refer as customers with no problem would; those lost this period did so
        # (or forwent it, `referrals_lost`) before they left.
        ghosts = ghosts * (1.0 - pt.churn)
        ghost_buyers = _product(p, ghosts * pt.promote[:, None], p.segment_matrix())
        ghosts = ghosts + _by_group(step.defected, n_grp)
        loss_t = (ghosts * pt.value[:, seg_of]).sum(axis=1) * p.discount[t]
        if phases > 1:
            spelled = _spelled(pt, spelled, step, n_grp)
            loss_t += (spelled * (pt.value[:, seg_x] - spend)).sum(axis=1) * p.discount[t]
        if step.referrals_lost is not None:
            ghost_buyers = ghost_buyers + step.referrals_lost

        _check_growth(step.wom_won.sum(axis=1), t)
        if step.promoted is not None:
            _check_growth(step.promoted, t)
        buyers, lost_net, lost_failures = _acquire(
            pt, p, sampler, step, new_value(pt, t), attribution
        )
        # Buyers pay for the period they buy in; the buyers lost book it as a loss.
        revenue_t = revenue_t + (buyers * pt.value).sum(axis=1) * p.discount[t]
        ghost_buyers = ghost_buyers + lost_net
        loss_t = loss_t + (ghost_buyers * pt.value).sum(axis=1) * p.discount[t]
        ghosts = ghosts + ghost_buyers[:, seg_of] * pt.class_weight
        routine_t = np.zeros(runs)
        if routine_on:  # customers spending less contact as much less (a share of revenue)
            with np.errstate(divide="ignore", invalid="ignore"):
                usual = np.where(pt.value[:, seg_x] > 0, spend / pt.value[:, seg_x], 1.0)
            served = _by_group(stayed * usual, n_grp)
            routine_t = _book_routine(pt, p, served, buyers, attribution - valued, costs)
            routine_t *= p.discount[t]
        joined = _split_into_classes(sampler, buyers, pt.class_weight, seg_of, n_grp)
        counts[:, :n_grp, 0] += joined
        counts = _next_phase(_fade(sampler, counts, pt.fade), n_grp)
        spelled = _next_phase(spelled[:, :, None], n_grp)[:, :, 0]
        spelled[:, :n_grp] = 0.0

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
                nps = _product(p, end_states, promoters_less_detractors)
                nps = nps / end_states.sum(axis=1) * 100
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

    totals = _finish(p, timeline, totals, counts, ghosts, attribution, spelled)
    if routine_on and p.beyond > 0:  # valued over the same window as revenue
        last = p if timeline is None else timeline[-1]
        tail = _tail_values(p, last, phases) * _tile(_routine_ratio(last)[:, seg_of], phases)
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
    spelled: FloatArray,
) -> dict[str, FloatArray]:
    """Totals at the horizon: what lies beyond it (lifetime view), churn rate, loss.

    `lost_revenue` is the per-event values' sum; `lost_revenue_horizon` plus
    `lost_revenue_beyond` (the ghosts' value after the horizon) equals it, a check on both.
    """
    totals["revenue_horizon"] = totals["revenue"].copy()
    totals["lost_revenue_beyond"] = np.zeros(p.runs)
    if p.beyond > 0:
        last = p if timeline is None else timeline[-1]
        phases = counts.shape[1] // p.groups
        stayed = counts.sum(axis=2)
        totals["revenue"] += (stayed * _tail_values(p, last, phases)).sum(axis=1)
        tail_value = _tail_values(p, last, 1)
        totals["lost_revenue_beyond"] = (ghosts * tail_value).sum(axis=1)
        if phases > 1:  # spending forgone after the horizon by those still in a spell
            forgone = _tile(tail_value, phases) - _tail_values(p, last, phases)
            totals["lost_revenue_beyond"] += (spelled * forgone).sum(axis=1)
    totals["end"] = counts.sum(axis=(1, 2)).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        totals["churn_rate"] = np.where(
            totals["active"] > 0, totals["churned"] / totals["active"], 0.0
        )
    totals["lost_revenue"] = attribution.sum(axis=(1, 2, 3))
    return totals


def _tail_values(p: Params, last: Params, phases: int) -> FloatArray:
    """(R, phases x G) value after the horizon of a customer there, by wallet phase.

    Surviving the next period's churn, then their value from it on (with promoters, their
    referrals then included), less what their spell, if any, still forgoes.
    """
    tail = (1.0 - last.churn) * stay_value(last, p.horizon)
    if np.any(last.promote > 0):  # they refer in the period after the horizon too
        tail = tail + (1.0 - last.churn) * referral_value(last, p.horizon)[:, p.group_segment]
    if phases == 1:
        return tail
    forgone = wallet_values(last, p.horizon).reshape(p.runs, -1)
    return _tile(tail, phases) - forgone * _tile(1.0 - last.churn, phases)


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


def _spelled(pt: Params, spelled: FloatArray, step: _Step, n_grp: int) -> FloatArray:
    """(R, phases x G) customers spending less as the values see them, after a period's events.

    Like the ghosts: they decay with baseline churn alone; a spell started is one more in the
    last phase and one fewer in the phase it replaces, a defection one fewer in its phase. In
    the expected-value model these are the customers in each phase; in the Monte Carlo their
    expectation given the events, so the cash-flow view adds up to the event values run by run.
    """
    phases = spelled.shape[1] // n_grp
    spelled = spelled * _tile(1.0 - pt.churn, phases) - step.defected
    if step.spells is not None:
        spelled = spelled - step.spells
        spelled[:, -n_grp:] += _by_group(step.spells, n_grp)
    spelled[:, :n_grp] = 0.0  # spending as usual: nothing forgone
    return spelled


def _product(p: Params, x: NDArray, m: FloatArray) -> NDArray:
    """`x @ m`, per run. For a block of separate worlds (`p.rowwise`) each run's product is
    formed as numpy forms it for one run alone: BLAS sums a many-row product in another order
    than a one-row one, which moves the last bits."""
    if p.rowwise and x.shape[0] > 1:
        return np.matmul(x[:, None], m)[:, 0]
    return x @ m


def _by_group(x: NDArray, n_grp: int) -> NDArray:
    """(R, G) sums over the wallet phases of a (R, phases x G) array."""
    return x if x.shape[1] == n_grp else x.reshape(x.shape[0], -1, n_grp).sum(axis=1)


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
