"""`calibrate records`: the loss tree learnt from customer and contact records.

Recovery: records simulated one customer at a time (vectorised over customers) from known rates;
the Jeffreys 95% intervals must cover the true rates in 93-97% of 200 replications. The sample
dataset runs end to end; malformed records exit 2 naming the file, row and column.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import cxsim
from cxsim.analysis.records import calibrate_records, read_mapping, read_records
from cxsim.analysis.records.estimate import fit_memory, fit_response_curve, jeffreys_interval
from cxsim.analysis.records.measure import baseline_counts, complaint_windows, path_counts
from cxsim.analysis.records.reading import Records
from cxsim.cli.main import cli, main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "scenarios" / "records"
WINDOW = 30
DAY = np.timedelta64(1, "D")
T0 = np.datetime64("2024-01-01")
#: churn within the window after a first complaint, by outcome (rows) and minor / major
TRUE_PATH = np.array([[0.06, 0.15], [0.12, 0.30], [0.25, 0.50]])
TRUE_BASELINE = 0.04


def simulate_records(rng: np.random.Generator, n: int = 600, windows: int = 5) -> Records:
    """Customers join in window 0; in each later window an active customer complains (on its
    first day) with probability 0.3 or not; churn within the window follows the true rates
    (a first complaint's path rate; the odds x3 after an earlier dissatisfied complaint)."""
    start = rng.integers(0, WINDOW, n)
    end = np.full(n, -1)
    prior = np.zeros(n, dtype=int)
    seen = np.zeros(n, dtype=bool)
    rows = []
    for k in range(1, windows):
        alive = end < 0
        contact = alive & (rng.random(n) < 0.3)
        idx = np.flatnonzero(contact)
        out = rng.choice(3, idx.size, p=[0.5, 0.25, 0.25])
        major = rng.random(idx.size) < 0.4
        p = TRUE_PATH[out, major.astype(int)]
        odds = p / (1 - p) * np.where(prior[idx] > 0, 3.0, 1.0)
        churn = rng.random(idx.size) < odds / (1 + odds)
        end[idx[churn]] = k * WINDOW + rng.integers(1, WINDOW, churn.sum())
        prior[idx] += out == 2
        seen[idx] = True
        quiet = alive & ~contact & (rng.random(n) < TRUE_BASELINE)
        end[quiet] = k * WINDOW + rng.integers(0, WINDOW, quiet.sum())
        rows.append((idx, np.full(idx.size, k * WINDOW), out, major))
    idx, day, out, major = (np.concatenate(x) for x in zip(*rows, strict=True))
    ids = np.array([f"c{i}" for i in range(n)])
    customers = pd.DataFrame(
        {
            "id": ids,
            "segment": "All",
            "start": pd.to_datetime(T0 + start * DAY),
            "end": pd.to_datetime(np.where(end >= 0, T0 + end * DAY, np.datetime64("NaT"))),
            "revenue": 10.0,
        }
    )
    contacts = pd.DataFrame(
        {
            "customer": ids[idx],
            "date": pd.to_datetime(T0 + day * DAY),
            "touchpoint": "Billing",
            "channel": "",
            "response_hours": np.nan,
            "outcome": np.array(["satisfied", "mollified", "dissatisfied"])[out],
            "severity": np.where(major, "major", "minor"),
        }
    ).sort_values(["customer", "date"], kind="stable")
    as_of = pd.Timestamp(T0 + windows * WINDOW * DAY)
    return Records(customers, contacts, "customers.csv", "contacts.csv", "outcome", as_of)


def test_jeffreys_intervals_cover_the_true_rates_in_93_to_97_percent() -> None:
    """200 replications x 7 rates (six paths and the baseline): pooled coverage of the 95%
    intervals within 93-97% (3.4 binomial SEs of 1,400 checks either side of 95%), and each
    rate's own coverage within 3.5 SEs of 200 checks."""
    rng = np.random.default_rng(20)
    truth = np.append(TRUE_PATH.ravel(), TRUE_BASELINE)
    hits = np.zeros((200, 7), dtype=bool)
    for rep in range(200):
        records = simulate_records(rng)
        k, n = path_counts(complaint_windows(records, WINDOW))
        k, n = k.reshape(3, 3)[:, :2].ravel(), n.reshape(3, 3)[:, :2].ravel()
        kb, nb, _ = baseline_counts(records, WINDOW)
        lo, hi = jeffreys_interval(np.append(k, kb), np.append(n, nb))
        hits[rep] = (lo <= truth) & (truth <= hi)
    coverage = hits.mean()
    assert 0.93 <= coverage <= 0.97, coverage
    per_rate = hits.mean(axis=0)
    assert np.all(per_rate >= 0.95 - 3.5 * np.sqrt(0.95 * 0.05 / 200)), per_rate


def test_memory_odds_ratio_is_recovered() -> None:
    """The hazard model's interval for the odds ratio after an earlier dissatisfied complaint
    covers the true 3 on pooled records (one seeded check)."""
    records = simulate_records(np.random.default_rng(5), n=6000)
    w = complaint_windows(records, WINDOW)
    fit = fit_memory(w.cell, w.prior, w.churned, 9)
    assert fit is not None
    assert fit.one_interval[0] <= 3.0 <= fit.one_interval[1], fit


def test_response_curve_is_recovered() -> None:
    """Maximum likelihood on 4,000 simulated complaints: the midpoint's 95% interval covers the
    truth and the ends lie within 4 binomial SEs of theirs."""
    rng = np.random.default_rng(3)
    hours = rng.lognormal(np.log(6.0), 1.2, 4000)
    q = 1 / (1 + hours / 8.0)
    sat = 0.15 + 0.5 * q
    dis = 0.55 - 0.45 * q
    u = rng.random(4000)
    outcome = np.where(u < sat, 0, np.where(u < 1 - dis, 1, 2))
    fit = fit_response_curve(hours, outcome)
    assert fit is not None
    assert fit.midpoint_interval[0] <= 8.0 <= fit.midpoint_interval[1], fit
    se = np.sqrt(0.25 / 1000)
    assert abs(fit.satisfied_fast - 0.65) < 8 * se and abs(fit.dissatisfied_slow - 0.55) < 8 * se


def test_sample_records_end_to_end(tmp_path: Path) -> None:
    """The sample records calibrate the subscription scenario; the written scenario loads, runs
    and says which inputs rest on records and which on assumptions."""
    out = tmp_path / "calibrated.yaml"
    args = [
        "calibrate", "records",
        "--customers", str(SAMPLE / "customers.csv"),
        "--contacts", str(SAMPLE / "contacts.csv"),
        "--map", "customer=customer_id",
        "--scenario", str(ROOT / "scenarios" / "subscription.yaml"),
        "-o", str(out), "--as-of", "2024-12-31",
    ]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "assumption" in result.output and "records" in result.output
    text = out.read_text()
    assert "# records: " in text and "dissatisfied first complainers (major)" in text
    scenario = cxsim.load(out)
    major = scenario.loss_tree.defection.dissatisfied.major
    assert major.model_dump()["dist"] == "beta"
    assert 0.35 < major.mean() < 0.6  # the generator's true 0.45
    run = CliRunner().invoke(cli, ["run", str(out), "--runs", "20", "--seed", "1"])
    assert run.exit_code == 0, run.output


def test_result_protocol() -> None:
    records = read_records(
        SAMPLE / "customers.csv", SAMPLE / "contacts.csv", read_mapping(["customer=customer_id"])
    )
    cal = calibrate_records(records, cxsim.load(ROOT / "scenarios" / "subscription.yaml"))
    frame = cal.to_frame()
    assert set(frame["source"]) == {"records", "assumption"}
    assert "loss_tree.complaint_rate" in set(frame.loc[frame["source"] == "assumption", "path"])
    assert cal.to_dict()["kind"] == "records_calibration"
    assert yaml.safe_load(cal.to_json())["rows"]


def _write(tmp_path: Path, customers: str, contacts: str) -> tuple[Path, Path]:
    a, b = tmp_path / "customers.csv", tmp_path / "contacts.csv"
    a.write_text(customers)
    b.write_text(contacts)
    return a, b


GOOD_CUSTOMERS = (
    "id,segment,start,end,revenue\nA,All,2024-01-01,,10\nB,All,2024-01-05,2024-03-01,12\n"
)
GOOD_CONTACTS = "customer,date,touchpoint,outcome\nA,2024-02-01,Billing,satisfied\n"


@pytest.mark.parametrize(
    ("customers", "contacts", "expected"),
    [
        ("id,segment,end,revenue\nA,All,,10\n", GOOD_CONTACTS, "column 'start'"),
        (GOOD_CUSTOMERS.replace("2024-01-05", "2024-13-05"), GOOD_CONTACTS,
         "customers.csv: row 3, column 'start': '2024-13-05' is not a date"),
        (GOOD_CUSTOMERS, GOOD_CONTACTS.replace("A,2024", "Z,2024"),
         "contacts.csv: row 2, column 'customer': no customer with id 'Z'"),
        (GOOD_CUSTOMERS + "B,All,2024-01-05,,12\n", GOOD_CONTACTS,
         "customers.csv: row 4, column 'id': id 'B' repeats row 3"),
        (GOOD_CUSTOMERS, GOOD_CONTACTS + "A,2024-02-01,Billing,satisfied\n",
         "contacts.csv: row 3, column 'customer': the row repeats row 2"),
        (GOOD_CUSTOMERS, GOOD_CONTACTS.replace("2024-02-01", "2023-12-01"),
         "contacts.csv: row 2, column 'date': 2023-12-01 is before customer 'A' started"),
        (GOOD_CUSTOMERS, GOOD_CONTACTS.replace("satisfied", "happy"),
         "contacts.csv: row 2, column 'outcome': 'happy' is not"),
    ],
)  # fmt: skip
def test_malformed_records_exit_2_naming_row_and_column(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    customers: str,
    contacts: str,
    expected: str,
) -> None:
    a, b = _write(tmp_path, customers, contacts)
    argv = ["cxsim", "calibrate", "records", "--customers", str(a), "--contacts", str(b)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert expected in err and "Traceback" not in err


def test_mapped_columns_name_the_companys_column(tmp_path: Path) -> None:
    """With --map, messages name the column as it is in the company's file."""
    a, b = _write(tmp_path, GOOD_CUSTOMERS.replace("start", "signup"), GOOD_CONTACTS)
    mapping = read_mapping(["start=signup"])
    records = read_records(a, b, mapping)
    assert records.customers["start"].notna().all()
    bad, _ = _write(
        tmp_path, GOOD_CUSTOMERS.replace("start", "signup").replace("01-05", "01-xx"), GOOD_CONTACTS
    )
    with pytest.raises(cxsim.UserError, match="row 3, column 'signup'"):
        read_records(bad, b, mapping)


def two_segment_records(rng: np.random.Generator) -> Records:
    """'High' (baseline churn 0.15 a window) and 'Low' (0.02), 3,000 customers each, and 'Tiny'
    (20 customers); only High customers complain, once, in window 1, then leave within the
    window with probability 0.3; every other active window ends in churn at the baseline."""
    baseline = {"High": 0.15, "Low": 0.02, "Tiny": 0.02}
    sizes = {"High": 3000, "Low": 3000, "Tiny": 20}
    segment = np.concatenate([np.full(n, s) for s, n in sizes.items()])
    n = segment.size
    start = rng.integers(0, WINDOW, n)
    start[0] = 0
    complains = (segment == "High") & (rng.random(n) < 0.4)
    end = np.full(n, -1)
    base = np.array([baseline[s] for s in segment])
    for k in range(1, 5):
        alive = end < 0
        p = np.where(complains & (k == 1), 0.3, base)
        churn = alive & (rng.random(n) < p)
        end[churn] = k * WINDOW + rng.integers(1, WINDOW, churn.sum())
    ids = np.array([f"c{i}" for i in range(n)])
    customers = pd.DataFrame(
        {
            "id": ids,
            "segment": segment,
            "start": pd.to_datetime(T0 + start * DAY),
            "end": pd.to_datetime(np.where(end >= 0, T0 + end * DAY, np.datetime64("NaT"))),
            "revenue": 10.0,
        }
    )
    idx = np.flatnonzero(complains)
    contacts = pd.DataFrame(
        {
            "customer": ids[idx],
            "date": pd.to_datetime(np.full(idx.size, T0 + WINDOW * DAY)),
            "touchpoint": "Billing",
            "channel": "",
            "response_hours": np.nan,
            "outcome": "dissatisfied",
            "severity": "major",
        }
    )
    as_of = pd.Timestamp(T0 + 5 * WINDOW * DAY)
    return Records(customers, contacts, "customers.csv", "contacts.csv", "outcome", as_of)


def test_a_path_is_set_against_its_own_segments_baseline() -> None:
    """High's complainers leave at 0.3 against High's baseline 0.15: the caused defection is
    set against High's baseline, not the pooled one (about 0.07), which would overstate it.
    Tiny is too small for a baseline of its own: it takes the pooled one, and a note says so."""
    cal = calibrate_records(two_segment_records(np.random.default_rng(1)), window_days=WINDOW)
    rows = {r.input: r for r in cal.rows}
    high = rows["baseline churn, High (no contact)"]
    assert high.low < 0.15 < high.high
    low = rows["baseline churn, Low (no contact)"]
    assert low.low < 0.02 < low.high
    pooled = rows["baseline churn within the window (no contact)"]
    assert rows["baseline churn, Tiny (no contact)"].estimate == pooled.estimate
    assert any("'Tiny'" in note and "pooled baseline" in note for note in cal.notes)
    caused = rows["defection caused, dissatisfied (major)"]
    path = rows["churn after dissatisfied (major)"].estimate
    own = 1 - (1 - path) / (1 - high.estimate)  # every complainer is in High
    assert abs(caused.estimate - own) < 0.005  # a posterior mean beside a plug-in
    assert 1 - (1 - path) / (1 - pooled.estimate) > caused.high  # what pooling would say
    assert "baseline of their segments" in caused.basis
