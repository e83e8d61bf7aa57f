"""A whole period of the operation simulated directly: every channel and the split."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cxsim.support.channels import (
    HOURS_PER_WEEK,
    SECONDS_PER_HOUR,
    FloatArray,
    ResolutionCurve,
    SupportOperation,
)
from cxsim.support.desk import ChannelRun, simulate_channel

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
