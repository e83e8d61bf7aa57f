"""Reading scenario files: safe YAML with line marks, one message per problem.

`load` reads a file, applies `--set` overrides and validates; every problem is reported as
`file:line:column: path: message`, where the path is the field's place in the file
(`journey.stages[2].touchpoints[0].failure_rate`). YAML is read with PyYAML's safe loader, so
tags that would construct Python objects are refused; aliases are counted as they expand, so an
alias bomb is refused before it costs memory.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from cxsim.errors import Problem, ScenarioError
from cxsim.model.checks import check_soundness
from cxsim.model.paths import Loc, PathError, assign, format_loc, split_assignment
from cxsim.model.scenario import Scenario, check_references

__all__ = [  # format_loc lives in cxsim.model.paths; it stays importable from here
    "Source",
    "apply_override",
    "format_loc",
    "load",
    "load_with_source",
    "loads",
    "modify",
    "parse_yaml",
    "scenario_schema",
    "validate",
]
MAX_NODES = 200_000
MAX_BYTES = 5_000_000
Marks = dict[Loc, tuple[int, int]]


class SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 (core schema) rules for plain scalars.

    YAML 1.1, PyYAML's default, reads `6:00` as 360 (base 60), `010` as 8, `no` as false (Norway's
    country code) and `2024-01-01` as a date, and wants `1.0e+6` where a finance user writes
    `1e6`. Here numbers are decimal (`1e6`, `250_000`, `0x1F`, `0o17`, `.inf`, `.nan`), booleans
    are only true/false, and everything else is text, which the scenario's fields then judge
    (a yes/no field still accepts `yes`). Work is bounded while composing: at most MAX_NODES
    values, counted as they are read, so a huge flow list stops early and cheaply.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._composed = getattr(self, "_composed", 0) + 1
        if self._composed > MAX_NODES:
            mark = self.peek_event().start_mark
            raise _TooBig(mark.line + 1, mark.column + 1)
        return super().compose_node(parent, index)


class _TooBig(Exception):
    """More values than MAX_NODES in the document itself (not through aliases)."""

    def __init__(self, line: int, column: int) -> None:
        super().__init__(line, column)
        self.line, self.column = line, column


SafeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag.rsplit(":", 1)[-1] in {"null", "merge"}]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


def _construct_int(loader: SafeLoader, node: yaml.ScalarNode) -> int:
    """Decimal, 0x hexadecimal or 0o octal; a leading zero is decimal (`010` is ten)."""
    text = str(loader.construct_scalar(node)).replace("_", "")
    if text.startswith("0x"):
        return int(text[2:], 16)
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 10)


SafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


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
    text = _read_text(path)
    data, marks = parse_yaml(text, name)
    if isinstance(data, dict) and isinstance(data.get("scenario"), str):
        return _load_interventions_file(Path(path), data, marks, overrides)
    return loads(text, name, overrides), Source(name, text, tuple(overrides))


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
    base_text = _read_text(base_path)
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


def _read_text(path: str | Path) -> str:
    """A file's text: bounded in size, UTF-8, or a located problem."""
    name = str(path)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or a device would block or not end
            raise ScenarioError([Problem(name, None, None, "", "not a regular file")])
        with Path(path).open("rb") as file:
            raw = file.read(MAX_BYTES + 1)  # no further: a huge file or /dev/zero stays cheap
    except OSError as exc:
        raise ScenarioError(
            [Problem(name, None, None, "", f"cannot read: {exc.strerror}")]
        ) from None
    if len(raw) > MAX_BYTES:
        message = f"file too large (more than {MAX_BYTES:,} bytes)"
        raise ScenarioError([Problem(name, None, None, "", message)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [
                Problem(
                    name, line, None, "", f"not UTF-8 text (byte {exc.start}: {raw[exc.start]:#x})"
                )
            ]
        ) from None
    return text


def loads(text: str, source: str = "<string>", overrides: Sequence[str] = ()) -> Scenario:
    """Validate scenario text (YAML); `source` names it in messages."""
    data, marks = parse_yaml(text, source)
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


def parse_yaml(text: str, source: str) -> tuple[Any, Marks]:
    """Safe-load YAML and record the line and column of every value and key."""
    separators = text.count(",") + text.count("\n")  # a cheap bound before any parsing
    if separators > MAX_NODES:
        message = (
            f"{separators:,} lines and commas: far more than a scenario holds "
            f"(at most {MAX_NODES:,} values)"
        )
        raise ScenarioError([Problem(source, None, None, "", message)])
    try:
        loader = SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a control character: PyYAML checks on reading
        at = exc.position
        where = (text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at))
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"not valid YAML: character U+{code:04X} is not allowed"
        raise ScenarioError([Problem(source, *where, "", message)]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        marks: Marks = {}
        _count_nodes(node, source)
        duplicates = _duplicate_keys(node, source)
        if duplicates:
            raise ScenarioError(duplicates)
        _collect_marks(node, (), marks)
        data = loader.construct_document(node)
    except _TooBig as exc:
        message = f"document has more than {MAX_NODES:,} values; a scenario needs far fewer"
        raise ScenarioError([Problem(source, exc.line, exc.column, "", message)]) from None
    except RecursionError:
        raise ScenarioError(
            [Problem(source, loader.line + 1, None, "", "not valid YAML: nested too deeply")]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        msg = f"{exc.context + ', ' if exc.context else ''}{exc.problem or 'invalid YAML'}"
        raise ScenarioError([Problem(source, line, col, "", f"not valid YAML: {msg}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(source, None, None, "", f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return data, marks


def _count_nodes(root: yaml.Node, source: str) -> None:
    """Refuse documents whose aliases expand past MAX_NODES (the 'billion laughs')."""
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ScenarioError(
                [
                    Problem(
                        source,
                        root.start_mark.line + 1,
                        root.start_mark.column + 1,
                        "",
                        f"aliases (*name) expand the document to more than {MAX_NODES:,} "
                        "values: an alias bomb",
                    )
                ]
            )
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.extend((k, v))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _duplicate_keys(root: yaml.Node, source: str) -> list[Problem]:
    """A key given twice in one mapping (PyYAML would silently keep the last)."""
    problems = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if id(node) in seen:  # an alias: checked where it was defined
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
                mark = key_node.start_mark
                if key in first and key != "<<":
                    problems.append(
                        Problem(
                            source,
                            mark.line + 1,
                            mark.column + 1,
                            format_loc((*loc, key)),
                            f"duplicate key {key!r} (first on line {first[key]})",
                        )
                    )
                first.setdefault(key, mark.line + 1)
                stack.append((value_node, (*loc, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*loc, i)) for i, item in enumerate(node.value))
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


def _collect_marks(node: yaml.Node, loc: Loc, marks: Marks) -> None:
    marks[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            marks[(*loc, key, "__key__")] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            _collect_marks(value_node, (*loc, key), marks)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _collect_marks(item, (*loc, i), marks)


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


def _message(err: Any) -> str:
    kind = err["type"]
    msg = str(err["msg"])
    got = err.get("input")
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
    return (
        msg[0].lower()
        + msg[1:]
        + (f", got {_show(got)}" if got is not None and not isinstance(got, dict | list) else "")
    )


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
    """The JSON Schema of the scenario format, for editors."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "cxsim scenario"
    return schema
