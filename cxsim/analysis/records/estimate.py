"""Estimators behind `calibrate records`, on plain arrays so that tests can run them many times.

- Rates (churn within the window after a complaint, by outcome and severity; baseline churn of
  customers with no contact; complaints per customer and period): Beta posteriors from a
  Jeffreys prior Beta(1/2, 1/2) and binomial counts (Beta-binomial conjugacy; Jeffreys intervals
  have near-nominal coverage, Brown, Cai & DasGupta, Statistical Science 16(2), 2001).
- The memory odds ratios: a logistic model of churn within the window after each complaint with
  one intercept per outcome and severity and terms for one and for two or more earlier
  unresolved (dissatisfied) complaints, the discrete-time hazard model of Allison (Sociological
  Methodology 13, 1982) and Singer & Willett (J. Educational Statistics 18(2), 1993), fitted by
  Newton-Raphson; Wald intervals on the log odds.
- The response-time curve: maximum likelihood of the multinomial outcomes under
  `cxsim.support.channels.ResolutionCurve` (shares linear in q = 1 / (1 + hours / midpoint)),
  with a Wald interval on log(midpoint) from a numerical Hessian.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

FloatArray = NDArray[np.float64]
JEFFREYS = 0.5
OUTCOME_CODES = ("satisfied", "mollified", "dissatisfied")


@dataclass(frozen=True)
class Rate:
    """A binomial rate's Jeffreys posterior Beta(k + 1/2, n - k + 1/2)."""

    k: int
    n: int

    @property
    def alpha(self) -> float:
        return self.k + JEFFREYS

    @property
    def beta(self) -> float:
        return self.n - self.k + JEFFREYS

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        lo, hi = jeffreys_interval(np.array([self.k]), np.array([self.n]), level)
        return float(lo[0]), float(hi[0])


def jeffreys_interval(
    k: NDArray[np.int64], n: NDArray[np.int64], level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Equal-tailed interval of the Jeffreys posterior, vectorised (0 at k = 0, 1 at k = n as
    Brown, Cai & DasGupta recommend)."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    tail = (1.0 - level) / 2.0
    lo = stats.beta.ppf(tail, k + JEFFREYS, n - k + JEFFREYS)
    hi = stats.beta.ppf(1.0 - tail, k + JEFFREYS, n - k + JEFFREYS)
    return np.where(k == 0, 0.0, lo), np.where(k == n, 1.0, hi)


def counts_by_cell(
    cell: NDArray[np.int64], event: NDArray[np.bool_], cells: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Events and trials per cell (cell indices 0..cells-1)."""
    k = np.bincount(cell, weights=event.astype(float), minlength=cells).astype(np.int64)
    n = np.bincount(cell, minlength=cells).astype(np.int64)
    return k, n


def excess_defection(
    path: Rate, baseline: Rate | list[tuple[float, Rate]], draws: int = 20_000, seed: int = 0
) -> Beta:
    """The failure-caused defection 1 - (1 - p_path) / (1 - p_base) (independent competing
    risks), as a Beta matched to the moments of its posterior draws.

    `baseline` is one rate, or (weight, rate) pairs whose weighted mean is the baseline (the
    segments' baselines weighted by the complainers' segments).
    """
    rng = np.random.default_rng(seed)
    p = rng.beta(path.alpha, path.beta, draws)
    mix = [(1.0, baseline)] if isinstance(baseline, Rate) else baseline
    b = sum(w * rng.beta(r.alpha, r.beta, draws) for w, r in mix)
    d = np.clip(1.0 - (1.0 - p) / (1.0 - b), 1e-4, 1.0 - 1e-4)
    return beta_from_moments(float(d.mean()), float(d.std()))


@dataclass(frozen=True)
class Beta:
    """A Beta distribution by its parameters (what the scenario file holds)."""

    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        tail = (1.0 - level) / 2.0
        lo, hi = stats.beta.ppf([tail, 1.0 - tail], self.alpha, self.beta)
        return float(lo), float(hi)


def beta_from_moments(mean: float, sd: float) -> Beta:
    """The Beta with this mean and standard deviation (sd shrunk if no Beta has it)."""
    mean = min(max(mean, 1e-6), 1 - 1e-6)
    var = min(max(sd, 1e-9) ** 2, 0.99 * mean * (1 - mean))
    nu = mean * (1 - mean) / var - 1.0
    return Beta(mean * nu, (1 - mean) * nu)


@dataclass(frozen=True)
class OddsRatios:
    """Memory odds ratios (one, two or more earlier unresolved complaints, against none)."""

    one: float
    one_interval: tuple[float, float]
    several: float
    several_interval: tuple[float, float]
    n_one: int
    n_several: int
    n: int


def fit_memory(
    cell: NDArray[np.int64], prior: NDArray[np.int64], churned: NDArray[np.bool_], cells: int
) -> OddsRatios | None:
    """Logistic regression (discrete-time hazard) of churn on cell intercepts and memory terms.

    None when no complaint follows an earlier unresolved one (nothing to estimate).
    """
    one, several = prior == 1, prior >= 2
    if not one.any():
        return None
    used = np.unique(cell)
    x = np.column_stack(
        [cell == c for c in used] + [one] + ([several] if several.any() else [])
    ).astype(float)
    y = churned.astype(float)
    beta = np.zeros(x.shape[1])
    for _ in range(50):  # Newton-Raphson; a small ridge keeps empty-event cells finite
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        w = p * (1 - p)
        info = x.T @ (x * w[:, None]) + 1e-6 * np.eye(x.shape[1])
        step = np.linalg.solve(info, x.T @ (y - p) - 1e-6 * beta)
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    cov = np.linalg.inv(info)
    se = np.sqrt(np.diag(cov))
    k = len(used)

    def ci(j: int) -> tuple[float, float]:
        return float(np.exp(beta[j] - 1.96 * se[j])), float(np.exp(beta[j] + 1.96 * se[j]))

    has_several = several.any()
    return OddsRatios(
        one=float(np.exp(beta[k])),
        one_interval=ci(k),
        several=float(np.exp(beta[k + 1])) if has_several else float("nan"),
        several_interval=ci(k + 1) if has_several else (float("nan"), float("nan")),
        n_one=int(one.sum()),
        n_several=int(several.sum()),
        n=len(y),
    )


@dataclass(frozen=True)
class CurveFit:
    """The response-time curve fitted to complaint outcomes (fields as `support.resolution`)."""

    satisfied_fast: float
    satisfied_slow: float
    dissatisfied_fast: float
    dissatisfied_slow: float
    midpoint_hours: float
    midpoint_interval: tuple[float, float]
    n: int
    loglik: float


def _shares(theta: FloatArray, hours: FloatArray) -> FloatArray:
    """(n, 3) outcome probabilities: fast and slow ends by softmax, mixed by q(hours)."""
    fast = np.exp(np.array([theta[0], 0.0, theta[1]]))
    slow = np.exp(np.array([theta[2], 0.0, theta[3]]))
    fast, slow = fast / fast.sum(), slow / slow.sum()
    q = 1.0 / (1.0 + hours / np.exp(theta[4]))
    return slow[None, :] + (fast - slow)[None, :] * q[:, None]


def fit_response_curve(hours: FloatArray, outcome: NDArray[np.integer]) -> CurveFit | None:
    """Maximum likelihood of outcomes (0 satisfied, 1 mollified, 2 dissatisfied) given hours.

    None with fewer than 30 complaints or no spread in response times.
    """
    ok = np.isfinite(hours) & (outcome >= 0)
    hours, outcome = hours[ok], outcome[ok]
    if hours.size < 30 or np.ptp(hours) <= 0:
        return None
    rows = np.arange(hours.size)

    def nll(theta: FloatArray) -> float:
        p = _shares(theta, hours)[rows, outcome]
        return float(-np.sum(np.log(np.clip(p, 1e-300, None))))

    start = np.array([1.0, -1.0, -1.0, 1.0, np.log(max(float(np.median(hours)), 1e-3))])
    best = optimize.minimize(nll, start, method="Nelder-Mead", options={"maxiter": 4000})
    best = optimize.minimize(nll, best.x, method="BFGS")
    theta = best.x
    se_log_mid = _wald_se(nll, theta, 4)
    fast = _shares(theta, np.array([0.0]))[0]
    slow = _shares(np.append(theta[:4], -50.0), np.array([1.0]))[0]  # midpoint -> 0: slow end
    mid = float(np.exp(theta[4]))
    return CurveFit(
        satisfied_fast=float(fast[0]),
        satisfied_slow=float(slow[0]),
        dissatisfied_fast=float(fast[2]),
        dissatisfied_slow=float(slow[2]),
        midpoint_hours=mid,
        midpoint_interval=(mid * np.exp(-1.96 * se_log_mid), mid * np.exp(1.96 * se_log_mid)),
        n=int(hours.size),
        loglik=float(-best.fun),
    )


def _wald_se(
    func: Callable[[FloatArray], float], theta: FloatArray, j: int, h: float = 1e-3
) -> float:
    """Standard error of theta[j] from the inverse of a central-difference Hessian."""
    d = theta.size
    hess = np.zeros((d, d))
    for a in range(d):
        for b in range(a, d):
            ea, eb = np.eye(d)[a] * h, np.eye(d)[b] * h
            value = (
                func(theta + ea + eb)
                - func(theta + ea - eb)
                - func(theta - ea + eb)
                + func(theta - ea - eb)
            )
            hess[a, b] = hess[b, a] = value / (4 * h * h)
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return float("inf")
    return float(np.sqrt(cov[j, j])) if cov[j, j] > 0 else float("inf")
