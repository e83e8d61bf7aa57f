"""One report, one set of numbers: the headline figures of every example (the loss's mean, P5
and P95; the best intervention's NPV, its P5 and
P95, and P(pays)) read the same, at the precision shown, in
report.pdf, summary.md, results.json and the workbook's stored values."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

import cxsim
from cxsim.formatting.money import shared_unit
from cxsim.outputs.labels import percent_words

from .conftest import ROOT, SHARED_REPORTS

#: The three reports other tests read too are in their xdist group
#: (`tests.conftest.cli_report`), so that one worker writes each once; the others may go to any
#: worker.
_SHARED = pytest.mark.xdist_group(SHARED_REPORTS)
EXAMPLES = [
    "contact_centre.yaml",
    pytest.param("ecommerce.yaml", marks=_SHARED),
    "interventions/ecommerce_fixes.yaml",
    pytest.param("japan_ec.yaml", marks=_SHARED),
    pytest.param("subscription.yaml", marks=_SHARED),
]


def _squash(s: str) -> str:
    """Text as extracted from a PDF may break lines anywhere: compare without white space."""
    return "".join(s.split())


@pytest.fixture(scope="module", params=EXAMPLES)
def written(request: pytest.FixtureRequest, cli_report: Any) -> Any:
    """The report `cxsim report` writes for the example (shared with the tests that read the
    same report: `tests.conftest.cli_report`)."""
    out = cli_report(request.param)  # 64 runs, seed 7
    scenario = cxsim.load(ROOT / "scenarios" / request.param)
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    pdf = _squash("".join(p.extract_text() for p in PdfReader(out / "report.pdf").pages))
    md = _squash((out / "summary.md").read_text(encoding="utf-8"))
    book = load_workbook(out / "workbook.xlsx", data_only=True)
    cells = [
        float(v)
        for ws in book
        for row in ws.iter_rows(values_only=True)
        for v in row
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    ]
    return scenario, doc, pdf, md, cells


def _headline(scenario: Any, doc: dict) -> dict[str, tuple[float, str]]:
    """The figures from results.json, each with how the report shows it."""
    lang = scenario.language
    keys = ("mean", "p5", "p95")
    # an interval is printed in one unit with its mean (0.6億円〜2.0億円)
    loss = doc["metrics"]["lost_revenue"]
    money = shared_unit([loss[k] for k in keys], doc["currency"], lang)
    figures = {k: (loss[k], money(loss[k])) for k in keys}
    outcomes = doc.get("comparison", {}).get("interventions", [])
    if outcomes:
        best = outcomes[0]
        money = shared_unit([best["npv"][k] for k in keys], doc["currency"], lang)
        for k in keys:
            figures[f"npv_{k}"] = (best["npv"][k], money(best["npv"][k]))
        if best["npv"]["mean"] > 0:
            figures["p_pays"] = (best["p_pays"], percent_words(best["p_pays"]))
    return figures


def test_the_headline_figures_agree_everywhere(written: Any) -> None:
    scenario, doc, pdf, md, cells = written
    for name, (value, shown) in _headline(scenario, doc).items():
        assert _squash(shown) in pdf, f"{name} {shown} not in report.pdf"
        assert _squash(shown) in md, f"{name} {shown} not in summary.md"
        if name == "npv_mean":
            continue  # a formula in the workbook (AVERAGE over the runs): no stored value
        if name == "p_pays":
            assert any(percent_words(c) == shown for c in cells), f"P(pays) {shown} not in workbook"
        else:
            assert any(math.isclose(c, value, rel_tol=1e-9) for c in cells), (
                f"{name} {value} ({shown}) not among the workbook's values"
            )
