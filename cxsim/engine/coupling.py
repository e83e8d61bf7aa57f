"""Coupling the support operation to the engine: contacts drive the queue, the queue the split.

The contact centre of a scenario's `support:` section is simulated once per world with SimPy on a
grid of contact volumes (`cxsim.support.response_curve.ResponseCurve`); each period, the engine
reads the satisfied / mollified / dissatisfied split and the mean response time off that curve
at the load the agents face (`agent_contacts`): every customer's routine contacts, the
complaints and their repeat contacts, less what a bot contains. Complaints are those of the
period before (a one-period lag: they are counted as the period's touchpoints are drawn; the
first period uses the expected volume), as are the customers whose routine contacts arrive. All
contacts share the channels by the channels' shares. Curves are cached by configuration and
seed, so a scenario and the interventions that leave support alone share one curve.

Each fixed chunk of runs builds its own curve, from its own key of the seed (`chunk_seed`): the
curve's simulation noise is shared by the runs of a chunk but independent between chunks, so the
spread of chunk means counts it (`cxsim.engine.variance.estimate` with `grouped=True`). One curve
for all runs of a seed would leave that noise out of the standard error (issue 17: five 1,000-run
seeds of contact_centre gave means 5.6 standard errors apart).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
from numpy.typing import NDArray

from cxsim.engine.recursion import ResolutionHook
from cxsim.model.scenario import Scenario

if TYPE_CHECKING:  # the queue's modules (SimPy among them) load with the first support section
    from cxsim.support.channels import Channel, SupportOperation
    from cxsim.support.response_curve import Point, ResponseCurve

FloatArray = NDArray[np.float64]
OUTCOMES = ("satisfied", "mollified", "dissatisfied")
#: Rounds of load -> split -> repeat contacts -> load: repeats depend on how complaints end,
#: which depends on the load; the fixed point moves by under 0.1% after the second round.
REPEAT_ROUNDS = 2
HOURS_PER_PERIOD = {"week": 168.0, "month": 730.5, "quarter": 2191.5, "year": 8766.0}
WINDOW_HOURS = 4 * 168.0  # simulate at most four weeks per load point; rates scale to the period
#: The grid spans the expected first-period volume divided and multiplied by this (loads outside
#: read the nearest end's figures and are flagged `beyond_grid` above it).
HEADROOM = 3.0
_CACHE: OrderedDict[tuple[Any, ...], ResponseCurve] = OrderedDict()
#: Grid points by channel, load and stream: operations sharing a channel compute it once.
_POINTS: OrderedDict[tuple[Any, ...], Point] = OrderedDict()
BUILDS = [0]  # curves built in this process (a test counts them)


def operation(scenario: Scenario, values: Mapping[str, FloatArray]) -> SupportOperation | None:
    """The scenario's support section as plain data, with agents from the (changed) values."""
    support = scenario.support
    if support is None:
        return None
    from cxsim.support.channels import Channel, SupportOperation

    channels = []
    for i, c in enumerate(support.channels):
        agents = float(np.asarray(values[f"support.channels.{i}.agents"]).ravel()[0])
        staff = np.full((7, 24), round(max(agents, 0.0)))
        for shift in c.schedule:
            staff[shift.mask()] = shift.agents
        open_mask = c.open.mask()
        if not (staff * open_mask).any():
            continue  # not offered (e.g. live chat before the intervention that adds it)
        share = float(np.asarray(values[f"support.channels.{i}.share"]).ravel()[0])
        channels.append(
            Channel(
                name=c.name,
                agents=staff,
                aht_seconds=c.aht_seconds,
                handle=c.handle,
                handle_cv=c.handle_cv,
                patience_seconds=c.patience_seconds,
                share=share,
                open_hours=open_mask,
                asynchronous=c.asynchronous,
            )
        )
    total = sum(c.share for c in channels)
    if total <= 0:
        raise ValueError("the support channels on offer receive no complaints (shares are 0)")
    channels = [_with_share(c, c.share / total) for c in channels]
    profile = None if support.hourly_profile is None else np.asarray(support.hourly_profile)
    return SupportOperation(
        tuple(channels),
        profile=profile,
        period_hours=HOURS_PER_PERIOD[scenario.economics.period],
    )


def agent_contacts(
    values: Mapping[str, FloatArray],
    complaints: FloatArray,
    active: FloatArray,
    split: FloatArray | None = None,
) -> FloatArray:
    """Contacts reaching agents in a period, per run: the load on the support queue.

    Routine contacts (`costs.routine_contacts` per customer of `active`) and each complaint
    with its repeats (`costs.repeat_contacts` by outcome, weighted by `split`, (R, 3); equal
    thirds if None), less the share a bot offered them contains (`costs.deflection`).
    """

    def v(path: str) -> FloatArray:
        return np.asarray(values[path], dtype=float)

    repeats = np.stack([v(f"costs.repeat_contacts.{o}") for o in OUTCOMES], axis=-1)
    weights = np.full(repeats.shape, 1 / 3) if split is None else np.asarray(split, dtype=float)
    per_complaint = 1.0 + (repeats * weights).sum(axis=-1)
    routine = v("costs.routine_contacts") * np.asarray(active, dtype=float)
    contained = v("costs.deflection.share") * v("costs.deflection.containment")
    return (1.0 - contained) * (routine + np.asarray(complaints, dtype=float) * per_complaint)


def _with_share(c: Channel, share: float) -> Channel:
    from cxsim.support.channels import Channel

    return Channel(
        name=c.name,
        agents=c.staff.reshape(7, 24),
        aht_seconds=c.aht_seconds,
        handle=c.handle,
        handle_cv=c.handle_cv,
        patience_seconds=c.patience_seconds,
        share=share,
        open_hours=c.open_mask.reshape(7, 24),
        asynchronous=c.asynchronous,
    )


#: Simulations of each load of a world's one curve (the expected-value model, sensitivity):
#: at least this many, more at light loads until `MIN_CONTACTS` contacts were measured.
REPLICATIONS = 2
#: A Monte Carlo chunk's curve simulates each load once: with a curve per chunk the noise of
#: the mean's curve falls as chunks are added, so one replication (half the world's two) keeps
#: `run` at 1,000 runs about as costly on two workers as one curve per seed built in each worker
#: was (issue 17; benchmarks/results.md).
CHUNK_REPLICATIONS = 1
MIN_CONTACTS = 3000  # the default of `ResponseCurve.build`: an assumption, as there

#: The key of a chunk's seed that seeds its response curve (keys 0..4 are its draws).
CURVE_KEY = 5


def chunk_seed(seed: int, index: int) -> int:
    """The seed of chunk `index`'s response curve: independent between chunks, the same
    whatever the workers."""
    state = np.random.SeedSequence(seed, spawn_key=(index, CURVE_KEY)).generate_state(2, np.uint32)
    return int(state[0]) << 32 | int(state[1])


def _key(op: SupportOperation, peak: float, seed: int) -> tuple[Any, ...]:
    channels = tuple(
        (
            c.name,
            c.staff.tobytes(),
            c.aht_seconds,
            c.handle,
            c.handle_cv,
            c.patience_seconds,
            round(c.share, 12),
            c.open_mask.tobytes(),
            c.asynchronous,
        )
        for c in op.channels
    )
    return (channels, op.weights.tobytes(), op.period_hours, round(peak, 6), seed)


class _Span(TypedDict):
    """The grid's reach: `ResponseCurve.build` and `plan` keywords."""

    max_complaints: float
    min_complaints: float
    window_hours: float


def _span(op: SupportOperation, expected: float) -> _Span:
    """The grid's reach for a baseline's expected first-period complaints."""
    return {
        "max_complaints": max(expected * HEADROOM, 10.0),
        "min_complaints": expected / HEADROOM,
        "window_hours": min(op.period_hours, WINDOW_HOURS),
    }


def response_curve(
    op: SupportOperation, expected: float, seed: int, replications: int = REPLICATIONS
) -> ResponseCurve:
    """The operation on a grid of loads around the baseline's `expected` first-period complaints.

    Cached by operation, `expected` and seed: a comparison passes the baseline's expected load
    to every world, so the interventions that leave the support operation alone reuse the
    baseline's curve.
    """
    key = (*_key(op, expected, seed), replications, MIN_CONTACTS, WINDOW_HOURS)
    if key not in _CACHE:
        from cxsim.support.response_curve import ResponseCurve

        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31,)))
        _CACHE[key] = ResponseCurve.build(
            op,
            rng=rng,
            points=_POINTS,
            replications=replications,
            min_contacts=MIN_CONTACTS,
            **_span(op, expected),
        )
        BUILDS[0] += 1
        while len(_CACHE) > 16:
            _CACHE.popitem(last=False)
        while len(_POINTS) > 2000:
            _POINTS.popitem(last=False)
    return _CACHE[key]


def clear() -> None:
    """Forget every curve and grid point built in this process."""
    _CACHE.clear()
    _POINTS.clear()


def methods(op: SupportOperation, expected: float) -> dict[str, list[dict[str, object]]]:
    """How each channel's grid point is computed ("simulated", "fluid", "erlang"), at which load
    (complaints per period reaching the channel): what `response_curve` will do, without doing
    it."""
    from cxsim.support.response_curve import ResponseCurve

    plans = ResponseCurve.plan(op, **_span(op, expected))
    return {
        c.name: [{"load": round(float(x), 2), "method": m} for x, m in zip(loads, ms, strict=True)]
        for c, (loads, ms, _) in zip(op.channels, plans, strict=True)
    }


def hook(
    scenario: Scenario,
    values: Mapping[str, FloatArray],
    peak: float,
    seed: int,
    replications: int = REPLICATIONS,
) -> ResolutionHook | None:
    """The engine's resolution hook for one world, or None without a support section."""
    op = operation(scenario, values)
    if op is None:
        return None
    curve = response_curve(op, peak, seed, replications)
    from cxsim.support.channels import ResolutionCurve

    r = "support.resolution"
    resolution = ResolutionCurve(
        satisfied_fast=np.asarray(values[f"{r}.satisfied_fast"], dtype=float),
        satisfied_slow=np.asarray(values[f"{r}.satisfied_slow"], dtype=float),
        dissatisfied_fast=np.asarray(values[f"{r}.dissatisfied_fast"], dtype=float),
        dissatisfied_slow=np.asarray(values[f"{r}.dissatisfied_slow"], dtype=float),
        # One midpoint per run: the curve's outcome mapping is pure numpy over runs, so a
        # distribution here costs no extra simulation.
        midpoint_hours=np.asarray(values[f"{r}.midpoint_hours"], dtype=float),
    )

    repeats = any(np.any(np.asarray(values[f"costs.repeat_contacts.{o}"])) for o in OUTCOMES)

    def resolve(complaints: FloatArray, active: FloatArray) -> tuple[FloatArray, FloatArray]:
        split = None
        for _ in range(1 + REPEAT_ROUNDS * repeats):
            load = agent_contacts(values, complaints, active, split)
            out = curve.outcomes(load, resolution=resolution)
            split = out.split
        return out.split, out.mean_response_hours

    return resolve


def notes(
    scenario: Scenario,
    values: Mapping[str, FloatArray],
    complaints: FloatArray,
    expected: float,
    contacts: FloatArray | None = None,
) -> dict[str, Any] | None:
    """What a run's output says about its support operation (None without one).

    `values` are the world's inputs at their means, `complaints` its expected complaints per
    period, `contacts` the contacts reaching agents (default: the complaints) and `expected`
    the baseline's first-period contacts that size the grid. Holds the
    channels overloaded at the first period's and at the peak period's expected load
    (`cxsim.support.overload`) and the method of each grid point; cheap (nothing simulated).
    """
    op = operation(scenario, values)
    if op is None:
        return None
    from cxsim.support.overload import overloads

    load = complaints if contacts is None else contacts
    peak = int(np.argmax(load))
    at = {"first period": 0} | ({"peak period": peak} if peak != 0 else {})
    found = []
    for when, k in at.items():
        for o in overloads(op, float(load[k])):
            found.append({"when": when, "period": k + 1, "text": o.text(), **o.to_dict()})
    return {
        "expected_complaints": {
            "first_period": round(float(complaints[0]), 2),
            "peak_period": peak + 1,
            "at_peak": round(float(complaints[peak]), 2),
        },
        **(
            {}
            if contacts is None
            else {
                "expected_contacts": {
                    "first_period": round(float(contacts[0]), 2),
                    "at_peak": round(float(contacts[peak]), 2),
                }
            }
        ),
        "overloaded": found,
        "grid": methods(op, expected),
    }
