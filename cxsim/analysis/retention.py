"""Retention: fit Fader & Hardie's shifted-beta-geometric (sBG) churn to a retention curve.

`fit_sbg` fits the model by maximum likelihood to the customers still active at periods 0, 1, 2,
... of one or more cohorts, projects it, and `sbg_yaml` writes the scenario's `churn:` block.
Fader & Hardie, "How to Project Customer Retention", J. Interactive Marketing 21(1), 2007
(FH 2007 below). Files are read by `read_retention_csv`; every problem with the input is a
`UserError` naming where it is.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence, Sized
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from cxsim.analysis.retention_file import Cohort, check_retention, no_file, read_retention_csv
from cxsim.errors import UserError
from cxsim.formatting.money import significant as _fmt
from cxsim.model.churn import sbg_derl, sbg_survival

FloatArray = NDArray[np.float64]

__all__ = [
    "SbgFit",
    "fit_sbg",
    "read_retention_csv",
    "sbg_loglik",
    "sbg_yaml",
    "simulate_sbg_cohort",
]


# ---------------------------------------------------------------------------------------------
# Retention: the shifted-beta-geometric model
# ---------------------------------------------------------------------------------------------

_Z95 = 1.959963984540054


@dataclass(frozen=True, repr=False)
class SbgFit:
    """A fitted shifted-beta-geometric model (FH 2007), with what a scenario needs from it.

    Each customer churns at each renewal opportunity with their own probability
    theta ~ Beta(alpha, beta); S(t) = B(alpha, beta + t) / B(alpha, beta) (FH 2007).
    Standard errors come from the observed information (the negative Hessian of the
    log-likelihood) in (log alpha, log beta), where the likelihood is closer to quadratic;
    `se_alpha` and `se_beta` carry them to alpha and beta by the delta method.
    """

    alpha: float
    beta: float
    loglik: float
    n_customers: int
    n_cohorts: int
    periods: tuple[int, ...]
    """Periods 0 .. t_last covered by the data (t_last: the longest cohort's last period)."""
    survival: tuple[float, ...]
    """Fitted S(t) at `periods`."""
    observed: tuple[float, ...]
    """Observed share alive at `periods`, pooled over the cohorts observed that long."""
    cov_log: tuple[tuple[float, float], tuple[float, float]]
    """Covariance of (log alpha, log beta): the inverse of the observed information."""

    @property
    def se_log_alpha(self) -> float:
        return math.sqrt(self.cov_log[0][0]) if self.cov_log[0][0] >= 0 else math.nan

    @property
    def se_log_beta(self) -> float:
        return math.sqrt(self.cov_log[1][1]) if self.cov_log[1][1] >= 0 else math.nan

    @property
    def se_alpha(self) -> float:
        """Standard error of alpha (delta method: alpha * SE of log alpha)."""
        return self.alpha * self.se_log_alpha

    @property
    def se_beta(self) -> float:
        return self.beta * self.se_log_beta

    @property
    def corr(self) -> float:
        """Correlation of the estimates of log alpha and log beta."""
        return self.cov_log[0][1] / (self.se_log_alpha * self.se_log_beta)

    @property
    def last_period(self) -> int:
        return self.periods[-1]

    def project(self, periods: ArrayLike) -> FloatArray:
        """Fitted survival S(t) at any periods, e.g. `fit.project(range(8, 13))`."""
        check_periods(len(periods) if isinstance(periods, Sized) else 1)  # before any array
        t = np.asarray(periods, dtype=float)
        return sbg_survival(self.alpha, self.beta, t)

    def retention(self, periods: ArrayLike) -> FloatArray:
        """Retention rate r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)."""
        t = np.asarray(periods, dtype=float)
        return np.asarray((self.beta + t - 1.0) / (self.alpha + self.beta + t - 1.0), dtype=float)

    def derl(self, discount: float, renewals: int = 0) -> float:
        """Discounted expected residual lifetime, in periods (Fader & Hardie 2010, eq. 6).

        For a customer who has made `renewals` renewals, with `discount` per period; see
        `cxsim.model.churn.sbg_derl`. Infinite when discount is 0 and alpha <= 1 (the mean lifetime
        of an sBG customer is finite only for alpha > 1).
        """
        if not discount >= 0 or not math.isfinite(discount):  # NaN fails the first test
            raise UserError(f"discount must be a finite number >= 0, got {discount:g}")
        return sbg_derl(self.alpha, self.beta, discount, renewals)

    def simulate(
        self, customers: int, periods: int, seed: int | np.random.Generator | None = None
    ) -> FloatArray:
        """Customers alive at periods 0..`periods` of a new cohort drawn from the fit."""
        return simulate_sbg_cohort(self.alpha, self.beta, customers, periods, seed)

    def summary(self) -> pd.DataFrame:
        """Estimates, standard errors and 95% intervals (computed on the log scale)."""
        rows = []
        for value, se_log in ((self.alpha, self.se_log_alpha), (self.beta, self.se_log_beta)):
            rows.append(
                {
                    "coef": value,
                    "se(coef)": value * se_log,
                    "lower 95% bound": value * math.exp(-_Z95 * se_log),
                    "upper 95% bound": value * math.exp(_Z95 * se_log),
                }
            )
        return pd.DataFrame(rows, index=pd.Index(["alpha", "beta"], name="parameter"))

    def to_dict(self, periods: int = 24, discount: float = 0.1) -> dict[str, Any]:
        """Plain data for JSON: the fit, survival from period 0, and `periods` projected ones."""
        check_periods(periods)
        ahead = range(self.last_period + 1, self.last_period + 1 + periods)
        return {
            "model": "sbg",
            "alpha": self.alpha,
            "beta": self.beta,
            "loglik": self.loglik,
            "se_alpha": _finite_or_none(self.se_alpha),
            "se_beta": _finite_or_none(self.se_beta),
            "corr_log_alpha_log_beta": _finite_or_none(self.corr),
            "n_customers": self.n_customers,
            "n_cohorts": self.n_cohorts,
            "survival": list(self.survival),
            "observed": list(self.observed),
            "projected_from": self.last_period + 1,
            "projected": [float(s) for s in self.project(ahead)],
            "discount": discount,
            "derl": _finite_or_none(self.derl(discount)),
            "yaml": sbg_yaml(self),
        }

    def to_yaml(self, uncertainty: bool = False, segment: int = 0) -> str:
        """The scenario's `churn:` block; see `sbg_yaml`."""
        return sbg_yaml(self, uncertainty=uncertainty, segment=segment)

    def __repr__(self) -> str:
        cohorts = f" in {self.n_cohorts} cohorts" if self.n_cohorts > 1 else ""
        return (
            f"<SbgFit: alpha {self.alpha:.3f}, beta {self.beta:.3f}, loglik {self.loglik:.2f}, "
            f"{self.n_customers} customers{cohorts}>"
        )


def sbg_loglik(alpha: float, beta: float, alive: ArrayLike) -> float:
    """Log-likelihood of one cohort's retention curve under sBG (FH 2007, eqs. 5 and 6).

    `alive[t]` is the number of customers still active at period t (t = 0, 1, ..., T). The
    n_{t-1} - n_t customers lost in period t each contribute
    log P(T = t) = log B(alpha + 1, beta + t - 1) - log B(alpha, beta), and the n_T still
    active contribute log S(T) = log B(alpha, beta + T) - log B(alpha, beta).
    """
    n = np.asarray(alive, dtype=float)
    value, _, _ = _loglik_terms(float(alpha), float(beta), *_terms([n]))
    return value


def _terms(cohorts: Iterable[FloatArray]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The log-likelihood as a weighted sum of log B(alpha + da, beta + db) over all cohorts."""
    da: list[float] = []
    db: list[float] = []
    w: list[float] = []
    for n in cohorts:
        last = len(n) - 1
        if last < 1:
            continue  # a cohort seen only at period 0 tells nothing
        t = np.arange(1, last + 1, dtype=float)
        lost = n[:-1] - n[1:]
        da += [1.0] * last + [0.0, 0.0]
        db += [*(t - 1.0), float(last), 0.0]
        w += [*lost, n[-1], -n[0]]
    return np.array(da), np.array(db), np.array(w)


def _loglik_terms(
    alpha: float, beta: float, da: FloatArray, db: FloatArray, w: FloatArray
) -> tuple[float, FloatArray, FloatArray]:
    """Value, gradient and Hessian in (alpha, beta) of sum w * log B(alpha + da, beta + db).

    d/dx log B(x, y) = psi(x) - psi(x + y); the second derivatives use the trigamma psi'.
    """
    x, y = alpha + da, beta + db
    s = x + y
    value = float(np.dot(w, special.betaln(x, y)))
    psi_s = special.digamma(s)
    grad = np.array([np.dot(w, special.digamma(x) - psi_s), np.dot(w, special.digamma(y) - psi_s)])
    tri_s = special.polygamma(1, s)
    h_ab = -np.dot(w, tri_s)
    hess = np.array(
        [
            [np.dot(w, special.polygamma(1, x) - tri_s), h_ab],
            [h_ab, np.dot(w, special.polygamma(1, y) - tri_s)],
        ]
    )
    return value, grad, hess


def _in_logs(
    alpha: float, beta: float, grad: FloatArray, hess: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Gradient and Hessian with respect to (log alpha, log beta), by the chain rule."""
    p = np.array([alpha, beta])
    g = grad * p
    h = hess * np.outer(p, p) + np.diag(g)
    return g, h


def fit_sbg(
    periods: ArrayLike,
    alive: ArrayLike,
    cohort: Sequence[Hashable] | None = None,
) -> SbgFit:
    """Fit the shifted-beta-geometric model by maximum likelihood (FH 2007, eqs. 5 and 6).

    `periods` and `alive` are parallel: customers of a cohort still active at each period,
    period 0 (the cohort's start) included. With `cohort` (a label per row), each cohort has its
    own period 0 and the log-likelihood is the sum over cohorts, with alpha and beta shared.
    Periods must run 0, 1, 2, ... without gaps; counts must not rise; some cohort must be
    observed to period 2 at least (one retention rate cannot tell alpha from beta).

    The maximum is found over (log alpha, log beta) by a trust-region Newton method with the
    exact gradient and Hessian (digamma, trigamma), started from the method-of-moments values
    that match the first two retention rates, r(1) = beta / (alpha + beta) and
    r(2) = (beta + 1) / (alpha + beta + 1).
    """
    cohorts = check_retention(periods, alive, cohort, where=no_file)
    return _fit_cohorts(cohorts)


def _fit_cohorts(cohorts: list[Cohort]) -> SbgFit:
    da, db, w = _terms(c.alive for c in cohorts)
    n0 = float(sum(c.alive[0] for c in cohorts))

    def objective(u: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        a, b = math.exp(u[0]), math.exp(u[1])
        value, grad, hess = _loglik_terms(a, b, da, db, w)
        g, h = _in_logs(a, b, grad, hess)
        return -value / n0, -g / n0, -h / n0

    start = _start(cohorts)
    result = optimize.minimize(
        lambda u: objective(u)[0],
        start,
        jac=lambda u: objective(u)[1],
        hess=lambda u: objective(u)[2],
        method="trust-exact",
        options={"gtol": 1e-10, "maxiter": 500},
    )
    u = result.x
    a, b = math.exp(u[0]), math.exp(u[1])
    value, grad, hess = _loglik_terms(a, b, da, db, w)
    g, h = _in_logs(a, b, grad, hess)
    if min(a, b) < 1e-6 and a + b <= 1e6:
        raise UserError(
            f"the sBG fit runs off to the edge (alpha {a:.3g}, beta {b:.3g} -> 0): the customers "
            "look split between some who leave at once and others who never leave, which the "
            "beta mixing distribution reaches only in the limit; sBG does not describe these data"
        )
    if a + b > 1e6:
        lost = sum(float(c.alive[0] - c.alive[-1]) for c in cohorts)
        exposed = sum(float(c.alive[:-1].sum()) for c in cohorts)
        raise UserError(
            "the sBG fit runs off to alpha + beta -> infinity: retention does not rise with "
            "customer age in these data, so they show no difference between customers' churn "
            f"probabilities. A constant churn probability of about {lost / exposed:.4g} per "
            "period fits them: churn: {model: constant, rate: "
            f"{_fmt(lost / exposed)}}}"
        )
    # Near the optimum the trust region can stall on rounding ("bad approximation"): what
    # counts is that the gradient vanishes, to about 1e-6 of a customer's log-likelihood.
    if np.max(np.abs(g)) > 1e-6 * n0:
        raise UserError(
            f"the sBG fit did not converge ({result.message}); "
            f"last values alpha {a:.4g}, beta {b:.4g}. Check the data: a curve that falls to "
            "zero at once, or with almost no churn, has no interior maximum."
        )
    info = -h
    try:
        cov = np.linalg.inv(info) if np.all(np.linalg.eigvalsh(info) > 0) else None
    except np.linalg.LinAlgError:
        cov = None
    if cov is None:
        cov = np.full((2, 2), np.nan)
    last = max(len(c.alive) for c in cohorts) - 1
    observed = []
    for t in range(last + 1):
        seen = [c for c in cohorts if len(c.alive) > t]
        observed.append(sum(float(c.alive[t]) for c in seen) / sum(float(c.alive[0]) for c in seen))
    return SbgFit(
        alpha=a,
        beta=b,
        loglik=value,
        n_customers=round(n0),
        n_cohorts=len(cohorts),
        periods=tuple(range(last + 1)),
        survival=tuple(float(s) for s in sbg_survival(a, b, np.arange(last + 1))),
        observed=tuple(observed),
        cov_log=((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1]))),
    )


def _start(cohorts: list[Cohort]) -> FloatArray:
    """Start: alpha, beta that match the pooled first two retention rates exactly.

    From r(t) = (beta + t - 1) / (alpha + beta + t - 1): alpha + beta = (1 - r2) / (r2 - r1)
    and beta = r1 (alpha + beta); when r2 <= r1 (no sign of heterogeneity) a moderate guess.
    """
    seen2 = [c for c in cohorts if len(c.alive) > 2]
    n0 = sum(float(c.alive[0]) for c in seen2)
    n1 = sum(float(c.alive[1]) for c in seen2)
    n2 = sum(float(c.alive[2]) for c in seen2)
    r1 = min(max(n1 / n0, 1e-3), 1 - 1e-3)
    r2 = min(max(n2 / n1, 1e-3), 1 - 1e-3) if n1 > 0 else r1
    total = (1.0 - r2) / (r2 - r1) if r2 > r1 else 10.0
    total = min(max(total, 0.05), 1e3)
    return np.log([(1.0 - r1) * total, r1 * total])


MAX_PERIODS = 1200  # periods a fit may be projected over or simulated for: a century of months


def check_periods(periods: int) -> None:
    """Refuse more periods than MAX_PERIODS (or fewer than 0): a message, not a hang."""
    if not 0 <= periods <= MAX_PERIODS:
        raise UserError(f"periods must be between 0 and {MAX_PERIODS:,}, got {periods:,}")


def simulate_sbg_cohort(
    alpha: float,
    beta: float,
    customers: int,
    periods: int,
    seed: int | np.random.Generator | None = None,
) -> FloatArray:
    """Customers alive at periods 0..`periods` of a cohort simulated one customer at a time.

    Each customer draws theta ~ Beta(alpha, beta) and a lifetime T ~ Geometric(theta) on
    1, 2, ... (the renewal opportunity at which they leave); alive(t) counts T > t. This is the
    sBG story itself (FH 2007, section 2), so it checks the fit independently of its formulas.
    """
    check_periods(periods)
    rng = np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, size=customers)
    lifetime = rng.geometric(np.clip(theta, 1e-300, 1.0))
    t = np.arange(periods + 1)
    return np.asarray((lifetime[None, :] > t[:, None]).sum(axis=1), dtype=float)


def sbg_yaml(
    fit: SbgFit, uncertainty: bool = False, segment: int = 0, comments: bool = True
) -> str:
    """The segment's `churn:` block, ready to paste into a scenario.

    With `uncertainty`, alpha and beta become lognormals whose median is the fit and whose
    log-scale spread is the standard error, plus a top-level `correlations:` entry that draws
    them together as the fit says (the estimates of log alpha and log beta are strongly
    correlated; drawn independently they would overstate the spread of the survival curve).
    The scenario's copula takes Spearman's rho, (6 / pi) asin(r / 2) for a Pearson r between
    normal scores. `segment` is the segment's place in `segments`, for the correlation's paths.
    `comments` adds a header saying where the numbers come from.
    """
    head = ""
    if comments:
        head = (
            f"# sBG churn fitted by cxsim calibrate retention (Fader & Hardie 2007): "
            f"loglik {fit.loglik:.2f}, {fit.n_customers} customers\n"
            "# alpha and beta are per period of the data: it must match the scenario's "
            "economics.period\n"
        )
    if not uncertainty:
        return head + f"churn: {{model: sbg, alpha: {_fmt(fit.alpha)}, beta: {_fmt(fit.beta)}}}\n"
    if not (math.isfinite(fit.se_log_alpha) and math.isfinite(fit.se_log_beta)):
        raise UserError("the fit has no standard errors (singular information matrix)")
    lines = [*head.splitlines(), "churn:", "  model: sbg"]
    for name, value, s in (
        ("alpha", fit.alpha, fit.se_log_alpha),
        ("beta", fit.beta, fit.se_log_beta),
    ):
        mean = value * math.exp(s * s / 2)
        sd = mean * math.sqrt(math.expm1(s * s))
        lines.append(
            f"  {name}: {{dist: lognormal, mean: {_fmt(mean)}, sd: {_fmt(sd)}}}"
            f"  # median {_fmt(value)} (the fit), SE of log {name} {s:.3g}"
        )
    rho = 6.0 / math.pi * math.asin(fit.corr / 2.0)
    rho = max(-0.99, min(0.99, rho))
    base = f"segments.{segment}.churn"
    lines += [
        f"# at the scenario's top level; {segment} is the segment's place in segments (from 0):",
        "correlations:",
        f"  - between: [{base}.alpha, {base}.beta]",
        f"    rho: {rho:.3f}  # Spearman; the fit's correlation of log alpha, log beta is "
        f"{fit.corr:.3f}",
    ]
    return "\n".join(lines) + "\n"


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None
