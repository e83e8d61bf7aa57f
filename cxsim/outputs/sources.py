"""Where each input's figure comes from: the comment the scenario file gives it.

An input's source is the comment on its own line in the file, or the block of comment lines
directly above its key; an input without one takes its section's (`loss_tree.defection`'s
block for every defection rate), but never a neighbour's and never across a list item (a
touchpoint's comment describes the touchpoint, not the inputs of the next one).
"""

from __future__ import annotations

import re

from cxsim.model.loader import Source, parse_yaml
from cxsim.model.paths import iter_inputs
from cxsim.model.scenario import Scenario

Loc = tuple[str | int, ...]
_TRAILING = re.compile(r"\s#\s?(.*)$")


def input_sources(scenario: Scenario, source: Source | None) -> dict[str, str]:
    """The source comment of each input path (`iter_inputs`) that has one."""
    if source is None:
        return {}
    lines = source.text.splitlines()
    _, marks = parse_yaml(source.text, source.name)
    out: dict[str, str] = {}
    for path, _ in iter_inputs(scenario):
        loc: Loc = tuple(int(p) if p.isdigit() else p for p in path.split("."))
        found = _own_or_section(loc, marks, lines)
        if found:
            out[path] = found
    return out


def _own_or_section(loc: Loc, marks: dict[Loc, tuple[int, int]], lines: list[str]) -> str:
    """The comment of the node at `loc`, else of its enclosing mapping keys, up to a list item."""
    for n in range(len(loc), 0, -1):
        if isinstance(loc[n - 1], int):  # a list item: its comment is not its inputs' source
            return ""
        key = marks.get((*loc[:n], "__key__"))
        if key is None:
            continue
        found = comment_at(lines, key[0])
        if found:
            return found
    return ""


def comment_at(lines: list[str], line_no: int) -> str:
    """The comment block directly above line `line_no` (1-based) and the comment ending it."""
    block: list[str] = []
    i = line_no - 2
    while i >= 0 and lines[i].strip().startswith("#"):
        block.insert(0, lines[i].strip().lstrip("#").strip())
        i -= 1
    trailing = _trailing(lines[line_no - 1])
    parts = [" ".join(p for p in block if p), trailing or ""]
    return "; ".join(p for p in parts if p)


def _trailing(line: str) -> str | None:
    """The comment at the end of a line (outside quotes: YAML needs a space before `#`)."""
    quote = None
    for i, ch in enumerate(line):
        if ch in "'\"" and quote in (None, ch):
            quote = None if quote == ch else ch
        elif ch == "#" and quote is None and i > 0 and line[i - 1] in " \t":
            m = _TRAILING.match(line[i - 1 :])
            return m.group(1).strip() if m else None
    return None
