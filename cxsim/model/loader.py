"""Reading scenario files: safe YAML with line marks, one message per problem.

`load` reads a file, applies `--set` overrides and validates; every problem is reported as
`file:line:column: path: message`, where the path is the field's place in the file
(`journey.stages[2].touchpoints[0].failure_rate`). YAML is read with PyYAML's safe loader, so
tags that would construct Python objects are refused, with YAML 1.2's rules for numbers and
booleans (`6:00` is text, not 360). Work is bounded before it is spent: a file's size, its lines
and commas before parsing, its values while composing, and aliases as they expand (an alias
bomb). Only regular files are read (a FIFO would block). An interventions file's `scenario:`
must lie in the folder tree holding the interventions file's folder.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from cxsim.errors import Problem, ScenarioError, ScenarioWarning
from cxsim.model.checks import check_references, check_soundness
from cxsim.model.lint import lint
from cxsim.model.paths import Loc, PathError, assign, format_loc, split_assignment
from cxsim.model.scenario import Scenario
from cxsim.model.schema import scenario_schema as build_schema
from cxsim.model.yamlread import Marks, SafeLoader, parse_yaml, read_text

__all__ = [  # format_loc (model.paths) and parse_yaml (model.yamlread) stay importable here
    "Source",
    "apply_override",
    "as_scenario",
    "format_loc",
    "load",
    "load_with_source",
    "loads",
    "modify",
    "parse_yaml",
    "scenario_and_source",
    "scenario_schema",
    "validate",
]


@dataclass(frozen=True)
class Source:
    """A scenario's text and where it came from: what results record for reproducibility."""

    name: str
    text: str
    overrides: tuple[str, ...] = ()

    @property
    def sha256(self) -> str:
        h = hashlib.sha256(self.text.encode("utf-8"))
        for item in self.overrides:
            h.update(b"\0" + item.encode("utf-8"))
        return h.hexdigest()


def load(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read and validate a scenario file; raise `ScenarioError` listing every problem."""
    scenario, _ = load_with_source(path, overrides)
    return scenario


def load_with_source(path: str | Path, overrides: Sequence[str] = ()) -> tuple[Scenario, Source]:
    """A scenario file, or an interventions file naming its scenario (`scenario: path`)."""
    name = str(path)
    text = read_text(path)
    data, marks = parse_yaml(text, name)
    if isinstance(data, dict) and isinstance(data.get("scenario"), str):
        return _load_interventions_file(Path(path), data, marks, overrides)
    return _from_data(data, marks, name, overrides), Source(name, text, tuple(overrides))


def scenario_and_source(
    scenario: Scenario | str | os.PathLike[str], source: Source | None = None
) -> tuple[Scenario, Source | None]:
    """A scenario (and its source), reading the file when given a path; else a `TypeError`."""
    if isinstance(scenario, Scenario):
        return scenario, source
    if isinstance(scenario, str | os.PathLike):
        loaded, read = load_with_source(os.fspath(scenario))
        return loaded, source or read
    raise TypeError(
        f"expected a Scenario or the path of a scenario file, got {type(scenario).__name__}; "
        "read one with cxsim.load(path)"
    )


def as_scenario(scenario: Scenario | str | os.PathLike[str]) -> Scenario:
    """A scenario, or the one the file at a path holds (`load`); anything else a `TypeError`."""
    return scenario_and_source(scenario)[0]


def _load_interventions_file(
    path: Path, data: dict[str, Any], marks: Marks, overrides: Sequence[str]
) -> tuple[Scenario, Source]:
    """Interventions kept apart from the scenario they apply to: merged, validated, located."""
    unknown = sorted(set(data) - {"scenario", "interventions"})
    if unknown:
        key = unknown[0]
        line, col = marks.get((key, "__key__"), (None, None))
        message = f"unknown key {key!r}; an interventions file holds 'scenario' and 'interventions'"
        raise ScenarioError([Problem(str(path), line, col, key, message)])
    base_path = _inside(path, data["scenario"], marks.get(("scenario",), (None, None)))
    base_text = read_text(base_path)
    base, base_marks = parse_yaml(base_text, str(base_path))
    if not isinstance(base, dict) or not set(base) >= set(SCENARIO_KEYS):
        # Say no more than that: this file's keys and values are not echoed (it may be anything).
        line, col = marks.get(("scenario",), (None, None))
        message = (
            f"{data['scenario']!r} is not a cxsim scenario (it needs {', '.join(SCENARIO_KEYS)})"
        )
        raise ScenarioError([Problem(str(path), line, col, "scenario", message)])
    own = base.get("interventions") or []
    added = data.get("interventions") or []
    if not isinstance(own, list) or not isinstance(added, list):
        raise ScenarioError(
            [Problem(str(path), None, None, "interventions", "must be a list of interventions")]
        )
    merged = {**base, "interventions": [*own, *added]}
    merged_marks = dict(base_marks)
    for loc, mark in marks.items():
        if loc[:1] == ("interventions",) and len(loc) > 1 and isinstance(loc[1], int):
            merged_marks[("interventions", loc[1] + len(own), *loc[2:])] = mark
    set_marks: dict[Loc, str] = {}
    for item in overrides:
        for loc in apply_override(merged, item):
            set_marks[loc] = f"--set {item}"
    try:
        scenario = validate(merged, str(base_path), merged_marks, set_marks)
    except ScenarioError as exc:
        raise ScenarioError([_moved(p, str(path), len(own)) for p in exc.problems]) from None
    text = yaml.safe_dump(merged, allow_unicode=True, sort_keys=False)
    return scenario, Source(f"{path} (on {base_path})", text, tuple(overrides))


SCENARIO_KEYS = ("name", "segments", "journey", "loss_tree")


def _inside(path: Path, name: str, mark: tuple[int | None, int | None]) -> Path:
    """The scenario an interventions file names, resolved (links followed) inside the folder
    tree that holds the file's own folder: `scenarios/interventions/fixes.yaml` may name
    `../shop.yaml`, never `../../secret/x.yaml` nor an absolute path elsewhere."""
    root = path.resolve().parent.parent
    target = (path.resolve().parent / name).resolve()
    if not target.is_relative_to(root):
        message = (
            f"{name!r} lies outside {root}: the scenario must be in the folder tree that holds "
            "the interventions file's folder"
        )
        raise ScenarioError([Problem(str(path), *mark, "scenario", message)])
    return path.parent / name


def _moved(problem: Problem, source: str, offset: int) -> Problem:
    """A problem in an intervention that came from the interventions file: say so."""
    match = re.match(r"interventions\[(\d+)\]", problem.path)
    if match and int(match.group(1)) >= offset and problem.source != "--set":
        k = int(match.group(1)) - offset
        path = f"interventions[{k}]" + problem.path[match.end() :]
        return Problem(source, problem.line, problem.column, path, problem.message)
    return problem


def loads(text: str, source: str = "<string>", overrides: Sequence[str] = ()) -> Scenario:
    """Validate scenario text (YAML); `source` names it in messages."""
    data, marks = parse_yaml(text, source)
    return _from_data(data, marks, source, overrides)


def _from_data(data: Any, marks: Marks, source: str, overrides: Sequence[str]) -> Scenario:
    """Parsed scenario text, changed by `overrides` (in place) and validated: `loads` without
    parsing again what `load_with_source` has parsed."""
    if not isinstance(data, dict):
        kind = "empty" if data is None else _KINDS.get(type(data), f"a {type(data).__name__}")
        raise ScenarioError(
            [
                Problem(
                    source, 1, 1, "", f"a scenario must be a mapping of keys to values, got {kind}"
                )
            ]
        )
    set_marks: dict[Loc, str] = {}
    for item in overrides:
        for loc in apply_override(data, item):
            set_marks[loc] = f"--set {item}"
    return validate(data, source, marks, set_marks)


_KINDS = {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false"}


def validate(
    data: dict[str, Any],
    source: str = "<data>",
    marks: Marks | None = None,
    set_marks: dict[Loc, str] | None = None,
) -> Scenario:
    """Validate plain data as a scenario, with messages located in the file where known."""
    marks = marks or {}
    set_marks = set_marks or {}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(err, data, source, marks, set_marks) for err in exc.errors()]
        raise ScenarioError(_unique(problems)) from None
    refs = check_references(scenario) or check_soundness(scenario)
    if refs:
        raise ScenarioError(
            [_located(loc, msg, data, source, marks, set_marks) for loc, msg in refs]
        )
    for message in lint(scenario):
        warnings.warn(f"{source}: {message}", ScenarioWarning, stacklevel=2)
    return scenario


def modify(scenario: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """A new scenario with fields set by path, validated like a file.

    `cxsim.modify(s, {"segments[Monthly plan].customers": 300_000,
    "loss_tree.complaint_rate": {"dist": "uniform", "low": 0.4, "high": 0.6}})`
    """
    data = scenario.model_dump(mode="python", by_alias=True, exclude_none=True)
    set_marks: dict[Loc, str] = {}
    for path, value in changes.items():
        for loc in _set(data, path, value):
            set_marks[loc] = f"modify {path}={value!r}"
    return validate(data, "<modify>", None, set_marks)


def _set(data: dict[str, Any], path: str, value: Any) -> list[Loc]:
    """Set every place `path` names (see `cxsim.model.paths`); a located error if none."""
    try:
        return assign(data, path, value)
    except PathError as exc:
        raise ScenarioError([Problem("--set", None, None, path, str(exc))]) from None


def apply_override(data: dict[str, Any], item: str) -> list[Loc]:
    """Apply `path=value` (value parsed as YAML) to plain data; return the locations set."""
    split = split_assignment(item)
    if split is None:
        raise ScenarioError([Problem("--set", None, None, item, "expected PATH=VALUE")])
    path, text = split
    try:
        value = yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError:
        raise ScenarioError(
            [Problem("--set", None, None, path, f"value {text!r} is not valid YAML")]
        ) from None
    return _set(data, path, value)


def _data_loc(loc: Loc, data: Any) -> Loc:
    """Drop the parts of a pydantic location that are not in the data (union tags)."""
    out: list[str | int] = []
    here = data
    tag_seen = False
    for part in loc:
        if isinstance(here, dict) and here.get("dist") == part and not tag_seen:
            tag_seen = True  # the tag of a distribution, even one named like a key ('beta')
            continue
        if (isinstance(here, dict) and part in here) or (
            isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here)
        ):
            out.append(part)
            here = here[part]  # type: ignore[index]  # an int for lists, checked above
            tag_seen = False
        elif isinstance(here, dict | list):
            continue  # a tag such as 'uniform' or 'function-after[...]'
        else:
            break
    return tuple(out)


def _problem(err: Any, data: Any, source: str, marks: Marks, set_marks: dict[Loc, str]) -> Problem:
    raw_loc: Loc = tuple(err["loc"])
    kind = err["type"]
    loc = _data_loc(raw_loc, data)
    if kind == "extra_forbidden":
        key = raw_loc[-1]
        loc = (*_data_loc(raw_loc[:-1], data), key)
        message = f"unknown key {key!r}{_did_you_mean(str(key))}"
        return _located(loc, message, data, source, marks, set_marks, key_mark=True)
    if kind == "missing":
        loc = (*_data_loc(raw_loc[:-1], data), raw_loc[-1])
        return _located(loc, "is required", data, source, marks, set_marks)
    return _located(loc, _message(err), data, source, marks, set_marks)


#: pydantic's error types, in the user's words: a format string given the value (`got`).
MESSAGES = {
    "int_from_float": "must be a whole number, got {got}",
    "bool_parsing": "must be true or false, got {got}",
    "bool_type": "must be true or false, got {got}",
    "string_type": "must be text (in quotes if it looks like a number), got {got}",
    "string_pattern_mismatch": "does not have the expected form, got {got}",
    "string_too_short": "is too short, got {got}",
    "string_too_long": "is too long ({length} characters), got {got}",
    "too_short": "needs at least {min_length} item(s), got {actual_length}",
    "too_long": "takes at most {max_length} items, got {actual_length}",
}
#: Fields whose every error has one message: what the field must be.
FIELD_MESSAGES = {
    "currency": "must be a three-letter currency code in capitals (ISO 4217, such as USD, EUR "
    "or JPY), got {got}",
}


def _message(err: Any) -> str:
    kind = err["type"]
    msg = str(err["msg"])
    got = err.get("input")
    field = err["loc"][-1] if err.get("loc") else None
    if field in FIELD_MESSAGES and not isinstance(got, dict | list):
        return FIELD_MESSAGES[str(field)].format(got=_show(got))
    if kind in MESSAGES:
        ctx = dict(err.get("ctx") or {})
        if isinstance(got, str | list):
            ctx.setdefault("length", len(got))
        try:
            return MESSAGES[kind].format(got=_show(got), **ctx)
        except (KeyError, IndexError):
            pass
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]
    if kind == "distribution" and isinstance(got, dict):
        from cxsim.model.distributions import DIST_NAMES

        name = got.get("dist")
        if name is None:
            return "a distribution needs 'dist:' (one of " + ", ".join(DIST_NAMES) + ")"
        from cxsim.model.distributions import DIST_NAMES

        close = difflib.get_close_matches(str(name), DIST_NAMES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown distribution {name!r}{hint}"
    if kind in {"finite_number"}:
        return f"must be a finite number, got {got!r}"
    if kind in {"float_parsing", "float_type", "int_parsing", "int_type", "distribution"}:
        return f"must be a number, got {_show(got)}"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        op = {
            "greater_than_equal": ">=",
            "less_than_equal": "<=",
            "greater_than": ">",
            "less_than": "<",
        }[kind]
        bound = next(iter(err.get("ctx", {}).values()), "?")
        bound = f"{bound:g}" if isinstance(bound, int | float) else bound
        return f"must be {op} {bound}, got {_show(got)}"
    if kind == "literal_error":
        return f"must be {err['ctx']['expected']}, got {_show(got)}"
    if kind in {"model_type", "dict_type"}:
        return f"must be a mapping of keys to values, got {_show(got)}"
    if kind == "list_type":
        return f"must be a list, got {_show(got)}"
    shown = got is not None and not isinstance(got, dict | list) and "got " not in msg
    return msg[0].lower() + msg[1:] + (f", got {_show(got)}" if shown else "")


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _located(
    loc: Loc,
    message: str,
    data: Any,
    source: str,
    marks: Marks,
    set_marks: dict[Loc, str],
    key_mark: bool = False,
) -> Problem:
    for n in range(len(loc), -1, -1):
        prefix = loc[:n]
        if prefix in set_marks:
            return Problem(set_marks[prefix], None, None, format_loc(loc), message)
    if loc not in marks:  # a place the file does not have: made by a --set below it?
        below = [where for set_loc, where in set_marks.items() if set_loc[: len(loc)] == loc]
        if below:
            return Problem(below[0], None, None, format_loc(loc), message)
    mark = marks.get((*loc, "__key__")) if key_mark else None
    if mark is None:
        for n in range(len(loc), -1, -1):
            if loc[:n] in marks:
                mark = marks[loc[:n]]
                break
    line, col = mark if mark else (None, None)
    return Problem(source, line, col, format_loc(loc), message)


def _did_you_mean(key: str) -> str:
    vocabulary = _vocabulary()
    if key in vocabulary:
        return " here (it belongs in another section)"
    close = difflib.get_close_matches(key, sorted(vocabulary), n=1, cutoff=0.7)
    return f"; did you mean {close[0]!r}?" if close else ""


def _vocabulary() -> set[str]:
    """Every key the format knows (for 'did you mean')."""
    words: set[str] = set()
    stack: list[type[BaseModel]] = [Scenario]
    seen: set[type] = set()
    while stack:
        model = stack.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            words.add(info.alias or name)
            stack.extend(_models_in(info.annotation))
    from cxsim.model import distributions as d

    for cls in (d.Uniform, d.Triangular, d.Pert, d.Normal, d.LogNormal, d.Beta, d.Expert, d.Fixed):
        words.update(info.alias or n for n, info in cls.model_fields.items())
    return words


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    stack = [annotation]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            found.append(a)
        stack.extend(getattr(a, "__args__", ()) or ())
        stack.extend(getattr(a, "__metadata__", ()) or ())
        origin = getattr(a, "__origin__", None)
        if origin is not None and origin is not a:
            stack.append(origin)
    return found


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format, for editors (see `cxsim.model.schema`)."""
    return build_schema()
