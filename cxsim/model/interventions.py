"""Interventions: named changes to a scenario, with costs, a start and a ramp-up.

An effect names scenario inputs by a path and scales, adds to or sets them. Paths read like the
file: `journey.stages[Support].touchpoints[Help request unanswered].failure_rate`; a list element
is picked by index, by name, by a filter (`touchpoints[cause=expectations]`) or by `*`. An
effect's value and every cost may be uncertain; they are drawn on a stream of their own, so a
scenario's own draws do not change when interventions are added to its file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from cxsim.model.parameters import Values, iter_inputs, path_str
from cxsim.model.scenario import Intervention

FloatArray = NDArray[np.float64]
_TOKEN = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def resolve(scenario: Any, path: str) -> list[str]:
    """The canonical input paths a user path names (empty if none)."""
    tokens = [a if a else b for a, b in _TOKEN.findall(path)]
    bracketed = {i for i, (a, _) in enumerate(_TOKEN.findall(path)) if a}
    found: list[str] = []

    def walk(node: Any, i: int, where: tuple[str | int, ...]) -> None:
        if i == len(tokens):
            for p, _ in _inputs_under(node, where):
                found.append(p)
            return
        token = tokens[i]
        if isinstance(node, list):
            for k, item in enumerate(node):
                if _matches(item, k, token, i in bracketed):
                    walk(item, i + 1, (*where, k))
        elif isinstance(node, dict):
            for key, item in node.items():
                if token in ("*", key):
                    walk(item, i + 1, (*where, key))
        elif isinstance(node, BaseModel):
            names = type(node).model_fields if token == "*" else [token]
            for name in names:
                if name in type(node).model_fields and name != "interventions":
                    walk(getattr(node, name), i + 1, (*where, name))

    walk(scenario, 0, ())
    return found


def _matches(item: Any, index: int, token: str, bracketed: bool) -> bool:
    if token == "*":
        return True
    if token.lstrip("-").isdigit():
        return index == int(token)
    if "=" in token:
        key, _, want = token.partition("=")
        return str(getattr(item, key.strip(), None)) == want.strip()
    return getattr(item, "name", None) == token


def _inputs_under(node: Any, where: tuple[str | int, ...]) -> list[tuple[str, Any]]:
    from cxsim.model.distributions import Dist

    if isinstance(node, Dist):
        return [(path_str(where), node)]
    if isinstance(node, BaseModel):
        return list(iter_inputs(node, where))
    if isinstance(node, dict):
        return [(path_str((*where, k)), v) for k, v in node.items() if isinstance(v, Dist)]
    return []


@dataclass(frozen=True)
class InterventionSet:
    """A variant (`cxsim.model.variants.Variant`): some of a scenario's interventions, applied
    together, each a component with its own start and ramp-up, at their costs."""

    indices: tuple[int, ...]
    name: str

    has_cost: ClassVar[bool] = True

    def interventions(self, scenario: Any) -> list[Intervention]:
        return [scenario.interventions[i] for i in self.indices]

    def apply(
        self, values: Values, scenario: Any, weights: Sequence[float] | None = None
    ) -> Values:
        """Values with each intervention at `weights[k]` of its full effect (default: full)."""
        out = dict(values)
        for k, i in enumerate(self.indices):
            w = 1.0 if weights is None else float(weights[k])
            if w == 0.0:
                continue
            for j, effect in enumerate(scenario.interventions[i].effects):
                amount = np.asarray(
                    values[f"interventions.{i}.effects.{j}.{effect.op}"], dtype=float
                )
                for target in resolve(scenario, effect.path):
                    x = np.asarray(out[target], dtype=float)
                    if effect.op == "scale":
                        out[target] = x * (1.0 - w + w * amount)
                    elif effect.op == "add":
                        out[target] = x + w * amount
                    else:
                        out[target] = (1.0 - w) * x + w * amount
        return out

    def timeline(self, scenario: Any) -> list[tuple[float, ...]]:
        """Per period, the share of full effect of each intervention."""
        horizon = scenario.economics.horizon
        per = np.stack([iv.weights(horizon) for iv in self.interventions(scenario)], axis=1)
        return [tuple(float(x) for x in row) for row in per]

    def cost(self, values: Values, scenario: Any, active: FloatArray) -> FloatArray:
        """(runs, periods) undiscounted cost; `active` is (runs, periods) customers reached."""
        runs, horizon = active.shape
        total = np.zeros((runs, horizon))
        for i in self.indices:
            iv = scenario.interventions[i]
            on = (np.arange(1, horizon + 1) >= iv.start).astype(float)
            base = f"interventions.{i}.costs"
            one_off = np.asarray(values[f"{base}.one_off"], dtype=float)[:, None]
            per_period = np.asarray(values[f"{base}.per_period"], dtype=float)[:, None]
            per_customer = np.asarray(values[f"{base}.per_customer"], dtype=float)[:, None]
            if iv.start <= horizon:
                total[:, iv.start - 1] += one_off[:, 0]
            total += on * (per_period + per_customer * active)
        return total
