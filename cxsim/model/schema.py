"""The JSON Schema of the scenario format, for editors (`cxsim schema`).

Built from the pydantic models, whose field descriptions are the one source of the format's
documentation, then made compact: the list of distributions every number may be given as is
written once (`$defs/Number`, which also allows a bare number, as the loader does), and
titles that only repeat a field's name are dropped.
"""

from __future__ import annotations

from typing import Any

from cxsim.model.distributions import DIST_NAMES
from cxsim.model.scenario import Scenario

__all__ = ["scenario_schema"]

NUMBER_DEF = "Number"


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file."""
    schema = Scenario.model_json_schema()
    defs = schema.setdefault("$defs", {})
    dist_refs = [{"$ref": f"#/$defs/{_def_name(defs, name)}"} for name in DIST_NAMES]
    number = {"$ref": f"#/$defs/{NUMBER_DEF}"}
    schema = _compact(schema, dist_refs, number)
    schema["$defs"][NUMBER_DEF] = {
        "description": "A number, or a distribution when it is uncertain (dist: uniform, "
        "triangular, pert, normal, lognormal, beta, expert or fixed).",
        "oneOf": [{"type": "number"}, *dist_refs],
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "cxsim scenario"
    return schema


def _def_name(defs: dict[str, Any], dist: str) -> str:
    """The `$defs` key of a distribution model, found by its `dist` constant."""
    for key, d in defs.items():
        if d.get("properties", {}).get("dist", {}).get("const") == dist:
            return key
        if d.get("properties", {}).get("dist", {}).get("enum") == [dist]:
            return key
    raise KeyError(f"no schema for distribution {dist!r}")


def _compact(node: Any, dist_refs: list[dict[str, str]], number: dict[str, str]) -> Any:
    """The schema with each list of every distribution replaced by `number`, titles dropped."""
    if isinstance(node, list):
        return [_compact(x, dist_refs, number) for x in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "oneOf" and value == dist_refs:
            out.update(number)
        elif key == "title" and isinstance(value, str):
            continue
        elif key == "properties":
            out[key] = {k: _compact(v, dist_refs, number) for k, v in value.items()}
        else:
            out[key] = _compact(value, dist_refs, number)
    return out
