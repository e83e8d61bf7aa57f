"""A straightforward per-customer simulation of cxsim's model: the benchmark's reference.

Every customer is an element of numpy arrays (group, memory state); every event is one draw per
customer: churn, failure at each touchpoint, complaint, the complaint's outcome, defection, word
of mouth (a Poisson count per customer who met a failure), conversion of each prospect, a lost
sale per buyer, the class of each newcomer. The rules and the values of defections are the
engine's (`cxsim.engine.recursion`), so the two should give the same loss distribution; only the
way the
randomness is drawn differs (one draw per customer instead of one binomial per cell of counts).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from cxsim.engine.recursion import (
    DISSATISFIED,
    MOLLIFIED,
    SATISFIED,
    SILENT,
    STATES,
    new_value,
    stay_value,
)
from cxsim.model.parameters import Params


def _classes(rng: np.random.Generator, p: Params, segment: int, n: int, weight: NDArray) -> NDArray:
    """The class (group) of each of `n` customers of a segment: one draw per customer."""
    members = np.flatnonzero(p.group_segment == segment)
    w = weight[0, members] / weight[0, members].sum()
    return members[np.searchsorted(np.cumsum(w)[:-1], rng.random(n), side="right")]


def simulate_customers(p: Params, rng: np.random.Generator) -> dict[str, float]:
    """One run of the model (inputs: run 0 of `p`), customer by customer.

    No support coupling: the complaint split is the scenario's.
    """
    n_seg = p.segments
    customer_tps = np.flatnonzero(p.tp_customers)
    prospect_tps = np.flatnonzero(~p.tp_customers)
    seg_of = p.group_segment
    group = np.concatenate(
        [_classes(rng, p, s, int(np.rint(p.initial[0, s])), p.initial_weight) for s in range(n_seg)]
    )
    state = np.zeros(group.size, dtype=np.int64)
    sat_p = p.split[0, 0]
    rest_p = p.split[0, 1] / max(p.split[0, 1] + p.split[0, 2], 1e-300)
    lost_revenue = customers_lost = lost_acquisitions = revenue = 0.0

    for t in range(p.horizon):
        stays = rng.random(group.size) >= p.churn[0, group]
        group, state = group[stays], state[stays]
        v_stay = stay_value(p, t)[0]  # (G,)
        deterred = np.zeros((len(customer_tps), n_seg))
        referred = np.zeros((len(customer_tps), n_seg))

        for i, j in enumerate(customer_tps):
            failed = np.flatnonzero(rng.random(group.size) < p.tp_prob[0, j, seg_of[group]])
            g, k = group[failed], state[failed]
            complained = rng.random(failed.size) < p.tp_complaint[0, j]
            satisfied = rng.random(failed.size) < sat_p
            mollified = rng.random(failed.size) < rest_p
            path = np.where(
                ~complained,
                SILENT,
                np.where(satisfied, SATISFIED, np.where(mollified, MOLLIFIED, DISSATISFIED)),
            )
            defected = rng.random(failed.size) < p.defect[0, p.tp_severity[j], k, path]
            lost_revenue += float(v_stay[g[defected]].sum())
            customers_lost += float(defected.sum())
            told = p.told[0, path]
            good = path == SATISFIED
            bad_counts = rng.poisson(told[~good] * p.deterred[0])
            good_counts = rng.poisson(told[good] * p.referred[0])
            deterred[i] = np.bincount(seg_of[g[~good]], bad_counts, minlength=n_seg)
            referred[i] = np.bincount(seg_of[g[good]], good_counts, minlength=n_seg)
            # Memory: satisfied resets, mollified keeps, silent or dissatisfied adds one.
            k = np.where(good, 0, np.where(path == MOLLIFIED, k, np.minimum(k + 1, STATES - 1)))
            state[failed] = k
            keep = np.ones(group.size, dtype=bool)
            keep[failed[defected]] = False
            group, state = group[keep], state[keep]

        revenue += float(p.value[0, seg_of[group]].sum() * p.discount[t])

        v_new = new_value(p, t)[0]  # (S,)
        buyers = np.array(
            [
                np.count_nonzero(rng.random(int(np.rint(p.prospects[0, s]))) < p.conversion[0, s])
                for s in range(n_seg)
            ],
            dtype=float,
        )
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
        for i in range(len(customer_tps)):
            stopped = np.minimum(deterred[i], buyers)
            buyers = buyers - stopped + referred[i]
            net = stopped - referred[i]
            lost_revenue += float((net * v_new).sum())
            lost_acquisitions += float(net.sum())
        joined = [_classes(rng, p, s, int(buyers[s]), p.class_weight) for s in range(n_seg)]
        group = np.concatenate([group, *joined])
        state = np.concatenate([state, np.zeros(group.size - state.size, dtype=np.int64)])

    return {
        "lost_revenue": lost_revenue,
        "customers_lost": customers_lost,
        "lost_acquisitions": lost_acquisitions,
        "revenue": revenue,
        "end": float(group.size),
    }
