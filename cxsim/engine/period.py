"""One period of a block of runs: customer counts through churn, the touchpoints and acquisition.

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

`customer_step` is 1 and 2, `acquire` is 4; `cxsim.engine.recursion.run_block` runs them in
this order and books 3. With every draw replaced by its expectation (`MeanSampler`) the same
steps are the expected-value model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cxsim.engine.sampling import MeanSampler, Sampler
from cxsim.model.parameters import Params
from cxsim.model.scenario import Pathway

FloatArray = NDArray[np.float64]

STATES = 3  # memory: no unresolved failure, one, several
SILENT, SATISFIED, MOLLIFIED, DISSATISFIED, WORD_OF_MOUTH, LOST_SALES = tuple(map(int, Pathway))[:6]
REFERRALS_NOT_MADE, SPENT_LESS = int(Pathway.REFERRALS_NOT_MADE), int(Pathway.SPENT_LESS)
N_PATHWAYS = len(Pathway)


#: Random streams: churn, acquisition, word of mouth, then one per touchpoint.
SLOT_CHURN, SLOT_ACQUIRE, SLOT_WOM = range(3)
FIRST_TOUCHPOINT_SLOT = 3
#: Streams of their own for fading memory and the initial experience states, past any
#: touchpoint's, so that adding them moved no other stream.
SLOT_FADE, SLOT_START = 1_000_000, 1_000_001
#: Promoters' referrals and smaller wallets: streams of their own, used only when a scenario
#: gives them, so that scenarios without them draw as before.
SLOT_PROMOTE, SLOT_WALLET = 1_000_002, 1_000_003
MAX_POISSON = 9e18  # numpy's Poisson refuses larger means

#: The cost lines of a poor experience, in the order of `BlockResult.costs`'s line axis. The
#: last is the change failures make to the cost of routine contacts: customers lost no longer
#: make them (negative, a saving), valued as their revenue is.
COST_LINES = ("serving_cost", "recovery_cost", "replacement_cost", "routine_cost")
SERVING, RECOVERY, REPLACEMENT, ROUTINE = range(4)


def expected_complaints(p: Params) -> FloatArray:
    """(runs,) complaints expected in the first period, from the initial customers."""
    total = np.zeros(p.runs)
    for j in np.flatnonzero(p.tp_customers):
        total += (p.initial * p.tp_prob[:, j, :]).sum(axis=1) * p.tp_complaint[:, j]
    return total


@dataclass
class Step:
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


def tile_phases(x: NDArray, phases: int) -> NDArray:
    """A per-group array (last axis G) repeated for every wallet phase."""
    return x if phases == 1 else np.concatenate([x] * phases, axis=-1)


def customer_step(
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
) -> Step:
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
    seg_of = tile_phases(p.group_segment, phases)
    to_seg = np.concatenate([p.segment_matrix()] * phases, axis=0)
    churned = sampler.binomial(SLOT_CHURN, counts, tile_phases(pt.churn, phases)[:, :, None])
    counts = counts - churned
    out = Step(
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
            lost = matmul_runs(p, _over_states(first), to_seg)  # (R, S) referrals forgone
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
        out.wom_lost[:, j, :] = matmul_runs(p, told_bad, to_seg) * pt.deterred[:, None]
        told_good = people[..., SATISFIED] * pt.told[:, None, SATISFIED]
        out.wom_won[:, j, :] = matmul_runs(p, told_good, to_seg)
        out.wom_won[:, j, :] *= pt.referred[:, None]

        out.failures += failed.sum(axis=(1, 2))
        out.complaints += complained.sum(axis=(1, 2))
        out.satisfied += sat.sum(axis=(1, 2))
        out.defected += by_group.sum(axis=2)
    out.counts = counts
    if clean is not None:
        out.promoted = matmul_runs(p, _over_states(clean), to_seg) * pt.promote[:, None]
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


def next_phase(counts: NDArray, n_grp: int) -> NDArray:
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


def routine_ratio(pt: Params) -> FloatArray:
    """(R, S) cost of a customer's routine contacts per unit of their value per period (0
    where a segment's value is 0)."""
    per_customer = (pt.routine * pt.contact_cost)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pt.value > 0, per_customer / pt.value, 0.0)


def book_routine(
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
    ratio = routine_ratio(pt)
    costs[:, ROUTINE] -= valued * ratio[:, None, None, :]
    served = matmul_runs(p, stayed, p.segment_matrix()) + buyers  # (R, S)
    return (served * pt.routine[:, None]).sum(axis=1) * pt.contact_cost


def acquire(
    pt: Params,
    p: Params,
    sampler: Sampler,
    step: Step,
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
    sampler: Sampler, buyers: NDArray, expected_buyers: FloatArray, step: Step
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


def fade_memory(sampler: Sampler, counts: NDArray, fade: float) -> NDArray:
    """Unresolved failures forgotten: a share `fade` of each state k >= 1 moves to k - 1."""
    if fade <= 0.0:
        return counts
    moved = sampler.binomial(SLOT_FADE, counts[:, :, 1:], fade)
    counts[:, :, 1:] -= moved
    counts[:, :, :-1] += moved
    return counts


def matmul_runs(p: Params, x: NDArray, m: FloatArray) -> NDArray:
    """`x @ m`, per run. For a block of separate worlds (`p.rowwise`) each run's product is
    formed as numpy forms it for one run alone: BLAS sums a many-row product in another order
    than a one-row one, which moves the last bits."""
    if p.rowwise and x.shape[0] > 1:
        return np.matmul(x[:, None], m)[:, 0]
    return x @ m


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


def split_into_classes(
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
