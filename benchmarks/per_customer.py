"""A straightforward per-customer simulation of cxsim's model: the benchmark's reference.

Every customer is an element of numpy arrays (group, memory state, months of a smaller wallet
left, whether they met a problem this period); every event is one draw per customer: churn,
failure at each touchpoint, complaint, the complaint's outcome, defection, a smaller wallet,
word of mouth (a Poisson count of tellings per customer who met a failure), a promoter's
referrals (a Poisson count per customer with no problem), fading memory, conversion of each
prospect, a lost sale per buyer, each put-off telling landing on a would-be buyer picked at
random (one told twice is put off once), the class of each newcomer. The rules are written
here from the model's description (README, DESIGN.md), not taken from the engine; only the
values of a customer and of a buyer (`stay_value`, `new_value`: the valuation window) are the
engine's, so the two should give the same loss distribution, the randomness drawn differently
(one draw per customer instead of one binomial per cell of counts).

With `memory.start: settled` the customers start in the mix of experience states the model's
own dynamics settle into: found here by living through `WARM_UP` periods of the first period's
rules, customer by customer, each group held at its starting size by resampling its customers
(which keeps the mix). Support coupling is not modelled: the complaint split is the scenario's.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from cxsim.engine.period import DISSATISFIED, MOLLIFIED, SATISFIED, SILENT, STATES
from cxsim.engine.valuation import new_value, stay_value
from cxsim.model.parameters import Params

#: Periods lived before the start to settle the experience states (`memory.start: settled`):
#: the mix forgets its start at fade + churn + newcomers, about a fifth a period in the
#: examples, so 40 periods leave e^-8 of it.
WARM_UP = 40


def _classes(rng: np.random.Generator, p: Params, segment: int, n: int, weight: NDArray) -> NDArray:
    """The class (group) of each of `n` customers of a segment: one draw per customer."""
    members = np.flatnonzero(p.group_segment == segment)
    w = weight[0, members] / weight[0, members].sum()
    return members[np.searchsorted(np.cumsum(w)[:-1], rng.random(n), side="right")]


def _forgone(p: Params, t: int) -> NDArray:
    """(M + 1, G) what a customer with m months of a smaller wallet left, from period t on, does
    not spend: (1 - spend) of the month's value in each month they would have stayed (churn and
    discounting), within the valuation window (the horizon plus `p.beyond`)."""
    months = p.wallet_periods
    out = np.zeros((months + 1, p.groups))
    per_month = p.value[0, p.group_segment] * (1.0 - p.wallet_spend[0])
    stay = 1.0 - p.churn[0]
    window = p.horizon + p.beyond - t
    for m in range(1, months + 1):
        for k in range(int(min(m, window))):  # month t + k, if they stayed that long
            out[m] += per_month * stay**k * p.period_discount ** (t + 1 + k)
    return out


def _period(
    p: Params, rng: np.random.Generator, t: int, pop: dict[str, NDArray]
) -> tuple[dict[str, NDArray], dict[str, float]]:
    """One period for the customers `pop` (group, state, wallet): what it loses, customer by
    customer, and the customers at its end."""
    n_seg = p.segments
    customer_tps = np.flatnonzero(p.tp_customers)
    prospect_tps = np.flatnonzero(~p.tp_customers)
    seg_of = p.group_segment
    sat_p = p.split[0, 0]
    rest_p = p.split[0, 1] / max(p.split[0, 1] + p.split[0, 2], 1e-300)
    promote = float(p.promote[0])
    share = p.wallet_share[0]  # by path: silent, satisfied, mollified, dissatisfied
    months = p.wallet_periods
    lost_revenue = customers_lost = lost_acquisitions = revenue = 0.0
    group, state, wallet = pop["group"], pop["state"], pop["wallet"]

    stays = rng.random(group.size) >= p.churn[0, group]
    group, state, wallet = group[stays], state[stays], wallet[stays]
    clean = np.ones(group.size, dtype=bool)  # no problem yet this period
    v_stay = stay_value(p, t)[0]  # (G,)
    v_new = new_value(p, t)[0]  # (S,)
    forgone = _forgone(p, t) if months else np.zeros((1, p.groups))
    put_off = np.zeros(n_seg)  # tellings that would put a would-be buyer off
    won = np.zeros(n_seg)  # referrals of satisfied complainers
    for j in customer_tps:
        failed = np.flatnonzero(rng.random(group.size) < p.tp_prob[0, j, seg_of[group]])
        g, k, w = group[failed], state[failed], wallet[failed]
        # A customer's first problem this period: they make no referrals as a promoter.
        first = clean[failed]
        clean[failed] = False
        lost_revenue += promote * float(v_new[seg_of[g[first]]].sum())
        complained = rng.random(failed.size) < p.tp_complaint[0, j]
        satisfied = rng.random(failed.size) < sat_p
        mollified = rng.random(failed.size) < rest_p
        path = np.where(
            ~complained,
            SILENT,
            np.where(satisfied, SATISFIED, np.where(mollified, MOLLIFIED, DISSATISFIED)),
        )
        defected = rng.random(failed.size) < p.defect[0, p.tp_severity[j], k, path]
        # A defector takes what they would still have spent, less what a smaller wallet
        # already forgoes.
        lost_revenue += float((v_stay[g] - forgone[w, g])[defected].sum())
        customers_lost += float(defected.sum())
        # A stayer may spend less for the next `months` months (a new spell restarts it).
        spell = ~defected & (rng.random(failed.size) < share[path])
        lost_revenue += float((forgone[months, g] - forgone[w, g])[spell].sum())
        w = np.where(spell, months, w)
        told = p.told[0, path]
        good = path == SATISFIED
        put_off += np.bincount(
            seg_of[g[~good]], rng.poisson(told[~good] * p.deterred[0]), minlength=n_seg
        )
        won += np.bincount(
            seg_of[g[good]], rng.poisson(told[good] * p.referred[0]), minlength=n_seg
        )
        # Memory: satisfied resets, mollified keeps, silent or dissatisfied adds one.
        k = np.where(good, 0, np.where(path == MOLLIFIED, k, np.minimum(k + 1, STATES - 1)))
        state[failed], wallet[failed] = k, w
        keep = np.ones(group.size, dtype=bool)
        keep[failed[defected]] = False
        group, state, wallet, clean = group[keep], state[keep], wallet[keep], clean[keep]

    spend = p.value[0, seg_of[group]] * np.where(wallet > 0, p.wallet_spend[0], 1.0)
    revenue += float(spend.sum() * p.discount[t])

    buyers = np.zeros(n_seg)
    for s in range(n_seg):
        expected = p.prospects[0, s]  # whole prospects, rounded up with the fraction's chance
        n = int(np.floor(expected)) + int(rng.random() < expected - np.floor(expected))
        buyers[s] = np.count_nonzero(rng.random(n) < p.conversion[0, s])
    for j in prospect_tps:
        lost = np.array(
            [
                np.count_nonzero(rng.random(int(buyers[s])) < p.tp_prob[0, j, s])
                for s in range(n_seg)
            ],
            dtype=float,
        )
        buyers -= lost
        lost_revenue += float((lost * v_new).sum())
        lost_acquisitions += float(lost.sum())
    # Promoters: each customer with no problem this period refers Poisson(promote) people,
    # who join the would-be buyers of the customer's segment.
    buyers += np.bincount(
        seg_of[group[clean]], rng.poisson(promote, int(clean.sum())), minlength=n_seg
    )
    # Word of mouth: referrals join the would-be buyers; each put-off telling lands on one
    # of them at random, and whoever it lands on does not buy (twice told, once put off).
    stopped = np.zeros(n_seg)
    for s in range(n_seg):
        reachable = int(buyers[s] + won[s])
        hit = rng.integers(0, reachable, int(put_off[s])) if reachable else []
        stopped[s] = np.unique(hit).size
    buyers = buyers + won - stopped
    lost_revenue += float(((stopped - won) * v_new).sum())
    lost_acquisitions += float((stopped - won).sum())
    revenue += float((buyers * p.value[0]).sum() * p.discount[t])  # they pay this period

    joined = [_classes(rng, p, s, int(buyers[s]), p.class_weight) for s in range(n_seg)]
    group = np.concatenate([group, *joined])
    fresh = group.size - state.size
    state = np.concatenate([state, np.zeros(fresh, dtype=np.int64)])
    wallet = np.concatenate([wallet, np.zeros(fresh, dtype=np.int64)])
    # Month's end: unresolved failures fade one step; a smaller wallet has a month less.
    state = state - ((state > 0) & (rng.random(state.size) < p.fade))
    wallet = np.maximum(wallet - 1, 0)

    pop = {"group": group, "state": state, "wallet": wallet}
    tally = {
        "lost_revenue": lost_revenue,
        "customers_lost": customers_lost,
        "lost_acquisitions": lost_acquisitions,
        "revenue": revenue,
    }
    return pop, tally


def _settle(p: Params, rng: np.random.Generator, pop: dict[str, NDArray]) -> dict[str, NDArray]:
    """The customers `pop`, their experience states settled (`WARM_UP` periods of period 0's
    rules, each group resampled to its starting size after each), their wallets as usual."""
    start = np.bincount(pop["group"], minlength=p.groups)
    for _ in range(WARM_UP):
        pop, _ = _period(p, rng, 0, pop)
        picked = []
        for g in range(p.groups):
            members = np.flatnonzero(pop["group"] == g)
            if start[g] and members.size:
                picked.append(rng.choice(members, start[g], replace=start[g] > members.size))
        keep = np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)
        pop = {k: v[keep] for k, v in pop.items()}
    return {**pop, "wallet": np.zeros(pop["group"].size, dtype=np.int64)}


def simulate_customers(p: Params, rng: np.random.Generator) -> dict[str, float]:
    """One run of the model (inputs: run 0 of `p`), customer by customer."""
    group = np.concatenate(
        [
            _classes(rng, p, s, int(np.rint(p.initial[0, s])), p.initial_weight)
            for s in range(p.segments)
        ]
    )
    pop = {
        "group": group,
        "state": np.zeros(group.size, dtype=np.int64),  # unresolved failures remembered
        "wallet": np.zeros(group.size, dtype=np.int64),  # months of spending less to come
    }
    if p.settled:
        pop = _settle(p, rng, pop)
    out = {"lost_revenue": 0.0, "customers_lost": 0.0, "lost_acquisitions": 0.0, "revenue": 0.0}
    for t in range(p.horizon):
        pop, tally = _period(p, rng, t, pop)
        for key, value in tally.items():
            out[key] += value
    out["end"] = float(pop["group"].size)
    return out
