"""The finance workbook is live: LibreOffice recalculates it and gets cxsim's numbers.

`make test` installs LibreOffice Calc where it is missing (`make libreoffice`, as root with
apt-get); the recalculation test is skipped, saying so, only where it cannot be had.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

import cxsim
from cxsim.outputs.sources import input_sources
from cxsim.outputs.workbook import write_workbook

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _recalculated(book: Path, out: Path) -> Any:
    """The workbook as LibreOffice computes it on load (values of every formula)."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed: run `make libreoffice` as root")
    done = subprocess.run(
        [SOFFICE, "--headless", "--calc", "--convert-to", "xlsx", "--outdir", str(out), str(book)],
        capture_output=True,
        text=True,
        timeout=240,
        env={"HOME": str(out), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return load_workbook(out / book.name, data_only=True)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


@pytest.mark.parametrize("name", ["subscription", "contact_centre"])
def test_libreoffice_recalculates_cxsim_numbers(name: str, tmp_path: Path) -> None:
    """NPV, loss avoided, cost, ROI and payback of the expected cash flows, the per-run
    means and the Summary's totals, as LibreOffice computes them, are cxsim's numbers."""
    cmp = cxsim.compare(SCENARIOS / f"{name}.yaml", runs=48, seed=3, combined=False)
    book = tmp_path / f"{name}.xlsx"
    write_workbook(book, cmp.baseline, cmp)
    wb = _recalculated(book, tmp_path / "out")
    ws = wb["Interventions"]
    rows = {ws.cell(r, 1).value: r for r in range(5, ws.max_row + 1)}
    assert set(rows) == {o.name for o in cmp.outcomes}
    base = cmp.baseline
    for o in cmp.outcomes:
        r = rows[o.name]
        avoided, cost, npv, roi, payback = (ws.cell(r, c).value for c in range(3, 8))
        assert _close(npv, float(o.npv.mean())), (o.name, npv)
        assert _close(avoided, float(o.loss_avoided.mean()))
        assert _close(cost, float(o.cost.mean()))
        assert _close(roi, float(o.npv.mean() / o.cost.mean()))
        expected = _expected_payback(base, o)
        assert (payback in (None, "")) if expected is None else payback == expected
        means = [ws.cell(r, c).value for c in (10, 14, 18, 22)]  # AVERAGE over the Runs sheet
        benefit = float((o.loss_avoided + o.cost_avoided).mean())  # failure costs avoided too
        want = [benefit, *(o.stats(f)["mean"] for f in ("cost", "npv", "roi"))]
        for value, figure in zip(means, want, strict=True):
            assert _close(value, figure), (value, figure)
    summary = wb["Summary"]
    totals = {summary.cell(r, 1).value: summary.cell(r, 2).value for r in range(1, 30)}
    assert _close(totals["Lost margin"], base.stats("lost_revenue")["mean"])
    assert _close(totals["margin with failures"], base.stats("revenue")["mean"])
    years = wb["By year"]
    last = max(r for r in range(1, years.max_row + 1) if years.cell(r, 2).value is not None)
    assert _close(years.cell(last, 2).value, base.stats("revenue")["mean"])


def _expected_payback(base: Any, o: Any) -> int | None:
    """The first period the mean cumulative discounted net benefit is positive (cxsim's rule)."""
    from cxsim.analysis.business_case import payback_periods

    benefit = o.results.periods["revenue"].mean(axis=0) - base.periods["revenue"].mean(axis=0)
    benefit[-1] += float(o.loss_avoided.mean()) - benefit.sum()
    if "failure_cost" in base.periods:  # serving, recovery and replacement costs avoided
        benefit += base.periods["failure_cost"].mean(axis=0)
        benefit -= o.results.periods["failure_cost"].mean(axis=0)
    k = "routine_contacts_cost"  # and routine contacts, those beyond the horizon in the last
    if k in base.periods:
        spared = base.periods[k].mean(axis=0) - o.results.periods[k].mean(axis=0)
        benefit += spared
        benefit[-1] += float((base.totals[k] - o.results.totals[k]).mean()) - spared.sum()
    p = payback_periods(benefit[None, :], o.results.periods["cost"].mean(axis=0)[None, :])[0]
    return None if p == float("inf") else int(p)


def test_japanese_workbook_and_sources(tmp_path: Path) -> None:
    """A `language: ja` scenario gets Japanese labels; every input's source is its own comment
    in the file (App crash's rows do not carry Streaming quality's); no raw paths as labels;
    no formula cell holds text a user wrote."""
    res = cxsim.simulate(SCENARIOS / "japan_ec.yaml", runs=8, seed=1, keep_periods=True)
    book = tmp_path / "ja.xlsx"
    write_workbook(book, res)
    wb = load_workbook(book)
    assert wb.sheetnames[:3] == ["概要", "入力", "キャッシュフロー"]
    assert wb["概要"]["A3"].value == "シナリオ"
    names = [res.scenario.name] + [s.name for s in res.scenario.segments]
    names += [tp.name for _, tp in res.scenario.touchpoints()]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    assert not any(n in cell.value for n in names), cell.coordinate


def test_inputs_sheet_sources_and_labels(tmp_path: Path) -> None:
    res = cxsim.simulate(SCENARIOS / "subscription.yaml", runs=4, seed=1, keep_periods=True)
    sources = input_sources(res.scenario, res.source)
    app = "journey.stages.1.touchpoints.1"
    assert not any("buffering" in sources.get(f"{app}.{f}", "") for f in ("failure_rate",))
    assert sources["journey.stages.1.touchpoints.0.complaint_rate"].startswith("quality problems")
    assert "intention-behaviour" in sources["loss_tree.defection.silent.minor"]
    comments = res.source.text  # every source is made of the file's own comment text
    for text in sources.values():
        for piece in text.split("; "):
            assert piece.split(" ")[0] in comments
    book = tmp_path / "sub.xlsx"
    write_workbook(book, res)
    ws = load_workbook(book)["Inputs"]
    labels = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert "Defection: silent customers, minor failure" in labels
    assert "loss_tree.defection.silent.minor" not in labels
    row = labels.index("Monthly plan: revenue per customer") + 1
    assert ws.cell(row, 3).number_format.startswith('"$"#,##0.00')
