"""The strategists' notebooks run top to bottom, and are stored clean.

Each notebook's first code cell is tagged `parameters` (papermill's convention): run counts and
paths. The test inserts a cell after it that sets small values for the names that cell defines,
runs the notebook in a fresh kernel from `notebooks/` (where JupyterLab runs it) and fails on
the first error, including one raised inside a widget's callback (shown in the widget, not as
a cell error). A last cell reports the kernel's environment, which must be the one running the
tests: the notebooks are tested against this checkout of cxsim, not another install.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

# nbformat validates through jsonschema, which imports rfc3987_syntax when it is installed (with
# JupyterLab) for its "iri" format: that compiles 38 grammars, 3.2 s in every test process.
# nbformat's schema checks no such format, so jsonschema goes without it here.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

import nbformat  # noqa: E402
import pytest  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbformat import NotebookNode  # noqa: E402

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
#: Small values for the parameters the notebooks define (only those a notebook defines are set).
SMALL = {
    "RUNS": "64",
    "SOBOL_N": "32",
    "MAX_RUNS": "256",
    "REPLICATIONS": "3",
}
ENVIRONMENT_PROBE = "import json, sys\nprint(json.dumps({'prefix': sys.prefix}))"


def _parameters_cell(nb: NotebookNode) -> int:
    """Index of the first code cell, which must be tagged `parameters`."""
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    assert "parameters" in nb.cells[first].metadata.get("tags", []), (
        "the first code cell must be tagged 'parameters'"
    )
    return first


def _defined(source: str) -> set[str]:
    """Names assigned at the top level of a cell."""
    return {
        target.id
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }


def _small_parameters(nb: NotebookNode, tmp_path: Path) -> str:
    """The cell injected after the parameters: small run counts, outputs under tmp_path."""
    cell = nb.cells[_parameters_cell(nb)]
    names = _defined(cell.source)
    values = {**SMALL, "WORKBOOK": f"Path({str(tmp_path / 'workbook.xlsx')!r})"}
    lines = [f"{name} = {value}" for name, value in values.items() if name in names]
    return "# injected by tests/test_notebooks.py\n" + "\n".join(lines)


def _widget_errors(nb: NotebookNode) -> list[str]:
    """Errors inside output widgets (an `interact` callback that raised), from the saved state."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return [
        f"{out.get('ename')}: {out.get('evalue')}"
        for model in state.get("state", {}).values()
        for out in model.get("state", {}).get("outputs", [])
        if out.get("output_type") == "error"
    ]


def test_there_are_notebooks() -> None:
    """Issue 7's five notebooks are there (a renamed one would otherwise go untested)."""
    names = {p.name for p in NOTEBOOKS}
    assert {
        "01_quick_start.ipynb",
        "02_what_if.ipynb",
        "03_business_case.ipynb",
        "04_support_staffing.ipynb",
        "05_sensitivity.ipynb",
        "06_records.ipynb",
    } <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_without_outputs(path: Path) -> None:
    """Committed notebooks carry no outputs, execution counts or saved widget state, and name
    the python3 kernel (the environment's own, whatever machine opens them)."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert "widgets" not in nb.metadata, "saved widget state: clear outputs before committing"
    _parameters_cell(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {i} has outputs: clear them before committing"
            assert cell.execution_count is None, f"cell {i} has an execution count"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_runs_top_to_bottom(path: Path, tmp_path: Path) -> None:
    """With small run counts, every cell runs without error in this environment's kernel."""
    nb = nbformat.read(path, as_version=4)
    injected = nbformat.v4.new_code_cell(_small_parameters(nb, tmp_path))
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(_parameters_cell(nb) + 1, injected)
    nb.cells.append(nbformat.v4.new_code_cell(ENVIRONMENT_PROBE))

    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
    assert _widget_errors(nb) == []

    probe = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    assert Path(json.loads(probe)["prefix"]) == Path(sys.prefix), "kernel runs another Python"
    if path.name in FOR_PEOPLE:
        assert _raw_outputs(nb) == []


#: Notebooks whose shown results must read as for people (issue 16): no raw floats such as
#: 330000.000000 or 0.048550, no internal names such as loss_tree.x.y or word_of_mouth.
FOR_PEOPLE = {
    "01_quick_start.ipynb",
    "04_support_staffing.ipynb",
    "05_sensitivity.ipynb",
    "06_records.ipynb",
}
_RAW = re.compile(r"\d\.\d{5,}|loss_tree\.|word_of_mouth|lost_revenue")


def _raw_outputs(nb: NotebookNode) -> list[str]:
    """Shown results (tables, values; not warnings) holding a raw float or an internal name."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type not in ("execute_result", "display_data"):
                continue
            for kind in ("text/html", "text/plain"):
                match = _RAW.search(str(out.get("data", {}).get(kind, "")))
                if match:
                    found.append(f"cell {i} {kind}: {match.group(0)!r}")
    return found
