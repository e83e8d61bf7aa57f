"""The report folder: exactly the files promised, a PDF whose pages carry content, no partial
files after a failure, and no overwriting of a folder that is not empty unless asked."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

import cxsim
from cxsim._version import __version__
from cxsim.analysis.report_contents import report_contents
from cxsim.analysis.sensitivity import tornado
from cxsim.errors import UserError
from cxsim.formatting.money import format_money_label, shared_unit
from cxsim.outputs import charts, report
from cxsim.outputs.files import MANIFEST

from .conftest import (
    FORCED,
    ROOT,
    SHARED_REPORTS,
    SHARED_RUNS,
    SHARED_SEED,
    TINY,
    cxsim_in_process,
)

RUNS = 64
ALL_CHARTS = [
    "customers_over_time",
    "indicators",
    "intervention_npv",
    "intervention_value",
    "loss_by_pathway",
    "loss_distribution",
    "loss_waterfall",
    "tornado",
]


def strict_json(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def subscription() -> tuple[Any, Any, Any]:
    from cxsim.analysis.compare import compare
    from cxsim.analysis.sensitivity import tornado

    scenario, source = cxsim.load_with_source(ROOT / "scenarios" / "subscription.yaml")
    names = [iv.name for iv in scenario.interventions[:2]]
    comparison = compare(scenario, runs=RUNS, seed=5, interventions=names, source=source)
    return comparison.baseline, comparison, tornado(scenario)


@pytest.fixture(scope="module")
def forced(cli_report: Any) -> Path:
    """The subscription example's report, written by `cxsim report --force` over an earlier
    report of cxsim's with fewer charts, in a folder where the user added a note beside it and
    one among the charts (`tests.conftest.cli_report`, shared with the tests that read it)."""
    return cli_report(*FORCED)


@pytest.fixture(scope="module")
def forced_doc(forced: Path) -> dict[str, Any]:
    """The forced report's results.json."""
    return strict_json((forced / "results.json").read_text(encoding="utf-8"))


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.mark.xdist_group(SHARED_REPORTS)
def test_force_replaces_the_report_and_keeps_other_files(forced: Path) -> None:
    mine = ["notes.txt", "charts/my_notes.txt", MANIFEST]
    assert files_in(forced) == sorted([*report.report_files(ALL_CHARTS), *mine])
    assert (forced / "notes.txt").read_text() == "mine"
    assert (forced / "charts" / "my_notes.txt").read_text() == "also mine"
    assert not list(forced.parent.glob(".*"))  # no staging folder left beside it


@pytest.mark.xdist_group(SHARED_REPORTS)
def test_charts_are_png_at_200_dpi_svg_and_pdf(forced: Path) -> None:
    for name in ALL_CHARTS:
        with Image.open(forced / "charts" / f"{name}.png") as png:
            assert png.width >= 2000 and round(png.info["dpi"][0]) >= 200
        assert (forced / "charts" / f"{name}.svg").read_text().lstrip().startswith("<?xml")
        assert (forced / "charts" / f"{name}.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.xdist_group(SHARED_REPORTS)
def test_report_pdf_opens_with_the_summary_and_has_a_page_per_chart(
    forced: Path, forced_doc: dict[str, Any]
) -> None:
    outcomes = [o["name"] for o in forced_doc["comparison"]["interventions"]]
    pages = PdfReader(forced / "report.pdf").pages
    # summary, assumptions, P&L, reconciliation, charts, decisions, then method, sources (on
    # as many pages as they take), what the figures rest on, glossary, limitations
    words = [" ".join(p.extract_text().split()) for p in pages]
    opening = 4 + len(ALL_CHARTS)
    decisions = words[opening]
    for phrase in ("Decisions: what to fund", "pays in 80% of runs", "value of information"):
        assert phrase in decisions, phrase
    for name in outcomes:
        assert name in decisions, name
    closing = words[opening + 1 :]
    sources = len(closing) - 4
    assert sources >= 1
    titles = ["How the model works", "Sources", *["Sources (continued)"] * (sources - 1)]
    tail = ["What the figures rest on", "Glossary", "Limitations"]
    for page, title in zip(closing, [*titles, *tail], strict=True):
        # the provenance page's table (an axes) comes first in the PDF's text order
        assert page.startswith(title) or (title.startswith("What") and title in page), page[:80]
    assert "(Goodman, P)" in " ".join(closing[1 : 1 + sources])  # the scenario's comments
    assert not any(re.search(r"\+ \d+ more", page) for page in closing[: 1 + sources])
    provenance = closing[1 + sources]
    assert "published" in provenance and "assumed" in provenance
    assert "standard error ±" in " ".join(pages[0].extract_text().split())
    assert "Cost of poor experience" in words[2] and "Revenue side" in words[2]
    assert "Status quo against actuals" in pages[3].extract_text()
    first = pages[0].extract_text()
    mean = forced_doc["metrics"]["lost_revenue"]["mean"]
    for expected in (
        "StreamCo subscription service: what experience failures cost",
        format_money_label(mean, "USD"),
        f"seed {SHARED_SEED}",
        f"cxsim {__version__}",
        forced_doc["scenario_sha256"][:16],
        outcomes[0],
    ):
        assert expected in first, expected
    assert "Main assumptions" in pages[1].extract_text()
    # titles state findings: "... exceeds", "... causes 36% of the lost revenue", ...
    titles = ["1 run in 20 exceeds", "of the lost", "Customers who", "more customers by the end"]
    text = " ".join(p.extract_text() for p in pages[4:opening])
    for title in [*titles, "Churn averages", "times its cost", "moves the"]:
        assert title in " ".join(text.split()), title
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pages}
    assert sizes == {(720, 405)}  # every page 10 x 5.625 in
    for page in pages:
        assert len(page.get_contents().get_data()) > 3000  # drawn, not blank


@pytest.mark.xdist_group(SHARED_REPORTS)
def test_json_workbook_and_summary(forced: Path, forced_doc: dict[str, Any]) -> None:
    """results.json is the simulation `cxsim report` ran: the same runs and seed simulated
    again here give its figures and its options, best first."""
    doc = forced_doc
    assert doc["seed"] == SHARED_SEED and doc["runs"] == SHARED_RUNS
    scenario = cxsim.load(ROOT / "scenarios" / "subscription.yaml")
    comparison = cxsim.compare(scenario, runs=SHARED_RUNS, seed=SHARED_SEED, workers=1)
    s = comparison.baseline.stats("lost_revenue")
    assert doc["metrics"]["lost_revenue"]["mean"] == s["mean"]
    assert [o["name"] for o in doc["comparison"]["interventions"]] == [
        o.name for o in comparison.outcomes
    ]
    assert doc["sensitivity"]["method"] == "tornado"
    assert "Interventions" in load_workbook(forced / "workbook.xlsx").sheetnames
    md = (forced / "summary.md").read_text(encoding="utf-8")
    assert md.startswith("# StreamCo subscription service")
    assert shared_unit([s["mean"], s["p5"], s["p95"]], "USD")(s["mean"]) in md
    assert "## Interventions compared" in md and f"seed {SHARED_SEED}" in md


@pytest.mark.xdist_group(SHARED_REPORTS)
def test_refuses_a_folder_that_is_not_empty(tmp_path: Path, subscription: Any) -> None:
    results, _, _ = subscription
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(UserError, match="--force"):
        report.write_report(results, None, tmp_path)
    assert files_in(tmp_path) == ["keep.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="not a folder"):
        report.write_report(results, None, tmp_path / "file")


@pytest.mark.xdist_group(SHARED_REPORTS)
@pytest.mark.parametrize("existing", [False, True])
def test_a_failure_midway_leaves_nothing_behind(
    tmp_path: Path, subscription: Any, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    """A chart that fails after another was saved: no report folder (or the old one intact),
    and no staging folder beside it."""
    results, _, _ = subscription
    out = tmp_path / "report"
    if existing:  # an earlier report of cxsim's, as its manifest says
        out.mkdir()
        (out / "summary.md").write_text("old summary")
        sha = hashlib.sha256(b"old summary").hexdigest()
        (out / MANIFEST).write_text(json.dumps({"files": {"summary.md": sha}}))
    saved = []
    real_save = charts.save

    def failing_save(fig: Any, path: list[Path], dpi: int = charts.DPI) -> None:
        if saved:  # the second chart: the first is on disk, in the staging folder
            raise RuntimeError("disk full")
        real_save(fig, path, dpi)
        saved.extend(p for p in path if Path(p).is_file())  # PNG, SVG and PDF, in staging

    monkeypatch.setattr(charts, "save", failing_save)
    with pytest.raises(RuntimeError, match="disk full"):
        report.write_report(results, None, out, force=existing)
    assert len(saved) == 3 and not any(Path(p).exists() for p in saved)
    assert files_in(tmp_path) == ([f"report/{MANIFEST}", "report/summary.md"] if existing else [])
    if existing:
        assert (out / "summary.md").read_text() == "old summary"
    assert [p.name for p in tmp_path.iterdir()] == (["report"] if existing else [])


@pytest.mark.xdist_group(SHARED_REPORTS)
def test_cli_writes_a_japanese_report(cli_report: Any) -> None:
    """`cxsim report` end to end on the Japanese example, into a folder named in Japanese:
    every promised file and nothing else, Japanese on the PDF's first page, and a second run
    into the same folder refused (the report is shared with the tests that read it)."""
    out = cli_report("japan_ec.yaml")
    assert out.name == "レポート"
    assert files_in(out) == sorted([*report.report_files(ALL_CHARTS), MANIFEST])
    first = PdfReader(out / "report.pdf").pages[0].extract_text()
    assert "さくら生活便 オンラインストア：顧客体験の失敗による損失" in first
    assert "逸失粗利" in first and "億" in first
    assert "苦情を言わずに" in (out / "summary.md").read_text(encoding="utf-8")
    before = {f: (out / f).read_bytes() for f in files_in(out)}
    args = ["report", "scenarios/japan_ec.yaml", "-o", str(out), "--runs", str(RUNS)]
    again = cxsim_in_process(*args, "--seed", "3", "--workers", "1")
    assert again.returncode == 2 and "--force" in again.stderr
    assert {f: (out / f).read_bytes() for f in files_in(out)} == before


@pytest.mark.xdist_group(SHARED_REPORTS)
def test_the_pnl_page_adds_up(subscription: Any) -> None:
    """Both sides make the cost of poor experience; each outcome's sides net to its NPV; the
    recommended set's members are named on the summary page."""
    from cxsim.outputs.pnl_page import pnl_figures

    results, comparison, _ = subscription
    pnl = pnl_figures(results, comparison)
    assert pnl.cost_side > 0  # the subscription example states costs of failures
    assert pnl.revenue_side + pnl.cost_side == pytest.approx(pnl.total, rel=1e-9)
    assert sum(pnl.by_pathway.values()) == pytest.approx(pnl.revenue_side, rel=1e-9)
    assert pnl.outcomes and pnl.outcomes[0].name == comparison.outcomes[0].name
    for lines, o in zip(pnl.outcomes, comparison.outcomes, strict=False):
        assert lines.cost_avoided_total == pytest.approx(float(o.cost_avoided.mean()), rel=1e-9)
        net = lines.loss_avoided + lines.cost_avoided_total - lines.cost
        assert net == pytest.approx(float(o.npv.mean()), rel=1e-9)


@pytest.mark.xdist_group(SHARED_REPORTS)
def test_without_a_comparison_the_pnl_page_gives_each_lines_range(subscription: Any) -> None:
    """With no interventions beside it, the statement shows each line's P5 and P95 over the
    runs; they do not add up (as the page says), and the expected-value model has none."""
    from cxsim.engine.stats import interval
    from cxsim.outputs.pnl_page import RANGE_X, pnl_figures, pnl_page

    results, comparison, _ = subscription
    pnl = pnl_figures(results)
    lost = results.metric("lost_revenue")
    costs = results.metric("cost_of_poor_experience") - lost  # run by run, the cost side
    assert pnl.ranges["cost_side"] == pytest.approx(interval(costs), rel=1e-9)
    assert pnl.ranges["revenue_side"] == pytest.approx(interval(lost), rel=1e-12)
    assert all(lo <= hi for lo, hi in pnl.ranges.values())
    lines = [*pnl.by_pathway, *pnl.costs]
    assert sum(pnl.ranges[k][1] for k in lines) > pnl.ranges["total"][1]  # not additive

    def right_column(fig: Any) -> list[str]:
        return [t.get_text() for t in fig.texts if t.get_position()[0] == RANGE_X[1]]

    shown = [k for k, v in pnl.by_pathway.items() if abs(v) >= 1e-9 * pnl.total]
    column = right_column(pnl_page(results))
    assert column[0] == "P95" and len(column) == 1 + 1 + len(shown) + 1 + len(pnl.costs) + 1
    assert right_column(pnl_page(results, comparison)) == []
    expected = cxsim.expected(results.scenario)
    assert pnl_figures(expected).ranges == {} and right_column(pnl_page(expected)) == []


@pytest.mark.xdist_group(SHARED_REPORTS)
def test_the_best_tile_lists_the_recommended_members(
    forced: Path, forced_doc: dict[str, Any]
) -> None:
    from cxsim.outputs.labels import members_of

    best = forced_doc["comparison"]["interventions"][0]
    known = [iv.name for iv in cxsim.load(ROOT / "scenarios" / "subscription.yaml").interventions]
    members = members_of(best["name"], best["description"], known)
    assert len(members) >= 2  # the recommended set leads
    first = " ".join(PdfReader(forced / "report.pdf").pages[0].extract_text().split())
    for name in members:
        assert name in first, name


def test_japanese_words_and_money(tmp_path: Path) -> None:
    """Japanese sentences: yen as 億円 / 万円, one unit per interval, full-width punctuation;
    the same scenario in English: English units."""
    from cxsim.outputs.words import headline

    scenario = cxsim.load(ROOT / "scenarios" / "japan_ec.yaml")
    results = cxsim.simulate(scenario, runs=32, seed=2)
    ja = headline(results, None, "ja")
    joined = "".join(ja)
    assert "円" in joined and "¥" not in joined
    assert not re.search(r"[(),:;]", joined), joined  # full-width （）、：
    pairs = re.findall(r"[\d.,]+(万|億|兆)?円〜[\d.,]+(万|億|兆)?円", joined)
    assert pairs and all(a == b for a, b in pairs), pairs
    en = " ".join(headline(results, None, "en"))
    assert "¥" in en and not re.search("[万億兆円]", en), en
    assert re.search(r"¥[\d.,]+[MBk]", en), en


#: TINY at a 50% margin, with an uncertain failure rate (to swing) and an intervention.
MARGINS = TINY.replace("revenue: 10\n", "revenue: 10\n    margin: 0.5\n").replace(
    "{name: Delivery, exposure: 0.5, failure_rate: 0.1, severity: major}",
    "{name: Delivery, exposure: 0.5, severity: major,\n"
    "           failure_rate: {dist: uniform, low: 0.05, high: 0.15}}",
) + (
    "interventions:\n"
    "  - name: Better couriers\n"
    "    effects:\n"
    '      - {path: "journey.stages[Use].touchpoints[Delivery].failure_rate", scale: 0.5}\n'
    "    costs: {per_period: 100}\n"
)


def test_the_tornado_measures_what_the_headline_does() -> None:
    """A scenario valued on revenue is compared on margin; the report's tornado swings the
    scenario as simulated, so its base (every input at its mean) is near the margin headline,
    not the revenue it would be on the scenario as written (twice as large at a 50% margin).
    (What `cxsim report` writes of these is the shared reports' tests' business.)"""
    scenario = cxsim.modify(cxsim.loads(MARGINS), {"economics.value": "revenue"})
    contents = report_contents(scenario, runs=40, seed=3)
    assert contents.comparison is not None and contents.comparison.outcomes
    assert contents.sensitivity is not None and not contents.sensitivity.bars.empty
    headline = contents.results.stats("lost_revenue")["mean"]
    assert contents.sensitivity.base == pytest.approx(headline, rel=0.1)
    as_written = tornado(scenario).base  # on revenue: the test tells the two apart
    assert as_written == pytest.approx(2 * headline, rel=0.1)
