"""Overload: the hours in which a channel's offered load exceeds its agents, and by how much.

Offered load (in agents, Erlangs) in a week-hour is λ_h · AHT. A synchronous channel is
overloaded in an open hour where it exceeds the agents on duty: its queue then grows until
patience or closing time balances it (the fluid limit, `cxsim.support.fluid`). An asynchronous
one carries its backlog over, so it is overloaded when the week's load exceeds the week's agent
hours: its backlog then grows without bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cxsim.support.channels import HOURS_PER_WEEK, SECONDS_PER_HOUR, SupportOperation

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Overload:
    """One overloaded channel: the week-hours (0 = Monday 00:00) and the agents missing in each.

    For an asynchronous channel `weekly` is True and the shortfall is the agents to add in each
    staffed hour for the week's capacity to match the week's load.
    """

    channel: str
    hours: tuple[int, ...]
    shortfall_agents: tuple[float, ...]
    weekly: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "channel": self.channel,
            "hours": list(self.hours),
            "shortfall_agents": [round(s, 2) for s in self.shortfall_agents],
            "weekly": self.weekly,
        }

    def text(self) -> str:
        """One line: which channel, in how many hours, short of how many agents at most."""
        worst = max(self.shortfall_agents)
        if self.weekly:
            return (
                f"{self.channel}: the week's load exceeds its agents' hours; its backlog grows "
                f"without bound (about {worst:.1f} more agents in each of its "
                f"{len(self.hours)} staffed hours would balance it)"
            )
        first = self.hours[0]
        return (
            f"{self.channel}: offered load above the agents on duty in {len(self.hours)} hours "
            f"a week (from {DAYS[first // 24]} {first % 24:02d}:00), short by up to "
            f"{math.ceil(worst)} agents"
        )


def overloads(operation: SupportOperation, complaints: float) -> list[Overload]:
    """The channels of `operation` overloaded at `complaints` per period (empty if none)."""
    out = []
    for c in operation.channels:
        rate = complaints * c.share / operation.period_hours
        erlangs = rate * c.arrival_factors(operation.weights) * c.aht_seconds / SECONDS_PER_HOUR
        staff = c.staff.astype(float)
        if c.asynchronous:
            staffed = [h for h in range(HOURS_PER_WEEK) if staff[h] > 0]
            missing = (erlangs.sum() - staff.sum()) / len(staffed)
            if missing > 0:
                out.append(Overload(c.name, tuple(staffed), (missing,) * len(staffed), True))
            continue
        hours = [h for h in range(HOURS_PER_WEEK) if c.open_mask[h] and erlangs[h] > staff[h]]
        if hours:
            short = tuple(float(erlangs[h] - staff[h]) for h in hours)
            out.append(Overload(c.name, tuple(hours), short, False))
    return out
