"""The scenario format: segments, journey, Goodman's loss tree, economics (pydantic v2, frozen).

A scenario that validates is sound: the engine does not check it again. Unknown keys are errors,
so a typo cannot silently change a business case. Any number may be a distribution (see
`cxsim.model.distributions`). Cross-references (names) are checked by
`cxsim.model.checks.check_references`, which reports with the same paths as pydantic does.
"""

from __future__ import annotations

import math
from enum import IntEnum
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Discriminator, Field, Tag, model_validator

from cxsim.model.actuals import Actuals
from cxsim.model.base import Model, Name, Text, plain_text
from cxsim.model.costs_section import ExperienceCosts
from cxsim.model.distributions import (
    Count,
    Money,
    OddsRatio,
    People,
    Positive,
    Probability,
    Real,
    SignedMoney,
)
from cxsim.model.support_section import Support


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
    REFERRALS_NOT_MADE = 6  # referrals customers with a problem did not make (promoters)
    SPENT_LESS = 7  # customers who stayed but spent less for a while (smaller wallets)


PATHWAYS = tuple(p.name.lower() for p in Pathway)
GROUPS = PATHWAYS[: Pathway.DISSATISFIED + 1]
#: Pathways only some scenarios have (promoters, smaller wallets); faces may leave them out at 0.
OPTIONAL_PATHWAYS = PATHWAYS[Pathway.REFERRALS_NOT_MADE :]
SEVERITIES = ("minor", "major")
PERIODS_PER_YEAR = {"week": 52.0, "month": 12.0, "quarter": 4.0, "year": 1.0}


class ConstantChurn(Model):
    """A constant per-period probability of leaving for reasons unrelated to experience."""

    model: Literal["constant"] = Field(
        default="constant", description="Churn model: 'constant' (the default) or 'sbg'."
    )
    rate: Probability = Field(
        description=(
            "Probability per period that a customer leaves for reasons unrelated to experience."
        )
    )

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

    model: Literal["sbg"] = Field(
        description="Churn model 'sbg': shifted-beta-geometric (Fader & Hardie 2007)."
    )
    alpha: Positive = Field(
        description=("Alpha of the Beta distribution of churn probabilities across customers.")
    )
    beta: Positive = Field(
        description=("Beta of the Beta distribution of churn probabilities across customers.")
    )
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

    name: Name = Field(description="The segment's name, unique in the scenario.")
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
    churn: Churn = Field(
        description=("Churn unrelated to experience: a constant rate or sBG heterogeneity.")
    )


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

    name: Name = Field(description="The touchpoint's name, unique in the journey.")
    exposure: PerSegmentProbability = Field(
        default=1.0,
        description="Share of the stage's audience passing through per period; a number or a "
        "mapping from segment name to a number.",
    )
    failure_rate: PerSegmentProbability = Field(description="Chance that the experience fails.")
    severity: Literal["minor", "major"] = Field(
        default="minor",
        description=("How bad a failure here is: 'minor' or 'major' (sets the defection rates)."),
    )
    complaint_rate: Probability | None = Field(
        default=None, description="Overrides the loss tree's complaint rate at this touchpoint."
    )
    cause: Annotated[str, plain_text(multiline=False)] | None = Field(
        default=None,
        max_length=200,
        description="A free label (e.g. 'expectations', 'process'), for interventions to target.",
    )


class Stage(Model):
    """An ordered stage of the journey; prospects pass through pre-purchase stages."""

    name: Name = Field(description="The stage's name, unique in the journey.")
    audience: Literal["customers", "prospects"] = Field(
        default="customers",
        description=(
            "Who passes through: 'customers' (after purchase) or 'prospects' "
            "(a failure loses the sale)."
        ),
    )
    touchpoints: list[Touchpoint] = Field(description="The stage's touchpoints.", min_length=1)


class Journey(Model):
    stages: list[Stage] = Field(description="The stages of the journey, in order.", min_length=1)


class Resolution(Model):
    """How complaints end; dissatisfied is what is left (1 - satisfied - mollified)."""

    satisfied: Probability = Field(
        description="Share of complaints that end with the customer satisfied."
    )
    mollified: Probability = Field(
        description=(
            "Share of complaints that end with the customer mollified (appeased, not pleased)."
        )
    )


class BySeverity(Model):
    minor: Probability = Field(description="After a minor failure.")
    major: Probability = Field(description="After a major failure.")


class Defection(Model):
    """Chance of defecting after a failure by path and severity (TARP 1986: 1 - would rebuy)."""

    silent: BySeverity = Field(description="Customers who did not complain.")
    satisfied: BySeverity = Field(description="Complainers whose case ended satisfied.")
    mollified: BySeverity = Field(description="Complainers whose case ended mollified.")
    dissatisfied: BySeverity = Field(description="Complainers whose case ended dissatisfied.")


class Told(Model):
    silent: People = Field(description="People told by a customer who did not complain.")
    satisfied: People = Field(description="People told by a complainer left satisfied.")
    mollified: People = Field(description="People told by a complainer left mollified.")
    dissatisfied: People = Field(description="People told by a complainer left dissatisfied.")


#: Share of the people a promoter tells who become customers: about one new customer per 40
#: positive comments at Dell (Bain, as quoted; REFERENCES.md, word of mouth, S).
DEFAULT_REFERRAL_CONVERSION = 0.025


class Promoters(Model):
    """Referrals by customers who met no failure in a period (Reichheld's promoters).

    Each period, each customer with no problem at any touchpoint brings `recommend` x `told` x
    `converted` new customers; a customer who meets a failure makes none that period, so
    failures also cost the referrals their customers would have made.
    """

    recommend: Probability = Field(
        description="Share of the customers with no problem in a period who recommend it then."
    )
    told: People = Field(description="People each of them tells in the period.")
    converted: Probability = Field(
        default=DEFAULT_REFERRAL_CONVERSION,
        description="Share of the people told who become customers (default 1 in 40, Dell/Bain).",
    )


class WordOfMouth(Model):
    """People told per customer who met a failure, and what that does to acquisition."""

    told: Told = Field(description="People each customer who met a failure tells, by group.")
    deterred: Probability = Field(
        description="Share of people told of a bad experience who do not become customers."
    )
    referred: Probability = Field(
        default=0.0, description="Share of people told of a good recovery who become customers."
    )
    promoters: Promoters | None = Field(
        default=None,
        description="Referrals by customers with no problem in a period (none unless given).",
    )


class WalletShare(Model):
    """Share of the customers who stay after a failure who spend less for a while, by group."""

    silent: Probability = Field(default=0.0, description="Customers who did not complain.")
    satisfied: Probability = Field(default=0.0, description="Complainers left satisfied.")
    mollified: Probability = Field(default=0.0, description="Complainers left mollified.")
    dissatisfied: Probability = Field(default=0.0, description="Complainers left dissatisfied.")


#: What a customer who buys less after a failure still spends, as a share of the usual, and for
#: how many periods. Assumptions: Goodman and TARP report that many customers with a problem buy
#: less rather than leave, but no share or depth was found (REFERENCES.md has none); the share
#: of customers doing so defaults to 0, so these matter only where a scenario gives a share.
DEFAULT_WALLET_SPEND = 0.7
DEFAULT_WALLET_PERIODS = 6


class SmallerWallets(Model):
    """Customers who stay after a failure but spend less for some periods (beside defection).

    A share of each group's stayers spends `spend` of the usual for `periods` periods, the
    failure's period included; a further failure meanwhile may restart the spell.
    """

    share: WalletShare = Field(
        default=WalletShare(), description="Share of each group's stayers who spend less."
    )
    spend: Probability = Field(
        default=DEFAULT_WALLET_SPEND,
        description="What they still spend, as a share of the usual (an assumption).",
    )
    periods: int = Field(
        default=DEFAULT_WALLET_PERIODS,
        ge=1,
        le=120,
        description="Periods they spend less, the failure's period included (an assumption).",
    )


class LossTree(Model):
    """Goodman's customer-loss tree."""

    complaint_rate: Probability = Field(
        description=(
            "Share of customers meeting a failure who complain (of the kind "
            "of complaint the scenario counts)."
        )
    )
    resolution: Resolution | None = Field(
        default=None, description="Fixed split of complaints; required unless `support` is given."
    )
    defection: Defection = Field(
        description="Chance of defecting after a failure, by group and severity."
    )
    word_of_mouth: WordOfMouth = Field(
        description="Word of mouth after failures and its effect on acquisition."
    )
    smaller_wallets: SmallerWallets | None = Field(
        default=None,
        description="Customers who stay after a failure but spend less (none unless given).",
    )


#: Half-life of an unresolved failure in a customer's memory, in months, when the scenario gives
#: none. An assumption: no published half-life was found. Dissatisfied customers' avoidance and
#: desire for revenge decline over weeks to months (Grégoire, Tripp & Legoux, "When Customer Love
#: Turns into Lasting Hate", J. Marketing 73(6), 2009), while a service crisis leaves part of its
#: effect on perceived quality for years (Gijsenberg, van Heerde & Verhoef, J. Marketing Research
#: 52(5), 2015); six months sits between the two. Give `half_life` or `fade` to state your own.
DEFAULT_HALF_LIFE_MONTHS = 6.0


class Memory(Model):
    """Experience memory: odds multipliers on defection by unresolved earlier failures (0/1/2+).

    Unresolved failures fade: each period a share `fade` of the customers with one (several)
    unresolved failures moves to none (one). Give `half_life` in periods or `fade` per period,
    not both; neither gives a half-life of six months (`DEFAULT_HALF_LIFE_MONTHS`, an
    assumption). `start: settled` starts the customers in the mix of states the scenario's own
    dynamics settle into; `clean` starts everyone with no unresolved failure.
    """

    odds_ratio: list[OddsRatio] = Field(
        description=(
            "Odds multipliers on defection for customers with 0, 1 and 2 or "
            "more unresolved earlier failures (each a number or a distribution)."
        ),
        default=[1.0, 3.0, 7.0],
        min_length=3,
        max_length=3,
    )
    half_life: Annotated[float, Field(gt=0, le=1e6)] | None = Field(
        default=None, description="Periods until half of the unresolved failures are forgotten."
    )
    fade: Annotated[float, Field(ge=0, lt=1)] | None = Field(
        default=None, description="Share of unresolved failures forgotten each period (0: never)."
    )
    start: Literal["settled", "clean"] = Field(
        default="settled",
        description="Initial experience states: the dynamics' steady state, or all clean.",
    )

    @model_validator(mode="after")
    def _one_rate(self) -> Memory:
        if self.half_life is not None and self.fade is not None:
            raise ValueError("give half_life or fade, not both")
        return self

    def fade_per_period(self, periods_per_year: float) -> float:
        """The share of unresolved failures forgotten each period."""
        if self.fade is not None:
            return self.fade
        half_life = self.half_life
        if half_life is None:
            half_life = DEFAULT_HALF_LIFE_MONTHS * periods_per_year / 12.0
        return float(1.0 - 0.5 ** (1.0 / half_life))


class Nps(Model):
    """Share of promoters and detractors by experience state (no, one, several unresolved)."""

    promoters: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        description="Share of promoters with 0, 1 and 2 or more unresolved failures.",
        default=[0.50, 0.25, 0.10],
        min_length=3,
        max_length=3,
    )
    detractors: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        description="Share of detractors with 0, 1 and 2 or more unresolved failures.",
        default=[0.15, 0.45, 0.70],
        min_length=3,
        max_length=3,
    )


class LifetimeCap(Model):
    """Value lost customers for at most `years` after the horizon ends."""

    years: float = Field(gt=0, le=100, description="Years valued after the horizon.")


class Economics(Model):
    currency: str = Field(
        description="ISO 4217 currency code of every amount (USD, EUR, JPY, ...).",
        default="USD",
        min_length=3,
        max_length=3,
        pattern=r"^[A-Z]{3}$",
    )
    period: Literal["week", "month", "quarter", "year"] = Field(
        default="month", description="Length of a period: week, month, quarter or year."
    )
    horizon: int = Field(default=36, ge=1, le=600, description="Periods simulated.")
    discount_rate: float = Field(default=0.08, ge=0, le=1, description="Per year.")
    value: Literal["revenue", "margin"] = Field(
        default="revenue",
        description=(
            "What a lost customer costs: their 'revenue' or their 'margin' (revenue x margin)."
        ),
    )
    # `true` values what lies beyond the horizon without limit (Fader & Hardie's discounted
    # residual lifetime, which is long when sBG alpha is near 1); `{years: N}` stops N years
    # after the horizon ends, the recommended form for a business case; `false` stops at the
    # horizon.
    lifetime: bool | LifetimeCap = Field(
        default=False,
        description="Also value the revenue lost beyond the horizon: true, false or {years: N}.",
    )

    @property
    def periods_per_year(self) -> float:
        return PERIODS_PER_YEAR[self.period]

    @property
    def beyond_periods(self) -> float:
        """Periods valued after the horizon: 0 (no lifetime view), the cap, or infinity."""
        if isinstance(self.lifetime, LifetimeCap):
            return float(round(self.lifetime.years * self.periods_per_year))
        return math.inf if self.lifetime else 0.0

    @property
    def discount_factor(self) -> float:
        """Per-period discount factor."""
        return float((1.0 + self.discount_rate) ** (-1.0 / self.periods_per_year))


class Correlation(Model):
    """Rank correlation between two uncertain inputs (Gaussian copula)."""

    between: list[str] = Field(
        description="The two inputs, by path (e.g. loss_tree.complaint_rate).",
        min_length=2,
        max_length=2,
    )
    rho: float = Field(
        description="Spearman rank correlation between them (-0.99 to 0.99).", ge=-0.99, le=0.99
    )


class Effect(Model):
    """One change: exactly one of scale, add or set, applied to every input the path names."""

    path: str = Field(
        description=(
            "The inputs changed, by path (e.g. "
            "journey.stages[Support].touchpoints[*].failure_rate)."
        ),
        min_length=1,
        max_length=500,
    )
    scale: Real | None = Field(
        default=None, description="Multiply the inputs by this (0.7 is 30% less)."
    )
    add: Real | None = Field(
        default=None, description="Add this to the inputs (negative to subtract)."
    )
    set: Real | None = Field(default=None, description="Set the inputs to this.")

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
    """What the intervention costs, in the scenario's currency (undiscounted amounts).

    A negative amount is a saving (agents retired, a licence dropped): it lowers the cost.
    """

    one_off: SignedMoney = Field(
        default=0.0,
        description="Paid once, in the first period of the intervention (negative: a saving).",
    )
    per_period: SignedMoney = Field(
        default=0.0, description="Paid every period from the start (negative: a saving)."
    )
    per_customer: SignedMoney = Field(
        default=0.0, description="Per active customer reached, per period (negative: a saving)."
    )


class Intervention(Model):
    name: Name = Field(description="The intervention's name, unique.")
    description: Text = Field(default="", description="What it does, for people.")
    effects: list[Effect] = Field(
        description="The changes it makes to the scenario's inputs.", min_length=1
    )
    costs: Costs = Field(default=Costs(), description="What it costs.")
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

    name: Name = Field(description="The scenario's name (shown on every output).")
    description: Text = Field(default="", description="What the scenario describes, for people.")
    language: Literal["en", "ja"] = Field(
        default="en", description="Language of labels in outputs: 'en' or 'ja'."
    )
    economics: Economics = Field(
        default=Economics(),
        description="Currency, period, horizon, discounting and what is counted.",
    )
    segments: list[Segment] = Field(
        description="The customer segments (personas).", min_length=1, max_length=50
    )
    journey: Journey = Field(description="The customer journey: stages and their touchpoints.")
    loss_tree: LossTree = Field(
        description=(
            "Goodman's customer-loss tree: complaints, their outcomes, defection, word of mouth."
        )
    )
    memory: Memory = Field(
        default=Memory(), description="How earlier unresolved failures raise defection."
    )
    nps: Nps = Field(default=Nps(), description="Promoters and detractors by experience state.")
    correlations: list[Correlation] = Field(
        default=[], description="Rank correlations between uncertain inputs."
    )
    interventions: list[Intervention] = Field(
        default=[], description="Fixes to compare: their effects and costs."
    )
    costs: ExperienceCosts = Field(
        default=ExperienceCosts(),
        description=(
            "The cost side of poor experience: contacts, recovery and replacing lost customers."
        ),
    )
    support: Support | None = Field(
        default=None,
        description=(
            "The contact centre (optional): channels, agents and hours, "
            "simulated to set how complaints end."
        ),
    )
    actuals: Actuals | None = Field(
        default=None,
        description="What the company observed; `cxsim calibrate scenario` solves to match it.",
    )

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
