"""The cost side of a poor experience (`costs:`): contacts, recovery and replacing lost customers.

Every amount is per event, in the scenario's currency, undiscounted, and may be a distribution;
the engine books them per period, discounted, and attributes them as it does the loss
(`cxsim.engine.period._book_costs`).
"""

from __future__ import annotations

from pydantic import Field

from cxsim.model.base import Model
from cxsim.model.distributions import Money, People, Probability


class ByOutcome(Model):
    """An amount per complaint by how it ended."""

    satisfied: Money = Field(default=0.0, description="Per complaint that ended satisfied.")
    mollified: Money = Field(default=0.0, description="Per complaint that ended mollified.")
    dissatisfied: Money = Field(default=0.0, description="Per complaint that ended dissatisfied.")


class RepeatContacts(Model):
    """Contacts a complainer makes after the first while the problem is not put right."""

    satisfied: People = Field(default=0.0, description="Repeat contacts per satisfied complaint.")
    mollified: People = Field(default=0.0, description="Repeat contacts per mollified complaint.")
    dissatisfied: People = Field(
        default=0.0, description="Repeat contacts per dissatisfied complaint."
    )


class Deflection(Model):
    """Contacts offered to self-service or a bot first; what it contains never reaches an agent."""

    share: Probability = Field(
        default=0.0, description="Share of contacts offered to the bot or self-service first."
    )
    containment: Probability = Field(
        default=0.0, description="Share of the offered contacts the bot settles without an agent."
    )
    cost: Money = Field(default=0.0, description="Cost of one contact handled by the bot.")


class ExperienceCosts(Model):
    """The cost side of a poor experience (per event, in the scenario's currency, undiscounted).

    Failures create contacts (each complaint and its repeats, at `per_contact`, less what
    `deflection` moves to a bot), recovery (refunds, credits, goodwill by outcome), and lost
    customers the business replaces (`acquisition` per new customer, for a share `replaced`).
    Every customer also makes `routine_contacts` a period: the operation's baseline, of which
    the cost of poor experience counts only the change failures cause (the customers lost no
    longer call).
    """

    per_contact: Money = Field(
        default=0.0, description="Cost of one contact handled by an agent (all channels)."
    )
    routine_contacts: People = Field(
        default=0.0,
        description=(
            "Routine contacts per customer per period (questions, orders, account changes: "
            "not failures); with a support section they join its queue, split by the channels' "
            "shares. A baseline cost of serving, not a cost of poor experience."
        ),
    )
    repeat_contacts: RepeatContacts = Field(
        default=RepeatContacts(),
        description="Contacts after the first, per complaint, by how it ended.",
    )
    deflection: Deflection = Field(
        default=Deflection(), description="Contacts deflected to self-service or a bot."
    )
    recovery: ByOutcome = Field(
        default=ByOutcome(),
        description="Refunds, credits and goodwill per complaint, by how it ended.",
    )
    acquisition: Money = Field(
        default=0.0, description="Cost of winning one new customer (to replace a lost one)."
    )
    replaced: Probability = Field(
        default=1.0,
        description="Share of customers lost to failures that the business replaces.",
    )
