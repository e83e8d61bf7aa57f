"""What the company observed: the figures a scenario's status quo must reproduce.

`actuals:` is a list of observations, each naming its metric, the model periods it covers, its
segment where it applies, and its measurement error (a range or a relative tolerance). Put the
source of each figure in a YAML comment beside it. `cxsim calibrate scenario` solves for the
failure-free baseline churn and acquisition so that the status quo reproduces them; every run
reports how its status quo compares (`cxsim.analysis.calibration.reconcile`).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

#: Metrics measured per period (a value, or a series over `periods`).
PERIOD_METRICS = (
    "active",
    "churn",
    "new_customers",
    "contacts",
    "complaints",
    "csat",
    "nps",
    "revenue",
)
DEFAULT_TOLERANCE = 0.005  # relative; the "within 0.5%" when no error is stated


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True
    )


Periods = Annotated[
    list[Annotated[int, Field(ge=1, le=600)]],
    Field(min_length=1, max_length=2),
]


class PeriodActual(_Model):
    """A figure per period: its mean over `periods`, or one value per period (`series`)."""

    metric: Literal[
        "active", "churn", "new_customers", "contacts", "complaints", "csat", "nps", "revenue"
    ] = Field(
        description="active: customers at the start of a period; churn: share of the period's "
        "active customers who leave (all causes); new_customers: acquired per period; contacts, "
        "complaints: per period (the model's contacts are its complaints); csat: share of "
        "complainers satisfied; nps: -100..100; revenue: per period, undiscounted."
    )
    segment: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The segment observed; omit for the whole business.",
    )
    periods: Periods = Field(
        description="Model periods covered: [first, last] (e.g. [1, 12] for the first year of "
        "a monthly model) or [one]."
    )
    value: float | None = Field(
        default=None, description="The observed mean per period over `periods`."
    )
    series: list[float] | None = Field(
        default=None,
        min_length=1,
        max_length=600,
        description="One observed value per period of `periods` instead of one mean.",
    )
    range: list[float] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="[low, high]: the measurement error; the status quo should fall inside.",
    )
    tolerance: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Relative measurement error (0.02: within 2%) when no range is given; "
        "default 0.005.",
    )

    @model_validator(mode="after")
    def _check(self) -> PeriodActual:
        if (self.value is None) == (self.series is None):
            raise ValueError("give exactly one of value or series")
        first, last = self.periods[0], self.periods[-1]
        if last < first:
            raise ValueError(f"periods must run forward, got [{first}, {last}]")
        if self.series is not None and len(self.series) != last - first + 1:
            raise ValueError(f"series has {len(self.series)} values for {last - first + 1} periods")
        if self.range is not None:
            if self.series is not None:
                raise ValueError("a range applies to a value; give a tolerance with a series")
            low, high = self.range
            if not low <= self.value <= high:  # type: ignore[operator]
                raise ValueError(f"range [{low:g}, {high:g}] must contain value {self.value:g}")
        if self.range is not None and self.tolerance is not None:
            raise ValueError("give a range or a tolerance, not both")
        return self

    @property
    def first(self) -> int:
        return self.periods[0]

    @property
    def last(self) -> int:
        return self.periods[-1]


class RetentionActual(_Model):
    """A cohort retention table: the share of newly acquired customers alive after 1..n steps."""

    metric: Literal["retention"] = Field(description="`retention`: a cohort retention table.")
    segment: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The segment whose new customers the table follows; omit with one segment.",
    )
    survival: list[Annotated[float, Field(gt=0, le=1)]] = Field(
        min_length=1,
        max_length=120,
        description="Share of the cohort still active after 1, 2, ... steps (not rising).",
    )
    step: int = Field(
        default=1,
        ge=1,
        le=52,
        description="Model periods per step of the table (12 for a yearly table in a monthly "
        "model).",
    )
    tolerance: float = Field(
        default=0.002,
        gt=0,
        le=0.5,
        description="Absolute error allowed on each share (0.002: 2 customers per 1,000).",
    )

    @model_validator(mode="after")
    def _check(self) -> RetentionActual:
        s = self.survival
        if any(b > a for a, b in pairwise(s)):
            raise ValueError("survival must not rise")
        return self


def _actual_tag(value: Any) -> str:
    metric = value.get("metric") if isinstance(value, dict) else getattr(value, "metric", None)
    return "retention" if metric == "retention" else "period"


Actual = Annotated[
    Annotated[PeriodActual, Tag("period")] | Annotated[RetentionActual, Tag("retention")],
    Discriminator(_actual_tag),
]

Actuals = Annotated[
    list[Actual],
    Field(
        min_length=1,
        max_length=500,
        description="What the company observed; the status quo should reproduce it.",
    ),
]


def check_actuals(
    actuals: list[PeriodActual | RetentionActual], segments: list[str], horizon: int
) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems with names and periods, located like pydantic's."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for i, a in enumerate(actuals):
        if a.segment is not None and a.segment not in segments:
            problems.append((("actuals", i, "segment"), f"no segment named {a.segment!r}"))
        if a.segment is None and len(segments) > 1 and a.metric == "retention":
            problems.append((("actuals", i, "segment"), "name the segment the cohort joined"))
        if isinstance(a, PeriodActual) and a.last > horizon:
            problems.append((("actuals", i, "periods"), f"ends after the horizon ({horizon})"))
    return problems
