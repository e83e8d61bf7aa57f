"""Closed forms for staffing queues: Erlang B, Erlang C (M/M/N) and Erlang A (M/M/N+M).

They are the analytic checks on the SimPy contact-centre model in `cxsim.support.contact_centre`,
and the
analytic column of `cxsim queue`. Units are the ones a contact centre uses: arrivals per hour,
handle time and waits in seconds. The offered load is A = arrivals per second × AHT (Erlangs).

Definitions shared by both models (those of `cxsim.support.contact_centre` too):

- p_wait: share of arriving contacts that find every agent busy (they queue);
- ASA (average speed of answer): mean wait of the contacts that are answered, zero waits included;
- service level SL(t): share of *offered* contacts answered within t seconds (abandoned contacts
  count against it, however soon they hung up);
- abandon rate: share of offered contacts that hang up before an agent answers.

Sources: Erlang B and C as in Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing
Theory* (4th ed., Wiley 2008), §2.5 (M/M/c) and §2.6 (M/M/c/K); the service-level form
SL(t) = 1 − P(wait)·exp(−(N − A)·t / AHT) is the waiting-time distribution of M/M/c FCFS
(ibid. eq. 2.36). Erlang A: Garnett, Mandelbaum & Reiman, "Designing a call center with impatient
customers", Manufacturing & Service Operations Management 4(3), 2002, computed here exactly from
its birth–death chain (Palm's M/M/N+M) rather than from GMR's incomplete-gamma closed forms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ErlangA", "ErlangC", "erlang_a", "erlang_b", "erlang_c"]


def _check(agents: int, arrivals_per_hour: float, aht_seconds: float, sl_seconds: float) -> None:
    """Fail fast on values no queue can have."""
    if int(agents) != agents or agents < 1:
        raise ValueError(f'"agents" must be a whole number >= 1, got {agents!r}.')
    if not arrivals_per_hour >= 0 or math.isinf(arrivals_per_hour):
        raise ValueError(f'"arrivals_per_hour" must be >= 0 and finite, got {arrivals_per_hour!r}.')
    if not aht_seconds > 0 or math.isinf(aht_seconds):
        raise ValueError(f'"aht_seconds" must be > 0 and finite, got {aht_seconds!r}.')
    if not sl_seconds >= 0:
        raise ValueError(f'"sl_seconds" must be >= 0, got {sl_seconds!r}.')


def erlang_b(agents: int, load: float) -> float:
    """Erlang B blocking probability of an M/M/N/N loss system offered `load` Erlangs.

    Computed by the stable recursion B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1))
    (Gross et al., *Fundamentals of Queueing Theory*, §2.6), which never forms A^N / N!.
    """
    if int(agents) != agents or agents < 0:
        raise ValueError(f'"agents" must be a whole number >= 0, got {agents!r}.')
    if not load >= 0:
        raise ValueError(f'"load" must be >= 0, got {load!r}.')
    b = 1.0
    for k in range(1, int(agents) + 1):
        b = load * b / (k + load * b)
    return b


@dataclass(frozen=True)
class ErlangC:
    """Erlang C (M/M/N, infinite patience) figures for one staffing level.

    `stable` is False when the load is at or above the number of agents: the queue then grows
    without bound, p_wait is 1, ASA infinite and the service level 0.
    """

    agents: int
    offered_load: float
    p_wait: float
    asa_seconds: float
    service_level: float
    sl_seconds: float
    occupancy: float
    stable: bool
    abandon_rate: float = 0.0

    def service_level_at(self, seconds: float, aht_seconds: float) -> float:
        """SL(t) = 1 − P(wait)·exp(−(N − A)·t / AHT) for another threshold t."""
        if not self.stable:
            return 0.0
        gap = self.agents - self.offered_load
        return 1.0 - self.p_wait * math.exp(-gap * seconds / aht_seconds)


def erlang_c(
    agents: int, arrivals_per_hour: float, aht_seconds: float, sl_seconds: float = 20.0
) -> ErlangC:
    """Erlang C: probability of waiting, ASA, service level and occupancy of M/M/N.

    P(wait) = N·B / (N − A·(1 − B)) with B the Erlang B value (Gross et al. §2.5, the
    "Erlang C formula" P(wait) = [A^N/N!·N/(N−A)] / [Σ_{k<N} A^k/k! + A^N/N!·N/(N−A)] rewritten
    so that it stays finite for hundreds of agents); ASA = P(wait)·AHT / (N − A);
    SL(t) = 1 − P(wait)·exp(−(N − A)·t / AHT); occupancy = A / N.
    """
    _check(agents, arrivals_per_hour, aht_seconds, sl_seconds)
    n = int(agents)
    load = arrivals_per_hour / 3600.0 * aht_seconds
    if load >= n:
        return ErlangC(n, load, 1.0, math.inf, 0.0, sl_seconds, 1.0, False)
    b = erlang_b(n, load)
    p_wait = n * b / (n - load * (1.0 - b))
    gap = n - load
    asa = p_wait * aht_seconds / gap
    sl = 1.0 - p_wait * math.exp(-gap * sl_seconds / aht_seconds)
    return ErlangC(n, load, p_wait, asa, sl, sl_seconds, load / n, True)


@dataclass(frozen=True)
class ErlangA:
    """Erlang A (M/M/N+M: exponential patience) figures for one staffing level.

    `asa_seconds` is the mean wait of answered contacts; `mean_wait_all_seconds` the mean time
    in queue of every offered contact (answered or abandoned), which equals E[queue] / λ by
    Little's law. `occupancy` counts only the work of answered contacts.
    """

    agents: int
    offered_load: float
    patience_seconds: float
    p_wait: float
    asa_seconds: float
    mean_wait_all_seconds: float
    abandon_rate: float
    service_level: float
    sl_seconds: float
    occupancy: float
    mean_queue: float
    states: int


def _stationary(n: int, lam: float, mu: float, theta: float) -> np.ndarray:
    """Stationary distribution of the M/M/N+M birth–death chain, truncated where it is < e^-60.

    Birth rate λ; death rate μ·min(k, N) + θ·max(k − N, 0). Worked in logs so that no A^N / N!
    overflows. With θ = 0 it is M/M/N (needs λ < Nμ): the tail is then geometric.
    """
    from scipy.special import gammaln

    k = np.arange(n + 1, dtype=float)
    head = k * math.log(lam / mu) - gammaln(k + 1)
    if theta == 0.0 and lam >= n * mu:
        raise ValueError("Without abandonment the load must be below the number of agents.")
    # beyond N, ratio λ / (Nμ + iθ) falls below 1 from i* on; grow the tail until negligible
    i_star = 0 if theta == 0 else max(0, math.ceil((lam - n * mu) / theta))
    m = i_star + 64
    while True:
        i = np.arange(1, m + 1, dtype=float)
        tail = head[-1] + np.cumsum(math.log(lam) - np.log(n * mu + i * theta))
        top = max(head.max(), tail.max())
        if tail[-1] < top - 60.0:
            break
        if m > 20_000_000:
            raise ValueError("Erlang A state space too large: patience too long for this load.")
        m *= 2
    logp = np.concatenate((head, tail))
    keep = logp >= top - 60.0
    last = int(np.nonzero(keep)[0].max())
    logp = logp[: max(last, n) + 1]
    p = np.exp(logp - top)
    return p / p.sum()


def erlang_a(
    agents: int,
    arrivals_per_hour: float,
    aht_seconds: float,
    patience_seconds: float,
    sl_seconds: float = 20.0,
) -> ErlangA:
    """Erlang A (Palm's M/M/N+M), exact: the birth–death chain solved numerically.

    The model of Garnett, Mandelbaum & Reiman (MSOM 4(3), 2002): Poisson arrivals at λ,
    exponential handling at μ = 1/AHT, N agents, each waiting contact hangs up after an
    exponential patience with mean θ⁻¹ = `patience_seconds`. The number in system is a birth–death
    chain; its stationary law π (truncated where it is below e^-60 of its peak, so the figures are
    exact to rounding) gives, by PASTA:

    - p_wait = Σ_{k≥N} π_k, abandon rate = θ·E[queue] / λ;
    - a contact that arrives with i others waiting sees, while j contacts are ahead of it,
      competing exponential clocks: "one ahead leaves" at Nμ + jθ, "I hang up" at θ. It is
      answered with probability p_i = Π_{j=0..i} (Nμ + jθ) / (Nμ + (j+1)θ), and given that, its
      wait is a sum of independent Exp(Nμ + (j+1)θ), j = 0..i (holding times of competing
      exponentials do not depend on which clock rings). ASA follows as a sum, and SL(t) from the
      transient law of a pure-birth chain (one matrix exponential, `expm_multiply`).

    `patience_seconds = math.inf` gives M/M/N through the same chain (a check on Erlang C).
    """
    from scipy import sparse
    from scipy.sparse.linalg import expm_multiply

    _check(agents, arrivals_per_hour, aht_seconds, sl_seconds)
    if not patience_seconds > 0:
        raise ValueError(f'"patience_seconds" must be > 0, got {patience_seconds!r}.')
    n = int(agents)
    lam = arrivals_per_hour / 3600.0
    mu = 1.0 / aht_seconds
    theta = 0.0 if math.isinf(patience_seconds) else 1.0 / patience_seconds
    load = lam / mu
    if lam == 0:
        return ErlangA(n, 0.0, patience_seconds, 0.0, 0.0, 0.0, 0.0, 1.0, sl_seconds, 0.0, 0.0, 1)
    pi = _stationary(n, lam, mu, theta)
    queue_pi = pi[n:]  # arrivals that find i = 0, 1, ... contacts already waiting
    i = np.arange(queue_pi.size, dtype=float)
    p_wait = float(queue_pi.sum())
    mean_queue = float((i * queue_pi).sum())
    down = n * mu + i * theta  # rate at which the number ahead drops, i ahead
    out = n * mu + (i + 1.0) * theta  # total rate out of "i ahead" (including my hanging up)
    p_served = np.cumprod(down / out)  # answered, having arrived with i waiting
    answered = 1.0 - p_wait + float((queue_pi * p_served).sum())
    abandon = 1.0 - answered  # equals θ·E[queue]/λ (a test)
    wait_if_served = np.cumsum(1.0 / out)
    asa = float((queue_pi * p_served * wait_if_served).sum()) / answered
    # P(answered within t | i waiting) = p_i · P(pure-birth chain with rates out_0.. has passed
    # stage i by t); one transient solve of that chain gives every i.
    size = queue_pi.size
    if sl_seconds > 0:
        gen = sparse.diags([-out, out[:-1]], [0, 1], shape=(size, size), format="csc")
        start = np.zeros(size)
        start[0] = 1.0
        stage = expm_multiply(gen.T * sl_seconds, start)  # P(in stage j at t), j < size
        passed = 1.0 - np.cumsum(np.clip(stage, 0.0, 1.0))  # P(beyond stage i at t)
        within = float((queue_pi * p_served * np.clip(passed, 0.0, 1.0)).sum())
    else:
        within = 0.0
    sl = 1.0 - p_wait + within
    occupancy = min(1.0, lam * answered / (n * mu))
    return ErlangA(
        agents=n,
        offered_load=load,
        patience_seconds=patience_seconds,
        p_wait=p_wait,
        asa_seconds=asa,
        mean_wait_all_seconds=mean_queue / lam,
        abandon_rate=abandon,
        service_level=sl,
        sl_seconds=sl_seconds,
        occupancy=occupancy,
        mean_queue=mean_queue,
        states=int(pi.size),
    )
