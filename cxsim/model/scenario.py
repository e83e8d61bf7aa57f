"""The scenario format: segments, journey, Goodman's loss tree, economics (pydantic v2, frozen).

A scenario that validates is sound: the engine does not check it again. Unknown keys are errors,
so a typo cannot silently change a business case. Any number may be a distribution (see
`cxsim.model.distributions`). Cross-references (names) are checked by `check_references`, which
reports with the same paths as pydantic does.
"""

from __future__ import annotations

import re
import unicodedata
from enum import IntEnum
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from cxsim.model.distributions import Count, Money, People, Positive, Probability, Real
from cxsim.model.paths import resolve, uncertain_paths


class Pathway(IntEnum):
    """How a failure costs a customer, in the order of every attribution's pathway axis.

    The first four are Goodman's groups of customers who met a failure; the engine indexes its
    arrays with these values, so this is the one place the order is written.
    """

    SILENT = 0
    SATISFIED = 1
    MOLLIFIED = 2
    DISSATISFIED = 3
    WORD_OF_MOUTH = 4
    LOST_SALES = 5


PATHWAYS = tuple(p.name.lower() for p in Pathway)
GROUPS = PATHWAYS[: Pathway.DISSATISFIED + 1]
SEVERITIES = ("minor", "major")
PERIODS_PER_YEAR = {"week": 52.0, "month": 12.0, "quarter": 4.0, "year": 1.0}

# Bidirectional overrides and line separators: invisible, and able to make a name read as another.
_INVISIBLE = re.compile("[\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _plain_text(multiline: bool) -> Any:
    """Validator: text without control characters (a newline or tab only where `multiline`)."""

    def check(value: str) -> str:
        for ch in value:
            if (unicodedata.category(ch) == "Cc" and not (multiline and ch in "\n\t\r")) or (
                _INVISIBLE.match(ch)
            ):
                raise ValueError(f"must not hold the control character U+{ord(ch):04X}")
        return value

    return AfterValidator(check)


Name = Annotated[str, Field(min_length=1, max_length=200), _plain_text(multiline=False)]
Text = Annotated[str, Field(max_length=5000), _plain_text(multiline=True)]


class Model(BaseModel):
    """Base of every scenario model: frozen, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True
    )


class ConstantChurn(Model):
    """A constant per-period probability of leaving for reasons unrelated to experience."""

    model: Literal["constant"] = "constant"
    rate: Probability

    @model_validator(mode="after")
    def _not_all(self) -> ConstantChurn:
        if self.rate.support()[0] >= 1:
            raise ValueError(
                "a churn rate of 1 loses every customer every period: nothing is left for "
                "experience failures to cost; give a rate below 1"
            )
        return self


def _churn_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        return str(value.get("model", "constant"))
    return getattr(value, "model", None)


class Sbg(Model):
    """Shifted-beta-geometric churn (Fader & Hardie 2007): theta ~ Beta(alpha, beta) each."""

    model: Literal["sbg"]
    alpha: Positive
    beta: Positive
    tenure: int = Field(
        default=0, ge=0, le=10_000, description="Renewals the initial customers have already made."
    )


Churn = Annotated[
    Annotated[ConstantChurn, Tag("constant")] | Annotated[Sbg, Tag("sbg")],
    Discriminator(
        _churn_tag,
        custom_error_type="churn_model",
        custom_error_message="churn model must be 'constant' or 'sbg'",
    ),
]


class Segment(Model):
    """A customer population (persona)."""

    name: Name
    customers: Count = Field(description="Active customers at the start.")
    prospects: Count = Field(
        default=0,
        description="Prospects entering the funnel per period (would-be buyers / conversion).",
    )
    conversion: Probability = Field(
        default=1.0, description="Share of prospects who would buy absent any failure."
    )
    revenue: Money = Field(description="Revenue per customer per period.")
    margin: Probability = Field(
        default=1.0, description="Gross margin (used when value is 'margin')."
    )
    churn: Churn


_DIST_KEYS = {
    "dist",
    "value",
    "low",
    "mode",
    "high",
    "mean",
    "sd",
    "alpha",
    "beta",
    "p10",
    "p50",
    "p90",
}


def _per_segment_tag(value: Any) -> str:
    """A mapping is per segment unless it looks like a distribution (even one missing `dist`)."""
    if isinstance(value, dict) and not _DIST_KEYS & set(value):
        return "per_segment"
    return "all"


PerSegmentProbability = Annotated[
    Annotated[Probability, Tag("all")] | Annotated[dict[str, Probability], Tag("per_segment")],
    Discriminator(_per_segment_tag),
]


class Touchpoint(Model):
    """A moment of the journey where an experience can fail."""

    name: Name
    exposure: PerSegmentProbability = Field(
        default=1.0,
        description="Share of the stage's audience passing through per period; a number or a "
        "mapping from segment name to a number.",
    )
    failure_rate: PerSegmentProbability = Field(description="Chance that the experience fails.")
    severity: Literal["minor", "major"] = "minor"
    complaint_rate: Probability | None = Field(
        default=None, description="Overrides the loss tree's complaint rate at this touchpoint."
    )
    cause: Annotated[str, _plain_text(multiline=False)] | None = Field(
        default=None,
        max_length=200,
        description="A free label (e.g. 'expectations', 'process'), for interventions to target.",
    )


class Stage(Model):
    """An ordered stage of the journey; prospects pass through pre-purchase stages."""

    name: Name
    audience: Literal["customers", "prospects"] = "customers"
    touchpoints: list[Touchpoint] = Field(min_length=1)


class Journey(Model):
    stages: list[Stage] = Field(min_length=1)


class Resolution(Model):
    """How complaints end; dissatisfied is what is left (1 - satisfied - mollified)."""

    satisfied: Probability
    mollified: Probability


class BySeverity(Model):
    minor: Probability
    major: Probability


class Defection(Model):
    """Chance of defecting after a failure by path and severity (TARP 1986: 1 - would rebuy)."""

    silent: BySeverity
    satisfied: BySeverity
    mollified: BySeverity
    dissatisfied: BySeverity


class Told(Model):
    silent: People
    satisfied: People
    mollified: People
    dissatisfied: People


class WordOfMouth(Model):
    """People told per customer who met a failure, and what that does to acquisition."""

    told: Told
    deterred: Probability = Field(
        description="Share of people told of a bad experience who do not become customers."
    )
    referred: Probability = Field(
        default=0.0, description="Share of people told of a good recovery who become customers."
    )


class LossTree(Model):
    """Goodman's customer-loss tree."""

    complaint_rate: Probability
    resolution: Resolution | None = Field(
        default=None, description="Fixed split of complaints; required unless `support` is given."
    )
    defection: Defection
    word_of_mouth: WordOfMouth


class Memory(Model):
    """Experience memory: odds multipliers on defection by unresolved earlier failures (0/1/2+)."""

    odds_ratio: list[Annotated[float, Field(gt=0, le=1000)]] = Field(
        default=[1.0, 3.0, 7.0], min_length=3, max_length=3
    )


class Nps(Model):
    """Share of promoters and detractors by experience state (no, one, several unresolved)."""

    promoters: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        default=[0.50, 0.25, 0.10], min_length=3, max_length=3
    )
    detractors: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        default=[0.15, 0.45, 0.70], min_length=3, max_length=3
    )


class Economics(Model):
    currency: str = Field(default="USD", min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")
    period: Literal["week", "month", "quarter", "year"] = "month"
    horizon: int = Field(default=36, ge=1, le=600, description="Periods simulated.")
    discount_rate: float = Field(default=0.08, ge=0, le=1, description="Per year.")
    value: Literal["revenue", "margin"] = "revenue"
    lifetime: bool = Field(
        default=False, description="Also value the revenue lost beyond the horizon."
    )

    @property
    def periods_per_year(self) -> float:
        return PERIODS_PER_YEAR[self.period]

    @property
    def discount_factor(self) -> float:
        """Per-period discount factor."""
        return float((1.0 + self.discount_rate) ** (-1.0 / self.periods_per_year))


class Correlation(Model):
    """Rank correlation between two uncertain inputs (Gaussian copula)."""

    between: list[str] = Field(min_length=2, max_length=2)
    rho: float = Field(ge=-0.99, le=0.99)


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _day_range(text: str) -> list[int]:
    """'Mon-Fri' or 'Sat' or 'Mon,Wed' -> day indices (Monday 0)."""
    out: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"days must look like 'Mon-Fri' or 'Sat', got {text!r}")
        a, b = DAYS.index(first), DAYS.index(last or first)
        out.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return out


def _hour_range(text: str) -> list[int]:
    """'08-20' -> hours 8..19; '00-24' is the whole day."""
    first, sep, last = str(text).partition("-")
    if not sep or not re.fullmatch(r" *[0-9]+ *", first) or not re.fullmatch(r" *[0-9]+ *", last):
        raise ValueError(f"hours must look like '08-20', got {text!r}")
    a, b = int(first), int(last)
    if not 0 <= a < b <= 24:
        raise ValueError(f"hours must lie within 00-24 with start < end, got {text!r}")
    return list(range(a, b))


class Hours(Model):
    """When a channel is open (or a staffing block applies): days and a span of hours."""

    days: str = "Mon-Sun"
    hours: str = "00-24"

    @model_validator(mode="after")
    def _parse(self) -> Hours:
        _day_range(self.days)
        _hour_range(self.hours)
        return self

    def mask(self) -> NDArray[np.bool_]:
        m = np.zeros((7, 24), dtype=bool)
        for d in _day_range(self.days):
            m[d, _hour_range(self.hours)] = True
        return m


class Shift(Hours):
    agents: int = Field(ge=0, le=100_000)


class Channel(Model):
    """A support channel; `agents` may be changed by interventions (e.g. add 3 chat agents)."""

    name: Name
    share: Probability = Field(description="Share of complaints coming to this channel.")
    agents: Count = Field(description="Agents on duty while open (0: the channel is not offered).")
    schedule: list[Shift] = Field(
        default=[], description="Staffing by day and hour; overrides `agents` where given."
    )
    open: Hours = Hours()
    aht_seconds: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    handle: Literal["lognormal", "exponential"] = "lognormal"
    handle_cv: Annotated[float, Field(gt=0, le=10)] = 1.0
    patience_seconds: Annotated[float, Field(gt=0)] | None = None
    asynchronous: bool = Field(default=False, description="Email-like: waits carry over nights.")


class ResolutionBySpeed(Model):
    """Split of answered complaints at an instant answer ('fast') and a very late one ('slow');
    in between it follows 1 / (1 + hours / midpoint_hours) (see
    cxsim.support.contact_centre.ResolutionCurve)."""

    satisfied_fast: Probability = 0.60
    satisfied_slow: Probability = 0.10
    dissatisfied_fast: Probability = 0.10
    dissatisfied_slow: Probability = 0.60
    midpoint_hours: Annotated[float, Field(gt=0, le=10_000)] = 6.0


class Support(Model):
    """The contact centre: its channels decide response times, and response times the split."""

    channels: list[Channel] = Field(min_length=1, max_length=20)
    resolution: ResolutionBySpeed = ResolutionBySpeed()
    hourly_profile: list[Annotated[float, Field(ge=0, le=1e6)]] | None = Field(
        default=None,
        min_length=24,
        max_length=168,
        description="Relative arrivals by hour: 24 values (each day alike) or 168 (the week, "
        "Monday 00:00 first).",
    )

    @model_validator(mode="after")
    def _profile(self) -> Support:
        if self.hourly_profile is not None:
            if len(self.hourly_profile) not in (24, 168):
                raise ValueError(
                    f"hourly_profile needs 24 or 168 values, got {len(self.hourly_profile)}"
                )
            if sum(self.hourly_profile) <= 0:
                raise ValueError("hourly_profile must not be all zero")
        return self


class Effect(Model):
    """One change: exactly one of scale, add or set, applied to every input the path names."""

    path: str = Field(min_length=1, max_length=500)
    scale: Real | None = None
    add: Real | None = None
    set: Real | None = None

    @model_validator(mode="after")
    def _one_op(self) -> Effect:
        given = [op for op in ("scale", "add", "set") if getattr(self, op) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of scale, add or set (got {', '.join(given) or 'none'})"
            )
        return self

    @property
    def op(self) -> Literal["scale", "add", "set"]:
        return next(op for op in ("scale", "add", "set") if getattr(self, op) is not None)  # type: ignore[return-value]


class Costs(Model):
    """What the intervention costs, in the scenario's currency (undiscounted amounts)."""

    one_off: Money = 0.0
    per_period: Money = 0.0
    per_customer: Money = Field(default=0.0, description="Per active customer reached, per period.")


class Intervention(Model):
    name: Name
    description: Text = ""
    effects: list[Effect] = Field(min_length=1)
    costs: Costs = Costs()
    start: int = Field(default=1, ge=1, description="First period with the intervention (1-based).")
    ramp_up: int = Field(default=0, ge=0, description="Periods from start to full effect.")

    def weights(self, horizon: int) -> NDArray[np.float64]:
        """Share of the full effect in each period: 0 before start, then a linear ramp."""
        t = np.arange(1, horizon + 1, dtype=float)
        if self.ramp_up == 0:
            return (t >= self.start).astype(float)
        return np.clip((t - self.start + 1) / self.ramp_up, 0.0, 1.0)


class Scenario(Model):
    """A business, its customers and journey, and the assumptions of the loss model."""

    name: Name
    description: Text = ""
    language: Literal["en", "ja"] = "en"
    economics: Economics = Economics()
    segments: list[Segment] = Field(min_length=1, max_length=50)
    journey: Journey
    loss_tree: LossTree
    memory: Memory = Memory()
    nps: Nps = Nps()
    correlations: list[Correlation] = []
    interventions: list[Intervention] = []
    support: Support | None = None

    def __repr__(self) -> str:
        tps = sum(len(s.touchpoints) for s in self.journey.stages)
        e = self.economics
        return (
            f"<Scenario {self.name!r}: {len(self.segments)} segments, "
            f"{len(self.journey.stages)} stages, {tps} touchpoints, "
            f"{e.horizon} {e.period}s, {e.currency}>"
        )

    def touchpoints(self) -> list[tuple[Stage, Touchpoint]]:
        """Every touchpoint with its stage, in journey order."""
        return [(stage, tp) for stage in self.journey.stages for tp in stage.touchpoints]


def check_references(scenario: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems with names: duplicates, per-segment keys naming no segment, inconsistent splits."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    segment_names = [s.name for s in scenario.segments]
    _duplicates(problems, ("segments",), segment_names, "segment")
    _duplicates(problems, ("journey", "stages"), [s.name for s in scenario.journey.stages], "stage")
    seen: dict[str, tuple[str | int, ...]] = {}
    for i, stage in enumerate(scenario.journey.stages):
        for j, tp in enumerate(stage.touchpoints):
            where: tuple[str | int, ...] = ("journey", "stages", i, "touchpoints", j)
            if tp.name in seen:
                problems.append(((*where, "name"), f"touchpoint name {tp.name!r} is used twice"))
            seen[tp.name] = where
            for field in ("exposure", "failure_rate"):
                value = getattr(tp, field)
                if isinstance(value, dict):
                    for key in value:
                        if key not in segment_names:
                            problems.append(
                                ((*where, field, key), _unknown(key, segment_names, "segment"))
                            )
    res = scenario.loss_tree.resolution
    if res is None and scenario.support is None:
        problems.append(
            (("loss_tree", "resolution"), "is required when there is no support section")
        )
    if res is not None and res.satisfied.mean() + res.mollified.mean() > 1 + 1e-12:
        problems.append(
            (
                ("loss_tree", "resolution"),
                "satisfied + mollified must not exceed 1 (dissatisfied is the rest), got "
                f"{res.satisfied.mean():g} + {res.mollified.mean():g}",
            )
        )
    if scenario.economics.lifetime and scenario.economics.discount_rate <= 0:
        problems.append(
            (("economics", "discount_rate"), "must be above 0 when lifetime valuation is on")
        )
    if scenario.support is not None:
        _duplicates(
            problems,
            ("support", "channels"),
            [c.name for c in scenario.support.channels],
            "channel",
        )
        for i, channel in enumerate(scenario.support.channels):
            if not channel.agents.is_fixed:
                problems.append(
                    (
                        ("support", "channels", i, "agents"),
                        "must be a fixed number: the queue is simulated once per world",
                    )
                )
        if all(c.agents.mean() == 0 and not c.schedule for c in scenario.support.channels):
            problems.append((("support", "channels"), "at least one channel needs agents"))
    _duplicates(
        problems, ("interventions",), [iv.name for iv in scenario.interventions], "intervention"
    )
    for i, iv in enumerate(scenario.interventions):
        for j, effect in enumerate(iv.effects):
            if not resolve(scenario, effect.path):
                problems.append(
                    (("interventions", i, "effects", j, "path"), f"names no input: {effect.path!r}")
                )
        if iv.start > scenario.economics.horizon:
            problems.append(
                (
                    ("interventions", i, "start"),
                    f"is after the horizon ({scenario.economics.horizon})",
                )
            )

    known = uncertain_paths(scenario)
    for i, corr in enumerate(scenario.correlations):
        for j, path in enumerate(corr.between):
            if path not in known:
                problems.append(
                    (("correlations", i, "between", j), _unknown(path, sorted(known), "input"))
                )
    return problems


def _duplicates(
    problems: list[tuple[tuple[str | int, ...], str]],
    where: tuple[str | int, ...],
    names: list[str],
    kind: str,
) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            problems.append(((*where, i, "name"), f"{kind} name {name!r} is used twice"))
        seen.add(name)


def _unknown(name: str, choices: list[str], kind: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, choices, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"no {kind} named {name!r}{hint}"
