"""The settled start (`memory.start: settled`): customers begin in the mix of experience states
the scenario's own dynamics settle into, rather than all without an unresolved failure."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from cxsim.engine.period import (
    SLOT_START,
    STATES,
    acquire,
    customer_step,
    fade_memory,
    split_into_classes,
)
from cxsim.engine.sampling import MeanSampler, Sampler
from cxsim.model.parameters import Params

FloatArray = NDArray[np.float64]


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
        m[..., k] = fade_memory(ev, customer_step(p, p, unit, ev, split).counts, p.fade)
    rho = np.max(np.abs(np.linalg.eigvals(m)), axis=-1)  # M's spectral radius, (R, G)
    y = np.zeros((runs, n_grp, STATES))
    y[:, :, 0] = n
    shares = y / np.maximum(n, 1e-300)[..., None]
    settled, live = shares.copy(), np.ones(runs, dtype=bool)  # per run (`p.rowwise`)
    for _ in range(50):
        buyers = acquire(p, p, ev, customer_step(p, p, y, ev, split))[0]
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


def initial_counts(p: Params, sampler: Sampler, split: FloatArray) -> NDArray:
    """(R, G, K) customers at the start: split into classes, then into experience states."""
    in_class = split_into_classes(sampler, p.initial, p.initial_weight, p.group_segment, p.groups)
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
