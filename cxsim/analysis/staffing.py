"""How many agents a queue needs: the SimPy model beside Erlang C (or A), staffing by staffing.

One channel, constant staffing, Poisson arrivals. Every staffing from `agents` to `agents_max` is
simulated (`replications` independent runs, each level on the same random numbers, so
differences between levels are not noise) and set beside the formula: Erlang C when nobody hangs
up, Erlang A (Palm's M/M/N+M) when callers hang up after an exponential patience. With a
service-level target, an occupancy ceiling or both, the answer is the smallest staffing whose
simulated service level meets the target and whose occupancy is at most the ceiling.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from cxsim.protocol import Result
from cxsim.support.channels import Channel
from cxsim.support.erlang import ErlangA, ErlangC, erlang_a, erlang_c
from cxsim.support.replication import ReplicationStats, replicate

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: The queue's figures, simulated and analytic.
FIGURES = ("p_wait", "asa_seconds", "service_level", "abandon_rate")
#: Agents: beyond this the analytic search gives up.
SEARCH_LIMIT = 100_000
#: Staffing levels simulated at most in one search.
MAX_LEVELS = 501
#: Staffing levels tried above the analytic answer when no `agents_max` is given.
ABOVE_ANALYTIC = 3


def analytic(
    agents: int, rate: float, aht: float, patience: float | None, sl: float
) -> ErlangA | ErlangC:
    """Erlang C without patience, Erlang A with it."""
    if patience is None:
        return erlang_c(agents, rate, aht, sl)
    return erlang_a(agents, rate, aht, patience, sl)


def analytic_smallest(
    start: int,
    rate: float,
    aht: float,
    patience: float | None,
    sl: float,
    target: float | None,
    max_occupancy: float | None,
) -> int | None:
    """Smallest staffing >= start whose analytic figures meet the target and the ceiling."""
    n = max(start, 1)
    if patience is None:  # Erlang C needs a stable queue first
        n = max(n, math.floor(rate / 3600.0 * aht) + 1)
    while n <= SEARCH_LIMIT:
        q = analytic(n, rate, aht, patience, sl)
        if meets(q.service_level, q.occupancy, target, max_occupancy):
            return n
        n += 1
    return None


def meets(
    service_level: float | None,
    occupancy: float | None,
    target: float | None,
    max_occupancy: float | None,
) -> bool:
    """Whether a staffing meets the service-level target and the occupancy ceiling given."""
    if target is not None and (service_level or 0.0) < target:
        return False
    return max_occupancy is None or (occupancy is not None and occupancy <= max_occupancy)


def _number(x: float) -> float | None:
    """JSON has no infinity: an unbounded figure (an unstable Erlang C queue) is null."""
    return None if not math.isfinite(x) else float(x)


def _level(agents: int, sim: ReplicationStats, ana: ErlangA | ErlangC) -> dict[str, Any]:
    simulated: dict[str, float | None] = {}
    for f in FIGURES:
        simulated[f] = _number(sim.mean(f))
        simulated[f"{f}_hw"] = _number(sim.half_width(f))
    return {
        "agents": agents,
        "occupancy": _number(ana.occupancy),
        "simulated": simulated,
        "analytic": {f: _number(getattr(ana, f)) for f in FIGURES},
    }


@dataclass(frozen=True, repr=False)
class Staffing(Result):
    """Every staffing tried, simulated and analytic, and the one chosen (see the module)."""

    kind: ClassVar[str] = "staffing"

    inputs: dict[str, Any]
    levels: list[dict[str, Any]]
    target: float | None = None
    max_occupancy: float | None = None
    agents_analytic: int | None = None

    @property
    def model(self) -> str:
        return "erlang_c" if self.inputs["patience_seconds"] is None else "erlang_a"

    @property
    def chosen(self) -> dict[str, Any] | None:
        """The smallest staffing tried that meets the targets (None: none did, or no target)."""
        if self.target is None and self.max_occupancy is None:
            return None
        for level in self.levels:
            sl = level["simulated"]["service_level"]
            if meets(sl, level["occupancy"], self.target, self.max_occupancy):
                return level
        return None

    @property
    def answer(self) -> dict[str, Any]:
        """The chosen staffing; without targets the first tried, if none meets them the last."""
        if self.target is None and self.max_occupancy is None:
            return self.levels[0]
        return self.chosen or self.levels[-1]

    def to_frame(self) -> pd.DataFrame:
        """One row per staffing tried: occupancy, each figure simulated (± half-width) and
        analytic, and whether it is the chosen one."""
        chosen = self.chosen
        rows = {}
        for level in self.levels:
            row: dict[str, Any] = {"occupancy": level["occupancy"]}
            for f in FIGURES:
                row[f] = level["simulated"][f]
                row[f"{f}_hw"] = level["simulated"][f"{f}_hw"]
                row[f"{f}_analytic"] = level["analytic"][f]
            row["chosen"] = level is chosen
            rows[level["agents"]] = row
        frame = pd.DataFrame.from_dict(rows, orient="index").astype({"chosen": bool})
        frame.index.name = "agents"
        return frame.astype({c: float for c in frame.columns if c != "chosen"})

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `cxsim queue --json`."""
        answer = self.answer
        doc: dict[str, Any] = {
            "kind": self.kind,
            "model": self.model,
            "inputs": self.inputs,
            "agents": answer["agents"],
            "simulated": answer["simulated"],
            "analytic": answer["analytic"],
            "levels": self.levels,
        }
        if self.target is not None or self.max_occupancy is not None:
            chosen = self.chosen
            doc["target"] = {
                "service_level": self.target,
                "max_occupancy": self.max_occupancy,
                "met": chosen is not None,
                "agents_simulated": chosen["agents"] if chosen else None,
                "agents_analytic": self.agents_analytic,
            }
        return doc

    def text(self) -> str:
        """The table `cxsim queue` prints, the chosen staffing marked with `*`."""
        return render_staffing(self)

    def plot(self, ax: Axes | None = None) -> Figure:
        """Service level and abandon rate by staffing: lines analytic, dots simulated (± 95%)."""
        import matplotlib.pyplot as plt
        from matplotlib.ticker import PercentFormatter

        if ax is None:
            fig, ax = plt.subplots(figsize=(9, 4))
        else:
            fig = ax.get_figure()  # type: ignore[assignment]
        frame = self.to_frame()
        name = "Erlang C" if self.model == "erlang_c" else "Erlang A"
        sl = self.inputs["sl_seconds"]
        for f, label, color in (
            ("service_level", f"answered within {sl:g} s", "#1b365d"),
            ("abandon_rate", "hung up", "#a23b2a"),
        ):
            ax.plot(frame.index, frame[f"{f}_analytic"], color=color, label=f"{label} ({name})")
            ax.errorbar(
                frame.index,
                frame[f],
                yerr=frame[f"{f}_hw"],
                fmt="o",
                color=color,
                label=f"{label} (simulated)",
            )
        if self.target is not None:
            ax.axhline(self.target, color="#b0b0b0", ls="--", lw=1, label="target")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("agents")
        ax.set_ylabel("share of contacts")
        ax.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
        return fig  # type: ignore[return-value]

    def __repr__(self) -> str:
        tried = f"{self.levels[0]['agents']}-{self.levels[-1]['agents']} agents"
        return f"<Staffing {self.model}: tried {tried}; answer {self.answer['agents']} agents>"


def staffing(
    arrivals_per_hour: float,
    aht_seconds: float,
    agents: int = 1,
    agents_max: int | None = None,
    *,
    target: float | None = None,
    max_occupancy: float | None = None,
    patience_seconds: float | None = None,
    sl_seconds: float = 20.0,
    replications: int = 30,
    hours: float = 8.0,
    warmup_hours: float = 2.0,
    handle: Literal["exponential", "lognormal"] = "exponential",
    handle_cv: float = 1.0,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
) -> Staffing:
    """Simulate every staffing from `agents` to `agents_max` beside Erlang C (or A).

    Without `agents_max`: just `agents`, or with a target up to three above the analytic answer.
    `target` is a service level (share answered within `sl_seconds`), `max_occupancy` a
    ceiling on the agents' occupancy; the chosen staffing is the smallest that meets both.
    `progress`, if given, is called with 1 after each staffing level (`staffings_to_try` says
    how many there are).
    """
    best, tried = _staffings_to_try(
        agents,
        agents_max,
        arrivals_per_hour,
        aht_seconds,
        patience_seconds,
        sl_seconds,
        target,
        max_occupancy,
    )
    levels = []
    for n in tried:
        channel = Channel(
            "queue",
            n,
            aht_seconds,
            handle=handle,
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
        ana = analytic(n, arrivals_per_hour, aht_seconds, patience_seconds, sl_seconds)
        levels.append(_level(n, sim, ana))
        if progress is not None:
            progress(1)
    inputs = {
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
    }
    return Staffing(inputs, levels, target, max_occupancy, best)


def staffings_to_try(
    arrivals_per_hour: float,
    aht_seconds: float,
    agents: int = 1,
    agents_max: int | None = None,
    *,
    target: float | None = None,
    max_occupancy: float | None = None,
    patience_seconds: float | None = None,
    sl_seconds: float = 20.0,
) -> range:
    """The staffing levels `staffing` simulates with these arguments (for a progress bar)."""
    return _staffings_to_try(
        agents,
        agents_max,
        arrivals_per_hour,
        aht_seconds,
        patience_seconds,
        sl_seconds,
        target,
        max_occupancy,
    )[1]


def _staffings_to_try(
    agents: int,
    agents_max: int | None,
    arrivals_per_hour: float,
    aht_seconds: float,
    patience_seconds: float | None,
    sl_seconds: float,
    target: float | None,
    max_occupancy: float | None,
) -> tuple[int | None, range]:
    """The analytic answer (None without a target or ceiling) and the staffings to simulate."""
    _check(agents, agents_max, target, max_occupancy)
    searching = target is not None or max_occupancy is not None
    best = (
        analytic_smallest(
            agents,
            arrivals_per_hour,
            aht_seconds,
            patience_seconds,
            sl_seconds,
            target,
            max_occupancy,
        )
        if searching
        else None
    )
    if agents_max is None:
        agents_max = agents if best is None else max(agents, best + ABOVE_ANALYTIC)
    if agents_max - agents + 1 > MAX_LEVELS:
        raise ValueError(
            f"at most {MAX_LEVELS} staffing levels at a time, got {agents_max - agents + 1}."
        )
    return best, range(agents, agents_max + 1)


def _check(
    agents: int, agents_max: int | None, target: float | None, max_occupancy: float | None
) -> None:
    if agents < 1:
        raise ValueError(f'"agents" must be >= 1, got {agents}.')
    if agents_max is not None and agents_max < agents:
        raise ValueError(f'"agents_max" must be >= "agents" ({agents}), got {agents_max}.')
    if target is not None and not 0.0 < target < 1.0:
        raise ValueError(f'"target" must be between 0 and 1, got {target}.')
    if max_occupancy is not None and not 0.0 < max_occupancy <= 1.0:
        raise ValueError(f'"max_occupancy" must be in (0, 1], got {max_occupancy}.')


def _fmt(x: float | None, digits: int) -> str:
    return "inf" if x is None else f"{x:.{digits}f}"


def render_staffing(result: Staffing) -> str:
    """The human-readable table: every staffing tried, the chosen one marked with `*`."""
    doc = result.to_dict()
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
        f"{'agents':>7}  {'occupancy':>9}  {'P(wait) sim':>15} {name:>8}  {'ASA s sim':>15} "
        f"{name:>8}  {'SL sim':>15} {name:>8}  {'abandoned sim':>15} {name:>8}",
    ]
    digits = {"p_wait": 3, "asa_seconds": 1, "service_level": 3, "abandon_rate": 3}
    chosen = result.chosen
    for level in doc["levels"]:
        s, a = level["simulated"], level["analytic"]
        mark = "*" if level is chosen else " "
        cells = [f"{mark}{level['agents']:>6}", f"{_fmt(level['occupancy'], 3):>9}"]
        for f in FIGURES:
            sim = f"{_fmt(s[f], digits[f])} ± {_fmt(s[f + '_hw'], digits[f])}"
            cells.append(f"{sim:>15} {_fmt(a[f], digits[f]):>8}")
        lines.append("  ".join(cells))
    if any(level["analytic"]["asa_seconds"] is None for level in doc["levels"]):
        lines += [
            "",
            "inf: load at or above the agents, the queue grows without bound; simulated "
            "figures then depend on the hours simulated.",
        ]
    if "target" in doc:
        lines += ["", *_target_lines(doc, name)]
    return "\n".join(lines) + "\n"


def _target_lines(doc: dict[str, Any], name: str) -> list[str]:
    t, inp = doc["target"], doc["inputs"]
    goals = []
    if t["service_level"] is not None:
        goals.append(f"service level >= {t['service_level']:g} within {inp['sl_seconds']:g} s")
    if t["max_occupancy"] is not None:
        goals.append(f"occupancy <= {t['max_occupancy']:g}")
    goal = " and ".join(goals)
    if t["met"]:
        found = f"{goal}: {t['agents_simulated']} agents (simulated mean; marked *)"
    else:
        found = f"{goal}: not met with up to {doc['levels'][-1]['agents']} agents"
    ana = t["agents_analytic"]
    return [found, f"{name}: {ana if ana is not None else 'none found'} agents"]
