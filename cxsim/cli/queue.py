"""`cxsim queue`: answer a staffing question with the SimPy model beside Erlang C or Erlang A.

A thin layer over `cxsim.support.contact_centre.replicate` and `cxsim.support.erlang`: one channel,
constant staffing,
Poisson arrivals; the simulated figures come with 95% half-widths over independent replications.
"""

from __future__ import annotations

import json
import math
from typing import Any

import click
import numpy as np

from cxsim.support.channels import Channel
from cxsim.support.erlang import ErlangA, ErlangC, erlang_a, erlang_c
from cxsim.support.replication import ReplicationStats, replicate

FIGURES = ("p_wait", "asa_seconds", "service_level", "abandon_rate")
SEARCH_LIMIT = 100_000  # agents: beyond this the analytic search gives up


def _analytic(
    agents: int, rate: float, aht: float, patience: float | None, sl: float
) -> ErlangA | ErlangC:
    if patience is None:
        return erlang_c(agents, rate, aht, sl)
    return erlang_a(agents, rate, aht, patience, sl)


def _analytic_smallest(
    start: int, rate: float, aht: float, patience: float | None, sl: float, target: float
) -> int | None:
    """Smallest staffing >= start whose analytic service level meets the target."""
    n = max(start, 1)
    if patience is None:  # Erlang C needs a stable queue first
        n = max(n, math.floor(rate / 3600.0 * aht) + 1)
    while n <= SEARCH_LIMIT:
        if _analytic(n, rate, aht, patience, sl).service_level >= target:
            return n
        n += 1
    return None


def _number(x: float) -> float | None:
    """JSON has no infinity: an unbounded figure (an unstable Erlang C queue) is null."""
    return None if not math.isfinite(x) else float(x)


def _level_doc(agents: int, sim: ReplicationStats, ana: ErlangA | ErlangC) -> dict[str, Any]:
    simulated: dict[str, float | None] = {}
    for f in FIGURES:
        simulated[f] = _number(sim.mean(f))
        simulated[f"{f}_hw"] = _number(sim.half_width(f))
    analytic = {f: _number(getattr(ana, f)) for f in FIGURES}
    return {
        "agents": agents,
        "occupancy": _number(ana.occupancy),
        "simulated": simulated,
        "analytic": analytic,
    }


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--arrivals-per-hour",
    required=True,
    type=click.FloatRange(min=0, min_open=True, max=1e7),
    help="Contacts arriving per hour (Poisson).",
)
@click.option(
    "--aht-seconds",
    required=True,
    type=click.FloatRange(min=0, min_open=True, max=1e6),
    help="Average handle time, seconds.",
)
@click.option(
    "--agents", required=True, type=click.IntRange(min=1), help="Agents (the smallest to try)."
)
@click.option(
    "--agents-max",
    type=click.IntRange(min=1),
    help="Also try every staffing up to this one (default: just --agents; with --target, "
    "three above the analytic answer).",
)
@click.option(
    "--patience-seconds",
    type=click.FloatRange(min=0, min_open=True),
    help="Mean patience before hanging up (exponential): compares with Erlang A. "
    "Without it nobody hangs up: Erlang C.",
)
@click.option(
    "--replications",
    default=30,
    show_default=True,
    type=click.IntRange(min=2, max=10_000),
    help="Independent replications per staffing level.",
)
@click.option(
    "--sl-seconds",
    default=20.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Service level threshold: share of contacts answered within this many seconds.",
)
@click.option(
    "--target",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    help="Service level to reach (e.g. 0.8): report the smallest staffing that meets it.",
)
@click.option(
    "--hours",
    default=8.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True, max=24 * 365),
    help="Measured hours per replication.",
)
@click.option(
    "--warmup-hours",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0, max=24 * 365),
    help="Hours simulated and discarded before measuring (the queue starts empty).",
)
@click.option(
    "--handle",
    type=click.Choice(["exponential", "lognormal"]),
    default="exponential",
    show_default=True,
    help="Handle-time distribution (Erlang C and A assume exponential).",
)
@click.option(
    "--handle-cv",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Coefficient of variation of lognormal handle times.",
)
@click.option("--seed", default=2026, show_default=True, type=int, help="Random seed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead.")
def queue(
    arrivals_per_hour: float,
    aht_seconds: float,
    agents: int,
    agents_max: int | None,
    patience_seconds: float | None,
    replications: int,
    sl_seconds: float,
    target: float | None,
    hours: float,
    warmup_hours: float,
    handle: str,
    handle_cv: float,
    seed: int,
    as_json: bool,
) -> None:
    """Simulate a contact centre queue and print it beside Erlang C (or Erlang A).

    Poisson arrivals, N agents, first come first served; with --patience-seconds, callers hang
    up after an exponential patience (Erlang A), else never (Erlang C). Figures: P(wait), the
    average speed of answer (ASA, mean wait of answered contacts), the service level (share of
    offered contacts answered within --sl-seconds) and the abandon rate; simulated ones are
    means of --replications independent runs with 95% half-widths (±). Every staffing level
    uses the same random numbers, so differences between levels are not noise.

    With --target, tries staffing from --agents up and reports the smallest whose simulated
    service level meets the target, beside the analytic answer.

    \b
        cxsim queue --arrivals-per-hour 120 --aht-seconds 240 --agents 10 --target 0.8
    """
    if agents_max is not None and agents_max < agents:
        raise click.BadParameter(
            f"must be >= --agents ({agents}), got {agents_max}.", param_hint="--agents-max"
        )
    analytic_best = (
        _analytic_smallest(
            agents, arrivals_per_hour, aht_seconds, patience_seconds, sl_seconds, target
        )
        if target is not None
        else None
    )
    if agents_max is None:
        agents_max = agents if analytic_best is None else max(agents, analytic_best + 3)
    if agents_max - agents > 500:
        raise click.BadParameter(
            f"at most 500 staffing levels at a time, got {agents_max - agents + 1}.",
            param_hint="--agents-max",
        )
    levels: list[dict[str, Any]] = []
    chosen: dict[str, Any] | None = None
    for n in range(agents, agents_max + 1):
        channel = Channel(
            "queue",
            n,
            aht_seconds,
            handle=handle,  # type: ignore[arg-type]
            handle_cv=handle_cv,
            patience_seconds=patience_seconds,
        )
        sim = replicate(
            channel,
            replications,
            rng=np.random.default_rng(seed),  # the same stream at every level
            sl_seconds=sl_seconds,
            arrivals_per_hour=arrivals_per_hour,
            hours=hours,
            warmup_hours=warmup_hours,
        )
        ana = _analytic(n, arrivals_per_hour, aht_seconds, patience_seconds, sl_seconds)
        level = _level_doc(n, sim, ana)
        levels.append(level)
        if target is not None and (level["simulated"]["service_level"] or 0.0) >= target:
            chosen = level
            break
    answer = chosen or (levels[0] if target is None else levels[-1])
    doc: dict[str, Any] = {
        "model": "erlang_c" if patience_seconds is None else "erlang_a",
        "inputs": {
            "arrivals_per_hour": arrivals_per_hour,
            "aht_seconds": aht_seconds,
            "offered_load_erlangs": arrivals_per_hour / 3600.0 * aht_seconds,
            "patience_seconds": patience_seconds,
            "sl_seconds": sl_seconds,
            "replications": replications,
            "hours": hours,
            "warmup_hours": warmup_hours,
            "handle": handle,
            "seed": seed,
        },
        "agents": answer["agents"],
        "simulated": answer["simulated"],
        "analytic": answer["analytic"],
        "levels": levels,
    }
    if target is not None:
        doc["target"] = {
            "service_level": target,
            "met": chosen is not None,
            "agents_simulated": chosen["agents"] if chosen else None,
            "agents_analytic": analytic_best,
        }
    if as_json:
        click.echo(json.dumps(doc, indent=2, allow_nan=False))
        return
    click.echo(_report(doc), nl=False)


def _fmt(x: float | None, digits: int) -> str:
    return "inf" if x is None else f"{x:.{digits}f}"


def _report(doc: dict[str, Any]) -> str:
    """The human-readable table."""
    inp = doc["inputs"]
    name = "Erlang C" if doc["model"] == "erlang_c" else "Erlang A"
    patience = (
        "nobody hangs up"
        if inp["patience_seconds"] is None
        else f"mean patience {inp['patience_seconds']:g} s"
    )
    lines = [
        f"{inp['arrivals_per_hour']:g} contacts/h, AHT {inp['aht_seconds']:g} s "
        f"({inp['offered_load_erlangs']:.2f} Erlangs), {patience}; {inp['handle']} handle times",
        f"simulated: {inp['replications']} replications of {inp['hours']:g} h after "
        f"{inp['warmup_hours']:g} h warm-up (± = 95% half-width); analytic: {name}",
        f"SL (service level) = share of contacts answered within {inp['sl_seconds']:g} s; "
        f"occupancy from {name}",
        "",
    ]
    head = (
        f"{'agents':>6}  {'occupancy':>9}  {'P(wait) sim':>15} {name:>8}  {'ASA s sim':>15} "
        f"{name:>8}  {'SL sim':>15} {name:>8}  {'abandoned sim':>15} {name:>8}"
    )
    lines.append(head)
    digits = {"p_wait": 3, "asa_seconds": 1, "service_level": 3, "abandon_rate": 3}
    for level in doc["levels"]:
        s, a = level["simulated"], level["analytic"]
        cells = [f"{level['agents']:>6}", f"{_fmt(level['occupancy'], 3):>9}"]
        for f in FIGURES:
            d = digits[f]
            sim = f"{_fmt(s[f], d)} ± {_fmt(s[f + '_hw'], d)}"
            cells.append(f"{sim:>15} {_fmt(a[f], d):>8}")
        lines.append("  ".join(cells))
    if any(level["analytic"]["asa_seconds"] is None for level in doc["levels"]):
        lines.append("")
        lines.append(
            "inf: load at or above the agents, the queue grows without bound; simulated figures "
            "then depend on --hours."
        )
    if "target" in doc:
        t = doc["target"]
        lines.append("")
        goal = f"service level >= {t['service_level']:g} within {inp['sl_seconds']:g} s"
        if t["met"]:
            lines.append(f"{goal}: {t['agents_simulated']} agents (simulated mean)")
        else:
            lines.append(f"{goal}: not met with up to {doc['levels'][-1]['agents']} agents")
        ana = t["agents_analytic"]
        lines.append(f"{name}: {ana if ana is not None else 'none found'} agents")
    return "\n".join(lines) + "\n"
