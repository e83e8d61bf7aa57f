"""Support operations: a SimPy contact-centre model that decides how complaints end.

Goodman's loss tree needs, for every period, the share of complaints that end satisfied,
mollified or dissatisfied. Here that share follows from how the support operation performs:
complaints arrive at channels (phone, chat, email, ...) with agents, opening hours, a handle-time
distribution and customer patience; a discrete-event model (SimPy) turns a period's complaint
volume into response times, abandonment and backlog, and a documented function of response time
(`ResolutionCurve`) turns those into the split.

Plain data in and out: `Channel`, `SupportOperation` and `ResolutionCurve` are dataclasses
checked when built; runs return numpy arrays. The scenario layer maps its `support:` section onto
them. Time inside the simulation is in seconds since Monday 00:00 of week 0; week-hour h = 0..167
is day h // 24 (Monday = 0) and hour h % 24.

The model
---------
- Arrivals: a non-homogeneous Poisson process whose rate is piecewise constant over the 168
  hours of the week (`weekly_profile`). Given a period's volume, the arrival times are that many
  independent draws from the same intensity (the Poisson process conditioned on its count).
  Synchronous channels (phone, chat) receive contacts only while open: the profile is masked by
  the opening hours and renormalised, so customers call when the lines are open and the volume is
  kept. Asynchronous channels (email, web forms) receive them round the clock and the queue
  carries over nights and weekends.
- Agents: a number, or a 7×24 schedule. An agent going off shift finishes the contact in hand
  (no pre-emption). While a channel is closed it has no agents.
- Queue: one first-come-first-served queue per channel. A waiting contact hangs up after its
  patience (exponential with the given mean, as in Erlang A; None = never). When a synchronous
  channel closes, contacts still waiting are dropped ("closed out") and count as abandoned.
- Outcomes: answered contacts have a wait (arrival to an agent picking it up) and a response
  time (arrival to the end of handling: when the customer has the answer). Abandoned and
  closed-out complaints count as unresolved: dissatisfied.

The shortcut
------------
A SimPy run for every Monte Carlo run and period would be slow: `cxsim.support.response_curve`
simulates each channel once over a grid of loads and interpolates. Each period is treated on its
own: it starts from the state a week at the same load leaves behind (the warm-up), not from the
previous period's actual backlog.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import simpy
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = [
    "HOURS_PER_WEEK",
    "Channel",
    "ChannelRun",
    "PeriodRun",
    "ReplicationStats",
    "ResolutionCurve",
    "SupportOperation",
    "replicate",
    "resolution_split",
    "simulate_channel",
    "simulate_period",
    "weekly_profile",
]

HOURS_PER_WEEK = 168
SECONDS_PER_HOUR = 3600.0
MEAN_HOURS_PER_MONTH = 365.25 * 24 / 12  # 730.5: the engine's default period

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# --------------------------------------------------------------------------------------------
# Plain data: channels, the arrival profile, the operation
# --------------------------------------------------------------------------------------------


def _weekly(values: ArrayLike, name: str, dtype: type) -> np.ndarray:
    """A (7, 24) or (168,) array as (168,), Monday 00:00 first; a (24,) day repeated 7 times."""
    arr = np.asarray(values)
    if arr.shape == (7, 24):
        arr = arr.reshape(HOURS_PER_WEEK)
    elif arr.shape == (24,):
        arr = np.tile(arr, 7)
    elif arr.shape != (HOURS_PER_WEEK,):
        raise ValueError(f'"{name}" must have shape (7, 24), (168,) or (24,), got {arr.shape}.')
    return arr.astype(dtype)


def weekly_profile(profile: ArrayLike | None = None) -> FloatArray:
    """Relative arrival intensity for each of the 168 hours of the week, scaled to mean 1.

    `None` is flat. A (24,) profile is one day repeated; (7, 24) is day of week (Monday first)
    by hour. Only the shape matters: the scale is the volume's.
    """
    if profile is None:
        return np.ones(HOURS_PER_WEEK)
    w = _weekly(profile, "profile", float)
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError('"profile" must be finite, >= 0 and not all zero.')
    return w / w.mean()


HandleDist = Literal["lognormal", "exponential", "deterministic"]
PatienceDist = Literal["exponential", "deterministic"]


@dataclass(frozen=True, eq=False)
class Channel:
    """One support channel: who answers, when, how long it takes, how long customers wait.

    - `agents`: a number, or a (7, 24) schedule of agents by day of week (Monday first) and hour.
    - `aht_seconds`: mean handle time; `handle` its distribution: 'lognormal' with coefficient of
      variation `handle_cv` (the usual shape of call durations), 'exponential' (Erlang C's
      assumption) or 'deterministic' (for hand-checked tests).
    - `patience_seconds`: mean time a waiting customer holds on before hanging up, exponential as
      in Erlang A ('deterministic' for tests); None = never hangs up.
    - `share`: share of complaints that come to this channel.
    - `open_hours`: (7, 24) mask; None = always open. Closed hours have no agents.
    - `asynchronous`: email-like. Contacts arrive round the clock and wait through closed hours;
      a synchronous channel (phone, chat) is reached only while open and drops its queue at
      closing.
    """

    name: str
    agents: int | ArrayLike
    aht_seconds: float
    handle: HandleDist = "lognormal"
    handle_cv: float = 1.0
    patience_seconds: float | None = None
    patience: PatienceDist = "exponential"
    share: float = 1.0
    open_hours: ArrayLike | None = None
    asynchronous: bool = False
    staff: NDArray[np.int64] = field(init=False, repr=False)
    open_mask: BoolArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError('"name" must not be empty.')
        if not (self.aht_seconds > 0 and math.isfinite(self.aht_seconds)):
            raise ValueError(f'{self.name}: "aht_seconds" must be > 0, got {self.aht_seconds!r}.')
        if self.handle not in ("lognormal", "exponential", "deterministic"):
            raise ValueError(
                f'{self.name}: "handle" must be lognormal, exponential or deterministic, '
                f"got {self.handle!r}."
            )
        if self.handle == "lognormal" and not (
            self.handle_cv > 0 and math.isfinite(self.handle_cv)
        ):
            raise ValueError(f'{self.name}: "handle_cv" must be > 0, got {self.handle_cv!r}.')
        if self.patience_seconds is not None and not self.patience_seconds > 0:
            raise ValueError(
                f'{self.name}: "patience_seconds" must be > 0 or None, '
                f"got {self.patience_seconds!r}."
            )
        if self.patience not in ("exponential", "deterministic"):
            raise ValueError(f'{self.name}: "patience" must be exponential or deterministic.')
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f'{self.name}: "share" must be in [0, 1], got {self.share!r}.')
        raw = np.asarray(self.agents)
        if raw.ndim == 0:
            staff = np.full(HOURS_PER_WEEK, raw.item())
        else:
            staff = _weekly(raw, f"{self.name}: agents", float)
        if np.any(staff < 0) or np.any(staff != np.round(staff)):
            raise ValueError(f'{self.name}: "agents" must be whole numbers >= 0.')
        mask = (
            np.ones(HOURS_PER_WEEK, dtype=bool)
            if self.open_hours is None
            else _weekly(self.open_hours, f"{self.name}: open_hours", bool)
        )
        staff = np.where(mask, staff, 0).astype(np.int64)
        if staff.sum() == 0:
            raise ValueError(f"{self.name}: no agent is ever on duty while the channel is open.")
        object.__setattr__(self, "staff", staff)
        object.__setattr__(self, "open_mask", mask)

    @property
    def capacity_per_hour(self) -> float:
        """Contacts the agents can handle per hour, averaged over the week."""
        return float(self.staff.mean()) * SECONDS_PER_HOUR / self.aht_seconds

    @property
    def time_varying(self) -> bool:
        """True if staffing or opening changes over the week."""
        return bool(np.any(self.staff != self.staff[0]) or not self.open_mask.all())

    def arrival_factors(self, profile: FloatArray) -> FloatArray:
        """Arrival intensity by week-hour (mean 1): the profile, masked by opening hours if
        the channel is synchronous."""
        if self.asynchronous or self.open_mask.all():
            return profile
        w = profile * self.open_mask
        if w.sum() <= 0:
            raise ValueError(f"{self.name}: the arrival profile is zero in every open hour.")
        return w / w.mean()


@dataclass(frozen=True)
class ResolutionCurve:
    """How an answered complaint ends, as a function of its response time r (hours).

    A quality factor q(r) = 1 / (1 + r / midpoint_hours) falls from 1 (instant answer) to 0
    (never); shares move linearly in q between their "fast" (r = 0) and "slow" (r → ∞) values:

        satisfied(r)    = satisfied_slow + (satisfied_fast − satisfied_slow)·q(r)
        dissatisfied(r) = dissatisfied_slow − (dissatisfied_slow − dissatisfied_fast)·q(r)
        mollified(r)    = 1 − satisfied − dissatisfied

    Faster answers mean more satisfied and fewer dissatisfied (monotone, checked when built).
    Unanswered complaints (abandoned, closed out) are dissatisfied: see `resolution_split`.

    Defaults (every field may be an array, one value per Monte Carlo run):
    - calibration point: an average of 12 h 10 min for a company to answer a customer's question
      (seed material, from a live-chat vendor's survey; REFERENCES.md, S) leaves 21%–32% of
      complainers fully satisfied (CCMC / ASU National Customer Rage studies 2017 and 2020; P).
      With the defaults, q(12.17 h) = 0.33 and satisfied = 26.5%, the middle of that range.
    - fast/slow ends: no published split exists; TARP's retention figures (complained and
      satisfied quickly: 95% / 82% would buy again, satisfied: 70% / 54%; TARP 1986 via Fast
      Company 2003, S) say speed matters but not by how much for the split. The 60% / 10%
      satisfied and 10% / 60% dissatisfied ends are our assumption: vary them in a scenario.
    """

    satisfied_fast: ArrayLike = 0.60
    satisfied_slow: ArrayLike = 0.10
    dissatisfied_fast: ArrayLike = 0.10
    dissatisfied_slow: ArrayLike = 0.60
    midpoint_hours: ArrayLike = 6.0

    def __post_init__(self) -> None:
        sf, ss, df, ds, mid = (np.asarray(x, dtype=float) for x in self._params())
        for name, v in zip(
            ("satisfied_fast", "satisfied_slow", "dissatisfied_fast", "dissatisfied_slow"),
            (sf, ss, df, ds),
            strict=True,
        ):
            if not np.all((v >= 0) & (v <= 1)):
                raise ValueError(f'"{name}" must be in [0, 1].')
        if not np.all(mid > 0):
            raise ValueError('"midpoint_hours" must be > 0.')
        if not (np.all(sf + df <= 1 + 1e-12) and np.all(ss + ds <= 1 + 1e-12)):
            raise ValueError("satisfied + dissatisfied must be <= 1 at both ends.")
        if not (np.all(sf >= ss) and np.all(df <= ds)):
            raise ValueError(
                "a fast answer must not satisfy less than a slow one: need satisfied_fast >= "
                "satisfied_slow and dissatisfied_fast <= dissatisfied_slow."
            )

    def _params(self) -> tuple[ArrayLike, ...]:
        return (
            self.satisfied_fast,
            self.satisfied_slow,
            self.dissatisfied_fast,
            self.dissatisfied_slow,
            self.midpoint_hours,
        )

    def answered_split(self, response_hours: ArrayLike, param_axis: int = 0) -> FloatArray:
        """(satisfied, mollified, dissatisfied) of answered complaints, shape r.shape + (3,).

        Array-valued parameters broadcast against `response_hours` after `param_axis` trailing
        axes are appended to them (the curve uses 1 for its quantile axis).
        """
        r = np.asarray(response_hours, dtype=float)
        sf, ss, df, ds, mid = (
            np.asarray(x, dtype=float).reshape(np.shape(x) + (1,) * param_axis)
            for x in self._params()
        )
        with np.errstate(invalid="ignore"):
            q = np.where(np.isinf(r), 0.0, 1.0 / (1.0 + np.maximum(r, 0.0) / mid))
        sat = ss + (sf - ss) * q
        dis = ds - (ds - df) * q
        sat, dis = np.broadcast_arrays(sat, dis)
        return np.stack([sat, 1.0 - sat - dis, dis], axis=-1)


def resolution_split(
    response_hours: ArrayLike,
    abandon_rate: ArrayLike,
    curve: ResolutionCurve | None = None,
) -> FloatArray:
    """(satisfied, mollified, dissatisfied) shares of all complaints, shape (..., 3).

    Answered complaints split by `curve` at `response_hours`; the `abandon_rate` share (hung up,
    closed out: unresolved) is dissatisfied. This evaluates the curve at one response time; the
    `ResponseCurve` averages it over the whole response-time distribution instead.
    """
    curve = curve or ResolutionCurve()
    ab = np.asarray(abandon_rate, dtype=float)
    if np.any((ab < 0) | (ab > 1)):
        raise ValueError('"abandon_rate" must be in [0, 1].')
    split = curve.answered_split(response_hours)
    out = (1.0 - ab)[..., None] * split
    out[..., 2] += ab
    return out


@dataclass(frozen=True, eq=False)
class SupportOperation:
    """The support channels, the arrival profile of complaints and the engine's period length.

    Channel shares must add up to 1: every complaint reaches exactly one channel.
    """

    channels: tuple[Channel, ...]
    profile: ArrayLike | None = None
    period_hours: float = MEAN_HOURS_PER_MONTH
    resolution: ResolutionCurve = field(default_factory=ResolutionCurve)
    weights: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        channels = tuple(self.channels)
        if not channels:
            raise ValueError("a support operation needs at least one channel.")
        names = [c.name for c in channels]
        if len(set(names)) != len(names):
            raise ValueError(f"channel names must be unique, got {names}.")
        total = sum(c.share for c in channels)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"channel shares must add up to 1, got {total:g}.")
        if not self.period_hours > 0:
            raise ValueError('"period_hours" must be > 0.')
        object.__setattr__(self, "channels", channels)
        object.__setattr__(self, "weights", weekly_profile(self.profile))


# --------------------------------------------------------------------------------------------
# The discrete-event model
# --------------------------------------------------------------------------------------------


class _Desk:
    """Agents on duty and the FIFO queue of contacts waiting for one.

    A queue entry is [event, alive]; an entry that hung up is marked dead and skipped (removing it
    from the middle of the deque would cost O(n)). Invariant: if anyone is waiting, every agent
    on duty is busy.
    """

    def __init__(self, env: simpy.Environment, on_duty: int) -> None:
        self.env = env
        self.on_duty = on_duty
        self.busy = 0
        self.waiting = 0
        self.queue: deque[list[Any]] = deque()

    def arrive(self) -> list[Any] | None:
        """Take a free agent (returns None) or join the queue (returns the entry to wait on)."""
        if self.busy < self.on_duty:
            self.busy += 1
            return None
        entry = [self.env.event(), True]
        self.queue.append(entry)
        self.waiting += 1
        return entry

    def hang_up(self, entry: list[Any]) -> None:
        entry[1] = False
        self.waiting -= 1

    def finish(self) -> None:
        self.busy -= 1
        self._dispatch()

    def set_on_duty(self, agents: int) -> None:
        self.on_duty = agents
        self._dispatch()

    def close(self) -> None:
        """Closing time: everyone still waiting is turned away (their event succeeds with False)."""
        while self.queue:
            ev, alive = self.queue.popleft()
            if alive:
                ev.succeed(False)
        self.waiting = 0

    def _dispatch(self) -> None:
        while self.busy < self.on_duty and self.waiting:
            ev, alive = self.queue.popleft()
            if alive:
                self.busy += 1
                self.waiting -= 1
                ev.succeed(True)


class _Log:
    """What happened to each contact, in plain lists (faster than numpy item writes)."""

    def __init__(self, n: int, trace: bool) -> None:
        nan = math.nan
        self.answer = [nan] * n
        self.end = [nan] * n
        self.outcome = [0] * n  # 1 answered, 2 hung up, 3 closed out
        self.queued = [False] * n
        self.in_system = 0
        self.resolved = 0
        self.total = n
        self.done: simpy.Event | None = None
        self.trace: list[tuple[float, int, str]] | None = [] if trace else None

    def note(self, t: float, k: int, what: str) -> None:
        if self.trace is not None:
            self.trace.append((t, k, what))

    def resolve(self) -> None:
        self.in_system -= 1
        self.resolved += 1
        if self.resolved == self.total and self.done is not None:
            self.done.succeed()


def _contact(
    env: simpy.Environment, desk: _Desk, log: _Log, k: int, handle: float, patience: float
) -> Generator[simpy.Event, Any, None]:
    """One contact: queue if every agent is busy, maybe hang up, be handled, leave."""
    log.in_system += 1
    log.note(env.now, k, "arrive")
    entry = desk.arrive()
    if entry is not None:
        log.queued[k] = True
        ev = entry[0]
        if math.isinf(patience):
            yield ev
        else:
            yield ev | env.timeout(patience)
        if not ev.triggered:  # patience ran out first
            desk.hang_up(entry)
            log.end[k] = env.now
            log.outcome[k] = 2
            log.note(env.now, k, "abandon")
            log.resolve()
            return
        if not ev.value:  # the channel closed with this contact still waiting
            log.end[k] = env.now
            log.outcome[k] = 3
            log.note(env.now, k, "closed")
            log.resolve()
            return
    log.answer[k] = env.now
    log.note(env.now, k, "answer")
    yield env.timeout(handle)
    desk.finish()
    log.end[k] = env.now
    log.outcome[k] = 1
    log.note(env.now, k, "done")
    log.resolve()


def _source(
    env: simpy.Environment,
    desk: _Desk,
    log: _Log,
    arrivals: FloatArray,
    handle: FloatArray,
    patience: FloatArray,
) -> Generator[simpy.Event, Any, None]:
    """Start each contact at its (pre-drawn) arrival time."""
    times, handles, patiences = arrivals.tolist(), handle.tolist(), patience.tolist()
    for k, t in enumerate(times):
        if t > env.now:
            yield env.timeout(t - env.now)
        env.process(_contact(env, desk, log, k, handles[k], patiences[k]))


def _staffing(
    env: simpy.Environment, desk: _Desk, channel: Channel
) -> Generator[simpy.Event, Any, None]:
    """Change the agents on duty at each hour where the schedule changes; close the lines."""
    staff, mask = channel.staff, channel.open_mask
    drops = not channel.asynchronous
    hour = math.floor(env.now / SECONDS_PER_HOUR + 1e-9)  # counted, not re-derived from floats
    while True:
        h = hour % HOURS_PER_WEEK
        desk.set_on_duty(int(staff[h]))
        if drops and not mask[h]:
            desk.close()
        step = 1
        while step <= HOURS_PER_WEEK and (
            staff[(h + step) % HOURS_PER_WEEK] == staff[h]
            and mask[(h + step) % HOURS_PER_WEEK] == mask[h]
        ):
            step += 1
        yield env.timeout(max(0.0, (hour + step) * SECONDS_PER_HOUR - env.now))
        hour += step


def _arrival_hours(
    rng: np.random.Generator,
    factors: FloatArray,
    t0: float,
    t1: float,
    *,
    rate: float | None = None,
    count: int | None = None,
) -> FloatArray:
    """Sorted arrival times (hours) in [t0, t1) of a process with intensity rate·factors[hour].

    With `count`, exactly that many independent points from the same intensity: the Poisson
    process conditioned on its count.
    """
    if t1 <= t0:
        return np.empty(0)
    inner = np.arange(math.floor(t0) + 1, math.ceil(t1), dtype=float)
    edges = np.concatenate(([t0], inner, [t1]))
    length = np.diff(edges)
    how = factors[np.floor(edges[:-1]).astype(np.int64) % HOURS_PER_WEEK] * length
    if count is None:
        counts = rng.poisson(float(rate or 0.0) * how)
    elif count == 0:
        return np.empty(0)
    else:
        if how.sum() <= 0:
            raise ValueError("no hour in the window can receive arrivals.")
        counts = rng.multinomial(count, how / how.sum())
    total = int(counts.sum())
    times = np.repeat(edges[:-1], counts) + rng.random(total) * np.repeat(length, counts)
    times.sort()
    return times


def _draw_handle(channel: Channel, rng: np.random.Generator, n: int) -> FloatArray:
    aht = channel.aht_seconds
    if channel.handle == "exponential":
        return rng.exponential(aht, n)
    if channel.handle == "deterministic":
        return np.full(n, aht)
    sigma2 = math.log1p(channel.handle_cv**2)  # lognormal with mean aht and cv handle_cv
    return rng.lognormal(math.log(aht) - sigma2 / 2.0, math.sqrt(sigma2), n)


def _draw_patience(channel: Channel, rng: np.random.Generator, n: int) -> FloatArray:
    if channel.patience_seconds is None:
        return np.full(n, math.inf)
    if channel.patience == "deterministic":
        return np.full(n, channel.patience_seconds)
    return rng.exponential(channel.patience_seconds, n)


@dataclass(frozen=True, eq=False)
class ChannelRun:
    """Contacts that arrived in the measured window of one channel run, and the end backlog.

    Times in seconds; `arrival_seconds` from the start of the window. `wait_seconds` is arrival
    to answer for answered contacts and arrival to hanging up (or closing) for the others;
    `handle_seconds` is NaN for contacts never answered. `backlog_end` counts every contact that
    arrived before the window ended and was not yet done (waiting or in service) at its end.
    `trace`, if asked for, is the event log (time, contact index, event) of the whole run, indices
    counting every contact from the start of the warm-up.
    """

    channel: Channel
    hours: float
    arrival_seconds: FloatArray
    wait_seconds: FloatArray
    handle_seconds: FloatArray
    answered: BoolArray
    abandoned: BoolArray
    closed_out: BoolArray
    queued: BoolArray
    backlog_end: int
    trace: list[tuple[float, int, str]] | None = None

    def __repr__(self) -> str:
        return (
            f"<ChannelRun {self.channel.name}: {self.offered} contacts in {self.hours:g} h, "
            f"P(wait) {self.p_wait:.3f}, ASA {self.asa_seconds:.1f} s, "
            f"abandoned {self.abandon_rate:.3f}, mean response {self.mean_response_hours:.2f} h, "
            f"backlog at end {self.backlog_end}>"
        )

    @property
    def offered(self) -> int:
        return int(self.arrival_seconds.size)

    def _share(self, mask: BoolArray) -> float:
        return float(mask.mean()) if mask.size else math.nan

    @property
    def p_wait(self) -> float:
        """Share of offered contacts that found every agent busy."""
        return self._share(self.queued)

    @property
    def abandon_rate(self) -> float:
        """Share of offered contacts never answered (hung up or closed out)."""
        return self._share(self.abandoned | self.closed_out)

    @property
    def asa_seconds(self) -> float:
        """Average speed of answer: mean wait of answered contacts."""
        w = self.wait_seconds[self.answered]
        return float(w.mean()) if w.size else math.nan

    def service_level(self, seconds: float = 20.0) -> float:
        """Share of offered contacts answered within `seconds`."""
        return self._share(self.answered & (self.wait_seconds <= seconds))

    @property
    def response_seconds(self) -> FloatArray:
        """Arrival to end of handling (the customer has the answer), answered contacts only."""
        return (self.wait_seconds + self.handle_seconds)[self.answered]

    @property
    def mean_response_hours(self) -> float:
        r = self.response_seconds
        return float(r.mean()) / SECONDS_PER_HOUR if r.size else math.nan

    def response_percentile_hours(self, q: float) -> float:
        """The q-th percentile (0–100) of response time, answered contacts."""
        r = self.response_seconds
        return float(np.percentile(r, q)) / SECONDS_PER_HOUR if r.size else math.nan

    def summary(self, sl_seconds: float = 20.0) -> dict[str, float]:
        """The headline figures, as a flat dict."""
        return {
            "offered": float(self.offered),
            "p_wait": self.p_wait,
            "asa_seconds": self.asa_seconds,
            "service_level": self.service_level(sl_seconds),
            "abandon_rate": self.abandon_rate,
            "mean_response_hours": self.mean_response_hours,
            "p90_response_hours": self.response_percentile_hours(90),
            "backlog_end": float(self.backlog_end),
        }


def simulate_channel(
    channel: Channel,
    *,
    rng: np.random.Generator,
    hours: float,
    arrivals_per_hour: float | None = None,
    volume: int | None = None,
    arrival_seconds: ArrayLike | None = None,
    profile: ArrayLike | None = None,
    warmup_hours: float = 0.0,
    start_hour: float = 0.0,
    trace: bool = False,
) -> ChannelRun:
    """Simulate one channel and return the contacts that arrived in the measured window.

    The run starts empty at week-hour `start_hour` (0 = Monday 00:00), runs `warmup_hours`
    unmeasured, then measures a window of `hours`. Arrivals stop at the window's end and the
    run continues until every contact is answered or gone, so late arrivals' waits are complete
    (with FCFS, later arrivals cannot change them). Give exactly one of:

    - `arrivals_per_hour`: Poisson arrivals at that mean rate over the week, shaped by `profile`;
    - `volume`: exactly that many arrivals in the window (Poisson at volume / hours during the
      warm-up);
    - `arrival_seconds`: explicit arrival times, seconds from the start of the run (tests).

    Every random draw comes from `rng`, in a fixed order: arrivals, handle times, patience.
    """
    given = sum(x is not None for x in (arrivals_per_hour, volume, arrival_seconds))
    if given != 1:
        raise ValueError('give exactly one of "arrivals_per_hour", "volume", "arrival_seconds".')
    if not hours > 0:
        raise ValueError(f'"hours" must be > 0, got {hours!r}.')
    if not warmup_hours >= 0:
        raise ValueError(f'"warmup_hours" must be >= 0, got {warmup_hours!r}.')
    factors = channel.arrival_factors(weekly_profile(profile))
    t_start = float(start_hour)
    w0, w1 = t_start + warmup_hours, t_start + warmup_hours + hours
    exact = None
    if arrival_seconds is not None:
        exact = np.sort(np.asarray(arrival_seconds, dtype=float)) + t_start * SECONDS_PER_HOUR
        arr = exact / SECONDS_PER_HOUR
        if arr.size and arr[0] < t_start:
            raise ValueError('"arrival_seconds" must be >= 0.')
    elif volume is not None:
        if volume < 0 or int(volume) != volume:
            raise ValueError(f'"volume" must be a whole number >= 0, got {volume!r}.')
        warm = _arrival_hours(rng, factors, t_start, w0, rate=volume / hours)
        arr = np.concatenate((warm, _arrival_hours(rng, factors, w0, w1, count=int(volume))))
    else:
        assert arrivals_per_hour is not None
        if not (arrivals_per_hour >= 0 and math.isfinite(arrivals_per_hour)):
            raise ValueError(f'"arrivals_per_hour" must be >= 0, got {arrivals_per_hour!r}.')
        arr = _arrival_hours(rng, factors, t_start, w1, rate=arrivals_per_hour)
    n = arr.size
    handle = _draw_handle(channel, rng, n)
    patience = _draw_patience(channel, rng, n)
    arrivals = arr * SECONDS_PER_HOUR if exact is None else exact

    env = simpy.Environment(initial_time=t_start * SECONDS_PER_HOUR)
    h0 = math.floor(t_start) % HOURS_PER_WEEK
    desk = _Desk(env, int(channel.staff[h0]))
    log = _Log(n, trace)
    backlog = [0]
    if channel.time_varying:
        env.process(_staffing(env, desk, channel))
    if n:
        env.process(_source(env, desk, log, arrivals, handle, patience))
        log.done = env.event()

        def _count(_: simpy.Event) -> None:
            backlog[0] = log.in_system

        env.timeout(w1 * SECONDS_PER_HOUR - env.now).callbacks.append(_count)
        env.run(until=log.done)

    measured = (arr >= w0) & (arr < w1) if arrival_seconds is None else np.ones(n, dtype=bool)
    outcome = np.asarray(log.outcome, dtype=np.int8)[measured]
    answer = np.asarray(log.answer)[measured]
    end = np.asarray(log.end)[measured]
    a = arrivals[measured]
    answered = outcome == 1
    wait = np.where(answered, answer - a, end - a)
    return ChannelRun(
        channel=channel,
        hours=float(hours),
        arrival_seconds=a - w0 * SECONDS_PER_HOUR,
        wait_seconds=wait,
        handle_seconds=np.where(answered, handle[measured], math.nan),
        answered=answered,
        abandoned=outcome == 2,
        closed_out=outcome == 3,
        queued=np.asarray(log.queued, dtype=bool)[measured],
        backlog_end=int(backlog[0]),
        trace=log.trace,
    )


# --------------------------------------------------------------------------------------------
# Replications and confidence intervals
# --------------------------------------------------------------------------------------------

METRICS = (
    "p_wait",
    "asa_seconds",
    "service_level",
    "abandon_rate",
    "mean_response_hours",
    "backlog_end",
)


@dataclass(frozen=True, eq=False)
class ReplicationStats:
    """Per-replication values of each metric, and their mean with a Student-t half-width.

    Replications are independent (each starts empty and is warmed up), so the replication means
    are i.i.d. and the t interval is the honest one.
    """

    values: dict[str, FloatArray]
    sl_seconds: float
    offered: NDArray[np.int64]

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{m} {self.mean(m):.4g} ± {self.half_width(m):.2g}"
            for m in ("p_wait", "asa_seconds", "service_level", "abandon_rate")
        )
        return f"<ReplicationStats {self.replications} replications: {shown}>"

    @property
    def replications(self) -> int:
        return int(self.offered.size)

    def mean(self, metric: str) -> float:
        v = self.values[metric]
        v = v[np.isfinite(v)]
        return float(v.mean()) if v.size else math.nan

    def half_width(self, metric: str, confidence: float = 0.95) -> float:
        """Half-width of the two-sided `confidence` interval for the mean of `metric`."""
        v = self.values[metric]
        v = v[np.isfinite(v)]
        if v.size < 2:
            return math.nan
        t = stats.t.ppf(0.5 + confidence / 2.0, v.size - 1)
        return float(t * v.std(ddof=1) / math.sqrt(v.size))


def replicate(
    channel: Channel,
    replications: int,
    *,
    rng: np.random.Generator,
    sl_seconds: float = 20.0,
    **simulate: Any,
) -> ReplicationStats:
    """`replications` independent runs of `simulate_channel`, each with its own spawned stream."""
    if replications < 1:
        raise ValueError(f'"replications" must be >= 1, got {replications!r}.')
    values: dict[str, list[float]] = {m: [] for m in METRICS}
    offered = []
    for child in rng.spawn(replications):
        run = simulate_channel(channel, rng=child, **simulate)
        s = run.summary(sl_seconds)
        for m in METRICS:
            values[m].append(s[m])
        offered.append(run.offered)
    return ReplicationStats(
        {m: np.asarray(v, dtype=float) for m, v in values.items()},
        sl_seconds,
        np.asarray(offered, dtype=np.int64),
    )


# --------------------------------------------------------------------------------------------
# A whole period, directly, and the shortcut
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PeriodRun:
    """One period of the whole operation simulated directly: a run per channel and the totals."""

    runs: dict[str, ChannelRun]
    complaints: int
    split: FloatArray
    mean_response_hours: float
    abandon_rate: float


def simulate_period(
    operation: SupportOperation,
    complaints: int,
    *,
    rng: np.random.Generator,
    warmup_hours: float = HOURS_PER_WEEK,
    window_hours: float | None = None,
    resolution: ResolutionCurve | None = None,
) -> PeriodRun:
    """Simulate one period's `complaints` through every channel (the direct way).

    Complaints go to channels multinomially by share. The window is the period (or
    `window_hours`, with the volume scaled to it), starting on a Monday after `warmup_hours` at
    the same load. The split averages `ResolutionCurve.answered_split` over the answered
    contacts' own response times; unanswered complaints are dissatisfied.
    """
    window = float(window_hours or operation.period_hours)
    resolution = resolution or operation.resolution
    shares = np.array([c.share for c in operation.channels])
    per_channel = rng.multinomial(int(complaints), shares / shares.sum())
    start = (-warmup_hours) % HOURS_PER_WEEK
    runs: dict[str, ChannelRun] = {}
    keep = min(1.0, window / operation.period_hours)
    children = rng.spawn(len(operation.channels))
    for c, child, vol in zip(operation.channels, children, per_channel, strict=True):
        volume = int(vol) if keep == 1.0 else int(child.binomial(int(vol), keep))
        runs[c.name] = simulate_channel(
            c,
            rng=child,
            hours=window,
            volume=volume,
            profile=operation.profile,
            warmup_hours=warmup_hours,
            start_hour=start,
        )
    offered = sum(r.offered for r in runs.values())
    split = np.zeros(3)
    resp: list[FloatArray] = []
    unanswered = 0
    for r in runs.values():
        hours = r.response_seconds / SECONDS_PER_HOUR
        resp.append(hours)
        split += resolution.answered_split(hours).sum(axis=0)
        unanswered += int((~r.answered).sum())
    split[2] += unanswered
    all_resp = np.concatenate(resp) if resp else np.empty(0)
    return PeriodRun(
        runs=runs,
        complaints=int(complaints),
        split=split / offered if offered else np.full(3, math.nan),
        mean_response_hours=float(all_resp.mean()) if all_resp.size else math.nan,
        abandon_rate=unanswered / offered if offered else math.nan,
    )
