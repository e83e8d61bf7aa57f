"""Erlang B, C and A against published values, exact arithmetic and known limits."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from scipy import stats

from cxsim.support.erlang import erlang_a, erlang_b, erlang_c


def exact_erlang_c(agents: int, load: Fraction) -> Fraction:
    """The Erlang C formula exactly as REFERENCES.md prints it, in rational arithmetic."""
    term = load**agents / math.factorial(agents) * Fraction(agents) / (agents - load)
    head = sum(load**k / math.factorial(k) for k in range(agents))
    return term / (head + term)


def exact_erlang_b(agents: int, load: Fraction) -> Fraction:
    """B(N, A) = (A^N / N!) / sum_{k<=N} A^k / k!, exactly."""
    return (load**agents / math.factorial(agents)) / sum(
        load**k / math.factorial(k) for k in range(agents + 1)
    )


def test_erlang_b_published_values() -> None:
    """Erlang B tables: 10 Erlangs on 10 lines block 21.46%; 25 Erlangs on 30 lines about 5%."""
    assert erlang_b(10, 10.0) == pytest.approx(0.21458, abs=5e-5)
    assert erlang_b(30, 25.0) == pytest.approx(0.0526, abs=5e-4)
    assert erlang_b(0, 3.0) == 1.0


@pytest.mark.parametrize(("agents", "load"), [(1, "1/2"), (7, "5"), (30, "25"), (120, "111.5")])
def test_erlang_b_recursion_is_exact(agents: int, load: str) -> None:
    """The stable recursion equals the textbook formula evaluated in exact arithmetic."""
    assert erlang_b(agents, float(Fraction(load))) == pytest.approx(
        float(exact_erlang_b(agents, Fraction(load))), rel=1e-12
    )


# The textbook case: 100 contacts in half an hour (200 an hour), 180 s handle time: A = 10 Erlangs.
# P(wait), ASA (s) and SL(20 s), to the digits usually printed in staffing tables.
TEN_ERLANGS = {
    11: (0.6821, 122.8, 0.3896),
    12: (0.4494, 40.4, 0.6402),
    13: (0.2853, 17.1, 0.7956),
    14: (0.1741, 7.8, 0.8884),
}


@pytest.mark.parametrize("agents", sorted(TEN_ERLANGS))
def test_erlang_c_ten_erlangs(agents: int) -> None:
    p_wait, asa, sl = TEN_ERLANGS[agents]
    c = erlang_c(agents, 200.0, 180.0, sl_seconds=20.0)
    assert c.offered_load == pytest.approx(10.0)
    assert c.p_wait == pytest.approx(p_wait, abs=5e-5)
    assert c.asa_seconds == pytest.approx(asa, abs=0.05)
    assert c.service_level == pytest.approx(sl, abs=5e-5)
    assert c.occupancy == pytest.approx(10.0 / agents)
    assert c.stable and c.abandon_rate == 0.0
    # the closed forms, from P(wait)
    assert c.asa_seconds == pytest.approx(c.p_wait * 180.0 / (agents - 10.0))
    assert c.service_level_at(0.0, 180.0) == pytest.approx(1.0 - c.p_wait)


@pytest.mark.parametrize(
    ("agents", "load"), [(1, "0.5"), (2, "1.9"), (11, "10"), (50, "45"), (300, "290")]
)
def test_erlang_c_is_exact_and_stable(agents: int, load: str) -> None:
    """Through B, P(wait) equals the printed formula, even where A^N / N! overflows a float."""
    aht = 100.0
    rate = float(Fraction(load)) * 3600.0 / aht
    assert erlang_c(agents, rate, aht).p_wait == pytest.approx(
        float(exact_erlang_c(agents, Fraction(load))), rel=1e-10
    )


def test_erlang_c_unstable() -> None:
    c = erlang_c(10, 150.0, 240.0)  # 10 Erlangs on 10 agents
    assert not c.stable
    assert c.p_wait == 1.0 and math.isinf(c.asa_seconds) and c.service_level == 0.0


def test_erlang_c_mm1() -> None:
    """M/M/1: P(wait) = rho, ASA = rho/(1-rho)·AHT, SL(t) = 1 - rho·exp(-(1-rho)t/AHT)."""
    c = erlang_c(1, 27.0, 100.0, sl_seconds=30.0)  # rho = 0.75
    assert c.p_wait == pytest.approx(0.75)
    assert c.asa_seconds == pytest.approx(300.0)
    assert c.service_level == pytest.approx(1 - 0.75 * math.exp(-0.25 * 30 / 100))


@pytest.mark.parametrize("bad", [dict(agents=0), dict(arrivals_per_hour=-1), dict(aht_seconds=0)])
def test_erlang_c_rejects_bad_input(bad: dict[str, float]) -> None:
    args = dict(agents=10, arrivals_per_hour=100.0, aht_seconds=200.0) | bad
    with pytest.raises(ValueError):
        erlang_c(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(("agents", "rate"), [(1, 18.0), (11, 200.0), (14, 200.0), (100, 1900.0)])
def test_erlang_a_without_abandonment_is_erlang_c(agents: int, rate: float) -> None:
    """Infinite patience through the birth–death chain reproduces Erlang C to rounding."""
    a = erlang_a(agents, rate, 180.0, math.inf, sl_seconds=20.0)
    c = erlang_c(agents, rate, 180.0, sl_seconds=20.0)
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-9)
    assert a.asa_seconds == pytest.approx(c.asa_seconds, rel=1e-9)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-9)
    assert a.abandon_rate == pytest.approx(0.0, abs=1e-12)


def test_erlang_a_tends_to_erlang_c() -> None:
    """As patience grows, Erlang A approaches Erlang C from the side of fewer waits."""
    c = erlang_c(12, 200.0, 180.0)
    gaps = []
    for patience in (60.0, 600.0, 6_000.0, 600_000.0):
        a = erlang_a(12, 200.0, 180.0, patience)
        assert a.p_wait < c.p_wait and a.asa_seconds < c.asa_seconds
        gaps.append(c.p_wait - a.p_wait)
    assert gaps == sorted(gaps, reverse=True)
    assert gaps[-1] < 1e-3


def test_erlang_a_patience_equal_to_handle_time_is_poisson() -> None:
    """With θ = μ the death rate is kμ in every state: the number in system is Poisson(A).

    So P(wait) = P(X >= N) and E[queue] = E[(X - N)+], with X ~ Poisson(A): an exact check of
    the chain, and of abandonment = θ·E[queue]/λ (each waiting contact hangs up at rate θ).
    """
    n, load, aht = 10, 9.0, 240.0
    a = erlang_a(n, load * 3600 / aht, aht, aht)
    x = stats.poisson(load)
    assert a.p_wait == pytest.approx(x.sf(n - 1), rel=1e-10)
    k = range(n, 200)
    queue = sum((j - n) * x.pmf(j) for j in k)
    assert a.mean_queue == pytest.approx(queue, rel=1e-9)
    lam = load / aht
    assert a.abandon_rate == pytest.approx((1 / aht) * queue / lam, rel=1e-9)
    assert a.mean_wait_all_seconds == pytest.approx(queue / lam, rel=1e-9)  # Little


@pytest.mark.parametrize(("rate", "patience"), [(120.0, 120.0), (200.0, 60.0), (400.0, 300.0)])
def test_erlang_a_identities(rate: float, patience: float) -> None:
    """Abandonment two ways, SL at t = 0 and as t grows, occupancy = answered work / agents."""
    a = erlang_a(10, rate, 240.0, patience, sl_seconds=0.0)
    lam = rate / 3600
    assert a.abandon_rate == pytest.approx(a.mean_queue / patience / lam, rel=1e-9)
    assert a.service_level == pytest.approx(1.0 - a.p_wait, rel=1e-12)
    late = erlang_a(10, rate, 240.0, patience, sl_seconds=2e4)
    assert late.service_level == pytest.approx(1.0 - a.abandon_rate, rel=1e-6)
    assert a.occupancy == pytest.approx(min(1.0, lam * (1 - a.abandon_rate) * 240.0 / 10))
    # answered contacts wait less on average than all contacts do until they leave the queue
    assert a.asa_seconds * (1 - a.abandon_rate) <= a.mean_wait_all_seconds


def test_erlang_a_mm1_by_hand() -> None:
    """M/M/1+M with λ = μ = θ: π_k ∝ 1/k! (Poisson(1)), by hand.

    P(wait) = 1 - e^-1. Arriving to i waiting, the contact is answered with probability
    Π_{j<=i} (1 + j)/(2 + j) = 1/(i + 2), after a wait with mean Σ_{j<=i} 1/(2 + j) in units of
    1/μ (rates 1+(j+1)).
    """
    a = erlang_a(1, 36.0, 100.0, 100.0)  # λ = μ = θ = 0.01 /s
    pi = [math.exp(-1) / math.factorial(k) for k in range(60)]
    assert a.p_wait == pytest.approx(1 - math.exp(-1), rel=1e-12)
    answered = pi[0] + sum(pi[1 + i] / (i + 2) for i in range(58))
    assert a.abandon_rate == pytest.approx(1 - answered, rel=1e-10)
    wait = sum(pi[1 + i] / (i + 2) * sum(100.0 / (2 + j) for j in range(i + 1)) for i in range(58))
    assert a.asa_seconds == pytest.approx(wait / answered, rel=1e-10)


def test_erlang_a_overloaded_still_answers() -> None:
    """Above capacity abandonment keeps the queue finite: the abandon rate is at least 1 - N/A."""
    a = erlang_a(100, 2400.0, 180.0, 600.0)  # 120 Erlangs on 100 agents
    assert 1 - 100 / 120 <= a.abandon_rate < 0.3
    assert a.occupancy <= 1.0


def test_erlang_a_more_agents_better() -> None:
    figures = [erlang_a(n, 150.0, 240.0, 120.0) for n in range(8, 14)]
    for lo, hi in itertools.pairwise(figures):
        assert hi.abandon_rate < lo.abandon_rate
        assert hi.service_level > lo.service_level
        assert hi.asa_seconds < lo.asa_seconds


def test_erlang_a_rejects_bad_patience() -> None:
    with pytest.raises(ValueError, match="patience"):
        erlang_a(10, 100.0, 200.0, 0.0)
