"""Checks for scenarios that are valid but probably not what was meant.

`lint(scenario)` returns one message per suspicious input; `cxsim.model.loader.validate` issues
each as a `cxsim.errors.ScenarioWarning` when a scenario is loaded, and the CLI prints them.
The first check: an intervention effect that takes an input beyond its valid range (a
failure rate of 0.10 scaled by 30, when "30% less" was meant, is 3.0). The engine clips such a
value to the range, which the message says.
"""

from __future__ import annotations

import math

from cxsim.model.distributions import Dist
from cxsim.model.paths import input_label, iter_inputs, resolve
from cxsim.model.scenario import Effect, Scenario

__all__ = ["lint"]
#: Where an input is looked at: its P1 and P99 (the ends of unbounded ones); an effect's
#: amount is taken at its mean, so only the effect as meant, not its far tail, is judged.
ENDS = (0.01, 0.99)


def lint(scenario: Scenario) -> list[str]:
    """Messages for valid inputs that are probably mistakes (an empty list: none found)."""
    inputs = dict(iter_inputs(scenario))
    messages = []
    for iv in scenario.interventions:
        for j, effect in enumerate(iv.effects):
            for target in resolve(scenario, effect.path):
                if target.startswith("interventions."):
                    continue
                message = _beyond_range(effect, inputs[target])
                if message:
                    on = input_label(scenario, target)
                    messages.append(f"intervention {iv.name!r}, effect {j + 1} on {on}: {message}")
    return messages


def _beyond_range(effect: Effect, target: Dist) -> str | None:
    """What is wrong when `effect` takes `target` outside its valid range at either end."""
    lo, hi = target.valid_range()
    amount = getattr(effect, effect.op)
    a = amount.mean()
    xs = [target.quantile(q) for q in ENDS]
    if effect.op == "scale":
        results = [x * a for x in xs]
    elif effect.op == "add":
        results = [x + a for x in xs]
    else:
        results = [a]
    top, bottom = max(results), min(results)
    if top <= hi and bottom >= lo:
        return None
    bound, value = (hi, top) if top > hi else (lo, bottom)
    span = f"{lo:g} to {hi:g}" if math.isfinite(hi) else f"at least {lo:g}"
    text = (
        f"{effect.op} {amount.describe()} takes the input to {value:.3g} at its "
        f"{'high' if value > hi else 'low'} end, outside its range "
        f"({span}); it is clipped to {bound:g} when simulated"
    )
    if effect.op == "scale" and 1 < a <= 100 and hi == 1:
        text += f". For {a:g}% less, write scale: {1 - a / 100:g}"
    return text
