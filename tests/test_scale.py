"""Scale: the same numbers on one core, many cores or a Dask cluster; memory that stays bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from functools import partial

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from distributed import Client, LocalCluster

import cxsim
from cxsim.analysis.compare import best_within_budget, compare
from cxsim.cli.main import cli
from cxsim.engine.execution import CHUNK, dask_client, parallel_map
from cxsim.engine.results import METRICS
from cxsim.engine.simulation import simulate, summarise
from cxsim.engine.summary import QuantileSketch

from .conftest import ROOT, TINY

ECOMMERCE = ROOT / "scenarios" / "ecommerce.yaml"
JAPAN = ROOT / "scenarios" / "japan_ec.yaml"

#: One worker runs this module (under pytest-xdist): its LocalCluster and memory measurements
#: must not share the machine with another of the suite's clusters or measurements.
pytestmark = pytest.mark.xdist_group("exclusive")


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """One LocalCluster of two worker processes for the module (pickling included)."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def assert_same(a: cxsim.Results, b: cxsim.Results) -> None:
    assert a.totals.keys() == b.totals.keys() and a.periods.keys() == b.periods.keys()
    for name in a.totals:
        np.testing.assert_array_equal(a.totals[name], b.totals[name], err_msg=name)
    for name in a.periods:
        np.testing.assert_array_equal(a.periods[name], b.periods[name], err_msg=name)
    np.testing.assert_array_equal(a.attribution, b.attribution)


def test_same_numbers_whatever_the_workers_the_block_size_or_the_scheduler(client: Client) -> None:
    """One seed, four ways of spreading 513 runs (3 chunks, the last of one run): bit-identical
    results."""
    scenario = cxsim.load(ECOMMERCE)
    runs = 2 * CHUNK + 1
    one = simulate(scenario, runs=runs, seed=42, workers=1)
    assert_same(one, simulate(scenario, runs=runs, seed=42, workers=2))
    assert_same(one, simulate(scenario, runs=runs, seed=42, workers=2, block=2 * CHUNK))
    assert_same(one, simulate(scenario, runs=runs, seed=42, scheduler=client, block=3 * CHUNK))
    assert_same(one, simulate(scenario, runs=runs, seed=42, scheduler=client))
    assert not np.array_equal(
        one.totals["lost_revenue"], simulate(scenario, runs=runs, seed=43).totals["lost_revenue"]
    )


def test_compare_and_budget_search_on_dask_match_the_local_result(client: Client) -> None:
    scenario = cxsim.load(JAPAN)
    local = compare(scenario, runs=300, seed=5, budget=5e7)
    remote = compare(scenario, runs=300, seed=5, budget=5e7, scheduler=client)
    assert [o.name for o in local.outcomes] == [o.name for o in remote.outcomes]
    assert_same(local.baseline, remote.baseline)
    for a, b in zip(local.outcomes, remote.outcomes, strict=True):
        np.testing.assert_array_equal(a.npv, b.npv)
        np.testing.assert_array_equal(a.payback_periods, b.payback_periods)
    best = best_within_budget(scenario, 5e7)
    assert best is not None
    assert best_within_budget(scenario, 5e7, workers=2) == best
    assert best_within_budget(scenario, 5e7, scheduler=client) == best


def _lost_revenue(scenario: cxsim.Scenario, seed: int) -> float:
    return float(simulate(scenario, runs=64, seed=seed).stats("lost_revenue")["mean"])


def _apply_pair(pair: tuple[object, object]) -> object:
    fn, arg = pair
    return fn(arg)  # type: ignore[operator]


def test_parallel_map_keeps_order_on_processes_and_on_dask(client: Client) -> None:
    """A sweep: one function over many items, in order, wherever it runs."""
    scenario = cxsim.loads(TINY)
    fn = partial(_lost_revenue, scenario)
    seeds = list(range(5))
    serial = [fn(s) for s in seeds]
    assert parallel_map(fn, seeds) == serial
    assert parallel_map(fn, seeds, workers=2) == serial
    assert parallel_map(fn, seeds, scheduler=client) == serial
    # Items are handed over as they are (Dask would run a tuple that starts with a function).
    pairs = [(len, "abc"), (sum, (1, 2))]
    assert parallel_map(_apply_pair, pairs, scheduler=client) == [3, 3]


def test_sensitivity_sweeps_on_dask_match_the_local_result(client: Client) -> None:
    """Tornado (Monte Carlo on common random numbers) and Sobol give the same numbers on Dask."""
    from cxsim.analysis.sensitivity import sobol, tornado

    scenario = cxsim.modify(
        cxsim.loads(TINY),
        {
            "segments.0.revenue": {"dist": "uniform", "low": 8, "high": 12},
            "loss_tree.complaint_rate": {"dist": "uniform", "low": 0.4, "high": 0.6},
        },
    )
    local = tornado(scenario, runs=256, seed=3)
    remote = tornado(scenario, runs=256, seed=3, scheduler=client)
    pd.testing.assert_frame_equal(local.to_frame(), remote.to_frame())
    s_local = sobol(scenario, n=1024, seed=2, workers=1)
    s_remote = sobol(scenario, n=1024, seed=2, scheduler=client)
    pd.testing.assert_frame_equal(s_local.to_frame(), s_remote.to_frame())


def test_cli_runs_on_a_scheduler_by_address(client: Client) -> None:
    """`--scheduler tcp://HOST:PORT` gives the same document as local processes."""
    address = client.scheduler.address
    assert address.startswith("tcp://")
    args = ["run", str(ECOMMERCE), "--runs", "300", "--seed", "9", "--json"]
    local = CliRunner().invoke(cli, [*args, "--workers", "2"])
    remote = CliRunner().invoke(cli, [*args, "--scheduler", address])
    assert local.exit_code == 0, local.output
    assert remote.exit_code == 0, remote.output
    assert json.loads(local.output) == json.loads(remote.output)


def test_a_bad_scheduler_or_block_is_refused() -> None:
    with pytest.raises(ValueError, match="scheduler"), dask_client(""):
        pass
    with dask_client(None) as nothing:
        assert nothing is None
    with pytest.raises(ValueError, match="block"):
        simulate(cxsim.loads(TINY), runs=10, seed=1, block=0)


def test_per_period_arrays_only_when_asked_for() -> None:
    scenario = cxsim.loads(TINY)
    r = simulate(scenario, runs=300, seed=1, keep_periods=False)
    assert r.periods == {}
    assert all(v.shape == (300,) for v in r.totals.values())
    assert r.attribution.shape[0] == 300 and r.attribution.ndim == 4
    with pytest.raises(ValueError, match="keep_periods"):
        r.indicators()
    kept = simulate(scenario, runs=300, seed=1)
    assert kept.periods["revenue"].shape == (300, scenario.economics.horizon)
    for name in r.totals:  # keeping them or not changes no number
        np.testing.assert_array_equal(r.totals[name], kept.totals[name])


def test_summary_answers_as_results_do_up_to_the_sketch_capacity() -> None:
    """Below the sketch's capacity the percentiles are exact and the moments agree."""
    scenario = cxsim.load(ECOMMERCE)
    full = simulate(scenario, runs=600, seed=3)
    summary = summarise(scenario, runs=600, seed=3)
    assert summary.runs == 600 and summary.seed == 3
    for m in METRICS:
        a, b = full.stats(m), summary.stats(m)
        for k in ("p5", "p50", "p95"):
            assert a[k] == b[k], (m, k)
        for k in ("mean", "std", "sem"):
            assert b[k] == pytest.approx(a[k], rel=1e-12), (m, k)
    for by in ("touchpoint", "stage", "segment", "pathway"):
        a_t, b_t = full.attribution_table(by), summary.attribution_table(by)
        assert list(a_t.index) == list(b_t.index)
        np.testing.assert_allclose(b_t["mean"], a_t["mean"], rtol=1e-12)
        np.testing.assert_array_equal(b_t["p95"], a_t["p95"])
    means = summary.period_means()
    np.testing.assert_allclose(means["revenue"], full.periods["revenue"].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(means["active"], full.periods["active"].mean(axis=0), rtol=1e-12)
    assert "lost" in summary.report_text()
    doc = json.loads(summary.to_json())
    assert doc["metrics"]["lost_revenue"]["p50"] == full.stats("lost_revenue")["p50"]
    assert doc["runs"] == 600 and len(doc["period_means"]["revenue"]) == 24


def test_summary_is_the_same_on_one_core_many_or_dask(client: Client) -> None:
    """Chunks are folded in order, so even the approximate percentiles do not move."""
    scenario = cxsim.loads(TINY)
    job = partial(summarise, scenario, 2000, 8, capacity=200)  # the sketch compacts: 2000 > 200
    one = job(workers=1)
    others = [job(workers=2, block=3 * CHUNK), job(scheduler=client)]
    for other in others:
        for m in METRICS:
            assert one.stats(m) == other.stats(m), m
    full = simulate(scenario, runs=2000, seed=8).metric("lost_revenue")
    for q in (5, 50, 95):  # an approximate percentile sits within 2 points of rank of its target
        estimate = one.stats("lost_revenue")[f"p{q}"]
        rank = float(np.mean(full <= estimate)) * 100
        assert abs(rank - q) < 2.0, (q, rank)


def test_quantile_sketch_is_exact_then_close_and_small() -> None:
    rng = np.random.default_rng(0)
    x = rng.lognormal(size=300_000)
    sketch = QuantileSketch(capacity=1024)
    sketch.add(x[:1000])
    assert sketch.exact
    assert sketch.percentile(37) == float(np.percentile(x[:1000], 37))
    for i in range(1000, x.size, 256):
        sketch.add(x[i : i + 256])
    assert not sketch.exact and sketch.n == x.size
    assert sketch.held < 1024 * 10  # log2(300_000 / 1024) ~ 8 levels
    for q in (1, 5, 50, 95, 99):
        rank = float(np.mean(x <= sketch.percentile(q))) * 100
        assert abs(rank - q) < 0.3, (q, rank)


#: Peaks of traced memory, measured in a clean interpreter: in this one, the Dask cluster's
#: threads of the module's `client` allocate while tracemalloc traces, which once made the
#: summary's growth 1.63 against its 1.6 bound. In a clean process it is 1.38-1.44 every time.
MEMORY_PROBE = """
import json, tracemalloc
from functools import partial
import cxsim
from cxsim.engine.execution import CHUNK
from cxsim.engine.simulation import simulate, summarise
from tests.conftest import TINY

def peak(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

scenario = cxsim.loads(TINY)
sizes = (2 * CHUNK, 16 * CHUNK)
summarise(scenario, runs=sizes[0], seed=1, capacity=256)  # one-time allocations (caches) first
print(json.dumps({
    "summary": [peak(partial(summarise, scenario, runs=n, seed=1, capacity=256)) for n in sizes],
    "results": [peak(partial(simulate, scenario, runs=n, seed=1)) for n in sizes],
}))
"""


def test_summary_memory_does_not_grow_with_runs() -> None:
    """Eight times the runs (512 to 4,096): simulate's peak grows about eightfold (7.96
    measured), summarise's hardly at all (1.39 measured: its quantile sketches grow with the
    logarithm of the runs)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    peaks = json.loads(out.stdout)
    summary_peaks, results_peaks = peaks["summary"], peaks["results"]
    assert results_peaks[1] > 6 * results_peaks[0]
    assert summary_peaks[1] < 1.6 * summary_peaks[0]
    assert summary_peaks[1] < results_peaks[1] / 6


def test_convergence_runs_its_chunks_on_the_scheduler(client: Client) -> None:
    """`run_to_precision` on a Client: the runs of a local call, computed as tasks there."""
    from distributed import get_task_stream

    from cxsim.analysis.sensitivity import run_to_precision

    scenario = cxsim.load(ECOMMERCE)
    local, local_record = run_to_precision(scenario, 0.01, seed=4, max_runs=768, min_runs=256)
    with get_task_stream(client) as stream:
        remote, remote_record = run_to_precision(
            scenario, 0.01, seed=4, max_runs=768, min_runs=256, scheduler=client
        )
    assert_same(local, remote)
    pd.testing.assert_frame_equal(local_record.trajectory, remote_record.trajectory)
    assert len(stream.data) >= remote_record.runs // CHUNK


def test_cli_run_to_precision_runs_on_the_scheduler(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cxsim run --precision 0.01 --scheduler local` goes through Dask and matches local runs."""
    from cxsim.engine import execution

    asked: list[object] = []
    real = execution.dask_client

    def recording(scheduler: object, workers: int | None = None) -> object:
        asked.append(scheduler)
        # The module's cluster stands in for the LocalCluster "local" would start.
        return real(client if scheduler == "local" else scheduler, workers)

    monkeypatch.setattr(execution, "dask_client", recording)
    args = ["run", str(ECOMMERCE), "--runs", "512", "--seed", "9", "--precision", "0.01", "--json"]
    local = CliRunner().invoke(cli, [*args, "--workers", "1"])
    assert local.exit_code == 0, local.output
    assert asked == []
    remote = CliRunner().invoke(cli, [*args, "--scheduler", "local"])
    assert remote.exit_code == 0, remote.output
    assert asked == ["local"]
    assert json.loads(local.stdout) == json.loads(remote.stdout)
