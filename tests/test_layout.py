"""The package's layering, read from every module's imports (with `ast`, nothing is imported).

Layers, lowest first; a module may import from its own layer and the layers below it:

    foundation  cxsim.protocol, cxsim.errors, cxsim._version, cxsim.formatting (money, counts
                and display tables: they import nothing else of cxsim)
    model       cxsim.model      what a scenario is: distributions, paths, loader, variants
    support     cxsim.support    the contact-centre model (channels, desk, Erlang C)
    engine      cxsim.engine     running worlds: parameters to losses, execution, results
    analysis    cxsim.analysis   questions asked of the engine: compare, sensitivity, staffing
    outputs     cxsim.outputs    faces: charts, report, workbook, files, labels
    api         cxsim (its __init__): the public API, `import cxsim`
    cli         cxsim.cli        the command line, a thin layer over the API
    main        cxsim.__main__   `python -m cxsim`

Decisions:

- An import inside a function counts, except that a `plot` method may import a later layer
  (a result draws itself with `cxsim.outputs.charts`, which is loaded only when asked).
- Imports under `if TYPE_CHECKING:` are for annotations only: they are exempt from layering
  and from cycles (they never run), but not from the rule on private names.
- No module imports another module's private name (`from x import _name`); a module inside a
  package may import the package's own submodules.
- No import cycle between modules, counting every import that runs (module level and in
  functions) except a `plot` method's: charts read the results they draw, so that loop is the
  one the `plot` exception allows.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "cxsim"
LAYERS = ("foundation", "model", "support", "engine", "analysis", "outputs", "api", "cli", "main")
FOUNDATION = {"cxsim.protocol", "cxsim.errors", "cxsim._version"}

# Known violations to fix (none now: money formatting moved to cxsim.formatting).
PENDING_LAYERING: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module imported (a submodule where `from pkg import sub` names one)
    names: tuple[str, ...]
    line: int
    function: str | None  # the enclosing function, None at module level
    type_only: bool  # under `if TYPE_CHECKING:`


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def layer(module: str) -> int:
    if module in FOUNDATION or module.startswith("cxsim.formatting"):
        return 0
    parts = module.split(".")
    if len(parts) == 1:
        return LAYERS.index("api")
    if parts[1] == "__main__":
        return LAYERS.index("main")
    return LAYERS.index(parts[1])


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(module: str) -> list[Import]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[Import] = []

    def visit(node: ast.AST, function: str | None, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, function or child.name, type_only)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                visit(ast.Module(body=child.body, type_ignores=[]), function, True)
                visit(ast.Module(body=child.orelse, type_ignores=[]), function, type_only)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "cxsim":
                        found.append(
                            Import(module, alias.name, (), child.lineno, function, type_only)
                        )
            elif isinstance(child, ast.ImportFrom):
                target = _resolve(child, module, path.name == "__init__.py")
                if target.split(".")[0] != "cxsim":
                    continue
                names = tuple(a.name for a in child.names)
                subs = [n for n in names if f"{target}.{n}" in MODULES]
                for sub in subs:  # `from pkg import submodule`
                    found.append(
                        Import(module, f"{target}.{sub}", (), child.lineno, function, type_only)
                    )
                rest = tuple(n for n in names if n not in subs)
                if rest or not subs:
                    found.append(Import(module, target, rest, child.lineno, function, type_only))
            else:
                visit(child, function, type_only)

    visit(tree, None, False)
    return found


@functools.cache
def all_imports() -> list[Import]:
    """Every cxsim import in cxsim (parsed when a test first asks, not at collection)."""
    return [imp for module in MODULES for imp in imports_of(module)]


def where(imp: Import) -> str:
    return f"{MODULES[imp.module].relative_to(ROOT.parent)}:{imp.line} {imp.module}"


def test_the_reader_sees_the_tree() -> None:
    """The parser finds the layers and a known import, so an empty list means something."""
    assert {layer(m) for m in MODULES} == set(range(len(LAYERS)))
    assert any(
        i.module == "cxsim.analysis.complaints.calibration" and i.target == "cxsim.errors"
        for i in all_imports()
    )


def test_no_module_imports_a_later_layer() -> None:
    wrong = [
        f"{where(imp)} ({LAYERS[layer(imp.module)]}) imports {imp.target} "
        f"({LAYERS[layer(imp.target)]})"
        for imp in all_imports()
        if imp.target in MODULES
        and layer(imp.target) > layer(imp.module)
        and not imp.type_only
        and imp.function != "plot"
        and (imp.module, imp.target) not in PENDING_LAYERING
    ]
    assert wrong == []


def test_pending_layering_exceptions_are_still_needed() -> None:
    """Strike an exception from PENDING_LAYERING as soon as its import is gone."""
    seen = {(imp.module, imp.target) for imp in all_imports()}
    assert seen >= PENDING_LAYERING


def test_no_module_imports_another_modules_private_names() -> None:
    wrong = [
        f"{where(imp)} imports {name} from {imp.target}"
        for imp in all_imports()
        for name in imp.names
        if name.startswith("_") and not name.startswith("__") and imp.target != imp.module
    ]
    assert wrong == []


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for imp in all_imports():
        runs = not imp.type_only and imp.function != "plot"
        if imp.target in MODULES and runs and imp.target != imp.module:
            graph.setdefault(imp.module, set()).add(imp.target)
    assert _cycle(graph) is None


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ],
)
def test_the_cycle_finder_finds_cycles(graph: dict[str, set[str]], expected: object) -> None:
    assert _cycle(graph) == expected
