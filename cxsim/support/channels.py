"""Plain data of a support operation: channels with agents, hours, handle times and patience;
the weekly arrival profile; the resolution curve that turns response times into how complaints
end. Checked when built (see `cxsim.support.contact_centre` for the model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

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
