"""The scenario's support section: channels, their hours and staffing, and how response
time sets the outcome of complaints (simulated by `cxsim.support`)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from cxsim.model.base import Model, Name
from cxsim.model.distributions import Count, Probability, ResponseHours

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

    days: str = Field(
        default="Mon-Sun", description="Days: 'Mon-Fri', 'Sat', 'Mon,Wed' (Mon-Sun by default)."
    )
    hours: str = Field(
        default="00-24",
        description=("Hours of the day: '08-20' means 08:00 to 20:00 ('00-24' by default)."),
    )

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
    agents: int = Field(
        description="Agents on duty in this block of days and hours.", ge=0, le=100_000
    )


class Channel(Model):
    """A support channel; `agents` may be changed by interventions (e.g. add 3 chat agents)."""

    name: Name = Field(description="The channel's name (phone, chat, email, ...), unique.")
    share: Probability = Field(description="Share of complaints coming to this channel.")
    agents: Count = Field(description="Agents on duty while open (0: the channel is not offered).")
    schedule: list[Shift] = Field(
        default=[], description="Staffing by day and hour; overrides `agents` where given."
    )
    open: Hours = Field(default=Hours(), description="When the channel is open.")
    aht_seconds: Annotated[
        float, Field(description="Average handle time of a contact, in seconds.", gt=0, le=86_400)
    ] = 300.0
    handle: Literal["lognormal", "exponential"] = Field(
        default="lognormal",
        description="Distribution of handle times: 'lognormal' or 'exponential'.",
    )
    handle_cv: Annotated[
        float,
        Field(
            description="Coefficient of variation of handle times (lognormal only).", gt=0, le=10
        ),
    ] = 1.0
    patience_seconds: Annotated[float, Field(gt=0)] | None = Field(
        default=None,
        description=(
            "Mean time a waiting customer waits before hanging up (none: nobody hangs up)."
        ),
    )
    asynchronous: bool = Field(default=False, description="Email-like: waits carry over nights.")


class ResolutionBySpeed(Model):
    """Split of answered complaints at an instant answer ('fast') and a very late one ('slow');
    in between it follows 1 / (1 + hours / midpoint_hours) (see
    cxsim.support.contact_centre.ResolutionCurve)."""

    satisfied_fast: Probability = Field(
        default=0.60, description="Share satisfied when answered at once."
    )
    satisfied_slow: Probability = Field(
        default=0.10, description="Share satisfied when answered very late."
    )
    dissatisfied_fast: Probability = Field(
        default=0.10, description="Share dissatisfied when answered at once."
    )
    dissatisfied_slow: Probability = Field(
        default=0.60, description="Share dissatisfied when answered very late."
    )
    midpoint_hours: ResponseHours = Field(
        default=6.0,
        description=(
            "Response time, in hours, at which the split is halfway between fast and slow "
            "(a number or a distribution)."
        ),
    )


class Support(Model):
    """The contact centre: its channels decide response times, and response times the split."""

    channels: list[Channel] = Field(
        description="The support channels complaints arrive at.", min_length=1, max_length=20
    )
    resolution: ResolutionBySpeed = Field(
        default=ResolutionBySpeed(),
        description=(
            "How response time sets the split of complaints into satisfied, "
            "mollified and dissatisfied."
        ),
    )
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
