"""Write solved values into a scenario's YAML text, keeping every comment and layout elsewhere.

Each solved field's value is replaced where it stands (found by the YAML parser's marks) and
marked with a comment; a field the file leaves at its default is added under its segment.
"""

from __future__ import annotations

import yaml

from cxsim.errors import UserError
from cxsim.model.paths import Loc, parse

MARK = "solved by cxsim calibrate from actuals"


def _find(root: yaml.Node, loc: tuple[str | int, ...]) -> tuple[yaml.Node | None, yaml.Node]:
    """(the value node or None if absent, the innermost node that exists)."""
    node = root
    for key in loc:
        if isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key]
        elif isinstance(node, yaml.MappingNode):
            found = [v for k, v in node.value if getattr(k, "value", None) == str(key)]
            if not found:
                return None, node
            node = found[0]
        else:
            return None, node
    return node, node


def _canonical(path: str) -> Loc:
    """The location a canonical path (names and indices only, as the solver writes) names."""
    return tuple(step.index if step.index is not None else step.text for step in parse(path))


def _text(path: str, value: float) -> str:
    if path.endswith((".customers",)):
        return str(round(value))
    return f"{value:.8g}"


def write_solved(text: str, solved: dict[str, float]) -> str:
    """`text` with each solved path's value replaced (or added) and marked."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    edits: list[tuple[int, int, str, bool]] = []  # start, end, new text, is an insertion
    for path, value in solved.items():
        loc = _canonical(path)
        if root is None:  # an empty document: nowhere to place the value, as for a flow mapping
            raise UserError(f"cannot place {path} in the file: write it in block style")
        node, parent = _find(root, loc)
        if node is not None:
            edits.append((node.start_mark.index, node.end_mark.index, _text(path, value), False))
            continue
        if not (
            isinstance(parent, yaml.MappingNode) and parent.flow_style is False and parent.value
        ):
            raise UserError(f"cannot place {path} in the file: write it in block style")
        first_key = parent.value[0][0]
        indent = " " * first_key.start_mark.column
        line_end = text.index("\n", first_key.start_mark.index)
        edits.append(
            (
                line_end + 1,
                line_end + 1,
                f"{indent}{loc[-1]}: {_text(path, value)}  # {MARK}\n",
                True,
            )
        )
    for start, end, new, inserted in sorted(edits, reverse=True):
        if inserted:
            text = text[:start] + new + text[start:]
            continue
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        tail = text[end:line_end]
        note = "" if MARK in tail else f"; {MARK}" if "#" in tail else f"  # {MARK}"
        text = text[:start] + new + tail + note + text[line_end:]
    return text
