"""Erlang A hour by hour: a channel with many agents, each week-hour taken as stationary.

Garnett, Mandelbaum & Reiman ("Designing a call center with impatient customers", MSOM 4(3),
2002) show the M/M/N+M queue (`cxsim.support.erlang.erlang_a`) settles within a few handle times
and describes large call centres well; with many agents the quality-and-efficiency-driven
regime makes waits short beside an hour, so each week-hour h is solved as a stationary Erlang A
with its own arrival rate λ_h and agents N_h (the pointwise stationary approximation, Green &
Kolesar 1991, which is accurate when the rates change slowly beside the handle time).

Answered contacts of hour h respond after ASA_h + AHT (the spread of waits and handle times
within an hour is ignored: minutes, beside the hours the resolution curve is sensitive to); the
response quantiles are those of the mixture of hours weighted by their answered contacts.
Open hours without agents answer nobody. Used for synchronous channels with patience only.
"""

from __future__ import annotations

import math

import numpy as np

from cxsim.support.channels import HOURS_PER_WEEK, SECONDS_PER_HOUR, Channel, FloatArray
from cxsim.support.erlang import erlang_a
from cxsim.support.fluid import FluidFigures, weighted_quantiles


def erlang_supported(channel: Channel) -> bool:
    """True if the hour-by-hour Erlang A covers the channel: synchronous, with patience."""
    return not channel.asynchronous and channel.patience_seconds is not None


def erlang_hourly(
    channel: Channel,
    load: float,
    *,
    period_hours: float,
    profile: FloatArray,
    probs: FloatArray,
) -> FluidFigures:
    """The figures of `channel` at `load` contacts per period, each week-hour as Erlang A."""
    if not erlang_supported(channel):
        raise ValueError(f"{channel.name}: Erlang A needs a synchronous channel with patience")
    assert channel.patience_seconds is not None
    rate = load / period_hours * channel.arrival_factors(profile)  # per week-hour
    staff = channel.staff.astype(np.int64)
    aht_h = channel.aht_seconds / SECONDS_PER_HOUR
    answered = np.zeros(HOURS_PER_WEEK)
    wait_h = np.zeros(HOURS_PER_WEEK)
    queue = np.zeros(HOURS_PER_WEEK)
    solved: dict[tuple[int, float], tuple[float, float, float]] = {}
    for h in range(HOURS_PER_WEEK):
        lam = float(rate[h])
        if lam <= 0 or staff[h] < 1:
            continue  # nobody arrives, or nobody answers (then all of them are lost)
        key = (int(staff[h]), round(lam, 9))
        if key not in solved:
            a = erlang_a(key[0], lam, channel.aht_seconds, channel.patience_seconds, sl_seconds=0)
            solved[key] = (a.abandon_rate, a.asa_seconds, a.mean_queue)
        ab, asa, q = solved[key]
        answered[h] = lam * (1.0 - ab)
        wait_h[h] = asa / SECONDS_PER_HOUR
        queue[h] = q
    total = float(rate.sum())
    abandon = 1.0 - answered.sum() / total if total > 0 else 0.0
    if answered.sum() <= 0:
        return FluidFigures(math.nan, abandon, math.nan, 0.0, np.full(probs.size, 1e9))
    resp = wait_h + aht_h
    mean = float((resp * answered).sum() / answered.sum())
    quant = weighted_quantiles(resp, answered, probs)
    asa_all = (mean - aht_h) * SECONDS_PER_HOUR
    return FluidFigures(mean, float(abandon), asa_all, float(queue.mean()), quant)
