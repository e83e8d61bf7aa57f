"""What the figures rest on: the company's records, published figures or assumptions, in the
report and the workbook; and the sample records carried through `calibrate records`,
`calibrate scenario` and `report` into both."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import yaml
from pypdf import PdfReader

import cxsim
from cxsim.model.paths import iter_inputs
from cxsim.outputs.provenance import (
    KINDS,
    counts,
    provenance,
    provenance_page,
    provenance_sheet,
    rests_on,
)

from .conftest import ROOT, TINY, cxsim_in_process

SAMPLE = ROOT / "scenarios" / "records"


@pytest.mark.parametrize(
    ("comment", "kind"),
    [
        ("records: 93 of 184 dissatisfied first complainers (major) left", "company data"),
        ("solved by cxsim calibrate from actuals", "company data"),
        ("quality problems: 5-30% complain (Goodman, P)", "published"),
        ("Coca-Cola/TARP 4-5 (S); Rage 2020 3.7 (S)", "published"),
        ("PwC 2018: 17% leave after one bad experience", "published"),
        ("from records by cxsim calibrate records; assumption: silent failures are not in "
         "records (kept from the scenario)", "assumed"),
        ("made up: a support contact", "assumed"),
        ("no published figure; below dissatisfied complainers", "assumed"),
        ("trials that become paying subscribers", "no source"),  # describes, cites nothing
        ("", "no source"),
    ],
)  # fmt: skip
def test_a_comment_says_what_the_figure_rests_on(comment: str, kind: str) -> None:
    assert rests_on(comment) == kind


def commented(tmp_path: Path) -> cxsim.Results:
    """TINY with one input from records, one published, one assumed, one hostile comment, in
    the expected-value model."""
    text = (
        TINY.replace(
            "churn: {model: constant, rate: 0.02}",
            "churn: {model: constant, rate: 0.02}  # records: 40 of 2,000 customer-windows",
        )
        .replace("complaint_rate: 0.5", "complaint_rate: 0.5  # about half (Goodman, P)")
        .replace("deterred: 0.02", "deterred: 0.02  # assumption: nobody measured it")
        .replace("referred: 0.02", 'referred: 0.02  # =HYPERLINK("http://x") (2020)')
    )
    path = tmp_path / "commented.yaml"
    path.write_text(text, encoding="utf-8")
    scenario, source = cxsim.load_with_source(path)
    return cxsim.expected(scenario, source=source)


def test_the_rows_and_their_counts(tmp_path: Path) -> None:
    results = commented(tmp_path)
    rows = provenance(results)
    by_path = {r.path: r for r in rows}
    assert by_path["segments.0.churn.rate"].kind == "company data"
    assert by_path["loss_tree.complaint_rate"].kind == "published"
    assert by_path["loss_tree.word_of_mouth.deterred"].kind == "assumed"
    assert [r.kind for r in rows] == sorted((r.kind for r in rows), key=KINDS.index)
    n = counts(rows)
    assert sum(n.values()) == len(rows) == len(list(iter_inputs(results.scenario)))
    assert n["company data"] == 1 and n["assumed"] == 1 and n["published"] == 2


def test_the_sheet_holds_every_input_as_text(tmp_path: Path) -> None:
    results = commented(tmp_path)
    book = openpyxl.Workbook()
    provenance_sheet(book.active, results)
    book.save(tmp_path / "p.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "p.xlsx")["Provenance"]
    body = list(ws.iter_rows(min_row=5, values_only=True))
    assert len(body) == len(provenance(results))
    hostile = next(row for row in body if row[1] == "loss_tree.word_of_mouth.referred")
    assert hostile[3].startswith("=HYPERLINK") and hostile[2] == "published"
    cell = next(c for row in ws.iter_rows(min_row=5) for c in row if c.value == hostile[3])
    assert cell.data_type == "s" and cell.quotePrefix  # text, never a formula


def test_the_page_counts_and_lists(tmp_path: Path) -> None:
    results = commented(tmp_path)
    fig = provenance_page(results)
    words = " ".join(t.get_text() for t in fig.texts)
    assert "the company's own data (records, actuals): 1;" in words
    table = fig.axes[0].tables[0]
    shown = [c.get_text().get_text() for (r, c), c in table.get_celld().items() if r > 0]
    assert "company data" in shown and "assumed" in shown and "published" in shown


@pytest.mark.slow
def test_sample_records_reach_the_report(tmp_path: Path) -> None:
    """The sample records through `calibrate records`, `calibrate scenario` and `report`: the
    figures learnt from the records are the scenario's in the workbook, marked as company data
    with their counts, and the PDF has the page that says so."""
    first, second, out = tmp_path / "records.yaml", tmp_path / "calibrated.yaml", tmp_path / "r"
    done = cxsim_in_process(
        "calibrate", "records",
        "--customers", str(SAMPLE / "customers.csv"),
        "--contacts", str(SAMPLE / "contacts.csv"),
        "--map", "customer=customer_id",
        "--scenario", str(ROOT / "scenarios" / "subscription.yaml"),
        "--as-of", "2024-12-31", "--json", "-o", str(first),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    learnt = {r["path"]: r for r in yaml.safe_load(done.stdout)["rows"] if r.get("dist")}
    major = learnt["loss_tree.defection.dissatisfied.major"]
    done = cxsim_in_process("calibrate", "scenario", str(first), "-o", str(second))
    assert done.returncode == 0, done.stderr
    # without the interventions, which play no part here (their comparison takes seconds)
    args = ["report", str(second), "--runs", "2", "--seed", "1", "-o", str(out)]
    done = cxsim_in_process(*args, "--set", "interventions=[]")
    assert done.returncode == 0, done.stderr

    book = openpyxl.load_workbook(out / "workbook.xlsx")
    rows = {r[1]: r for r in book["Provenance"].iter_rows(min_row=5, values_only=True)}
    row = rows["loss_tree.defection.dissatisfied.major"]
    assert row[2] == "company data" and row[3].startswith("records: ")
    assert major["basis"] in row[3]
    assert rows["loss_tree.defection.silent.major"][2] == "assumed"
    inputs = [r for r in book["Inputs"].iter_rows(values_only=True) if r[5] == row[3]]
    assert inputs and inputs[0][2] == pytest.approx(major["estimate"], rel=1e-4)
    pdf = "".join(page.extract_text() for page in PdfReader(out / "report.pdf").pages)
    assert "What the figures rest on" in pdf and "records: " in pdf
