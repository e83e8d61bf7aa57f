"""Write the records' estimates into a scenario's YAML text, each with a comment naming its counts.

Blocks are replaced where they stand (found by the YAML parser's marks) and rewritten in block
style, so each value can carry its own source comment; comments elsewhere are kept. Inputs the
records cannot show stay as they were, marked as assumptions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from cxsim.analysis.records.result import RecordsCalibration, Row
from cxsim.errors import UserError

if TYPE_CHECKING:
    from cxsim.model.scenario import Scenario

GROUPS = ("satisfied", "mollified", "dissatisfied")
MIN_SEVERAL = 30  # complaints after several unresolved ones needed to replace odds_ratio[2]


def _last_end(node: yaml.Node) -> int:
    """Index just after the last character of a node's own text (not the comments after it)."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return _last_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _last_end(node.value[-1])
    return int(node.end_mark.index)


def _child(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                return k, v
    return None


def _root(text: str) -> yaml.Node:
    """The YAML node tree of a scenario's text (which has loaded, so it is not empty)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is None:
        raise UserError("the scenario file is empty")
    return root


def set_block(text: str, loc: tuple[str, ...], lines: list[str]) -> str:
    """`text` with the value at `loc` (mapping keys) replaced by `lines` in block style, or added
    under its parent mapping (or at the end of the file for a top-level key)."""
    parent: yaml.Node = _root(text)
    for depth, key in enumerate(loc):
        found = _child(parent, key)
        if found is None:
            return _insert(text, parent, loc[depth:], lines, depth)
        key_node, value = found
        if depth == len(loc) - 1:
            indent = " " * (key_node.start_mark.column + 2)
            if value.start_mark.line == key_node.start_mark.line:
                start = value.start_mark.index
            else:
                start = text.index("\n", key_node.start_mark.index)
            body = "\n".join(indent + line for line in lines)
            end = text.find("\n", _last_end(value))  # the old comment on its last line goes too
            end = len(text) if end < 0 else end
            return text[:start].rstrip(" ") + "\n" + body + text[end:]
        parent = value
    raise AssertionError("unreachable")


def _insert(text: str, parent: yaml.Node, rest: tuple[str, ...], lines: list[str], d: int) -> str:
    nested: list[str] = lines
    for key in reversed(rest[1:]):
        nested = [f"{key}:"] + ["  " + line for line in nested]
    block = [f"{rest[0]}:"] + ["  " + line for line in nested]
    if d == 0:
        return text.rstrip("\n") + "\n\n" + "\n".join(block) + "\n"
    if not isinstance(parent, yaml.MappingNode) or parent.flow_style or not parent.value:
        raise UserError(
            f"cannot add {'.'.join(rest)} to the scenario: write its parent in block style"
        )
    indent = " " * parent.value[0][0].start_mark.column
    at = _last_end(parent)
    return text[:at] + "\n" + "\n".join(indent + line for line in block) + text[at:]


def _flow(value: Any) -> str:
    """A distribution (or number) as one line of flow YAML."""
    if getattr(value, "is_fixed", False):
        return f"{value.mean():g}"
    dumped = value.model_dump()
    data = {"dist": dumped.pop("dist"), **{k: v for k, v in dumped.items() if v is not None}}
    return yaml.safe_dump(data, default_flow_style=True, sort_keys=False).strip()


def _beta(row: Row) -> str:
    assert row.dist is not None
    return f"{{dist: beta, alpha: {row.dist.alpha:.6g}, beta: {row.dist.beta:.6g}}}"


def _defection_lines(cal: RecordsCalibration, scenario: Scenario) -> list[str]:
    rows: dict[str, Row] = {}
    for r in cal.rows:
        if r.path.startswith("loss_tree.defection.") and r.dist is not None:
            rows.setdefault(r.path, r)  # a severity's own cell before the pooled one
    old = scenario.loss_tree.defection
    lines = [
        f"# from records by cxsim calibrate records ({cal.customers_file}, {cal.contacts_file}):",
        f"# failure-caused defection within {cal.window_days} days, net of baseline churn",
        "silent:  # assumption: silent failures are not in records (kept from the scenario)",
    ]
    for sev in ("minor", "major"):
        lines.append(f"  {sev}: {_flow(getattr(old.silent, sev))}")
    for group in GROUPS:
        lines.append(f"{group}:")
        for sev in ("minor", "major"):
            row = rows.get(f"loss_tree.defection.{group}.{sev}")
            if row is None:
                kept = _flow(getattr(getattr(old, group), sev))
                lines.append(f"  {sev}: {kept}  # assumption: no such complaints in the records")
            else:
                lines.append(f"  {sev}: {_beta(row)}  # records: {row.basis}")
    return lines


def write_scenario(text: str, scenario: Scenario, cal: RecordsCalibration) -> str:
    """The scenario text with the records' estimates written in and sourced."""
    out = set_block(text, ("loss_tree", "defection"), _defection_lines(cal, scenario))
    by_path = {r.path: r for r in cal.rows if r.path}
    if scenario.loss_tree.resolution is not None:
        lines = [
            f"{name}: {_beta(by_path[f'loss_tree.resolution.{name}'])}  "
            f"# records: {by_path[f'loss_tree.resolution.{name}'].basis}"
            for name in ("satisfied", "mollified")
        ]
        out = set_block(out, ("loss_tree", "resolution"), lines)
    if scenario.support is not None and cal.curve is not None:
        c = cal.curve
        lo, hi = c.midpoint_interval
        lines = [
            f"# records: maximum likelihood on {c.n:,} complaints' response times and outcomes",
            f"satisfied_fast: {c.satisfied_fast:.4f}",
            f"satisfied_slow: {c.satisfied_slow:.4f}",
            f"dissatisfied_fast: {c.dissatisfied_fast:.4f}",
            f"dissatisfied_slow: {c.dissatisfied_slow:.4f}",
            f"midpoint_hours: {c.midpoint_hours:.4g}  # 95% {lo:.3g} to {hi:.3g}",
        ]
        out = set_block(out, ("support", "resolution"), lines)
    if cal.memory is not None:
        m = cal.memory
        old = scenario.memory.odds_ratio
        several = m.several if m.n_several >= MIN_SEVERAL else old[2].mean()
        lines = [
            f"[1.0, {m.one:.4g}, {several:.4g}]  # records: one unresolved {m.one:.3g} "
            f"(95% {m.one_interval[0]:.3g} to {m.one_interval[1]:.3g}, {m.n_one:,} complaints); "
            + (
                f"several {m.several:.3g} (95% {m.several_interval[0]:.3g} to "
                f"{m.several_interval[1]:.3g}, {m.n_several:,})"
                if m.n_several >= MIN_SEVERAL
                else f"several kept from the scenario (only {m.n_several} complaints)"
            )
        ]
        out = _set_inline(out, ("memory", "odds_ratio"), lines[0])
    return out


def _set_inline(text: str, loc: tuple[str, ...], value: str) -> str:
    """Like `set_block` for a one-line value (a flow list with its comment)."""
    memory = _child(_root(text), loc[0])
    found = _child(memory[1], loc[1]) if memory else None
    if found is None:
        return (
            set_block(text, loc[:1], [f"{loc[1]}: {value}"])
            if memory is None
            else _insert(text, memory[1], loc[1:], [value], 1)
        )
    _key, node = found
    line_end = text.find("\n", _last_end(node))
    line_end = len(text) if line_end < 0 else line_end
    return text[: node.start_mark.index] + value + text[line_end:]
