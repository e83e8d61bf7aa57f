"""Uncertain inputs: the distributions a scenario number may be given as.

Every distribution samples by its quantile function (`ppf`), so a run's inputs come from one
matrix of uniforms, and correlation between inputs is a Gaussian copula on that matrix. A field
knows its valid range (a probability lies in [0, 1]); a distribution that reaches outside it is
truncated to it (normal, lognormal, expert) or refused at load time (uniform, triangular, PERT,
beta, fixed), so a sampled value is always valid.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    model_validator,
)

FloatArray = NDArray[np.float64]
#: The P90 of a standard normal, float(scipy.stats.norm.ppf(0.9)) (written out so that
#: loading a scenario does not import scipy.stats, which is imported where used; a test
#: checks the value).
_Z90 = 1.2815515655446004

#: Frozen scipy distributions by (class, field values): freezing one costs more than a chunk's
#: quantiles, and every chunk of every run draws from the same few distributions.
_KEPT: dict[tuple[type, str], Any] = {}
_KEEP_AT_MOST = 512  # about 11 kB each
#: Single quantiles by (class, field values, valid range, q): a calibration validates hundreds
#: of trial scenarios, and each validation's checks (`cxsim.model.lint`) ask the same inputs for
#: their P1 and P99 (1.7 ms each through SciPy).
_QUANTILES: dict[tuple[type, str, float, float, float], float] = {}


class _Dist(BaseModel):
    """Common behaviour: quantiles on the field's valid range [lo, hi]."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    _lo: float = PrivateAttr(default=-math.inf)
    _hi: float = PrivateAttr(default=math.inf)

    @property
    def is_fixed(self) -> bool:
        return False

    def support(self) -> tuple[float, float]:
        """The distribution's own support, before truncation to the field's range."""
        return (-math.inf, math.inf)

    def valid_range(self) -> tuple[float, float]:
        """The field's valid range [lo, hi], within which every sampled value lies."""
        return (self._lo, self._hi)

    def _make_frozen(self) -> Any:
        raise NotImplementedError

    def _values_key(self) -> tuple[type, str]:
        """The distribution by its class and field values (repr: exact, keeps -0.0)."""
        return (type(self), repr(tuple(self.__dict__.values())))

    def _frozen(self) -> Any:
        """The scipy distribution (frozen), made once for these field values and kept."""
        key = self._values_key()
        frozen = _KEPT.get(key)
        if frozen is None:
            if len(_KEPT) >= _KEEP_AT_MOST:
                _KEPT.clear()  # a calibration search makes many; keep memory bounded
            frozen = _KEPT[key] = self._make_frozen()
        return frozen

    def _cdf(self, x: float) -> float:
        return float(self._frozen().cdf(x))

    def _raw_ppf(self, u: FloatArray) -> FloatArray:
        return np.asarray(self._frozen().ppf(u), dtype=float)

    def ppf(self, u: FloatArray | float) -> FloatArray:
        """Quantile function on the field's valid range (truncated where the support is wider)."""
        uu = np.asarray(u, dtype=float)
        lo, hi = self.support()
        if lo < self._lo or hi > self._hi:
            f_lo = self._cdf(self._lo) if math.isfinite(self._lo) else 0.0
            f_hi = self._cdf(self._hi) if math.isfinite(self._hi) else 1.0
            uu = f_lo + uu * (f_hi - f_lo)
        return np.clip(self._raw_ppf(uu), self._lo, self._hi)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """`size` independent draws from `rng`, for uses outside a scenario's copula (which
        samples by `ppf` on its own matrix of uniforms): scipy's sampler where the field's range
        cuts nothing off, else the quantile function of uniform draws."""
        lo, hi = self.support()
        if lo < self._lo or hi > self._hi:
            return self.ppf(rng.random(size))
        return np.asarray(self._frozen().rvs(size=size, random_state=rng), dtype=float)

    def mean(self) -> float:
        """Mean on the valid range (by the quantile function: exact for the untruncated cases)."""
        u = (np.arange(20_000) + 0.5) / 20_000
        return float(np.mean(self.ppf(u)))

    def quantile(self, q: float) -> float:
        key = (*self._values_key(), self._lo, self._hi, q)
        found = _QUANTILES.get(key)
        if found is None:
            if len(_QUANTILES) >= _KEEP_AT_MOST:
                _QUANTILES.clear()
            found = _QUANTILES[key] = float(self.ppf(np.array([q]))[0])
        return found

    def describe(self) -> str:
        fields = ", ".join(
            f"{k}={v:g}" for k, v in self.model_dump().items() if k != "dist" and v is not None
        )
        return f"{self.model_dump()['dist']}({fields})"

    def with_range(self, lo: float, hi: float) -> _Dist:
        """A copy that knows its field's valid range."""
        copy = self.model_copy()
        copy._lo, copy._hi = lo, hi
        return copy


class Fixed(_Dist):
    """A known number (a bare number in the file means this)."""

    dist: Literal["fixed"] = Field(
        default="fixed", description="'fixed': a known number (a bare number means this)."
    )
    value: float = Field(description="The number.")

    @property
    def is_fixed(self) -> bool:
        return True

    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def ppf(self, u: FloatArray | float) -> FloatArray:
        return np.full(np.shape(u), self.value, dtype=float)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return np.full(size, self.value, dtype=float)  # draws nothing from rng

    def mean(self) -> float:
        return self.value

    def describe(self) -> str:
        return f"{self.value:g}"


class Uniform(_Dist):
    dist: Literal["uniform"] = Field(
        description="'uniform': every value between low and high equally likely."
    )
    low: float = Field(description="Lowest value.")
    high: float = Field(description="Highest value.")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(
                f"bounds out of order: low {self.low:g} must be below high {self.high:g}"
            )
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def _make_frozen(self) -> Any:
        from scipy import stats

        return stats.uniform(self.low, self.high - self.low)

    def mean(self) -> float:
        return (self.low + self.high) / 2


class _ThreePoint(_Dist):
    """A minimum, a most likely value and a maximum."""

    low: float = Field(description="Lowest value.")
    mode: float = Field(description="Most likely value.")
    high: float = Field(description="Highest value.")

    @model_validator(mode="after")
    def _ordered(self) -> _ThreePoint:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                f"bounds out of order: need low <= mode <= high with low < high, "
                f"got {self.low:g}, {self.mode:g}, {self.high:g}"
            )
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)


class Triangular(_ThreePoint):
    dist: Literal["triangular"] = Field(
        description="'triangular': a triangle from low through mode to high."
    )

    def _make_frozen(self) -> Any:
        width = self.high - self.low
        from scipy import stats

        return stats.triang((self.mode - self.low) / width, self.low, width)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.triangular(self.low, self.mode, self.high, size)  # exact, unlike scaled triang

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class Pert(_ThreePoint):
    """Beta-PERT: a smooth three-point estimate (Vose, Risk Analysis, 2008)."""

    dist: Literal["pert"] = Field(description="'pert': a smooth three-point estimate (Beta-PERT).")
    shape: float = Field(
        description="Weight of the mode (4 is the classic PERT).", default=4.0, gt=0
    )

    def _make_frozen(self) -> Any:
        width = self.high - self.low
        a = 1 + self.shape * (self.mode - self.low) / width
        b = 1 + self.shape * (self.high - self.mode) / width
        from scipy import stats

        return stats.beta(a, b, loc=self.low, scale=width)

    def mean(self) -> float:
        return (self.low + self.shape * self.mode + self.high) / (self.shape + 2)


class Normal(_Dist):
    """Normal, truncated to the field's valid range."""

    dist: Literal["normal"] = Field(description="'normal': truncated to the field's valid range.")
    mean_: float = Field(description="Mean.", alias="mean")
    sd: float = Field(description="Standard deviation.", gt=0)

    model_config = ConfigDict(populate_by_name=True)

    def _make_frozen(self) -> Any:
        from scipy import stats

        return stats.norm(self.mean_, self.sd)

    def describe(self) -> str:
        return f"normal(mean={self.mean_:g}, sd={self.sd:g})"


class LogNormal(_Dist):
    """Lognormal given by the mean and standard deviation of the value itself."""

    dist: Literal["lognormal"] = Field(description="'lognormal': positive, skewed to the right.")
    mean_: float = Field(description="Mean of the value itself.", alias="mean", gt=0)
    sd: float = Field(description="Standard deviation of the value itself.", gt=0)

    model_config = ConfigDict(populate_by_name=True)

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def _make_frozen(self) -> Any:
        sigma2 = math.log1p((self.sd / self.mean_) ** 2)
        mu = math.log(self.mean_) - sigma2 / 2
        from scipy import stats

        return stats.lognorm(math.sqrt(sigma2), scale=math.exp(mu))

    def describe(self) -> str:
        return f"lognormal(mean={self.mean_:g}, sd={self.sd:g})"


class Beta(_Dist):
    dist: Literal["beta"] = Field(description="'beta': a probability from a Beta distribution.")
    alpha: float = Field(description="Alpha (successes + 1).", gt=0)
    beta: float = Field(description="Beta (failures + 1).", gt=0)

    def support(self) -> tuple[float, float]:
        return (0.0, 1.0)

    def _make_frozen(self) -> Any:
        from scipy import stats

        return stats.beta(self.alpha, self.beta)

    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


class Expert(_Dist):
    """An expert's P10 / P50 / P90: half a normal on each side of the median, each scaled to
    meet its quantile, so all three are met exactly."""

    dist: Literal["expert"] = Field(description="'expert': an expert's P10, P50 and P90.")
    p10: float = Field(description="A value the expert is 90% sure is exceeded.")
    p50: float = Field(description="The expert's median.")
    p90: float = Field(description="A value the expert is 90% sure is not exceeded.")

    @model_validator(mode="after")
    def _ordered(self) -> Expert:
        if not self.p10 < self.p50 < self.p90:
            raise ValueError(
                f"bounds out of order: need p10 < p50 < p90, "
                f"got {self.p10:g}, {self.p50:g}, {self.p90:g}"
            )
        return self

    def _sides(self) -> tuple[float, float]:
        return (self.p50 - self.p10) / _Z90, (self.p90 - self.p50) / _Z90

    def _cdf(self, x: float) -> float:
        left, right = self._sides()
        from scipy import stats

        return float(stats.norm.cdf((x - self.p50) / (left if x <= self.p50 else right)))

    def _raw_ppf(self, u: FloatArray) -> FloatArray:
        left, right = self._sides()
        from scipy import stats

        z = stats.norm.ppf(u)
        return np.where(u < 0.5, self.p50 + left * z, self.p50 + right * z)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return self.ppf(rng.random(size))  # no scipy sampler: by the quantile function


DistModel = Fixed | Uniform | Triangular | Pert | Normal | LogNormal | Beta | Expert
DIST_NAMES = ("fixed", "uniform", "triangular", "pert", "normal", "lognormal", "beta", "expert")


def _number_to_fixed(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


def _dist_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        tag = value.get("dist")
        return tag if tag in DIST_NAMES else None
    if isinstance(value, _Dist):
        return str(value.model_dump()["dist"])
    return None


_AnyDist = Annotated[
    Annotated[Fixed, Tag("fixed")]
    | Annotated[Uniform, Tag("uniform")]
    | Annotated[Triangular, Tag("triangular")]
    | Annotated[Pert, Tag("pert")]
    | Annotated[Normal, Tag("normal")]
    | Annotated[LogNormal, Tag("lognormal")]
    | Annotated[Beta, Tag("beta")]
    | Annotated[Expert, Tag("expert")],
    Discriminator(
        _dist_tag,
        custom_error_type="distribution",
        custom_error_message="expected a number or a distribution",
    ),
]


def in_range(lo: float, hi: float) -> Callable[[_Dist], _Dist]:
    """Validator: a distribution that must stay within [lo, hi]; bounded ones are checked."""

    def check(dist: _Dist) -> _Dist:
        s_lo, s_hi = dist.support()
        bounded = not isinstance(dist, Normal | LogNormal | Expert)
        if bounded and (s_lo < lo or s_hi > hi):
            span = f"between {lo:g} and {hi:g}" if math.isfinite(hi) else f"at least {lo:g}"
            got = f"{dist.value:g}" if isinstance(dist, Fixed) else dist.describe()
            raise ValueError(f"must be {span}, got {got}")
        if isinstance(dist, Expert) and not (lo <= dist.p50 <= hi):
            raise ValueError(f"p50 {dist.p50:g} lies outside the valid range {lo:g}..{hi:g}")
        if not bounded:
            inside = _mass_inside(dist, lo, hi)
            if inside < MIN_MASS_INSIDE:
                raise ValueError(
                    f"{dist.describe()} puts {inside:.2%} of its values in the valid range "
                    f"{lo:g}..{hi:g}: truncated there it cannot give a sound value"
                )
        return dist.with_range(lo, hi)

    return check


#: A truncated distribution must keep at least this share of its mass inside the field's range;
#: below it, truncation piles every draw onto the range's edge (a 'probability' that is always 0).
MIN_MASS_INSIDE = 0.01


def _mass_inside(dist: _Dist, lo: float, hi: float) -> float:
    """The share of an unbounded distribution's mass in [lo, hi]."""
    f_lo = dist._cdf(lo) if math.isfinite(lo) else 0.0
    f_hi = dist._cdf(hi) if math.isfinite(hi) else 1.0
    return max(0.0, f_hi - f_lo)


def _dist_type(lo: float, hi: float) -> Any:
    return Annotated[_AnyDist, BeforeValidator(_number_to_fixed), AfterValidator(in_range(lo, hi))]


Probability = _dist_type(0.0, 1.0)
NonNegative = _dist_type(0.0, math.inf)
Count = _dist_type(0.0, 1e15)
Positive = _dist_type(1e-6, 1e6)
# Money per customer or per period, and people told: bounded so sums stay finite and exact.
Money = _dist_type(0.0, 1e12)
#: Money that may be negative: an intervention's cost, where a negative amount is a saving.
SignedMoney = _dist_type(-1e12, 1e12)
People = _dist_type(0.0, 1e4)
#: An odds multiplier (memory of unresolved failures): above 0, at most 1000.
OddsRatio = _dist_type(1e-6, 1000.0)
#: Hours on a response-time scale (the resolution curve's midpoint): above 0, at most 10,000.
ResponseHours = _dist_type(1e-6, 10_000.0)
Real = _dist_type(-math.inf, math.inf)

Dist = _Dist


def fixed(value: float, lo: float = -math.inf, hi: float = math.inf) -> Fixed:
    """A fixed value that knows its range (for code that builds scenarios)."""
    return Fixed(value=value).with_range(lo, hi)  # type: ignore[return-value]
