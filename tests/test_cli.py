"""The `cxsim` command: run, validate, schema, as a user types them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, SCENARIOS, cxsim_in_process

CLI = [sys.executable, "-m", "cxsim"]


def cxsim(*args: str) -> subprocess.CompletedProcess[str]:
    """In this process: what is tested here is the command's output, not Python's start-up."""
    return cxsim_in_process(*args, cwd=ROOT)


def test_validate_all_examples() -> None:
    """As a user types it: a real `python -m cxsim` process."""
    out = subprocess.run(
        [*CLI, "validate", *map(str, SCENARIOS)], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count(": ok") == len(SCENARIOS)


def test_run_json_document() -> None:
    out = cxsim("run", "scenarios/ecommerce.yaml", "--runs", "64", "--seed", "7", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["scenario"] == "Modehaus online retailer"
    assert doc["seed"] == 7 and doc["runs"] == 64
    assert len(doc["scenario_sha256"]) == 64 and doc["cxsim_version"]
    for metric in ("lost_revenue", "customers_lost", "lost_acquisitions", "churn_rate"):
        assert set(doc["metrics"][metric]) >= {"mean", "std", "sem", "p5", "p50", "p95"}
    m = doc["metrics"]["lost_revenue"]
    assert m["p5"] <= m["p50"] <= m["p95"] and m["sem"] > 0
    for by in ("by_touchpoint", "by_stage", "by_segment", "by_pathway"):
        assert sum(doc["attribution"][by].values()) == pytest.approx(m["mean"], rel=1e-9)
    assert "Late delivery" in doc["attribution"]["by_touchpoint"]
    again = json.loads(
        cxsim("run", "scenarios/ecommerce.yaml", "--runs", "64", "--seed", "7", "--json").stdout
    )
    assert again["metrics"] == doc["metrics"]


def test_run_expected_and_set() -> None:
    base = json.loads(cxsim("run", "scenarios/ecommerce.yaml", "--expected", "--json").stdout)
    assert base["kind"] == "expected" and base["runs"] == 1
    double = json.loads(
        cxsim(
            "run",
            "scenarios/ecommerce.yaml",
            "--expected",
            "--json",
            "--set",
            "segments.0.customers=240000",
        ).stdout
    )
    assert double["metrics"]["lost_revenue"]["mean"] > base["metrics"]["lost_revenue"]["mean"]
    assert double["scenario_sha256"] != base["scenario_sha256"]


def test_run_prints_a_readable_summary() -> None:
    out = cxsim("run", "scenarios/subscription.yaml", "--runs", "64", "--seed", "1")
    assert out.returncode == 0, out.stderr
    assert "Lost margin from experience failures" in out.stdout
    assert "By touchpoint:" in out.stdout and "$" in out.stdout


def test_run_out_writes_files_and_never_overwrites(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    first = cxsim(
        "run", "scenarios/ecommerce.yaml", "--runs", "64", "--seed", "1", "--out", str(out_dir)
    )
    assert first.returncode == 0, first.stderr
    written = json.loads((out_dir / "results.json").read_text())
    assert written["provenance"]["scenario_text"].startswith("# An online fashion retailer")
    before = (out_dir / "results.json").read_bytes()
    second = cxsim(
        "run", "scenarios/ecommerce.yaml", "--runs", "64", "--seed", "2", "--out", str(out_dir)
    )
    assert second.returncode == 2 and "--force" in second.stderr
    assert (out_dir / "results.json").read_bytes() == before
    third = cxsim(
        "run",
        "scenarios/ecommerce.yaml",
        "--runs",
        "64",
        "--seed",
        "2",
        "--out",
        str(out_dir),
        "--force",
    )
    assert third.returncode == 0
    names = [
        ".cxsim-manifest.json",
        "results.json",
        "summary.txt",
    ]  # the manifest: what --force may replace
    assert sorted(p.name for p in out_dir.iterdir()) == names


def test_schema_is_json() -> None:
    out = cxsim("schema")
    assert out.returncode == 0
    assert json.loads(out.stdout)["title"] == "cxsim scenario"


def test_run_to_a_precision_says_how_many_runs_it_took() -> None:
    out = cxsim("run", "scenarios/ecommerce.yaml", "--precision", "0.01", "--seed", "1", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    m = doc["metrics"]["lost_revenue"]
    assert 1.96 * m["sem"] <= 0.0101 * m["mean"]
    assert f"after {doc['runs']:,} runs" in out.stderr and "reached" in out.stderr
