"""`cxsim queue`: answer a staffing question with the SimPy model beside Erlang C or Erlang A.

A thin layer over `cxsim.analysis.staffing.staffing` (`cxsim.staffing` in Python): one channel,
constant staffing, Poisson arrivals; the simulated figures come with 95% half-widths over
independent replications.
"""

from __future__ import annotations

import json

import click

from cxsim.analysis.staffing import staffing, staffings_to_try
from cxsim.cli.options import count, finite, json_option, seed_option
from cxsim.cli.progress import announce, echo_text, progress

#: Contacts simulated (all levels and replications) from which a run takes about two seconds.
PROGRESS_FROM_CONTACTS = 200_000
#: Contacts SimPy simulates per second on one core (measured: 40,000 to 65,000 on a loaded
#: 2-core machine, 2026); the estimate before a long run divides by it.
CONTACTS_PER_SECOND = 40_000
#: The most contacts one command simulates (about ten minutes at CONTACTS_PER_SECOND).
MAX_CONTACTS = 25_000_000
#: The largest coefficient of variation of handle times, as in a scenario's channel.
MAX_HANDLE_CV = 10.0


@click.command(
    epilog="Examples:\n\n\b\n  cxsim queue --arrivals-per-hour 120 --aht-seconds 240 --agents 10\n"
    "  cxsim queue --arrivals-per-hour 120 --aht-seconds 240 --agents 8 --agents-max 14 "
    "--target 0.8\n"
    "  cxsim queue --arrivals-per-hour 120 --aht-seconds 240 --agents 10 "
    "--patience-seconds 180 --json"
)
@click.option(
    "--arrivals-per-hour",
    required=True,
    type=finite(min=0, min_open=True, max=1e7),
    help="Contacts arriving per hour (Poisson).",
)
@click.option(
    "--aht-seconds",
    required=True,
    type=finite(min=0, min_open=True, max=1e6),
    help="Average handle time, seconds.",
)
@click.option(
    "--agents", required=True, type=count(1, 100_000), help="Agents (the smallest to try)."
)
@click.option(
    "--agents-max",
    type=count(1, 100_000),
    help="Also try every staffing up to this one (default: just --agents; with --target or "
    "--max-occupancy, three above the analytic answer).",
)
@click.option(
    "--patience-seconds",
    type=finite(min=0, min_open=True, max=1e6),
    help="Mean patience before hanging up (exponential): compares with Erlang A. "
    "Without it nobody hangs up: Erlang C.",
)
@click.option(
    "--replications",
    default=30,
    show_default=True,
    type=count(2, 10_000),
    help="Independent replications per staffing level.",
)
@click.option(
    "--sl-seconds",
    default=20.0,
    show_default=True,
    type=finite(min=0, max=1e6),
    help="Service level threshold: share of contacts answered within this many seconds.",
)
@click.option(
    "--target",
    type=finite(min=0, max=1, min_open=True, max_open=True),
    help="Service level to reach (e.g. 0.8): report the smallest staffing that meets it.",
)
@click.option(
    "--max-occupancy",
    type=finite(min=0, max=1, min_open=True),
    help="Occupancy not to exceed (e.g. 0.85): with --target or alone, the smallest staffing "
    "that also stays at or below it.",
)
@click.option(
    "--hours",
    default=8.0,
    show_default=True,
    type=finite(min=0, min_open=True, max=24 * 365),
    help="Measured hours per replication.",
)
@click.option(
    "--warmup-hours",
    default=2.0,
    show_default=True,
    type=finite(min=0, max=24 * 365),
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
    type=finite(min=0, min_open=True, max=MAX_HANDLE_CV),
    help="Coefficient of variation of lognormal handle times.",
)
@seed_option(default=2026)
@json_option
def queue(
    arrivals_per_hour: float,
    aht_seconds: float,
    agents: int,
    agents_max: int | None,
    patience_seconds: float | None,
    replications: int,
    sl_seconds: float,
    target: float | None,
    max_occupancy: float | None,
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

    With --target (and/or --max-occupancy), tries every staffing from --agents to --agents-max
    and marks with * the smallest whose simulated service level meets the target (and whose
    occupancy stays at or below the ceiling), beside the analytic answer.
    """
    if agents_max is not None and agents_max < agents:
        raise click.BadParameter(
            f"must be >= --agents ({agents}), got {agents_max}.", param_hint="--agents-max"
        )
    try:
        levels = staffings_to_try(
            arrivals_per_hour,
            aht_seconds,
            agents,
            agents_max,
            target=target,
            max_occupancy=max_occupancy,
            patience_seconds=patience_seconds,
            sl_seconds=sl_seconds,
        )
        # A bar where the simulation takes seconds: many levels, long runs or many replications.
        work = _contacts(len(levels), replications, hours, warmup_hours, arrivals_per_hour)
        if not as_json:
            announce(work / CONTACTS_PER_SECOND, f"{work:,.0f} simulated contacts")
        with progress(
            len(levels),
            "simulating",
            enabled=not as_json and work > PROGRESS_FROM_CONTACTS,
            unit="staffing levels",
        ) as bar:
            result = staffing(
                arrivals_per_hour,
                aht_seconds,
                agents,
                agents_max,
                target=target,
                max_occupancy=max_occupancy,
                patience_seconds=patience_seconds,
                sl_seconds=sl_seconds,
                replications=replications,
                hours=hours,
                warmup_hours=warmup_hours,
                handle=handle,  # type: ignore[arg-type]
                handle_cv=handle_cv,
                seed=seed,
                progress=bar,
            )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, allow_nan=False))
        return
    echo_text(result.text(), nl=False)


def _contacts(
    levels: int, replications: int, hours: float, warmup_hours: float, arrivals_per_hour: float
) -> float:
    """The contacts a command will simulate; refused beyond MAX_CONTACTS or below one a run."""
    if arrivals_per_hour * hours < 1:
        raise click.UsageError(
            f"--hours {hours:g} at --arrivals-per-hour {arrivals_per_hour:g} measures fewer than "
            "one contact a replication: raise --hours"
        )
    work = levels * replications * (hours + warmup_hours) * arrivals_per_hour
    if work > MAX_CONTACTS:
        raise click.UsageError(
            f"{levels:,} staffing levels x {replications:,} replications x "
            f"{hours + warmup_hours:g} hours at {arrivals_per_hour:g} an hour is {work:,.0f} "
            f"contacts to simulate, more than {MAX_CONTACTS:,} (about "
            f"{MAX_CONTACTS / CONTACTS_PER_SECOND / 60:.0f} min): lower --replications, "
            "--hours or the range of agents"
        )
    return work
