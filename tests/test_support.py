"""The SimPy contact-centre model: exact event logs, Erlang C and A, the shortcut, the split."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cxsim.support.channels import (
    Channel,
    ResolutionCurve,
    SupportOperation,
    resolution_split,
    weekly_profile,
)
from cxsim.support.desk import simulate_channel
from cxsim.support.erlang import erlang_a, erlang_c
from cxsim.support.fluid import fluid_channel
from cxsim.support.overload import overloads
from cxsim.support.period import simulate_period
from cxsim.support.replication import ReplicationStats, replicate
from cxsim.support.response_curve import ResponseCurve

H = 3600.0
DAY = 24 * H


def schedule(days: slice, first: int, last: int, value: int = 1) -> np.ndarray:
    """A (7, 24) array with `value` on `days` (Monday = 0) from hour `first` to `last` - 1."""
    a = np.zeros((7, 24), dtype=int)
    a[days, first:last] = value
    return a


def run(channel: Channel, arrivals: list[float], hours: float = 1.0, start: float = 0.0):
    return simulate_channel(
        channel,
        rng=np.random.default_rng(0),
        hours=hours,
        arrival_seconds=arrivals,
        start_hour=start,
        trace=True,
    )


# ---------------------------------------------------------------------------------------------
# Exact event logs
# ---------------------------------------------------------------------------------------------


def test_one_agent_fifo() -> None:
    """One agent, 10 s per contact, contacts at 0, 1 and 2 s: they are served in turn."""
    r = run(Channel("phone", 1, 10.0, handle="deterministic"), [0, 1, 2])
    assert r.trace == [
        (0, 0, "arrive"), (0, 0, "answer"), (1, 1, "arrive"), (2, 2, "arrive"),
        (10, 0, "done"), (10, 1, "answer"), (20, 1, "done"), (20, 2, "answer"), (30, 2, "done"),
    ]  # fmt: skip
    assert r.wait_seconds.tolist() == [0, 9, 18]
    assert r.queued.tolist() == [False, True, True]
    assert r.response_seconds.tolist() == [10, 19, 28]
    assert r.asa_seconds == 9 and r.p_wait == pytest.approx(2 / 3)
    assert r.service_level(9) == pytest.approx(2 / 3)


def test_patience() -> None:
    """Patience 5 s: contacts 1 and 2 hang up at 6 and 7 s; contact 3 reaches the agent at 10 s,
    the very moment its patience runs out (the agent's finish was scheduled first, so it wins).
    """
    ch = Channel(
        "phone", 1, 10.0, handle="deterministic", patience_seconds=5.0, patience="deterministic"
    )
    r = run(ch, [0, 1, 2, 5])
    assert r.trace == [
        (0, 0, "arrive"), (0, 0, "answer"), (1, 1, "arrive"), (2, 2, "arrive"), (5, 3, "arrive"),
        (6, 1, "abandon"), (7, 2, "abandon"), (10, 0, "done"), (10, 3, "answer"), (20, 3, "done"),
    ]  # fmt: skip
    assert r.abandoned.tolist() == [False, True, True, False]
    assert r.wait_seconds.tolist() == [0, 5, 5, 5]
    assert r.abandon_rate == 0.5
    assert r.service_level(5) == 0.5  # abandoned contacts count against the service level
    assert np.isnan(r.handle_seconds[1])


def test_more_agents_join_the_queue() -> None:
    """One agent until 01:00, two after: the waiting contact is picked up on the hour."""
    agents = np.zeros((7, 24), dtype=int) + 2
    agents[0, 0] = 1
    r = run(Channel("phone", agents, 1000.0, handle="deterministic"), [3000, 3100, 3200], 2)
    assert r.trace == [
        (3000, 0, "arrive"), (3000, 0, "answer"), (3100, 1, "arrive"), (3200, 2, "arrive"),
        (3600, 1, "answer"), (4000, 0, "done"), (4000, 2, "answer"), (4600, 1, "done"),
        (5000, 2, "done"),
    ]  # fmt: skip


def test_a_contact_arriving_as_an_agent_frees_or_a_shift_starts_is_answered_at_once() -> None:
    """What is due at a contact's arrival happens first: the agent who finishes at that instant,
    or the shift that starts then, answers it without a wait (it never found everyone busy)."""
    r = run(Channel("phone", 1, 10.0, handle="deterministic"), [0, 10])
    assert r.trace == [
        (0, 0, "arrive"), (0, 0, "answer"), (10, 0, "done"), (10, 1, "arrive"), (10, 1, "answer"),
        (20, 1, "done"),
    ]  # fmt: skip
    assert r.queued.tolist() == [False, False]
    agents = np.ones((7, 24), dtype=int)
    agents[0, 0] = 0  # nobody until 01:00
    r = run(Channel("phone", agents, 100.0, handle="deterministic"), [H, H + 50], 2)
    assert r.wait_seconds.tolist() == [0, 50]
    assert r.queued.tolist() == [False, True]


def test_agent_going_off_shift_finishes_the_contact() -> None:
    """Two agents until 01:00, one after: both finish what they hold; only one picks up again."""
    agents = np.ones((7, 24), dtype=int)
    agents[0, 0] = 2
    r = run(Channel("phone", agents, 1000.0, handle="deterministic"), [3500, 3500.5, 3700], 2)
    assert [e for e in r.trace if e[2] != "arrive"] == [
        (3500, 0, "answer"), (3500.5, 1, "answer"), (4500, 0, "done"),
        (4500.5, 1, "done"), (4500.5, 2, "answer"), (5500.5, 2, "done"),
    ]  # fmt: skip


def test_phone_lines_close() -> None:
    """Open Monday 00:00–01:00 only: at closing the agent finishes the call in hand, and the
    caller still waiting is turned away (counted as abandoned: unresolved)."""
    ch = Channel("phone", 1, 200.0, handle="deterministic", open_hours=schedule(slice(0, 1), 0, 1))
    r = run(ch, [3500, 3550], 2)
    assert r.trace == [
        (3500, 0, "arrive"), (3500, 0, "answer"), (3550, 1, "arrive"), (3600, 1, "closed"),
        (3700, 0, "done"),
    ]  # fmt: skip
    assert r.closed_out.tolist() == [False, True]
    assert r.abandon_rate == 0.5


def test_email_backlog_carries_over_the_night_and_the_weekend() -> None:
    """Email answered Monday–Friday 09:00–17:00 by one agent, 10 minutes each.

    Mails at Monday 20:00 and Tuesday 03:00 wait for Tuesday 09:00 (backlog of 2 at 08:00);
    a mail on Friday at 18:00 waits for Monday 09:00.
    """
    office = schedule(slice(0, 5), 9, 17)
    ch = Channel(
        "email", office, 600.0, handle="deterministic", open_hours=office > 0, asynchronous=True
    )
    mon20, tue03, fri18 = 20 * H, DAY + 3 * H, 4 * DAY + 18 * H
    r = run(ch, [mon20, tue03, fri18], hours=32)  # window ends Tuesday 08:00
    tue09, mon09 = DAY + 9 * H, 7 * DAY + 9 * H
    assert [e for e in r.trace if e[2] != "arrive"] == [
        (tue09, 0, "answer"), (tue09 + 600, 0, "done"), (tue09 + 600, 1, "answer"),
        (tue09 + 1200, 1, "done"), (mon09, 2, "answer"), (mon09 + 600, 2, "done"),
    ]  # fmt: skip
    assert r.backlog_end == 2
    assert r.response_seconds.tolist() == [13 * H + 600, 6 * H + 1200, 63 * H + 600]
    assert r.abandon_rate == 0.0


def test_email_backlog_at_a_monday_morning() -> None:
    """A simulated week of mail: the backlog at Monday 08:00 is the weekend's mail."""
    office = schedule(slice(0, 5), 9, 17, 3)
    ch = Channel("email", office, 300.0, open_hours=office > 0, asynchronous=True)
    r = simulate_channel(
        ch, rng=np.random.default_rng(5), hours=7 * 24 + 8, arrivals_per_hour=2.0, trace=True
    )
    assert r.trace is not None
    weekend = [
        k for t, k, e in r.trace if e == "arrive" and 4 * DAY + 17 * H <= t < 7 * DAY + 8 * H
    ]
    assert r.backlog_end == len(weekend) > 60  # 63 h of mail at 2 an hour, none answered


def test_synchronous_arrivals_only_while_open() -> None:
    """Customers call when the lines are open: the period's volume lands in open hours only."""
    ch = Channel("chat", 5, 300.0, open_hours=schedule(slice(0, 7), 8, 20))
    r = simulate_channel(ch, rng=np.random.default_rng(1), hours=168.0, volume=700)
    hour = (r.arrival_seconds // H) % 24
    assert r.offered == 700
    assert np.all((hour >= 8) & (hour < 20))


def test_same_seed_same_run() -> None:
    ch = Channel("phone", 3, 200.0, patience_seconds=60.0)
    a, b = (
        simulate_channel(ch, rng=np.random.default_rng(9), hours=5, arrivals_per_hour=50)
        for _ in range(2)
    )
    assert np.array_equal(a.wait_seconds, b.wait_seconds)
    assert np.array_equal(a.answered, b.answered)


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(agents=0), "no agent"),
        (dict(agents=-1), "whole numbers"),
        (dict(agents=np.ones((5, 24))), "shape"),
        (dict(aht_seconds=0.0), "aht_seconds"),
        (dict(patience_seconds=0.0), "patience_seconds"),
        (dict(share=1.5), "share"),
        (dict(handle="gamma"), "handle"),
        (dict(open_hours=np.zeros((7, 24), bool)), "no agent"),
    ],
)
def test_channel_rejects(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = dict(name="phone", agents=2, aht_seconds=300.0) | kwargs
    with pytest.raises(ValueError, match=match):
        Channel(**args)  # type: ignore[arg-type]


def test_operation_rejects_shares_not_adding_up() -> None:
    with pytest.raises(ValueError, match="add up to 1"):
        SupportOperation((Channel("a", 1, 60.0, share=0.5), Channel("b", 1, 60.0, share=0.3)))


def test_weekly_profile() -> None:
    day = np.r_[np.full(8, 0.2), np.full(12, 2.0), np.full(4, 1.0)]
    w = weekly_profile(day)
    assert w.shape == (168,) and w.mean() == pytest.approx(1.0)
    assert w[9] / w[0] == pytest.approx(10.0)
    with pytest.raises(ValueError):
        weekly_profile(np.zeros(24))


# ---------------------------------------------------------------------------------------------
# Against Erlang C and Erlang A
# ---------------------------------------------------------------------------------------------
#
# Independent replications, each starting empty and warmed up. The assertion is that the
# analytic value lies in the simulated 99% t-interval (about 25 such checks run here: at 95% one
# would expect one false alarm for an arbitrary seed; over 12 seeds × 21 checks we saw 2 misses
# in 252, as a 99% interval should). The intervals are narrow enough to matter: each test also
# checks that the analytic value for a handle time 5% longer (10% at the light load, where few
# contacts wait) falls outside, so a model off by that much would fail.

HOURS, WARMUP = 20.0, 3.0  # heavy load (ρ = 0.9, N = 10) relaxes in ≈ 2.5 h
CONFIDENCE = 0.99


def _check(st: ReplicationStats, analytic: object, wrong: object, figures: list[str]) -> None:
    assert st.replications >= 30
    for f in figures:
        mean, hw = st.mean(f), st.half_width(f, CONFIDENCE)
        want = getattr(analytic, f)
        assert abs(mean - want) <= hw, f"{f}: simulated {mean:.4f} ± {hw:.4f}, analytic {want:.4f}"
    # power: a 5% error in handle time would have been caught by P(wait) or the service level
    caught = [
        abs(st.mean(f) - getattr(wrong, f)) > st.half_width(f, CONFIDENCE)
        for f in ("p_wait", "service_level")
    ]
    assert any(caught)


@pytest.mark.slow
@pytest.mark.parametrize(("rate", "off"), [(60.0, 1.1), (120.0, 1.05), (135.0, 1.05)])
def test_agrees_with_erlang_c(rate: float, off: float) -> None:
    """Poisson arrivals, exponential handling, no abandonment, 10 agents, AHT 240 s.

    Occupancy 0.4, 0.8 and 0.9; `off` is the handle-time error the test must be able to see.
    """
    ch = Channel("phone", 10, 240.0, handle="exponential")
    st = replicate(
        ch, 30, rng=np.random.default_rng(2026), arrivals_per_hour=rate, hours=HOURS,
        warmup_hours=WARMUP,
    )  # fmt: skip
    c = erlang_c(10, rate, 240.0)
    _check(st, c, erlang_c(10, rate, 240.0 * off), ["p_wait", "asa_seconds", "service_level"])
    assert st.mean("abandon_rate") == 0.0
    assert st.half_width("p_wait") < 0.05 * max(c.p_wait, 0.05)


@pytest.mark.slow
@pytest.mark.parametrize("rate", [90.0, 150.0, 200.0])  # occupancy 0.60, 0.85, 0.95
def test_agrees_with_erlang_a(rate: float) -> None:
    """As above with exponential patience, mean 120 s; the heaviest is 33% over capacity."""
    ch = Channel("phone", 10, 240.0, handle="exponential", patience_seconds=120.0)
    st = replicate(
        ch, 30, rng=np.random.default_rng(2027), arrivals_per_hour=rate, hours=10.0,
        warmup_hours=1.0,
    )  # fmt: skip
    a = erlang_a(10, rate, 240.0, 120.0)
    _check(
        st,
        a,
        erlang_a(10, rate, 252.0, 120.0),
        ["p_wait", "asa_seconds", "service_level", "abandon_rate"],
    )
    if rate == 200.0:
        assert a.occupancy >= 0.9


def test_lognormal_handle_times_have_the_right_mean() -> None:
    ch = Channel("phone", 50, 300.0, handle="lognormal", handle_cv=0.8)
    r = simulate_channel(ch, rng=np.random.default_rng(3), hours=100.0, arrivals_per_hour=60.0)
    h = r.handle_seconds[r.answered]
    assert h.mean() == pytest.approx(300.0, rel=0.03)
    assert h.std() / h.mean() == pytest.approx(0.8, rel=0.1)


# ---------------------------------------------------------------------------------------------
# The split
# ---------------------------------------------------------------------------------------------


def test_resolution_split_defaults_and_shape() -> None:
    r = np.array([0.0, 0.1, 1.0, 12 + 10 / 60, 48.0, 1e6])
    s = resolution_split(r, np.zeros_like(r))
    assert s.shape == (6, 3)
    assert np.allclose(s.sum(axis=-1), 1.0)
    assert np.all(np.diff(s[:, 0]) < 0) and np.all(np.diff(s[:, 2]) > 0)  # faster, happier
    assert s[0].tolist() == pytest.approx([0.6, 0.3, 0.1])
    assert 0.21 <= s[3, 0] <= 0.32  # 12 h 10 min: CCMC/Rage's 21%–32% fully satisfied
    # abandoned complaints are unresolved: dissatisfied
    ab = resolution_split(0.5, 0.25)
    assert ab[2] == pytest.approx(0.75 * resolution_split(0.5, 0.0)[2] + 0.25)
    assert resolution_split(0.5, 1.0).tolist() == [0.0, 0.0, 1.0]


def test_resolution_curve_rejects_a_reward_for_slowness() -> None:
    with pytest.raises(ValueError, match="fast answer"):
        ResolutionCurve(satisfied_fast=0.1, satisfied_slow=0.3)
    with pytest.raises(ValueError, match="<= 1"):
        ResolutionCurve(satisfied_fast=0.7, dissatisfied_fast=0.4)


# ---------------------------------------------------------------------------------------------
# The shortcut
# ---------------------------------------------------------------------------------------------


def _operation() -> SupportOperation:
    office = schedule(slice(0, 5), 9, 17, 2)
    email = Channel(
        "email", office, 600.0, share=0.6, open_hours=office > 0, asynchronous=True
    )  # capacity ≈ 2087 a month
    phone = Channel(
        "phone", schedule(slice(0, 6), 8, 20, 2), 360.0, share=0.4, patience_seconds=120.0,
        open_hours=schedule(slice(0, 6), 8, 20) > 0,
    )  # fmt: skip
    day = np.r_[np.full(8, 0.3), np.full(10, 1.6), np.full(6, 0.8)]  # quiet nights
    return SupportOperation((email, phone), profile=day)


@pytest.mark.slow
def test_shortcut_agrees_with_direct_simulation() -> None:
    """Interpolated outcomes at loads between grid points agree with direct simulation.

    The shortcut's own noise is measured by building it 5 times with different seeds; direct
    simulation has 20 replications. Both halves of the 95% interval are combined.
    """
    op = _operation()
    email_capacity = op.channels[0].capacity_per_hour * op.period_hours
    # email utilisation 0.52, 0.82, 0.955, 1.1: all between grid points
    complaints = np.array([0.52, 0.82, 0.955, 1.1]) * email_capacity / 0.6
    builds = [ResponseCurve.build(op, 4000.0, rng=np.random.default_rng(seed)) for seed in range(5)]
    for b in builds:
        grid = b.curves[0].loads / 0.6
        assert not np.any(np.isclose(grid[:, None], complaints[None, :], rtol=0.01))
    short = [b.outcomes(complaints) for b in builds]
    rng = np.random.default_rng(11)
    for j, v in enumerate(complaints):
        direct = [simulate_period(op, round(v), rng=child) for child in rng.spawn(20)]
        pairs = {
            "mean_response_hours": (
                [d.mean_response_hours for d in direct],
                [s.mean_response_hours[j] for s in short],
            ),
            "abandon_rate": ([d.abandon_rate for d in direct], [s.abandon_rate[j] for s in short]),
            "satisfied": ([d.split[0] for d in direct], [s.split[j, 0] for s in short]),
            "dissatisfied": ([d.split[2] for d in direct], [s.split[j, 2] for s in short]),
        }
        for name, (d_vals, s_vals) in pairs.items():
            d, s = np.asarray(d_vals), np.asarray(s_vals)
            hw = math.hypot(_hw(d), _hw(s))
            assert abs(d.mean() - s.mean()) <= hw, f"{name} at {v:.0f}: {d.mean()} vs {s.mean()}"
        # and the intervals are narrow enough to matter
        d, s = (np.asarray(x) for x in pairs["satisfied"])
        assert math.hypot(_hw(d), _hw(s)) < 0.015
        d = np.asarray(pairs["mean_response_hours"][0])
        assert _hw(d) < 0.15 * d.mean()


def _hw(v: np.ndarray) -> float:
    return float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))


def test_outcomes_are_vectorised_and_cheap() -> None:
    """One call for every run: shapes follow the complaints; parameters may vary by run."""
    op = _operation()
    curve = ResponseCurve.build(op, 3000.0, rng=np.random.default_rng(1), min_contacts=500)
    complaints = np.array([0.0, 500.0, 1500.0, 2500.0, 9000.0])
    o = curve.outcomes(complaints)
    assert o.split.shape == (5, 3) and np.allclose(o.split.sum(axis=-1), 1.0)
    assert np.all(np.diff(o.mean_response_hours) > 0)  # more load, slower answers
    assert np.all(np.diff(o.split[:, 0]) < 0)  # and fewer satisfied
    assert o.beyond_grid.tolist() == [False, False, False, False, True]
    faster = ResolutionCurve(satisfied_fast=np.full(5, 0.9), dissatisfied_fast=np.full(5, 0.05))
    assert np.all(curve.outcomes(complaints, faster).split[:, 0] > o.split[:, 0])
    grid = curve.outcomes(np.tile(complaints, (200, 1)))
    assert grid.split.shape == (200, 5, 3)


def test_more_agents_or_live_chat_answer_faster() -> None:
    """What the example scenario shows: moving mail to a staffed chat cuts response time."""
    base = _operation()
    email, phone = base.channels
    chat = Channel(
        "chat", schedule(slice(0, 7), 8, 20, 2), 420.0, share=0.3, patience_seconds=300.0,
        open_hours=schedule(slice(0, 7), 8, 20) > 0,
    )  # fmt: skip
    email_share = Channel(
        "email", email.agents, 600.0, share=0.3, open_hours=email.open_hours, asynchronous=True
    )
    with_chat = SupportOperation((email_share, phone, chat), profile=base.profile)
    v = np.array([1500.0])
    rng = np.random.default_rng(4)
    before = ResponseCurve.build(base, 2000.0, rng=rng, min_contacts=500).outcomes(v)
    after = ResponseCurve.build(with_chat, 2000.0, rng=rng, min_contacts=500).outcomes(v)
    assert after.mean_response_hours[0] < 0.6 * before.mean_response_hours[0]
    assert after.split[0, 0] > before.split[0, 0] + 0.05


# ---------------------------------------------------------------------------------------------
# At scale: the fluid limit beyond 1.5 times capacity, and overload reported
# ---------------------------------------------------------------------------------------------


def test_grid_spans_the_expected_load_and_methods_follow_the_load() -> None:
    """The grid covers [expected / 3, 3 × expected]: small volumes simulate a few low points,
    a hundred times the volume simulates nothing (every point beyond 1.5 × capacity is fluid)."""
    op = _operation()
    small = ResponseCurve.plan(op, 300.0, min_complaints=33.0)
    large = ResponseCurve.plan(op, 300_000.0, min_complaints=33_333.0)
    for c, (loads, methods, _), (big, big_methods, _) in zip(op.channels, small, large,
                                                            strict=True):  # fmt: skip
        capacity = c.capacity_per_hour * op.period_hours
        assert loads[0] <= max(33.0 * c.share, 0.02 * capacity) and loads[-1] >= 300.0 * c.share
        assert loads.size == 2 or loads[-2] < 300.0 * c.share  # stops at the first point above
        assert set(methods) == {"simulated"} and loads[-1] <= 1.5 * capacity
        assert big[0] <= 33_333.0 * c.share < big[1] and big[-1] >= 300_000.0 * c.share
        assert set(big_methods) == {"fluid"}
    mid = ResponseCurve.plan(op, 4 * 2087.0, min_complaints=0.0)  # email reaches 2.4 × capacity
    loads, methods, _ = mid[0]
    u = loads / (op.channels[0].capacity_per_hour * op.period_hours)
    assert [m for m in methods if m == "simulated"] == ["simulated"] * int((u <= 1.5).sum())
    assert all(m == "fluid" for m, x in zip(methods, u, strict=True) if x > 1.5)


def test_curve_cost_does_not_grow_with_the_volume() -> None:
    """Built around a hundred times the volume the curve simulates no contact at all."""
    op = _operation()
    large = ResponseCurve.build(op, 300_000.0, min_complaints=33_333.0,
                                rng=np.random.default_rng(2))  # fmt: skip
    assert all(c.contacts.sum() == 0 for c in large.curves)
    assert not large.outcomes(np.array([100_000.0])).beyond_grid[0]
    phone = large.curves[1]  # c/λ ≈ 6,300 / 40,000: most callers hang up (Whitt 2006)
    assert phone.at(40_000.0)["abandon_rate"] > 0.8


def test_a_point_shares_its_numbers_whatever_the_grid_starts_at() -> None:
    """Dropping the low points below the expected load leaves the other points' draws alone."""
    op = _operation()
    full = ResponseCurve.build(op, 2000.0, rng=np.random.default_rng(4), min_contacts=300)
    part = ResponseCurve.build(op, 2000.0, min_complaints=1500.0, rng=np.random.default_rng(4),
                               min_contacts=300)  # fmt: skip
    assert part.curves[0].loads.size < full.curves[0].loads.size  # email starts higher
    for f, p in zip(full.curves, part.curves, strict=True):
        k = f.loads.size - p.loads.size
        assert np.array_equal(f.loads[k:], p.loads)
        assert np.array_equal(f.mean_response_hours[k:], p.mean_response_hours)


def test_a_curve_computes_only_the_points_its_loads_need() -> None:
    """Reading one load simulates the two points around it in each channel, with the numbers
    the whole grid has (each point has its own stream)."""
    op = _operation()
    lazy = ResponseCurve.build(op, 6000.0, rng=np.random.default_rng(4), min_contacts=300)
    full = ResponseCurve.build(op, 6000.0, rng=np.random.default_rng(4), min_contacts=300)
    grid = [c.mean_response_hours for c in full.curves]  # every point
    got = lazy.outcomes(np.array([700.0, 720.0]))
    assert [c.computed for c in lazy.curves] == [2] * len(op.channels)
    assert all(c.computed == c.loads.size for c in full.curves)
    assert sum(c.loads.size for c in full.curves) > 4 * len(op.channels)
    want = full.outcomes(np.array([700.0, 720.0]))
    assert np.array_equal(got.split, want.split)
    assert np.array_equal(got.mean_response_hours, want.mean_response_hours)
    for c, g in zip(lazy.curves, grid, strict=True):
        assert np.array_equal(c.mean_response_hours, g)  # the rest, when asked for


def test_many_agents_use_erlang_a_hour_by_hour() -> None:
    """A phone line with 2,000 agents: past the contact cap each point is Erlang A per hour,
    exactly `erlang_a` where the rate is constant, nothing simulated."""
    phone = Channel("phone", 2000, 300.0, patience_seconds=180.0)  # 24,000 an hour at most
    op = SupportOperation((phone,))
    capacity = phone.capacity_per_hour * op.period_hours
    curve = ResponseCurve.build(op, 0.97 * capacity, min_complaints=0.9 * capacity,
                                rng=np.random.default_rng(0), window_hours=168.0)  # fmt: skip
    (cc,) = curve.curves
    assert set(cc.methods) == {"erlang"} and cc.contacts.sum() == 0
    for load, ab, asa in zip(cc.loads, cc.abandon_rate, cc.asa_seconds, strict=True):
        want = erlang_a(2000, load / op.period_hours, 300.0, 180.0, sl_seconds=0)
        assert ab == pytest.approx(want.abandon_rate, rel=1e-9)
        assert asa == pytest.approx(want.asa_seconds, rel=1e-9, abs=1e-9)


def test_erlang_hourly_weighs_the_hours_by_their_answered_contacts() -> None:
    """Two kinds of hour (busy, quiet): the abandon rate is the arrivals-weighted mix of each
    hour's Erlang A, and closed hours receive nothing."""
    from cxsim.support.hourly import erlang_hourly

    open_ = schedule(slice(0, 7), 8, 20)
    phone = Channel("phone", open_ * 50, 300.0, patience_seconds=120.0, open_hours=open_ > 0)
    profile = np.tile(np.r_[np.full(8, 1.0), np.full(6, 2.0), np.full(6, 1.0), np.full(4, 1.0)], 7)
    probs = (np.arange(50) + 0.5) / 50
    f = erlang_hourly(phone, 500_000.0, period_hours=730.5, profile=profile, probs=probs)
    factors = phone.arrival_factors(profile)
    lam = 500_000.0 / 730.5 * factors
    busy, quiet = lam[8], lam[14]
    a_busy, a_quiet = (erlang_a(50, x, 300.0, 120.0, sl_seconds=0) for x in (busy, quiet))
    n_busy, n_quiet = 6 * 7, 6 * 7
    want = (n_busy * busy * a_busy.abandon_rate + n_quiet * quiet * a_quiet.abandon_rate) / (
        n_busy * busy + n_quiet * quiet
    )
    assert f.abandon_rate == pytest.approx(want, rel=1e-9)
    assert a_busy.asa_seconds > a_quiet.asa_seconds
    assert f.response_quantiles_hours[-1] == pytest.approx(300.0 / H + a_busy.asa_seconds / H)


def test_fluid_limit_of_an_overloaded_phone_line() -> None:
    """Whitt (2006): in overload a share 1 − c/λ hangs up and the served waited ln(λ/c)/θ."""
    phone = Channel("phone", 100, 360.0, patience_seconds=120.0)  # c = 1000 an hour, always open
    probs = (np.arange(50) + 0.5) / 50
    f = fluid_channel(phone, 3000.0 * 730.5, period_hours=730.5, profile=np.ones(168), probs=probs)
    assert f.abandon_rate == pytest.approx(2 / 3)
    assert f.asa_seconds == pytest.approx(120.0 * math.log(3.0))
    rng = np.random.default_rng(8)
    runs = [simulate_channel(phone, rng=r, hours=3.0, arrivals_per_hour=3000.0, warmup_hours=1)
            for r in rng.spawn(2)]  # fmt: skip
    ab = np.array([r.abandon_rate for r in runs])
    asa = np.array([r.asa_seconds for r in runs])
    # the fluid is the limit as agents grow: with 100 (10: 11% off) it is within a few per cent
    assert abs(ab.mean() - f.abandon_rate) < 0.03
    assert abs(asa.mean() - f.asa_seconds) < 0.05 * f.asa_seconds


def test_fluid_limit_of_an_email_backlog_agrees_with_simulation_in_overload() -> None:
    """An overloaded mailbox: the fluid backlog's response times match SimPy's within 5%."""
    office = schedule(slice(0, 5), 9, 17, 5)
    email = Channel("email", office, 600.0, open_hours=office > 0, asynchronous=True)
    cap = email.capacity_per_hour * 730.5
    load = 3.0 * cap
    probs = (np.arange(50) + 0.5) / 50
    f = fluid_channel(email, load, period_hours=730.5, profile=np.ones(168), probs=probs,
                      window_hours=336.0, start_hour=0.0)  # fmt: skip
    run = simulate_channel(email, rng=np.random.default_rng(3), hours=336.0,
                           volume=round(load * 336 / 730.5), warmup_hours=168.0)  # fmt: skip
    assert run.mean_response_hours == pytest.approx(f.mean_response_hours, rel=0.05)
    assert run.backlog_end == pytest.approx(f.backlog_end, rel=0.05)


def test_overload_names_the_hours_and_the_agents_missing() -> None:
    """Offered load above the agents on duty: the hours, and the shortfall, per channel."""
    op = _operation()
    assert overloads(op, 100.0) == []
    email, phone = op.channels
    big = 10 * email.capacity_per_hour * op.period_hours
    found = {o.channel: o for o in overloads(op, big)}
    assert found["email"].weekly and found["email"].hours[0] == 9  # Monday 09:00
    load_agents = big * 0.6 / op.period_hours * email.aht_seconds / 3600 * 168
    assert found["email"].shortfall_agents[0] == pytest.approx(
        (load_agents - email.staff.sum()) / (email.staff > 0).sum()
    )
    assert not found["phone"].weekly and "phone" in found["phone"].text()
    assert all(phone.open_mask[h] for h in found["phone"].hours)
