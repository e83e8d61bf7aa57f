"""One path grammar for every place that names scenario inputs, and one labeller for them.

A path reads like the scenario file. Its steps are separated by dots or written in brackets;
a step picks a field or key by name, a list element by index (`0`, `-1`), by its `name`
(`[Support]`), every element or key (`*`), or the elements whose field equals a value
(`[cause=expectations]`); `**` stands for any number of steps (`**.complaint_rate` is every
complaint rate, the loss tree's and the touchpoints'):

    segments.0.customers
    journey.stages[Support].touchpoints[*].failure_rate
    journey.stages[*].touchpoints[cause=expectations].failure_rate

`--set`, `cxsim.modify`, interventions' effects, sensitivity's `--range` and `Changes` all read
paths with `parse` and `select`. A path that ends at a node with several inputs below it (a
per-segment map, a model) names all of them (`resolve`). The module depends only on pydantic
and the distributions, so the scenario models can use it without an import circle.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from cxsim.model.distributions import Dist

if TYPE_CHECKING:  # for annotations only: scenario.py imports this module
    from cxsim.model.scenario import Scenario

Loc = tuple[str | int, ...]
_TOKEN = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)|(\.\.|\[|\])")

# Fields a wildcard (`*`, `**`) does not enter: `**.scale` must not reach interventions' own
# inputs. Named explicitly (`interventions.0.costs.one_off`) they are selected like any field.
_HIDDEN = frozenset({"interventions"})


class PathError(ValueError):
    """A path that is malformed or selects nothing; the message says which step and why."""


@dataclass(frozen=True)
class Step:
    """One step of a path: `*`, an index, a name, or a filter `key=value`."""

    text: str
    index: int | None = None
    key: str | None = None  # of a filter
    value: str | None = None  # of a filter

    @property
    def star(self) -> bool:
        return self.text == "*"

    @property
    def deep(self) -> bool:
        return self.text == "**"

    def picks(self, item: Any, position: int, size: int) -> bool:
        """Whether a list element at `position` (of `size`) is selected by this step."""
        if self.star:
            return True
        if self.index is not None:
            return -size <= self.index < size and position == self.index % size
        if self.key is not None:
            return str(_get(item, self.key)) == self.value
        return _get(item, "name") == self.text


def parse(path: str) -> tuple[Step, ...]:
    """The steps of a path; a `PathError` when it is empty or its brackets do not match."""
    steps: list[Step] = []
    for bracket, plain, stray in _TOKEN.findall(path):
        if stray:
            raise PathError(f"unbalanced brackets or an empty step in {path!r}")
        text = (bracket if bracket else plain).strip()
        if not text:
            raise PathError(f"an empty step in {path!r}")
        if text.lstrip("-").isdigit() and text.isascii():
            steps.append(Step(text, index=int(text)))
        elif bracket and "=" in text:
            key, _, value = text.partition("=")
            steps.append(Step(text, key=key.strip(), value=value.strip()))
        else:
            steps.append(Step(text))
    if not steps:
        raise PathError("empty path")
    return tuple(steps)


def split_assignment(item: str) -> tuple[str, str] | None:
    """`PATH=VALUE` split at the first `=` outside brackets (a filter's `=` is inside them)."""
    depth = 0
    for i, char in enumerate(item):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "=" and depth == 0:
            return item[:i], item[i + 1 :]
    return None


def format_loc(loc: Loc) -> str:
    """A location as a path: `journey.stages[2].touchpoints[0].failure_rate`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def path_str(loc: Loc) -> str:
    """A location as an input's canonical dotted path: `journey.stages.2.touchpoints.0`."""
    return ".".join(str(p) for p in loc)


def select(root: Any, path: str | tuple[Step, ...], create: bool = False) -> list[tuple[Loc, Any]]:
    """Every node the path names below `root` (pydantic models, dicts, lists), with its location.

    Wildcards and filters may match nothing in some branches; a step that leaves nothing
    selected at all raises `PathError` naming that step. With `create`, a named key missing
    from a dict is added (as an empty dict) so `--set` can fill in optional sections.
    """
    steps = parse(path) if isinstance(path, str) else path
    here: list[tuple[Loc, Any]] = [((), root)]
    for step in steps:
        if step.deep:
            here = [hit for loc, node in here for hit in _descendants(node, loc)]
            continue
        nxt = [hit for loc, node in here for hit in _children(node, loc, step, create)]
        if not nxt:
            raise PathError(_nothing(here, step))
        here = nxt
    return here


def assign(data: Any, path: str, value: Any) -> list[Loc]:
    """Set every place a path names in plain data (dicts and lists) to `value`; their locations.

    Missing sections on the way, and a missing last key, are added, as a file could have them.
    """
    steps = parse(path)
    last = steps[-1]
    if last.deep:
        raise PathError("a path to set cannot end in '**'")
    done: list[Loc] = []
    parents = select(data, steps[:-1], create=True)
    for loc, node in parents:
        if isinstance(node, list):
            for k, item in enumerate(node):
                if last.picks(item, k, len(node)):
                    node[k] = value
                    done.append((*loc, k))
        elif isinstance(node, dict):
            keys = list(node) if last.star else [_dict_key(node, last.text)]
            if last.key is not None:
                keys = []
            for key in keys:
                key = last.text if key is None else key
                node[key] = value
                done.append((*loc, key))
    if not done:
        raise PathError(_nothing(parents, last))
    return done


def _children(node: Any, loc: Loc, step: Step, create: bool) -> Iterator[tuple[Loc, Any]]:
    if isinstance(node, list):
        for k, item in enumerate(node):
            if step.picks(item, k, len(node)):
                yield (*loc, k), item
    elif isinstance(node, dict):
        if step.star:
            yield from (((*loc, key), item) for key, item in node.items())
        elif step.key is None:
            key = _dict_key(node, step.text)
            if key is None and create:
                node[step.text] = {}
                key = step.text
            if key is not None:
                yield (*loc, key), node[key]
    elif isinstance(node, BaseModel):
        fields = type(node).model_fields
        if step.star:
            names = [f for f in fields if f not in _HIDDEN]
        else:
            names = [step.text] if step.text in fields else []
        for name in names:
            yield (*loc, name), getattr(node, name)


def _descendants(node: Any, loc: Loc) -> Iterator[tuple[Loc, Any]]:
    """A node and every node below it, depth first."""
    yield loc, node
    star = Step("*")
    for child_loc, child in _children(node, loc, star, False):
        yield from _descendants(child, child_loc)


def _dict_key(node: dict[Any, Any], text: str) -> Any:
    if text in node:
        return text
    if text.lstrip("-").isdigit() and text.isascii() and int(text) in node:
        return int(text)
    return None


def _get(item: Any, key: str) -> Any:
    if isinstance(item, dict):
        return item.get(key)
    return getattr(item, key, None)


def _nothing(here: list[tuple[Loc, Any]], step: Step) -> str:
    """Why a step selects nothing, with a suggestion where one is close."""
    where = format_loc(here[0][0]) if len(here) == 1 and here[0][0] else "the scenario"
    lists = [node for _, node in here if isinstance(node, list)]
    if lists and step.index is not None:
        size = len(lists[0])
        return f"index {step.index} is out of range (0..{size - 1})"
    if lists and step.key is not None:
        return f"no element has {step.key} = {step.value!r}"
    if lists:
        names = [str(_get(item, "name")) for lst in lists for item in lst]
        return f"no element named {step.text!r}{_hint(step.text, names)}"
    keys = [str(k) for _, node in here if isinstance(node, dict) for k in node]
    keys += [f for _, node in here if isinstance(node, BaseModel) for f in type(node).model_fields]
    if not keys:
        return f"{where} is a value, not a section"
    return f"{where} has no field {step.text!r}{_hint(step.text, keys)}"


def _hint(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def iter_inputs(model: BaseModel, prefix: Loc = ()) -> Iterator[tuple[str, Dist]]:
    """Every number of a scenario (or part of one) that may be a distribution, with its path."""
    for name in type(model).model_fields:
        yield from _walk(getattr(model, name), (*prefix, name))


def _walk(value: object, loc: Loc) -> Iterator[tuple[str, Dist]]:
    if isinstance(value, Dist):
        yield path_str(loc), value
    elif isinstance(value, BaseModel):
        yield from iter_inputs(value, loc)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, (*loc, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*loc, key))


def resolve(scenario: BaseModel, path: str) -> list[str]:
    """The canonical input paths a path names, every input below each node it selects.

    A path that selects nothing, or is malformed, names no input: the list is empty.
    """
    try:
        nodes = select(scenario, path)
    except PathError:
        return []
    return [p for loc, node in nodes for p, _ in _walk(node, loc)]


def uncertain_paths(scenario: BaseModel) -> set[str]:
    """Paths of the inputs that are distributions rather than fixed numbers."""
    return {path for path, dist in iter_inputs(scenario) if not dist.is_fixed}


def input_label(scenario: Scenario, path: str) -> str:
    """A readable name for an input's canonical path: `Delivery: failure_rate`.

    Segments and touchpoints are named by their names, interventions' effects by the
    intervention and the path the effect targets; other inputs keep their path.
    """
    parts = path.split(".")
    if parts[0] == "interventions" and len(parts) >= 4:
        iv = scenario.interventions[int(parts[1])]
        if parts[2] == "effects":
            return f"{iv.name}: {parts[4]} {iv.effects[int(parts[3])].path}"
        return f"{iv.name}: {'.'.join(parts[2:])}"
    if parts[0] == "segments" and len(parts) > 2:
        return f"{scenario.segments[int(parts[1])].name}: {'.'.join(parts[2:])}"
    if parts[:2] == ["journey", "stages"] and len(parts) > 4:
        tp = scenario.journey.stages[int(parts[2])].touchpoints[int(parts[4])]
        return f"{tp.name}: {'.'.join(parts[5:])}"
    return path
