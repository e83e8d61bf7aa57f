"""`cxsim rerun`: a recorded result is reproduced exactly, or the rerun says why not.

Exit codes: 0 reproduced (exactly, or up to rounding for a document from another kind of CPU),
1 some numbers differ (listed), 2 it cannot be rerun here
(another version of cxsim, numpy or scipy; not a results document).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy

import cxsim
import cxsim.cli.main
from cxsim.engine.rounding import cpu_kind
from cxsim.outputs import files as output

from .conftest import ROOT, SHARED_REPORTS, TINY

CLI = [sys.executable, "-m", "cxsim"]
WITH_INTERVENTIONS = (
    TINY.replace("value: revenue", "value: margin")  # business cases net costs against margin
    + """
interventions:
  - name: Fix delivery
    effects:
      - {path: "journey.stages[Use].touchpoints[Delivery].failure_rate", scale: 0.5}
    costs: {one_off: 20000, per_period: {dist: pert, low: 1000, mode: 2000, high: 4000}}
  - name: Easy complaints
    effects:
      - {path: loss_tree.complaint_rate, scale: {dist: uniform, low: 1.1, high: 1.4}}
    costs: {per_period: 1500}
    start: 2
    ramp_up: 2
  - name: Train agents
    effects:
      - {path: loss_tree.resolution.satisfied, add: 0.3}
    costs: {per_period: 500}
"""
)


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(WITH_INTERVENTIONS)
    return path


def main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    """`cxsim ARGS` in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["cxsim", *args])
    monkeypatch.setattr(output, "written", [])
    try:
        cxsim.cli.main.main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def record(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    """Run a `cxsim` command with --json; its document."""
    code, out, err = main(monkeypatch, capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def save(doc: dict[str, Any], path: Path) -> str:
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_a_run_is_reproduced_exactly_whatever_the_workers(scenario: Path, tmp_path: Path) -> None:
    """End to end, as a finance analyst would: `run --out` today, `rerun` months later."""
    out_dir = tmp_path / "case"
    args = ["--runs", "600", "--seed", "5", "--workers", "2", "--set", "segments.0.customers=3e4"]
    first = subprocess.run(
        [*CLI, "run", str(scenario), *args, "--out", str(out_dir)], capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    scenario.unlink()  # the rerun needs nothing but the document
    again = subprocess.run(
        [*CLI, "rerun", str(out_dir / "results.json"), "--workers", "1"],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0, again.stderr
    lines = again.stdout.splitlines()
    versions = f"cxsim {cxsim.__version__}, numpy {np.__version__}, scipy {scipy.__version__}"
    where = out_dir / "results.json"
    assert lines[0] == f"rerun of {where}: monte carlo, 600 runs, seed 5 ({versions})"
    assert lines[1].startswith("reproduced exactly: all ") and lines[1].endswith(" values match")
    assert int(lines[1].split()[3]) > 120  # metrics, attribution and indicators, every one


def test_the_expected_value_model_is_reproduced(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], scenario: Path
) -> None:
    doc = record(monkeypatch, capsys, "run", str(scenario), "--expected")
    path = save(doc, scenario.with_name("expected.json"))
    code, out, _ = main(monkeypatch, capsys, "rerun", path, "--json")
    found = json.loads(out)
    assert code == 0 and found["reproduced"] and found["differences"] == []
    assert found["kind"] == "rerun" and found["document_kind"] == "expected"
    assert found["checked"] > 100


def test_a_comparison_is_reproduced(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], scenario: Path
) -> None:
    """Including the budget search's pick, which only the recorded budget can repeat."""
    args = ["--runs", "256", "--seed", "3", "--workers", "1"]
    doc = record(monkeypatch, capsys, "compare", str(scenario), "--budget", "40000", *args)
    assert doc["provenance"]["compare"]["budget"] == 40000
    names = [o["name"] for o in doc["interventions"]]
    # The budget's pick, listed apart unless it is the recommended set itself.
    assert {"Best within budget: Fix delivery + Train agents", "Recommended set (2)"} & set(names)
    code, out, err = main(monkeypatch, capsys, "rerun", save(doc, scenario.with_name("c.json")))
    assert code == 0 and "reproduced exactly" in out, out + err


def test_a_comparison_of_chosen_interventions_is_reproduced(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], scenario: Path
) -> None:
    """Which interventions were asked for is recorded (and, failing that, read off the names)."""
    chosen = ["--intervention", "Train agents", "--intervention", "Fix delivery"]
    args = [*chosen, "--runs", "256", "--seed", "4", "--workers", "1"]
    doc = record(monkeypatch, capsys, "compare", str(scenario), *args)
    assert doc["provenance"]["compare"]["interventions"] == ["Train agents", "Fix delivery"]
    del doc["provenance"]["compare"]  # as a document written before it was recorded
    code, out, err = main(monkeypatch, capsys, "rerun", save(doc, scenario.with_name("c.json")))
    assert code == 0 and "reproduced exactly" in out, out + err


def test_a_run_to_a_precision_is_reproduced(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], scenario: Path
) -> None:
    """`--precision` stops at a number of runs of its choosing; that number is recorded."""
    doc = record(monkeypatch, capsys, "run", str(scenario), "--precision", "0.05", "--seed", "9")
    code, out, err = main(monkeypatch, capsys, "rerun", save(doc, scenario.with_name("p.json")))
    assert code == 0 and "reproduced exactly" in out, out + err


@pytest.fixture
def recorded(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], scenario: Path
) -> dict[str, Any]:
    return record(monkeypatch, capsys, "run", str(scenario), "--runs", "256", "--seed", "2")


def test_another_version_is_refused_saying_which(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    recorded: dict[str, Any],
    tmp_path: Path,
) -> None:
    recorded["provenance"]["cxsim_version"] = "0.0.9"
    recorded["provenance"]["numpy_version"] = "1.26.4"
    path = save(recorded, tmp_path / "old.json")
    code, out, err = main(monkeypatch, capsys, "rerun", path)
    assert code == 2 and out == ""
    assert err.strip() == (
        f"{path}: cannot reproduce exactly: it was made with cxsim 0.0.9 (this is cxsim "
        f"{cxsim.__version__}), numpy 1.26.4 (this is numpy {np.__version__}). Rerun it where "
        "those are installed (pip install cxsim==0.0.9 numpy==1.26.4)."
    )


def test_an_edited_scenario_is_not_reproduced(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    recorded: dict[str, Any],
    tmp_path: Path,
) -> None:
    """Exit code 1 (as `diff`): the differences are listed, and the broken hash is named."""
    text = recorded["provenance"]["scenario_text"]
    recorded["provenance"]["scenario_text"] = text.replace("revenue: 10", "revenue: 11")
    code, out, _ = main(monkeypatch, capsys, "rerun", save(recorded, tmp_path / "edited.json"))
    assert code == 1
    lines = out.splitlines()
    assert lines[1].startswith("NOT reproduced: ") and " values differ" in lines[1]
    assert "no longer matches its recorded SHA-256" in lines[2]
    assert lines[3].startswith("  scenario_sha256: recorded ")
    assert any(line.startswith("  metrics.lost_revenue.mean: recorded ") for line in lines)
    assert lines[-1].endswith("more (--json lists them all)")


def test_one_edited_number_is_found(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    recorded: dict[str, Any],
    tmp_path: Path,
) -> None:
    """The check is not vacuous: a change in the last digits of one number is caught."""
    p50 = recorded["metrics"]["lost_revenue"]["p50"]
    recorded["metrics"]["lost_revenue"]["p50"] = p50 * (1 + 1e-15)
    recorded["attribution"]["by_touchpoint"]["Delivery"] = None
    path = save(recorded, tmp_path / "edited.json")
    code, out, _ = main(monkeypatch, capsys, "rerun", path, "--json")
    found = json.loads(out)
    assert code == 1 and not found["reproduced"]
    assert [d["path"] for d in found["differences"]] == [
        "metrics.lost_revenue.p50",
        "attribution.by_touchpoint.Delivery",
    ]
    assert found["differences"][0]["now"] == p50
    assert found["exactly"] is False and found["rounded"] == []  # made on this CPU: bit for bit


def test_another_cpus_rounding_is_reproduced_up_to_rounding_and_nothing_more(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    recorded: dict[str, Any],
    tmp_path: Path,
) -> None:
    """A document made on another kind of CPU may differ in the last digits (numpy and OpenBLAS
    pick CPU-specific kernels): that is reproduced, and said; a larger change is not."""
    assert recorded["provenance"]["cpu"] == cpu_kind()
    recorded["provenance"]["cpu"] = "Some other CPU, x86_64 AVX512_SKX"
    p50 = recorded["metrics"]["lost_revenue"]["p50"]
    recorded["metrics"]["lost_revenue"]["p50"] = p50 * (1 + 3e-16)
    recorded["attribution"]["by_touchpoint"]["Delivery"] *= 1 - 4e-14
    path = save(recorded, tmp_path / "elsewhere.json")
    code, out, err = main(monkeypatch, capsys, "rerun", path)
    lines = out.splitlines()
    assert code == 0, out + err
    assert lines[1].startswith("reproduced up to rounding: all ")
    assert lines[1].endswith(" values match, 2 of them in all but the last digits")
    assert "made on Some other CPU, x86_64 AVX512_SKX, this is " + cpu_kind() in lines[2]
    assert "at most 4.0e-14 relative" in lines[2]
    found = cxsim.rerun(recorded, workers=1)
    assert found.reproduced and found.to_dict()["exactly"] is False
    assert sorted(p for p, _, _ in found.rounded) == [
        "attribution.by_touchpoint.Delivery",
        "metrics.lost_revenue.p50",
    ]
    recorded["metrics"]["lost_revenue"]["p50"] = p50 * (1 + 1e-10)  # beyond rounding
    found = cxsim.rerun(recorded, workers=1)
    assert not found.reproduced and [p for p, _, _ in found.differences] == [
        "metrics.lost_revenue.p50"
    ]
    assert "1 more differ in their last digits only" in found.text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Tiny shop\nmonte carlo, 256 runs\n", ":1:1: not a cxsim results document (not JSON"),
        (TINY, ":2:1: not a cxsim results document (not JSON"),
        ("[1, 2]", ": not a cxsim results document (it has no 'provenance')"),
        ('{"metrics": {}}', ": not a cxsim results document (it has no 'provenance')"),
        (
            '{"kind": "monte_carlo", "provenance": {"scenario_text": null}}',
            ": the document does not hold the scenario's text",
        ),
    ],
)
def test_what_cannot_be_rerun_exits_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: str,
    message: str,
) -> None:
    path = tmp_path / "doc.json"
    path.write_text(content)
    code, out, err = main(monkeypatch, capsys, "rerun", str(path))
    assert code == 2 and out == "" and err.startswith(f"{path}{message}"), err


def test_results_made_in_python_say_they_cannot_be_rerun(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    results = cxsim.simulate(cxsim.loads(TINY), runs=16, seed=1)  # no file, so no text
    path = tmp_path / "notebook.json"
    path.write_text(results.to_json())
    code, _, err = main(monkeypatch, capsys, "rerun", str(path))
    assert code == 2 and "made from a Scenario built in Python" in err
    code, _, err = main(monkeypatch, capsys, "rerun", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read" in err


def test_provenance_records_what_a_rerun_needs() -> None:
    source = cxsim.model.loader.Source("tiny.yaml", TINY, ("segments.0.customers=100",))
    doc = cxsim.expected(cxsim.loads(TINY, "tiny.yaml", source.overrides), source=source).to_dict()
    assert doc["scenario_sha256"] == source.sha256 and doc["kind"] == "expected"
    assert doc["provenance"] == {
        "scenario_source": "tiny.yaml",
        "scenario_text": TINY,
        "overrides": ["segments.0.customers=100"],
        "cxsim_version": cxsim.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "python_version": doc["provenance"]["python_version"],
        "cpu": cpu_kind(),
    }
    assert ROOT.exists()


def test_a_run_kept_as_statistics_is_reproduced(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], scenario: Path
) -> None:
    """Above `KEEP_RUNS_UP_TO` runs, `run` keeps statistics only; its document reruns too."""
    monkeypatch.setattr(cxsim.cli.main, "KEEP_RUNS_UP_TO", 100)
    doc = record(monkeypatch, capsys, "run", str(scenario), "--runs", "300", "--seed", "6")
    assert doc["kind"] == "monte_carlo_summary" and doc["runs"] == 300
    code, out, err = main(monkeypatch, capsys, "rerun", save(doc, scenario.with_name("s.json")))
    assert code == 0, out + err
    assert out.splitlines()[0].endswith(
        f"monte carlo (statistics only), 300 runs, seed 6 (cxsim {cxsim.__version__}, "
        f"numpy {np.__version__}, scipy {scipy.__version__})"
    )
    assert "reproduced exactly" in out
    doc["period_means"]["active"][3] *= 1 + 1e-12  # not vacuous: the per-period means are checked
    found = cxsim.rerun(doc, workers=1)
    assert [path for path, _, _ in found.differences] == ["period_means.active[3]"]


@pytest.mark.xdist_group(SHARED_REPORTS)
def test_a_report_is_reproduced_with_its_comparison_sensitivity_and_reconciliation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cli_report: Any
) -> None:
    """`cxsim report`'s results.json holds the run, the comparison, the tornado and the status
    quo against the actuals: all rerun (the Japanese example's report, shared)."""
    path = cli_report("japan_ec.yaml") / "results.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert {"comparison", "sensitivity", "reconciliation"} <= set(doc)
    assert doc["kind"] == "monte_carlo"
    code, out, err = main(monkeypatch, capsys, "rerun", str(path), "--json")
    found = json.loads(out)
    assert code == 0 and found["reproduced"], out + err
    assert found["document_kind"] == "report"
    doc["sensitivity"]["bars"][0]["swing"] *= 1 + 1e-12
    doc["comparison"]["interventions"][0]["name"] = "Something else"
    doc["reconciliation"]["reconciliation"][-1]["modelled"] *= 1 + 1e-12
    again = cxsim.rerun(doc, workers=1)
    assert sorted(p for p, _, _ in again.differences) == [
        "comparison.interventions[0].name",
        f"reconciliation.reconciliation[{len(doc['reconciliation']['reconciliation']) - 1}]"
        ".modelled",
        "sensitivity.bars[0].swing",
    ]
    assert "NOT reproduced: 3 of " in again.text()


@pytest.mark.parametrize("how", [["--runs", "64", "--seed", "3"], ["--expected"]])
def test_a_run_with_actuals_is_reproduced_with_its_reconciliation(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    how: list[str],
) -> None:
    """`cxsim run --json` adds the status quo against the scenario's actuals; a rerun makes it
    again and checks it (it once said such a run was not reproduced)."""
    doc = record(monkeypatch, capsys, "run", str(ROOT / "scenarios" / "ecommerce.yaml"), *how)
    assert doc["reconciliation"]["reconciliation"]
    code, out, err = main(monkeypatch, capsys, "rerun", save(doc, tmp_path / "r.json"))
    assert code == 0 and "reproduced exactly" in out, out + err


def test_a_summary_with_actuals_is_reconciled_on_the_expected_value_model() -> None:
    """Above `cxsim run`'s kept-runs limit the run keeps no periods, so `cxsim run` reconciles
    the expected-value model; a rerun of such a document does the same."""
    from cxsim.analysis.calibration import reconcile

    scenario, source = cxsim.load_with_source(ROOT / "scenarios" / "ecommerce.yaml")
    summary = cxsim.summarise(scenario, runs=300, seed=2, source=source)
    doc = json.loads(summary.to_json())
    doc["reconciliation"] = reconcile(scenario).to_dict()
    assert doc["reconciliation"]["basis"] == "expected"
    found = cxsim.rerun(doc, workers=1)
    assert found.reproduced, found.text()


def test_rerun_in_python_takes_a_document_and_returns_a_result(
    recorded: dict[str, Any],
) -> None:
    found = cxsim.rerun(recorded, workers=1)
    assert found.reproduced and found.document_kind == "monte_carlo"
    assert found.to_frame().empty and found.to_dict()["kind"] == "rerun"
    assert str(found) == found.text() and found.text().startswith("rerun of <document>: monte")
