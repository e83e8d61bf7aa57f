"""Replications of a channel's simulation and their confidence intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cxsim.support.channels import Channel, FloatArray
from cxsim.support.desk import simulate_channel

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
        from scipy import stats

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
