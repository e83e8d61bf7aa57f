"""Every output states how the status quo compares with the scenario's actuals (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import cxsim
from cxsim.analysis.valuation import business_case_note
from cxsim.formatting.money import format_money
from cxsim.outputs.labels import money_formatter
from tests.conftest import (
    ROOT,
    SHARED_REPORTS,
    SHARED_RUNS,
    SHARED_SEED,
    TINY,
    cxsim_in_process,
)

# No complaints at all, so CSAT (satisfied complainers / complainers) has no value: NaN.
NO_COMPLAINTS = TINY.replace("complaint_rate: 0.7", "complaint_rate: 0.0").replace(
    "complaint_rate: 0.5", "complaint_rate: 0.0"
)
ACTUALS = """
actuals:
  - {metric: csat, periods: [1, 6], value: 0.4}
  - {metric: active, periods: [1], value: 20000}
"""


def test_run_json_reconciliation_is_strict_json_with_null_for_no_value(tmp_path: Path) -> None:
    """A figure the model cannot give (NaN) is null in `run --json`, as in every result's
    JSON, and the warning says n/a rather than nan."""
    path = tmp_path / "s.yaml"
    path.write_text(NO_COMPLAINTS + ACTUALS)
    done = cxsim_in_process("run", str(path), "--runs", "8", "--seed", "1", "--json")
    assert done.returncode == 0, done.stderr
    assert "NaN" not in done.stdout
    doc = json.loads(done.stdout, parse_constant=_refuse)
    rows = doc["reconciliation"]["reconciliation"]
    assert [(r["metric"], r["modelled"], r["difference"], r["within"]) for r in rows] == [
        ("csat", None, None, False),
        ("active", 20000.0, 0.0, True),
    ]
    assert "warning: status quo outside the actuals: csat 1-6: observed 0.4, modelled n/a" in (
        done.stderr
    )


def _refuse(constant: str) -> None:
    raise AssertionError(f"non-JSON constant {constant} in the output")


LIFETIME = TINY.replace("value: revenue}", "value: revenue, lifetime: {years: 2}}").replace(
    "discount_rate: 0.0", "discount_rate: 0.08"
)


def test_the_horizon_figure_stands_beside_the_lifetime_one() -> None:
    """With `lifetime: {years: 2}` the CLI summary and the report's headline give the cap and
    what of the lifetime loss falls within the horizon and after it; without, neither does."""
    from cxsim.outputs.words import headline

    r = cxsim.expected(cxsim.loads(LIFETIME))
    money = money_formatter(r, "en")
    within = r.stats("lost_revenue_horizon")["mean"]
    after = r.stats("lost_revenue_beyond")["mean"]
    assert within > 0 and after > 0
    assert within + after == pytest.approx(r.stats("lost_revenue")["mean"], rel=1e-9)
    summary = r.text()
    assert "(lifetime value capped at 2 years, discounted at 8% a year):" in summary
    said = format_money(within, r.currency), format_money(after, r.currency)
    assert f"  of which {said[0]} within the 6 months of the horizon, {said[1]} after" in summary
    first = headline(r, None, "en")[0]
    assert "over customer lifetimes capped at 2 years (expected-value model" in first
    assert (
        f"Of this, {money(within)} falls within the 6-month horizon and {money(after)} after"
        in (first)
    )
    assert "期間内" in headline(r, None, "ja")[0]

    plain = cxsim.expected(cxsim.loads(TINY))
    assert "of which" not in plain.text() and "Of this" not in headline(plain, None, "en")[0]


def test_a_comparison_says_when_a_revenue_scenario_was_valued_on_margin() -> None:
    """contact_centre counts lost revenue; its business case is on margin, and says so."""
    c = cxsim.compare(
        ROOT / "scenarios" / "contact_centre.yaml",
        runs=4,
        seed=1,
        interventions="Live chat",
        combined=False,
    )
    note = business_case_note(cxsim.load(ROOT / "scenarios" / "contact_centre.yaml"))
    assert note and c.note == note
    assert c.text().splitlines()[1] == f"Note: {note}."
    assert json.loads(c.to_json())["note"] == note
    shop = cxsim.load(ROOT / "scenarios" / "subscription.yaml")
    first = shop.interventions[0].name
    margin = cxsim.compare(shop, runs=4, seed=1, interventions=first, combined=False)
    assert margin.note is None and "Note:" not in margin.text()
    assert margin.to_dict()["note"] is None


@pytest.mark.xdist_group(SHARED_REPORTS)
def test_the_report_holds_the_reconciliation_in_json_and_workbook(cli_report: Any) -> None:
    """results.json carries the reconciliation block (strict JSON) and the workbook a
    Reconciliation sheet, one row per observed figure (`cxsim report` on the ecommerce example,
    shared with the tests that read the same report; its runs simulated again here)."""
    from openpyxl import load_workbook

    from cxsim.analysis.calibration import reconcile

    out = cli_report("ecommerce.yaml", SHARED_RUNS, SHARED_SEED)
    scenario, source = cxsim.load_with_source(ROOT / "scenarios" / "ecommerce.yaml")
    results = cxsim.simulate(scenario, runs=SHARED_RUNS, seed=SHARED_SEED, source=source)
    doc = json.loads((out / "results.json").read_text(), parse_constant=_refuse)
    want = json.loads(reconcile(scenario, results).to_json())
    assert doc["reconciliation"] == want and want["reconciliation"]
    book = load_workbook(out / "workbook.xlsx")
    assert "Reconciliation" in book.sheetnames
    cells = [str(c.value) for row in book["Reconciliation"].iter_rows() for c in row if c.value]
    assert all(r["metric"] in cells for r in want["reconciliation"])
