"""One statistics function behind every output: the same figure in the PDF, the Markdown, the
workbook and the JSON.

One percentile definition: linear interpolation between order statistics (Hyndman and Fan's
type 7, numpy's default, and what the quantile sketch of `cxsim.engine.summary` gives). One
choice of output percentiles, P5 / P50 / P95 (a 90% interval); one choice of input range,
P10 to P90 (an uncertain input's range on the assumptions page, in the workbook and the
tornado's default swing).

    >>> describe([1.0, 2.0, 3.0, 4.0])["p50"]
    2.5
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: The percentiles every output reports (an interval is P5 to P95).
PERCENTILES: tuple[float, ...] = (5, 50, 95)
#: The ends of the interval shown beside a mean.
INTERVAL: tuple[float, float] = (5, 95)
#: The range of an uncertain input, as quantiles (P10 to P90), everywhere an input is shown.
INPUT_RANGE: tuple[float, float] = (0.1, 0.9)


def percentile(x: ArrayLike, q: float | Sequence[float], axis: int | None = None) -> Any:
    """The q-th percentile(s) (0-100) by the one definition (linear interpolation)."""
    return np.percentile(np.asarray(x, dtype=float), q, axis=axis, method="linear")


def describe(x: ArrayLike, percentiles: tuple[float, ...] = PERCENTILES) -> dict[str, float]:
    """Mean, standard deviation, standard error of the mean, and percentiles (`p5`, ...)."""
    x = np.asarray(x, dtype=float)
    n = x.size
    std = float(np.std(x, ddof=1)) if n > 1 else 0.0
    out = {"mean": float(np.mean(x)), "std": std, "sem": std / np.sqrt(n) if n > 1 else 0.0}
    for q in percentiles:
        out[f"p{q:g}"] = float(percentile(x, q))
    return out


def interval(x: ArrayLike) -> tuple[float, float]:
    """The P5 and P95 of `x`."""
    lo, hi = percentile(x, INTERVAL)
    return float(lo), float(hi)


def describe_with_never(x: ArrayLike, percentiles: tuple[float, ...] = PERCENTILES) -> dict:
    """Percentiles of a figure that may be infinite ("never pays back"): infinity sorts above
    every finite value, and a percentile that reaches into it is `None`."""
    x = np.asarray(x, dtype=float)
    finite = np.isfinite(x)
    out: dict[str, float | None] = {}
    top = float(x[finite].max()) if finite.any() else -np.inf
    ranked = np.where(finite, x, top + 1.0 if finite.any() else 1.0)
    for q in percentiles:
        v = float(percentile(ranked, q)) if finite.any() else np.inf
        out[f"p{q:g}"] = v if v <= top else None
    return out


def probability(event: ArrayLike) -> float:
    """The share of runs in which `event` (booleans) holds."""
    return float(np.mean(np.asarray(event, dtype=bool)))


def exceedance(x: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """The exceedance curve: sorted values and P(X > value) at each."""
    v = np.sort(np.asarray(x, dtype=float))
    n = v.size
    return v, 1.0 - np.arange(1, n + 1) / n
