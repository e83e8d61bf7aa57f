"""The engine: a block of runs through the horizon, period by period (`run_block`).

A period's steps are `cxsim.engine.period`'s, the values of its loss events
`cxsim.engine.valuation`'s, the customers' first experience states `cxsim.engine.settled`'s.
The same recursion runs with every draw replaced by its expectation (`MeanSampler`): that is the
expected-value model, the Monte Carlo engine's check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from cxsim.engine.period import (
    COST_LINES,
    N_PATHWAYS,
    ROUTINE,
    STATES,
    Step,
    acquire,
    book_routine,
    customer_step,
    expected_complaints,
    fade_memory,
    matmul_runs,
    next_phase,
    routine_ratio,
    split_into_classes,
    tile_phases,
)
from cxsim.engine.sampling import Sampler
from cxsim.engine.settled import initial_counts
from cxsim.engine.valuation import new_value, referral_value, stay_value, tail_values, wallet_values
from cxsim.errors import UserError
from cxsim.model.parameters import Params

FloatArray = NDArray[np.float64]

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

#: More customers than this in one run is a runaway (referrals feeding on themselves), not a
#: business; counts of customers (int64, up to 9.2e18) must stay well below it.
MAX_CUSTOMERS = 1e17

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

    With smaller wallets the counts carry wallet phases (see `cxsim.engine.period`): customers
    who stayed after a failure but spend less, for m more periods; each period moves them one
    phase on. Customers start, and new ones join, spending as usual.
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
    counts = initial_counts(p if timeline is None else timeline[0], sampler, split0)
    phases = p.wallet_periods + 1
    if phases > 1:
        counts = np.concatenate([counts, sampler.zeros((runs, n_grp * (phases - 1), STATES))], 1)
    seg_x = tile_phases(seg_of, phases)

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
            v_wallet = tile_phases(forgone[:, -n_grp:], phases) - forgone
            v_stay = tile_phases(v_stay, phases) - forgone
        step = customer_step(
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
            spend = spend * tile_phases(np.repeat(pt.wallet_spend[:, None], n_grp, axis=1), phases)
            spend[:, :n_grp] = pt.value[:, seg_of]
        revenue_t = (stayed * spend).sum(axis=1) * p.discount[t]
        # Ghosts refer as customers with no problem would; those lost this period did so
        # (or forwent it, `referrals_lost`) before they left.
        ghosts = ghosts * (1.0 - pt.churn)
        ghost_buyers = matmul_runs(p, ghosts * pt.promote[:, None], p.segment_matrix())
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
        buyers, lost_net, lost_failures = acquire(
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
            routine_t = book_routine(pt, p, served, buyers, attribution - valued, costs)
            routine_t *= p.discount[t]
        joined = split_into_classes(sampler, buyers, pt.class_weight, seg_of, n_grp)
        counts[:, :n_grp, 0] += joined
        counts = next_phase(fade_memory(sampler, counts, pt.fade), n_grp)
        spelled = next_phase(spelled[:, :, None], n_grp)[:, :, 0]
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
                nps = matmul_runs(p, end_states, promoters_less_detractors)
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
        tail = tail_values(p, last, phases) * tile_phases(routine_ratio(last)[:, seg_of], phases)
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
        totals["revenue"] += (stayed * tail_values(p, last, phases)).sum(axis=1)
        tail_value = tail_values(p, last, 1)
        totals["lost_revenue_beyond"] = (ghosts * tail_value).sum(axis=1)
        if phases > 1:  # spending forgone after the horizon by those still in a spell
            forgone = tile_phases(tail_value, phases) - tail_values(p, last, phases)
            totals["lost_revenue_beyond"] += (spelled * forgone).sum(axis=1)
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


def _spelled(pt: Params, spelled: FloatArray, step: Step, n_grp: int) -> FloatArray:
    """(R, phases x G) customers spending less as the values see them, after a period's events.

    Like the ghosts: they decay with baseline churn alone; a spell started is one more in the
    last phase and one fewer in the phase it replaces, a defection one fewer in its phase. In
    the expected-value model these are the customers in each phase; in the Monte Carlo their
    expectation given the events, so the cash-flow view adds up to the event values run by run.
    """
    phases = spelled.shape[1] // n_grp
    spelled = spelled * tile_phases(1.0 - pt.churn, phases) - step.defected
    if step.spells is not None:
        spelled = spelled - step.spells
        spelled[:, -n_grp:] += _by_group(step.spells, n_grp)
    spelled[:, :n_grp] = 0.0  # spending as usual: nothing forgone
    return spelled


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
