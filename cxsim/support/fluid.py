"""The fluid limit of a channel: what its queue does when the load is far beyond its agents.

When arrivals exceed capacity by a wide margin, the queue's randomness is small beside its drift
and the deterministic fluid model is the limit of the stochastic one (Whitt 2006, "Fluid models
for multiserver queues with abandonments", Operations Research 54(1)). Per hour of the week the
arrival rate λ_h and the capacity c_h = N_h·3600 / AHT are constant:

- a synchronous channel with patience (mean 1/θ) settles, within minutes, at the fluid's
  stationary point (Whitt 2006, section 3): in overload the queue holds (λ − c)/θ, a share
  1 − c/λ of arrivals hangs up and the contacts served waited w = ln(λ / c)/θ (exponential
  patience: exactly those with patience > w are served, e^{−θw} = c/λ); in underload nobody
  waits;
- an asynchronous channel without patience keeps its backlog: the fluid backlog is the
  reflected net input B(t) = S(t) − min_{s≤t} S(s), S = ∫(λ − c), served FIFO. A contact
  arriving at t is answered when the cumulative departures reach the cumulative arrivals at t.

Response = wait + mean handle time (the fluid ignores the handle time's spread, which is minutes
beside the hours of the waits this model is used for).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cxsim.support.channels import HOURS_PER_WEEK, SECONDS_PER_HOUR, Channel, FloatArray

STEPS_PER_HOUR = 12  # the backlog's time step: 5 minutes


@dataclass(frozen=True)
class FluidFigures:
    """A channel's figures in the fluid limit: as `ChannelCurve` stores them at one load."""

    mean_response_hours: float
    abandon_rate: float
    asa_seconds: float
    backlog_end: float
    response_quantiles_hours: FloatArray


def fluid_supported(channel: Channel) -> bool:
    """True if the fluid model covers the channel: synchronous with patience, or asynchronous
    without."""
    return channel.asynchronous != (channel.patience_seconds is not None)


def fluid_channel(
    channel: Channel,
    load: float,
    *,
    period_hours: float,
    profile: FloatArray,
    probs: FloatArray,
    warmup_hours: float = HOURS_PER_WEEK,
    window_hours: float = 4 * HOURS_PER_WEEK,
    start_hour: float = 0.0,
) -> FluidFigures:
    """The fluid figures of `channel` at `load` contacts per period (see the module)."""
    if not fluid_supported(channel):
        raise ValueError(f"{channel.name}: no fluid model for this kind of channel")
    rate = load / period_hours * channel.arrival_factors(profile)  # per week-hour
    cap = np.asarray(channel.staff * SECONDS_PER_HOUR / channel.aht_seconds, dtype=float)
    aht_h = channel.aht_seconds / SECONDS_PER_HOUR
    if channel.patience_seconds is not None:  # synchronous with patience: stationary per hour
        theta = SECONDS_PER_HOUR / channel.patience_seconds
        with np.errstate(divide="ignore", invalid="ignore"):
            over = rate > cap
            served = np.where(over, cap, rate)
            wait = np.where(over, np.log(np.where(over, rate / np.maximum(cap, 1e-300), 1.0)), 0)
            wait = np.where(over & (cap == 0), np.inf, wait / theta)
        total = rate.sum()
        ab = 1.0 - served.sum() / total if total > 0 else 0.0
        resp, weight = wait + aht_h, served
        backlog = float(np.mean(np.maximum(rate - cap, 0) / theta))
    else:
        resp, weight, ab, backlog = _reflected(rate, cap, warmup_hours, window_hours, start_hour)
        resp = resp + aht_h
    ok = (weight > 0) & np.isfinite(resp)
    if not ok.any():
        nan = math.nan
        return FluidFigures(nan, 1.0, nan, backlog, np.full(probs.size, 1e9))
    r, w = resp[ok], weight[ok]
    quant = weighted_quantiles(r, w, probs)
    mean = float((r * w).sum() / w.sum())
    return FluidFigures(mean, float(ab), (mean - aht_h) * SECONDS_PER_HOUR, backlog, quant)


def weighted_quantiles(values: FloatArray, weights: FloatArray, probs: FloatArray) -> FloatArray:
    """Quantiles at `probs` of the discrete law putting mass `weights` on `values` (weights > 0
    somewhere)."""
    order = np.argsort(values)
    cum = np.cumsum(weights[order]) / weights.sum()
    return values[order][np.minimum(np.searchsorted(cum, probs), values.size - 1)]


def _reflected(
    rate: FloatArray, cap: FloatArray, warmup_hours: float, window_hours: float, start_hour: float
) -> tuple[FloatArray, FloatArray, float, float]:
    """FIFO fluid backlog from empty: response hours and mass of each window step's arrivals,
    the share never answered and the backlog at the window's end."""
    dt = 1.0 / STEPS_PER_HOUR
    horizon = warmup_hours + window_hours
    weeks = rate.sum() * horizon / HOURS_PER_WEEK / max(cap.sum(), 1e-9)  # to serve them all
    n = round((horizon + HOURS_PER_WEEK * (2 + math.ceil(weeks))) * STEPS_PER_HOUR)
    t = start_hour + np.arange(n) * dt
    hour = np.floor(t + 1e-9).astype(np.int64) % HOURS_PER_WEEK
    arrive = np.where(t < start_hour + horizon, rate[hour], 0.0) * dt
    s = np.concatenate(([0.0], np.cumsum(arrive - cap[hour] * dt)))
    backlog = s - np.minimum.accumulate(np.minimum(s, 0.0))
    arrived = np.concatenate(([0.0], np.cumsum(arrive)))
    departed = np.maximum.accumulate(arrived - backlog)
    w0, w1 = round(warmup_hours * STEPS_PER_HOUR), round(horizon * STEPS_PER_HOUR)
    mid = 0.5 * (arrived[w0:w1] + arrived[w0 + 1 : w1 + 1])  # each step's arrivals, midway
    done_at = np.searchsorted(departed, mid, side="left")
    answered = done_at < departed.size
    resp = np.where(answered, (done_at - np.arange(w0, w1) - 0.5) * dt, np.inf)
    mass = arrive[w0:w1]
    total = mass.sum()
    ab = float(mass[~answered].sum() / total) if total > 0 else 0.0
    return np.maximum(resp, 0.0), np.where(answered, mass, 0.0), ab, float(backlog[w1])
