"""cxsim's benchmarks (`make bench`): ratios measured in one run, printed and written with the
date and the machine to benchmarks/out/results.md (not tracked by git), or with `--out PATH`
elsewhere: `make bench-record` writes the tracked benchmarks/results.md.

- how run time grows with customers (10 thousand to 10 million) and with runs;
- engine time / the time numpy takes to draw the same binomial variates (the design's floor);
- cxsim / a per-customer simulation of the same model at 100 thousand customers, and whether
  their loss distributions agree;
- 2 workers / 1 worker (and a Dask LocalCluster);
- peak memory at 100 thousand runs, keeping every run or only a summary.

Single-process times are CPU times (`time.process_time`, best of several), so other load on the
machine disturbs them less; times that involve several processes are wall-clock times.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

import cxsim
from cxsim.engine.execution import CHUNK, dask_client, default_workers
from cxsim.engine.period import FIRST_TOUCHPOINT_SLOT
from cxsim.engine.recursion import run_block
from cxsim.engine.sampling import RandomSampler
from cxsim.engine.simulation import simulate, summarise
from cxsim.engine.variance import estimate
from cxsim.model.parameters import build, draw_values, mean_values
from cxsim.model.scenario import Scenario
from cxsim.model.variants import AT_MEANS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from per_customer import simulate_customers  # noqa: E402

SEED = 20261125
CUSTOMERS = (10_000, 100_000, 1_000_000, 10_000_000, 100_000_000)
TEN_THOUSAND, TEN_MILLION = 10_000, 10_000_000
PEAK_RUNS = 100_000


def load(name: str, customers: int | None = None) -> Scenario:
    """An example scenario, its customers and prospects scaled to `customers` in all."""
    scenario = cxsim.load(ROOT / "scenarios" / f"{name}.yaml")
    if customers is None:
        return scenario
    total = sum(s.customers.mean() for s in scenario.segments)
    factor = customers / total
    changes: dict[str, Any] = {}
    for i, s in enumerate(scenario.segments):
        changes[f"segments.{i}.customers"] = round(s.customers.mean() * factor)
        changes[f"segments.{i}.prospects"] = round(s.prospects.mean() * factor)
    return cxsim.modify(scenario, changes)


def cpu(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best CPU time of `repeat` calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def wall(fn: Callable[[], object], repeat: int = 2) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


# --- the measurements --------------------------------------------------------------------------


def by_customers() -> dict[str, dict[int, float]]:
    """Seconds per 1000 runs, by customers, for two scenarios."""
    out: dict[str, dict[int, float]] = {}
    for name, runs in (("ecommerce", 2 * CHUNK), ("subscription", CHUNK)):
        out[name] = {}
        for n in CUSTOMERS:
            scenario = load(name, n)
            seconds = cpu(lambda sc=scenario, r=runs: simulate(sc, r, SEED, keep_periods=False))
            out[name][n] = seconds / runs * 1000
    return out


def by_runs() -> dict[int, float]:
    """Seconds by runs (e-commerce, 100 thousand customers, one worker)."""
    scenario = load("ecommerce", 100_000)
    return {
        runs: cpu(lambda r=runs: simulate(scenario, r, SEED, keep_periods=False), repeat=2)
        for runs in (CHUNK, 4 * CHUNK, 16 * CHUNK)
    }


def support_at_scale(runs: int = CHUNK, command_runs: int = 1000) -> dict[str, float]:
    """Contact centre (queue coupled): CPU seconds at 10 thousand and 10 million customers (all
    segments scaled together); `compare` against `run` at the same runs, as commands (fresh
    processes, one worker, `command_runs`, the default) and as API calls (curves built afresh,
    at `runs` and at `command_runs`)."""
    from cxsim.analysis.compare import compare
    from cxsim.engine import coupling

    def fresh(fn: Callable[[], object]) -> Callable[[], object]:
        return lambda: (coupling.clear(), fn())  # each time with its curves built

    out: dict[str, float] = {}
    for n in (TEN_THOUSAND, TEN_MILLION):
        sc = load("contact_centre", n)
        out[f"run_{n}"] = cpu(fresh(lambda s=sc: simulate(s, runs, SEED, keep_periods=False)), 1)
    sc = load("contact_centre")
    for r in (runs, command_runs):
        out[f"api_run_{r}"] = cpu(fresh(lambda r=r: simulate(sc, r, SEED, keep_periods=False)), 1)
        out[f"api_compare_{r}"] = cpu(fresh(lambda r=r: compare(sc, runs=r, seed=SEED)), 1)
    path = str(ROOT / "scenarios" / "contact_centre.yaml")
    for command in ("run", "compare"):
        args = [command, path, "--runs", str(command_runs), "--seed", str(SEED), "--workers", "1"]
        out[f"cli_{command}"] = child_cpu(["-m", "cxsim", *args])
    out["runs"], out["command_runs"] = runs, command_runs
    return out


class Recording(RandomSampler):
    """The engine's sampler, keeping every (n, p) it is asked to draw from."""

    def __init__(self, seed: np.random.SeedSequence, slots: int) -> None:
        super().__init__(seed, slots)
        self.n: list[np.ndarray] = []
        self.p: list[np.ndarray] = []

    def binomial(self, slot: int, n: Any, p: Any) -> Any:
        n_b, p_b = np.broadcast_arrays(n, np.minimum(np.maximum(p, 0.0), 1.0))
        self.n.append(n_b.ravel().copy())
        self.p.append(p_b.ravel().copy())
        return super().binomial(slot, n, p)


def floor(name: str) -> dict[str, float]:
    """Engine (one block of `CHUNK` runs) against numpy drawing the same variates in one call."""
    scenario = load(name)
    params = build(scenario, draw_values(scenario, CHUNK, np.random.default_rng(SEED)))
    slots = FIRST_TOUCHPOINT_SLOT + len(scenario.touchpoints())
    seed = np.random.SeedSequence(SEED)
    recording = Recording(seed, slots)
    run_block(params, recording, keep_periods=False)
    n, p = np.concatenate(recording.n), np.concatenate(recording.p)
    engine = cpu(lambda: run_block(params, RandomSampler(seed, slots), keep_periods=False))
    rng = np.random.default_rng(SEED)
    numpy_time = cpu(lambda: rng.binomial(n, p))
    return {
        "variates": float(n.size),
        "calls": float(len(recording.n)),
        "engine": engine,
        "numpy": numpy_time,
        "ratio": engine / numpy_time,
    }


def against_per_customer(runs: int = 250) -> dict[str, float]:
    """cxsim and the per-customer simulation at 100 thousand customers, inputs at their means."""
    scenario = load("ecommerce", 100_000)
    params = build(scenario, mean_values(scenario))
    rng = np.random.default_rng(SEED)
    t = time.process_time()
    agents = [simulate_customers(params, rng) for _ in range(runs)]
    agent_time = time.process_time() - t
    counts: list[cxsim.Results] = []
    cx_time = cpu(lambda: counts.append(simulate(scenario, runs, SEED, variant=AT_MEANS)))
    out = {"runs": float(runs), "per_customer": agent_time / runs, "cxsim": cx_time / runs}
    for metric in ("lost_revenue", "customers_lost"):
        a = np.array([x[metric] for x in agents])
        b = counts[0].metric(metric)
        sem = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        out[f"{metric}_per_customer"] = float(a.mean())
        out[f"{metric}_cxsim"] = float(b.mean())
        out[f"{metric}_z"] = float((b.mean() - a.mean()) / sem)
        out[f"{metric}_ks_p"] = float(stats.ks_2samp(a, b).pvalue)
    return out


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (this process and its finished children) of one call."""
    t, before = time.perf_counter(), os.times()
    fn()
    after = os.times()
    cpu_s = sum(after[i] - before[i] for i in range(4))  # user, system, children's user, system
    return time.perf_counter() - t, cpu_s


def workers(runs: int = 6 * CHUNK) -> dict[str, float]:
    """Wall time of one job on 1 and 2 local processes, and on a 2-process Dask LocalCluster.

    The CPU seconds the job used show whether a wall-clock ratio far from 1/2 is the cost of
    spreading the work or other load on the machine taking the second core.
    """
    scenario = load("subscription")
    job = {"runs": runs, "seed": SEED, "keep_periods": False}
    one, one_cpu = timed(lambda: simulate(scenario, workers=1, **job))  # type: ignore[arg-type]
    two, two_cpu = timed(lambda: simulate(scenario, workers=2, **job))  # type: ignore[arg-type]
    t = time.perf_counter()
    with dask_client("local", 2) as client:
        simulate(scenario, runs=2 * CHUNK, seed=SEED, scheduler=client)  # workers import cxsim
        start = time.perf_counter() - t
        dask = wall(lambda: simulate(scenario, scheduler=client, **job), 1)  # type: ignore[arg-type]
    return {
        "runs": runs,
        "one": one,
        "one_cpu": one_cpu,
        "two": two,
        "two_cpu": two_cpu,
        "dask": dask,
        "dask_start": start,
        "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan"),
    }


def peak(mode: str) -> dict[str, float]:
    """Run in a fresh process: peak resident memory of one 100-thousand-run job."""
    scenario = load("ecommerce")
    job = {"runs": PEAK_RUNS, "seed": SEED, "workers": 2}
    t = time.perf_counter()
    if mode == "simulate":
        r = simulate(scenario, **job)  # type: ignore[arg-type]
        figure = r.stats("lost_revenue")["p95"]
    elif mode == "simulate-no-periods":
        r = simulate(scenario, keep_periods=False, **job)  # type: ignore[arg-type]
        figure = r.stats("lost_revenue")["p95"]
    elif mode == "summarise":
        figure = summarise(scenario, **job).stats("lost_revenue")["p95"]  # type: ignore[arg-type]
    else:  # nothing simulated: what importing cxsim and loading the scenario take
        figure = 0.0
    seconds = time.perf_counter() - t
    return {"peak_mb": peak_rss_mb(), "seconds": seconds, "p95": figure}


def peak_rss_mb() -> float:
    """This process's peak resident set since it started (not its parent's before exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource  # ru_maxrss can include the parent's peak from before exec

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peaks() -> dict[str, dict[str, float]]:
    out = {}
    for mode in ("baseline", "summarise", "simulate-no-periods", "simulate"):
        done = subprocess.run(
            [sys.executable, __file__, "--peak", mode],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        out[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


# --- start-up ----------------------------------------------------------------------------------

#: Commands timed from a cold start, with their goal as a multiple of `python -c "import numpy"`.
STARTUP: list[tuple[str, list[str], float]] = [
    ("cxsim --help", ["--help"], 3),
    ("cxsim --version", ["--version"], 3),
    ("cxsim validate FILE", ["validate", "scenarios/subscription.yaml"], 3),
    ("cxsim run FILE --expected", ["run", "scenarios/subscription.yaml", "--expected"], 5),
]


#: Children keep compiled bytecode here, as an installed package does (pip compiles it), even
#: where PYTHONDONTWRITEBYTECODE is set: numpy's import reads its compiled files, so cxsim's must
#: too for the ratios to compare like with like (each command runs once first to compile).
PYCACHE = HERE / "out" / "pycache"


def child_cpu(args: list[str]) -> float:
    """CPU seconds (user + system) of one fresh Python process running `args`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{args} exited with {proc.returncode}")
    return usage.ru_utime + usage.ru_stime


def startup(repeat: int = 5) -> dict[str, dict[str, float]]:
    """Median CPU seconds of each command from a cold start, and its ratio to importing numpy."""
    for args in (["-c", "import numpy"], *(["-m", "cxsim", *a] for _, a, _ in STARTUP)):
        child_cpu(args)  # compiles the bytecode (`PYCACHE`) the measured runs read
    numpy = float(np.median([child_cpu(["-c", "import numpy"]) for _ in range(repeat)]))
    out = {"python -c 'import numpy'": {"cpu": numpy, "ratio": 1.0, "goal": 1.0}}
    for name, args, goal in STARTUP:
        seconds = float(np.median([child_cpu(["-m", "cxsim", *args]) for _ in range(repeat)]))
        out[name] = {"cpu": seconds, "ratio": seconds / numpy, "goal": goal}
    return out


def startup_lines(found: dict[str, dict[str, float]]) -> list[str]:
    """The report's start-up section."""
    lines = [
        "",
        "## Start-up",
        "",
        "CPU seconds of a fresh process (median of 5, bytecode compiled beforehand as an",
        'installed package has it), and the ratio to `python -c "import numpy"`.',
        "",
        "| command | CPU seconds | / import numpy | goal |",
        "|---|---|---|---|",
    ]
    for name, f in found.items():
        lines.append(f"| `{name}` | {f['cpu']:.3f} | {f['ratio']:.1f} | {f['goal']:g} |")
    return lines


def _at_modes(name: str, out_dir: Path) -> Path:
    """A copy of a scenario with every uncertain input at its mode (the midpoint of a uniform):
    the queue's response curve is then the main source of noise between seeds."""
    import yaml

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            if "dist" in node:
                return node.get("mode", (node.get("low", 0) + node.get("high", 0)) / 2)
            return {k: fix(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    data = fix(yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8")))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}_at_modes.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def coupled_se(seeds: int = 5, runs: int = 4 * CHUNK) -> dict[str, float]:
    """Issue 17's check: contact_centre with fixed inputs, `seeds` seeds of `runs` runs; the
    standard deviation of their means over the root mean reported sem^2 (about 1 when the sem
    counts the response curve's noise; 5.6 when it did not)."""
    sc = cxsim.load(_at_modes("contact_centre", HERE / "out"))
    found = [
        simulate(sc, runs, s, keep_periods=False).estimate("lost_revenue")
        for s in range(SEED, SEED + seeds)
    ]
    spread = float(np.std([e.mean for e in found], ddof=1))
    reported = float(np.sqrt(np.mean([e.sem**2 for e in found])))
    low, high = stats.f.ppf([0.025, 0.975], seeds - 1, seeds * (runs // CHUNK - 1))
    return {
        "seeds": seeds,
        "runs": runs,
        "spread": spread,
        "reported": reported,
        "ratio": spread / reported,
        "low": float(np.sqrt(low)),
        "high": float(np.sqrt(high)),
    }


def slider() -> dict[str, Any]:
    """The what-if slider in headless Chromium (`whatif_browser.py`), or why it was not measured."""
    done = subprocess.run(
        [sys.executable, str(HERE / "whatif_browser.py"), "--moves", "9"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    text = done.stdout[: done.stdout.rindex("}") + 1]
    return dict(json.loads(text))


def suite() -> dict[str, Any]:
    """`pytest -n 2 --dist loadgroup` (the whole suite on two workers): wall and CPU seconds."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q",
         "-p", "no:cacheprovider"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    output, _ = proc.communicate()
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "suite.log").write_text(output, encoding="utf-8")  # what failed, if any
    last = [line for line in output.splitlines() if line.strip()][-1:] or [""]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {"wall": wall, "cpu": cpu, "summary": last[0].strip("= "), "load": load}


#: Issue 17's figures before its work (its text, a quiet 2-core machine), beside this run's.
BEFORE = {
    "help": "18 (2.4 s)",
    "expected": "about 15 (2.0 s)",
    "se": "5.6",
    "slider": "0.5 s number, 0.9 s chart",
    "compare": "18 s for 300 runs; 5.8 at 256 runs (API) in round two",
    "suite": "about 5 minutes quiet, 15-24 loaded",
}


def before_after(m: dict[str, Any]) -> list[str]:
    """Issue 17's figures, before (`BEFORE`) and in this run."""
    st, c, sl = m.get("startup", {}), m.get("coupled_se"), m.get("slider", {})
    sup = m.get("support")
    su = m.get("suite")

    def ratio(name: str) -> str:
        return f"{st[name]['ratio']:.1f}" if name in st else "not measured"

    rows = [
        ("`cxsim --help` / import numpy (CPU)", BEFORE["help"], ratio("cxsim --help"), "≤ 3"),
        ("`cxsim validate FILE` / import numpy", "-", ratio("cxsim validate FILE"), "≤ 3"),
        (
            "`cxsim run FILE --expected` / import numpy",
            BEFORE["expected"],
            ratio("cxsim run FILE --expected"),
            "≤ 5",
        ),
        (
            "`cxsim compare` / `cxsim run`, contact_centre (CPU, same runs)",
            BEFORE["compare"],
            f"{sup['cli_compare'] / sup['cli_run']:.2f} ({sup['command_runs']:.0f} runs)"
            if sup
            else "not measured",
            "≤ 3",
        ),
        (
            "contact_centre, SD of seeds' means / reported sem (fixed inputs)",
            BEFORE["se"],
            f"{c['ratio']:.2f}" if c else "not measured",
            "about 1",
        ),
        (
            "what-if slider, key press to new number / chart",
            BEFORE["slider"],
            f"{sl['number_median']:.3f} s, {sl['chart_median']:.3f} s"
            if "number_median" in sl
            else "not measured",
            "≤ 0.25 s",
        ),
        (
            "test suite, 2 workers (wall)",
            BEFORE["suite"],
            f"{su['wall']:.0f} s" if su else "not measured",
            "≤ 180 s",
        ),
    ]
    lines = ["", "## Issue 17: before and after", "", "| figure | before | now | goal |"]
    lines.append("|---|---|---|---|")
    lines += [f"| {a} | {b} | {n} | {g} |" for a, b, n, g in rows]
    return lines


def extra_lines(m: dict[str, Any]) -> list[str]:
    """The coupled-support, slider and test-suite sections of results.md."""
    lines: list[str] = before_after(m)
    if "support" in m:
        sup = m["support"]
        lines += [
            "",
            "## Coupled support (contact centre)",
            "",
            "CPU seconds, one worker. The commands are fresh processes as a user runs them"
            " (`cxsim run` also reconciles the status quo with its actuals through the"
            " expected-value model); the API calls are `simulate` and `compare` with every"
            " response curve built afresh.",
            "",
            "| figure | measured | goal |",
            "|---|---|---|",
            f"| `cxsim compare` / `cxsim run`, {sup['command_runs']:.0f} runs "
            f"| {sup['cli_compare'] / sup['cli_run']:.2f} "
            f"({sup['cli_compare']:.1f} s / {sup['cli_run']:.1f} s) | ≤ 3 |",
            *(
                f"| `compare` / `simulate` (API), {r:.0f} runs "
                f"| {sup[f'api_compare_{r}'] / sup[f'api_run_{r}']:.2f} "
                f"({sup[f'api_compare_{r}']:.1f} s / {sup[f'api_run_{r}']:.1f} s) | - |"
                for r in (sup["runs"], sup["command_runs"])
            ),
            f"| run at 10 million customers / at 10 thousand "
            f"| {sup[f'run_{TEN_MILLION}'] / sup[f'run_{TEN_THOUSAND}']:.2f} | bounded |",
        ]
    if "coupled_se" in m:
        c = m["coupled_se"]
        lines += [
            f"| SD of {c['seeds']:.0f} seeds' means / reported sem, fixed inputs, "
            f"{c['runs']:.0f} runs | {c['ratio']:.2f} ({c['spread']:,.0f} / {c['reported']:,.0f})"
            f" | about 1 (95% range {c['low']:.2f}-{c['high']:.2f}) |",
        ]
    if "slider" in m:
        sl = m["slider"]
        lines += ["", "## What-if slider (headless Chromium, notebooks/02_what_if.ipynb)", ""]
        if "error" in sl:
            lines.append(f"Not measured: {sl['error']}")
        else:
            lines += [
                f"Median of {sl['moves']} moves, from the key press: new number "
                f"{sl['number_median']:.3f} s, new chart {sl['chart_median']:.3f} s (goal 0.25 s); "
                f"the app was ready after {sl['app_ready_seconds']:.1f} s.",
            ]
    if "suite" not in m:
        lines += ["", "## Test suite", "", "Not measured in this run (CXSIM_BENCH_SKIP)."]
    else:
        su = m["suite"]
        lines += [
            "",
            "## Test suite",
            "",
            f"`pytest -n 2 --dist loadgroup`: {su['wall']:.0f} s wall (goal 180 s on 2 cores), "
            f"{su['cpu']:.0f} CPU seconds, "
            f"load average {su['load']:.1f} at its end; {su['summary']}.",
        ]
    return lines


# --- the report --------------------------------------------------------------------------------


def runs_for_one_percent(e: Any, runs: int) -> float:
    """Runs a 95% interval of +/-1% of the mean needs, from an estimate's honest sem on `runs`."""
    return float((1.96 * e.sem * np.sqrt(runs) / (0.01 * abs(e.mean))) ** 2)


def variance(runs: int = 4 * CHUNK, intervention: str = "Act on feedback") -> dict[str, Any]:
    """Runs needed for +/-1% on subscription's mean loss and on compare's loss avoided.

    Each configuration's sem is the honest one of `cxsim.engine.variance` (chunk replicates for
    Sobol', so `runs` must span several chunks); the ratio is plain Monte Carlo's runs needed
    over each configuration's, and the time is its wall time for `runs` runs.
    """
    scenario = load("subscription")
    configs = {
        "random": ("random", False),
        "random+cv": ("random", True),
        "lhs": ("lhs", False),
        "sobol": ("sobol", False),
        "sobol+cv": ("sobol", True),
    }
    out: dict[str, Any] = {"runs": runs}
    for name, (sampling, cv) in configs.items():
        t = time.perf_counter()
        r = simulate(
            scenario, runs, SEED, keep_periods=False, sampling=sampling, control_variate=cv
        )
        t_run = time.perf_counter() - t
        t = time.perf_counter()
        c = cxsim.compare(
            scenario,
            runs,
            SEED,
            [intervention],
            combined=False,
            sampling=sampling,
            control_variate=cv,
        )
        t_compare = time.perf_counter() - t
        o = c[intervention]
        avoided = o.controlled.get("loss_avoided") or estimate(o.loss_avoided, sampling)
        out[name] = {
            "run": runs_for_one_percent(r.estimate("lost_revenue"), runs),
            "compare": runs_for_one_percent(avoided, runs),
            "run_s": t_run,
            "compare_s": t_compare,
        }
    for name in configs:
        for what in ("run", "compare"):
            out[name][f"{what}_ratio"] = out["random"][what] / out[name][what]
    return out


def variance_lines(v: dict[str, Any]) -> list[str]:
    """The variance-reduction section of results.md."""
    lines = [
        "## Variance reduction (subscription, runs for a 95% interval of +/-1%)",
        "",
        f"From {v['runs']} runs; the ratio is plain Monte Carlo's runs needed over each method's.",
        "",
        "| method | run: runs needed | ratio | s | compare loss avoided: runs needed | ratio | s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in v.items():
        if name == "runs":
            continue
        lines.append(
            f"| {name} | {m['run']:,.1f} | {m['run_ratio']:,.0f}x | {m['run_s']:.1f} "
            f"| {m['compare']:,.1f} | {m['compare_ratio']:,.0f}x | {m['compare_s']:.1f} |"
        )
    return lines


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{model}, {default_workers()} cores, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, numpy {np.__version__}, cxsim {cxsim.__version__}; "
        f"load average {load:.1f} at the start"
    )


def report(m: dict[str, Any], started: float) -> str:
    cust, runs, fl, pc, wk, pk = (
        m["customers"],
        m["runs"],
        m["floor"],
        m["per_customer"],
        m["workers"],
        m["peaks"],
    )
    lines = [
        "# cxsim benchmarks",
        "",
        f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {machine()}.",
        "Produced by `make bench` (`benchmarks/run.py`); single-process times are CPU seconds",
        "(best of several), multi-process times wall-clock seconds.",
        "",
        "## Headline ratios",
        "",
        "| figure | measured | goal |",
        "|---|---|---|",
    ]
    e, s = cust["ecommerce"], cust["subscription"]
    lines += [
        f"| time at 10 million customers / time at 10 thousand (e-commerce) "
        f"| {e[TEN_MILLION] / e[TEN_THOUSAND]:.2f} | ≤ 1.2 |",
        f"| time at 10 million customers / time at 10 thousand (subscription, 13 classes) "
        f"| {s[TEN_MILLION] / s[TEN_THOUSAND]:.2f} | ≤ 1.2 |",
        f"| time at 100 million customers / time at 10 million (e-commerce; subscription) "
        f"| {e[CUSTOMERS[-1]] / e[TEN_MILLION]:.2f}; {s[CUSTOMERS[-1]] / s[TEN_MILLION]:.2f} "
        "| (bounded) |",
    ]
    for name, f in fl.items():
        lines.append(
            f"| engine / numpy drawing the same {f['variates'] / 1e6:.1f} M binomial variates "
            f"({name}, {CHUNK} runs, {f['calls']:.0f} calls) "
            f"| {f['ratio']:.2f} ({f['engine']:.3f} s / {f['numpy']:.3f} s) | ≤ 2 |"
        )
    lines += [
        f"| cxsim / per-customer simulation, 100 thousand customers "
        f"| {pc['cxsim'] / pc['per_customer']:.4f} ({pc['cxsim'] * 1e3:.2f} ms / "
        f"{pc['per_customer'] * 1e3:.0f} ms per run) | |",
        f"| 2 workers / 1 worker ({wk['runs']:.0f} runs, subscription, wall) "
        f"| {wk['two'] / wk['one']:.2f} ({wk['two']:.2f} s / {wk['one']:.2f} s) | ~0.5 |",
        f"| CPU seconds used, 2 workers / 1 worker (the cost of spreading the work) "
        f"| {wk['two_cpu'] / wk['one_cpu']:.2f} ({wk['two_cpu']:.2f} s / {wk['one_cpu']:.2f} s) "
        "| ~1 |",
        f"| Dask LocalCluster of 2 / 1 worker (after {wk['dask_start']:.1f} s to start and warm "
        "it) "
        f"| {wk['dask'] / wk['one']:.2f} ({wk['dask']:.2f} s) | |",
        f"| peak memory at {PEAK_RUNS:,} runs, `summarise` "
        f"| {pk['summarise']['peak_mb']:.0f} MB ({pk['summarise']['seconds']:.0f} s) | bounded |",
        f"| peak memory at {PEAK_RUNS:,} runs, `simulate(keep_periods=False)` "
        f"| {pk['simulate-no-periods']['peak_mb']:.0f} MB "
        f"({pk['simulate-no-periods']['seconds']:.0f} s) | |",
        f"| peak memory at {PEAK_RUNS:,} runs, `simulate` (every run and period kept) "
        f"| {pk['simulate']['peak_mb']:.0f} MB ({pk['simulate']['seconds']:.0f} s) | |",
        "",
        f"Peak memory is the resident set of the parent process (e-commerce, 2 workers); importing "
        f"cxsim and loading the scenario alone take {pk['baseline']['peak_mb']:.0f} MB. The "
        f"workers' wall-clock ratio depends on a free second core: the load average was "
        f"{wk['load']:.1f} when it was measured.",
        "",
        "## Agreement with the per-customer simulation",
        "",
        f"E-commerce scaled to 100 thousand customers, inputs at their means, {pc['runs']:.0f} "
        "runs each; z is the difference of the means over its standard error, p the two-sample "
        "Kolmogorov-Smirnov test's. The per-customer simulation (benchmarks/per_customer.py) "
        "writes the model's rules customer by customer: fading memory, the settled start "
        "(periods lived before the start), word of mouth landing on would-be buyers at random "
        "(occupancy), promoters' referrals and smaller wallets, all of which the scenario uses; "
        "it shares only the engine's values of a customer and a buyer.",
        "",
        "| metric | per customer (mean) | cxsim (mean) | z | KS p |",
        "|---|---|---|---|---|",
    ]
    for metric in ("lost_revenue", "customers_lost"):
        lines.append(
            f"| {metric} | {pc[f'{metric}_per_customer']:,.0f} | {pc[f'{metric}_cxsim']:,.0f} "
            f"| {pc[f'{metric}_z']:+.2f} | {pc[f'{metric}_ks_p']:.2f} |"
        )
    lines += [
        "",
        "## Run time by customers",
        "",
        "CPU seconds per 1000 runs, one worker (customers and prospects scaled together).",
        "",
        "| customers | e-commerce | subscription |",
        "|---|---|---|",
    ]
    for n in CUSTOMERS:
        lines.append(f"| {n:,} | {e[n]:.3f} | {s[n]:.3f} |")
    lines += [
        "",
        "## Run time by runs",
        "",
        "E-commerce, 100 thousand customers, one worker.",
        "",
        "| runs | CPU seconds | ms per run |",
        "|---|---|---|",
    ]
    for n, seconds in runs.items():
        lines.append(f"| {n:,} | {seconds:.3f} | {seconds / n * 1e3:.3f} |")
    if "variance" in m:
        lines += ["", *variance_lines(m["variance"])]
    if "startup" in m:
        lines += startup_lines(m["startup"])
    lines += extra_lines(m)
    lines += ["", f"The whole benchmark took {time.perf_counter() - started:.0f} s.", ""]
    return "\n".join(lines)


#: Where `make bench` writes its results: a folder git ignores.
DEFAULT_OUT = HERE / "out" / "results.md"


def measure(steps: list[tuple[str, Callable[[], Any]]]) -> dict[str, Any]:
    """Each step's figures by its key, saying on stderr what is measured and how long it took."""
    measured: dict[str, Any] = {}
    for key, step in steps:
        t = time.perf_counter()
        print(f"measuring {key} ...", end=" ", flush=True, file=sys.stderr)
        measured[key] = step()
        print(f"{time.perf_counter() - t:.0f} s", file=sys.stderr)
    return measured


def main(out: Path = DEFAULT_OUT) -> None:
    started = time.perf_counter()
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("customers", by_customers),
        ("runs", by_runs),
        ("floor", lambda: {name: floor(name) for name in ("ecommerce", "subscription")}),
        ("per_customer", against_per_customer),
        ("workers", workers),
        ("peaks", peaks),
        ("variance", variance),
        ("startup", startup),
        ("support", support_at_scale),
        ("coupled_se", coupled_se),
        ("slider", slider),
        ("suite", suite),
    ]
    # e.g. CXSIM_BENCH_SKIP=suite,slider: sections left out (only those after "peaks" may be)
    skip = set(filter(None, os.environ.get("CXSIM_BENCH_SKIP", "").split(",")))
    measured = measure([(key, step) for key, step in steps if key not in skip])
    text = report(measured, started)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {out}", file=sys.stderr)


def _machines(kept: str) -> str:
    """How this machine compares with the one that measured the `kept` sections: the engine's
    1,024 runs there (their "Run time by runs" table) and here."""
    runs = 4 * CHUNK
    there = next(
        (float(row.split("|")[2]) for row in kept.splitlines() if row.startswith(f"| {runs:,} |")),
        None,
    )
    if there is None:
        return ""
    scenario = load("ecommerce", 100_000)
    here = cpu(lambda: simulate(scenario, runs, SEED, keep_periods=False), repeat=2)
    return (
        " The sections before it keep their earlier measurement: the engine's"
        f" {runs:,} runs took {there:.2f} s there, {here:.2f} s here."
    )


def issue17(path: Path = HERE / "results.md") -> None:
    """Re-measure start-up and issue 17's sections (coupled support, slider, test suite) and put
    them in place of those sections of `path`, from "## Start-up" on; the sections before it
    (engine, workers, memory peaks: about half an hour) keep their earlier measurement."""
    steps = [("startup", startup), ("support", support_at_scale), ("coupled_se", coupled_se),
             ("slider", slider), ("suite", suite)]  # fmt: skip
    measured = measure(steps)
    text = path.read_text(encoding="utf-8")
    head, _, _ = text.partition("\n## Start-up")
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    from cxsim.engine.rounding import cpu_kind

    note = (
        f"Start-up and the sections after it re-measured {when} on {cpu_kind()}"
        f" (`run.py --issue17`).{_machines(head)}"
    )
    lines = head.rstrip("\n").splitlines()
    lines = [line for line in lines if not line.startswith("Start-up and the sections after")]
    lines.insert(3, note)
    new = [*lines, *startup_lines(measured["startup"]), *extra_lines(measured)]
    path.write_text("\n".join(new) + "\n", encoding="utf-8")
    print("\n".join(new[len(lines) :]))


if __name__ == "__main__":
    if sys.argv[1:] == ["--variance"]:  # this section alone
        print("\n".join(variance_lines(variance())))
    elif len(sys.argv) == 3 and sys.argv[1] == "--peak":
        print(json.dumps(peak(sys.argv[2])))
    elif sys.argv[1:] == ["--startup"]:  # the start-up section alone, without results.md
        print("\n".join(startup_lines(startup())))
    elif sys.argv[1:] == ["--issue17"]:  # start-up and issue 17's sections of results.md
        issue17()
    elif sys.argv[1:] == ["--coupled"]:  # the coupled-support section alone
        print("\n".join(extra_lines({"support": support_at_scale(), "coupled_se": coupled_se()})))
    elif len(sys.argv) == 3 and sys.argv[1] == "--out":
        main(Path(sys.argv[2]))
    else:
        main()
