"""Reading YAML text for scenarios: safe, YAML 1.2 numbers, bounded, with line marks.

`parse_yaml` returns the data and the line and column of every value and key; `read_text` reads a
file, bounded in size, only if it is a regular file. Tags that would construct Python objects
are refused (PyYAML's safe loader); `6:00` is text and `010` is ten (YAML 1.2, not 1.1). Work is
bounded before it is spent: lines and commas before parsing, values before composing (counted in
C by libyaml) and while composing, aliases as they expand. libyaml (C) reads a scenario wherever
it reads it as PyYAML would, ten times faster; PyYAML reads the rest and words their problems.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from cxsim.errors import Problem, ScenarioError
from cxsim.model.paths import Loc, format_loc

__all__ = ["MAX_BYTES", "MAX_NODES", "Marks", "SafeLoader", "parse_yaml", "read_text"]

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


if yaml.__with_libyaml__:

    class _FastLoader(yaml.CSafeLoader):
        """`SafeLoader`'s rules on libyaml's parser (C): the same data and marks, read about ten
        times faster (3 ms, not 25-40 ms, for an example scenario)."""

        yaml_implicit_resolvers = SafeLoader.yaml_implicit_resolvers
        yaml_constructors = SafeLoader.yaml_constructors

else:  # PyYAML built without libyaml: its own reading alone
    _FastLoader = None  # type: ignore[assignment,misc]


class _Unlike(Exception):
    """libyaml could not read a document, or reads it unlike PyYAML: PyYAML reads it."""


#: Where libyaml and PyYAML part, found by reading mangled examples with both: libyaml takes a
#: tab, or a `?` inside { }, where PyYAML refuses them, and counts a byte-order mark inside the
#: text as a column. A file that holds one (outside whole-line comments) is read by PyYAML
#: alone; tests/test_hostile.py checks that both read the rest alike.
_UNLIKE = re.compile(r"[\t\ufeff?]")


def _read_alike(text: str) -> bool:
    """Whether libyaml may read `text` for PyYAML: none of `_UNLIKE` outside comment lines."""
    start = 1 if text.startswith("\ufeff") else 0  # a byte-order mark first is read alike
    if _UNLIKE.search(text, start) is None:
        return True
    lines = text[start:].splitlines()
    return not any(_UNLIKE.search(line) for line in lines if not line.lstrip().startswith("#"))


def _has_empty_value(root: yaml.Node) -> bool:
    """Whether a plain value is empty (`high:` with nothing after it)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            if node.value == "" and not node.style:  # plain: None in PyYAML, "" in libyaml
                return True
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.extend((k, v))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return False


def read_text(path: str | Path) -> str:
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
        _count_values(text)
        if yaml.__with_libyaml__ and _FastLoader is not None and _read_alike(text):
            try:
                return _read(_FastLoader(text), source)
            except _Unlike:
                pass  # PyYAML reads it again, and says what is wrong in its own words
        return _read(loader, source)
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
        raise ScenarioError([Problem(source, line, col, "", yaml_message(exc))]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(source, None, None, "", f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()


def _read(loader: Any, source: str) -> tuple[Any, Marks]:
    """The data and marks of the one document `loader` holds; with `_FastLoader`, `_Unlike`
    where libyaml finds a problem or reads a place unlike PyYAML."""
    fast = not isinstance(loader, SafeLoader)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        _count_nodes(node, source)
        duplicates = _duplicate_keys(node, source)
        if duplicates:
            raise ScenarioError(duplicates)
        marks: Marks = {}
        _collect_marks(node, (), marks)
        if fast and _has_empty_value(node):
            raise _Unlike  # libyaml places an empty value a column after PyYAML
        return loader.construct_document(node), marks
    except (yaml.YAMLError, RecursionError):
        if fast:
            raise _Unlike from None
        raise
    finally:
        if fast:
            loader.dispose()


#: The events that start a value (each one is a node the composer would build).
_VALUE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)


def _count_values(text: str) -> None:
    """`_TooBig` at the first value past MAX_NODES, counted on libyaml's events (C, where
    PyYAML has it): reading 200,000 values in Python takes 12 s, counting them here 0.3 s.
    The values are those `SafeLoader.compose_node` counts, in its order, so the place named is
    the same. Text libyaml cannot read is left to the reading that follows, which says why."""
    if not yaml.__with_libyaml__:
        return
    from yaml._yaml import CParser

    parser = CParser(text)
    count = 0
    try:
        while not parser.check_event(yaml.StreamEndEvent):
            event = parser.get_event()
            if isinstance(event, _VALUE_EVENTS):
                count += 1
                if count > MAX_NODES and (mark := event.start_mark) is not None:
                    raise _TooBig(mark.line + 1, mark.column + 1)
    except yaml.YAMLError:
        return
    finally:
        parser.dispose()


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


#: PyYAML's problems, in the words of someone editing a scenario (matched by their start).
YAML_MESSAGES = {
    "mapping values are not allowed here": "a ':' where no key can start: quote a value that "
    "holds ': ', or check the indentation",
    "found character '\\t' that cannot start any token": "a tab: indent with spaces",
    "expected ',' or ']'": "a list in [ ] is not closed, or an item in it needs quotes",
    "expected ',' or '}'": "a mapping in { } is not closed, or a value in it needs quotes",
    "expected <block end>": "this line's indentation does not match the lines above it",
    "could not find expected ':'": "a key without ':' after it, or text that runs on over "
    "lines without quotes",
    "found undefined alias": "an alias (*name) that no anchor (&name) defines",
    "found unexpected end of stream": "the file ends inside quotes or brackets: a closing "
    "quote or bracket is missing",
    "found unknown escape character": "an unknown escape in double quotes: use single quotes, "
    "or write \\\\ for a backslash",
    "found duplicate anchor": "the same anchor (&name) is defined twice",
}


def yaml_message(exc: yaml.MarkedYAMLError) -> str:
    """A PyYAML error in plain words ('not valid YAML: ...'); unknown ones as PyYAML says them."""
    problem = str(exc.problem or "invalid YAML")
    for start, words in YAML_MESSAGES.items():
        if problem.startswith(start):
            return f"not valid YAML: {words}"
    return f"not valid YAML: {exc.context + ', ' if exc.context else ''}{problem}"
