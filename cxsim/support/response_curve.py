"""The shortcut: each support channel simulated once on a grid of loads, then interpolated.

A SimPy run for every Monte Carlo run and period would be slow, and complaint volume is the only
thing that changes between runs. `ResponseCurve.build` simulates each channel of a
`SupportOperation` over a grid of loads (from 2% to beyond 100% of its weekly capacity, denser
near the knee), with replications, and stores mean response, abandonment and 50 quantiles of the
response-time distribution at each load. `ResponseCurve.outcomes(complaints)` interpolates
linearly in load (pure numpy, vectorised over runs) and averages the resolution split over the
interpolated response-time quantiles, so the split is E[f(R)], not f(E[R]). The tests check it
against direct simulation (`cxsim.support.contact_centre.simulate_period`) at loads between grid
points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cxsim.support.channels import (
    HOURS_PER_WEEK,
    SECONDS_PER_HOUR,
    Channel,
    ResolutionCurve,
    SupportOperation,
)
from cxsim.support.desk import simulate_channel
from cxsim.support.fluid import FluidFigures, fluid_channel, fluid_supported
from cxsim.support.hourly import erlang_hourly, erlang_supported

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

__all__ = ["GRID_UTILISATION", "ChannelCurve", "Outcomes", "ResponseCurve"]


# Utilisation (load / weekly capacity) at which each channel is simulated: dense near the knee.
GRID_UTILISATION = (
    0.02, 0.15, 0.3, 0.45, 0.6, 0.7, 0.78, 0.85, 0.9, 0.94, 0.97, 1.0, 1.05, 1.15, 1.3, 1.5,
)  # fmt: skip
QUANTILES = 50
#: Above this utilisation the fluid limit replaces simulation (Whitt 2006), where it covers the
#: channel: the overloaded queue's drift then dwarfs its noise, and simulating it would cost in
#: proportion to the volume.
FLUID_ABOVE = 1.5
#: At most this many contacts per simulated window and replication: above it (thousands of agents
#: below `FLUID_ABOVE` × capacity) a synchronous channel with patience is solved hour by hour with
#: Erlang A (Garnett, Mandelbaum & Reiman 2002: exact for the stationary M/M/N+M, and the
#: many-agent regime is where it holds best), an asynchronous one without patience by the fluid
#: backlog, so the cost is bounded by neither the customers nor the staffing.
CONTACT_CAP = 20_000
NEVER_HOURS = 1e9
#: One grid point's figures: (mean response, its half-width, abandon rate, its half-width, ASA,
#: backlog), response quantiles, replications, contacts.
Point = tuple[
    tuple[float, ...], FloatArray, int, int
]  # response "time" stored where no contact was answered (weight 0 anyway)


#: The figures of a grid point, in `ChannelCurve`'s order (quantiles apart).
_ROW = ("mean_response_hours", "mean_response_hw", "abandon_rate", "abandon_hw", "asa_seconds",
        "backlog_end")  # fmt: skip


class ChannelCurve:
    """One channel's figures on a grid of loads (contacts per period reaching the channel).

    `response_quantiles_hours[g]` holds the response-time quantiles of answered contacts at the
    probability midpoints (j + 0.5) / 50; `*_hw` are 95% half-widths across replications.

    A grid point is computed when first needed (`point(g)`): `at` computes only the points
    bracketing the loads it is asked about, so the expected-value model, whose load moves
    little, simulates a few points instead of the whole grid. Each point has its own random
    stream, so the figures are the same whichever are computed and in what order.
    """

    def __init__(
        self,
        channel: Channel,
        loads: FloatArray,
        methods: tuple[str, ...],
        point: Callable[[int], Point],
    ) -> None:
        self.channel, self.loads, self.methods, self._point = channel, loads, methods, point
        g = loads.size
        self._rows = np.full((len(_ROW), g), math.nan)
        self._quantiles = np.full((g, QUANTILES), math.nan)
        self._counts = np.zeros((2, g), dtype=np.int64)  # replications, contacts
        self._done = np.zeros(g, dtype=bool)
        self._filled = False

    def __repr__(self) -> str:
        return (
            f"<ChannelCurve {self.channel.name}: loads {self.loads[0]:.0f}–{self.loads[-1]:.0f} "
            f"per period in {self.loads.size} points>"
        )

    def __getstate__(self) -> dict[str, object]:
        self._ensure(np.arange(self.loads.size))  # a pickled curve carries its figures
        return {k: v for k, v in self.__dict__.items() if k != "_point"}

    def _ensure(self, index: NDArray[np.int64]) -> None:
        """Compute the grid points `index` not computed yet; all of them if one answered
        nothing (its figures then borrow the nearest end's, as `_fill` does over the grid)."""
        todo = index[~self._done[index]]
        for g in np.unique(todo):
            row, quant, reps, contacts = self._point(int(g))
            self._rows[:, g] = row
            self._quantiles[g] = quant
            self._counts[:, g] = reps, contacts
            self._done[g] = True
        if self._filled:
            return
        m, asa = self._rows[0], self._rows[4]
        unanswered = np.isnan(m[index]).any() or np.isnan(asa[index]).any()
        if unanswered and not self._done.all():
            self._ensure(np.flatnonzero(~self._done))
            return
        if self._done.all():
            # a load where nothing was answered or nothing arrived borrows its neighbour's
            self._rows[0], self._rows[4] = _fill(m), _fill(asa)
            self._filled = True

    def _full(self, name: str) -> FloatArray:
        self._ensure(np.arange(self.loads.size))
        v = self._rows[_ROW.index(name)]
        return np.nan_to_num(v) if name.endswith("_hw") else v.copy()

    @property
    def mean_response_hours(self) -> FloatArray:
        return self._full("mean_response_hours")

    @property
    def mean_response_hw(self) -> FloatArray:
        return self._full("mean_response_hw")

    @property
    def abandon_rate(self) -> FloatArray:
        return self._full("abandon_rate")

    @property
    def abandon_hw(self) -> FloatArray:
        return self._full("abandon_hw")

    @property
    def asa_seconds(self) -> FloatArray:
        return self._full("asa_seconds")

    @property
    def backlog_end(self) -> FloatArray:
        return self._full("backlog_end")

    @property
    def response_quantiles_hours(self) -> FloatArray:
        self._ensure(np.arange(self.loads.size))
        return self._quantiles.copy()

    @property
    def replications(self) -> NDArray[np.int64]:
        self._ensure(np.arange(self.loads.size))
        return self._counts[0].copy()

    @property
    def contacts(self) -> NDArray[np.int64]:
        self._ensure(np.arange(self.loads.size))
        return self._counts[1].copy()

    @property
    def computed(self) -> int:
        """How many grid points have been computed so far."""
        return int(self._done.sum())

    def _where(self, load: FloatArray) -> tuple[NDArray[np.int64], FloatArray]:
        """Left grid index and weight of `load` (clamped to the grid)."""
        x = np.clip(load, self.loads[0], self.loads[-1])
        i = np.clip(np.searchsorted(self.loads, x, side="right") - 1, 0, self.loads.size - 2)
        w = (x - self.loads[i]) / (self.loads[i + 1] - self.loads[i])
        return i, w

    def at(self, load: ArrayLike) -> dict[str, FloatArray]:
        """Linearly interpolated figures at `load` (any shape); quantiles get a trailing axis."""
        x = np.asarray(load, dtype=float)
        i, w = self._where(x)
        left = np.unique(i)
        self._ensure(np.concatenate([left, left + 1]))
        out: dict[str, FloatArray] = {}
        for k, name in enumerate(_ROW):
            v = self._rows[k]
            if name.endswith("_hw"):
                v = np.nan_to_num(v)
            out[name] = v[i] * (1.0 - w) + v[i + 1] * w
        q = self._quantiles
        out["response_quantiles_hours"] = q[i] * (1.0 - w)[..., None] + q[i + 1] * w[..., None]
        return out


@dataclass(frozen=True)
class Outcomes:
    """What the support operation does to one period's complaints (arrays over runs).

    `split[..., :]` is (satisfied, mollified, dissatisfied) of all complaints; `beyond_grid`
    flags loads above the largest simulated one (figures there are those of the largest load).
    """

    mean_response_hours: FloatArray
    abandon_rate: FloatArray
    split: FloatArray
    beyond_grid: BoolArray


@dataclass(frozen=True, eq=False)
class ResponseCurve:
    """The shortcut: each channel simulated on a grid of loads once, then interpolated."""

    operation: SupportOperation
    curves: tuple[ChannelCurve, ...]
    max_complaints: float

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{c.channel.name} ({c.loads.size} loads, {int(c.contacts.sum())} contacts)"
            for c in self.curves
        )
        return f"<ResponseCurve up to {self.max_complaints:g} complaints per period: {parts}>"

    @classmethod
    def build(
        cls,
        operation: SupportOperation,
        max_complaints: float,
        *,
        rng: np.random.Generator,
        min_complaints: float = 0.0,
        replications: int = 2,
        min_contacts: int = 3000,
        max_replications: int = 40,
        warmup_hours: float = HOURS_PER_WEEK,
        window_hours: float | None = None,
        utilisation: Sequence[float] = GRID_UTILISATION,
        contact_cap: int = CONTACT_CAP,
        points: MutableMapping[tuple[object, ...], Point] | None = None,
    ) -> ResponseCurve:
        """Every channel on a grid of loads from `min_complaints` to `max_complaints` per period.

        Loads are `utilisation` × the channel's capacity per period, from the last level at or
        below `min_complaints` × share (loads below it read the lowest point's figures) to the
        first at or above `max_complaints` × share, extended past the last level in steps of
        ×1.25. Points up to `FLUID_ABOVE` × capacity are simulated; above it the fluid limit
        (`cxsim.support.fluid`) is used where it covers the channel; a simulated point whose
        window would hold more than `contact_cap` contacts is solved analytically instead
        (`CONTACT_CAP`). So the cost grows with neither the volume nor the staffing; each
        point's method ("simulated", "fluid" or "erlang") is in `ChannelCurve.methods` and
        `ResponseCurve.plan` gives them without building. Each simulated load gets at least
        `replications` runs and more (up to `max_replications`) until `min_contacts` contacts
        were measured. The window is the whole period unless `window_hours` is given (a whole
        number of weeks keeps the weekly pattern balanced).

        `points`, if given, caches each point by its channel (whatever its share), load, method,
        random stream and settings: operations that share a channel (as a scenario and an
        intervention that adds another channel do) compute its points once, with the same
        numbers as if each were built alone.
        """
        window = float(window_hours or operation.period_hours)
        plans = cls.plan(
            operation, max_complaints, min_complaints=min_complaints, window_hours=window,
            utilisation=utilisation, contact_cap=contact_cap,
        )  # fmt: skip
        start = (-warmup_hours) % HOURS_PER_WEEK
        curves = []
        for c, crng, (loads, methods, first) in zip(
            operation.channels, rng.spawn(len(operation.channels)), plans, strict=True
        ):
            # one stream per point of the full grid, so a point's numbers do not depend on
            # where the grid starts
            lrngs = crng.spawn(first + loads.size)[first:]
            curves.append(
                _channel_curve(
                    c,
                    loads,
                    methods,
                    operation,
                    lrngs,
                    window,
                    warmup_hours,
                    start,
                    (replications, min_contacts, max_replications),
                    points,
                )
            )
        return cls(operation, tuple(curves), float(max_complaints))

    @staticmethod
    def plan(
        operation: SupportOperation,
        max_complaints: float,
        *,
        min_complaints: float = 0.0,
        window_hours: float | None = None,
        utilisation: Sequence[float] = GRID_UTILISATION,
        contact_cap: int = CONTACT_CAP,
    ) -> list[tuple[FloatArray, tuple[str, ...], int]]:
        """Each channel's loads, the method of each and the index of the first in the full grid.

        Cheap (nothing is simulated): what `build` will do, for the output to state it.
        """
        if not max_complaints > 0:
            raise ValueError(f'"max_complaints" must be > 0, got {max_complaints!r}.')
        if not 0 <= min_complaints <= max_complaints:
            raise ValueError(
                f'"min_complaints" must be in [0, max_complaints], got {min_complaints!r}.'
            )
        levels = sorted(set(float(u) for u in utilisation))
        if not levels or levels[0] <= 0:
            raise ValueError('"utilisation" must hold values > 0.')
        window = float(window_hours or operation.period_hours)
        out = []
        for c in operation.channels:
            capacity = c.capacity_per_hour * operation.period_hours
            grid = _grid(levels, max_complaints * c.share / capacity)
            first = _first(grid, min_complaints * c.share / capacity)
            grid = grid[first:]
            loads = np.array(grid) * capacity  # contacts per period reaching the channel
            per_window = loads * window / operation.period_hours
            methods = tuple(
                _method(c, u, w, contact_cap) for u, w in zip(grid, per_window, strict=True)
            )
            out.append((loads, methods, first))
        return out

    def outcomes(
        self, complaints: ArrayLike, resolution: ResolutionCurve | None = None
    ) -> Outcomes:
        """Mean response (hours), abandon rate and split for each period's complaint count.

        Pure numpy: interpolates every channel at complaints × share and weighs the channels by
        their share. `resolution` (default: the operation's) may hold arrays shaped like
        `complaints`, one parameter set per run.
        """
        res = resolution or self.operation.resolution
        x = np.asarray(complaints, dtype=float)
        split = np.zeros((*x.shape, 3))
        abandon = np.zeros(x.shape)
        answered_w = np.zeros(x.shape)
        resp_w = np.zeros(x.shape)
        for cc in self.curves:
            s = cc.channel.share
            if s == 0:
                continue
            f = cc.at(x * s)
            ab = f["abandon_rate"]
            answered = res.answered_split(f["response_quantiles_hours"], param_axis=1).mean(axis=-2)
            split += s * ((1.0 - ab)[..., None] * answered)
            split[..., 2] += s * ab
            abandon += s * ab
            answered_w += s * (1.0 - ab)
            resp_w += s * (1.0 - ab) * np.nan_to_num(f["mean_response_hours"])
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_resp = np.where(answered_w > 0, resp_w / answered_w, math.nan)
        beyond = np.zeros(x.shape, dtype=bool)
        for cc in self.curves:
            beyond |= x * cc.channel.share > cc.loads[-1] * (1 + 1e-12)
        return Outcomes(mean_resp, abandon, split, beyond)


def _channel_curve(
    channel: Channel,
    loads: FloatArray,
    methods: tuple[str, ...],
    operation: SupportOperation,
    rngs: Sequence[np.random.Generator],
    window: float,
    warmup_hours: float,
    start: float,
    effort: tuple[int, int, int],
    points: MutableMapping[tuple[object, ...], Point] | None,
) -> ChannelCurve:
    """One channel's grid, each load computed by its method (one generator per load) when
    first needed."""
    probs = (np.arange(QUANTILES) + 0.5) / QUANTILES
    settings = (_signature(channel), operation.weights.tobytes(), operation.period_hours,
                window, warmup_hours, start, effort)  # fmt: skip

    def point(g: int) -> Point:
        load, method, lrng = float(loads[g]), methods[g], rngs[g]
        seq = lrng.bit_generator.seed_seq
        key = (*settings, load, method, getattr(seq, "entropy", None),
               getattr(seq, "spawn_key", None))  # fmt: skip
        if points is not None and key in points:
            return points[key]
        if method == "simulated":
            found = _simulated(channel, load, operation, lrng, window, warmup_hours, start,
                               effort, probs)  # fmt: skip
        else:
            f = _analytic(channel, load, method, operation, probs, warmup_hours, window, start)
            row = (f.mean_response_hours, 0.0, f.abandon_rate, 0.0, f.asa_seconds, f.backlog_end)
            found = (row, f.response_quantiles_hours, 0, 0)
        if points is not None and key[-1] is not None:
            points[key] = found
        return found

    return ChannelCurve(channel, loads, methods, point)


def _signature(c: Channel) -> tuple[object, ...]:
    """What a channel's figures at a given load depend on (not its share)."""
    return (c.name, c.staff.tobytes(), c.aht_seconds, c.handle, c.handle_cv,
            c.patience_seconds, c.open_mask.tobytes(), c.asynchronous)  # fmt: skip


def _simulated(
    channel: Channel,
    load: float,
    operation: SupportOperation,
    rng: np.random.Generator,
    window: float,
    warmup_hours: float,
    start: float,
    effort: tuple[int, int, int],
    probs: FloatArray,
) -> Point:
    """One load simulated with SimPy: replications until `min_contacts` contacts were seen."""
    replications, min_contacts, max_replications = effort
    per_window = load * window / operation.period_hours
    wanted = math.ceil(min_contacts / max(per_window, 1.0))
    reps = int(np.clip(wanted, replications, max_replications))
    runs = [
        simulate_channel(
            channel,
            rng=r,
            hours=window,
            volume=int(per_window) + int(r.random() < per_window % 1.0),
            profile=operation.profile,
            warmup_hours=warmup_hours,
            start_hour=start,
        )
        for r in rng.spawn(reps)
    ]
    resp = np.concatenate([r.response_seconds for r in runs]) / SECONDS_PER_HOUR
    offered = sum(r.offered for r in runs)
    unanswered = sum(int((~r.answered).sum()) for r in runs)
    waits = np.concatenate([r.wait_seconds[r.answered] for r in runs])
    row = (
        float(resp.mean()) if resp.size else math.nan,
        _hw(np.array([r.mean_response_hours for r in runs])),
        unanswered / offered if offered else 0.0,
        _hw(np.array([r.abandon_rate for r in runs])),
        float(waits.mean()) if waits.size else math.nan,
        float(np.mean([r.backlog_end for r in runs])),
    )
    quant = np.quantile(resp, probs) if resp.size else np.full(QUANTILES, NEVER_HOURS)
    return row, quant, reps, offered


def _grid(utilisation: list[float], top: float) -> list[float]:
    """The utilisation grid up to the first point at or above `top` (at least two points)."""
    grid = [u for u in utilisation if u < top]
    above = [u for u in utilisation if u >= top]
    if above:
        grid.append(above[0])
    while grid[-1] < top:
        grid.append(grid[-1] * 1.25)
    if len(grid) < 2:
        grid.append(utilisation[1] if len(utilisation) > 1 else grid[-1] * 2.0)
    return grid


def _first(grid: list[float], bottom: float) -> int:
    """Index of the last grid point at or below `bottom` (0 if none), leaving at least two."""
    below = [i for i, u in enumerate(grid) if u <= bottom]
    return min(below[-1] if below else 0, len(grid) - 2)


def _method(channel: Channel, utilisation: float, per_window: float, contact_cap: int) -> str:
    """How one grid point is computed: "simulated", "fluid" or "erlang" (see `build`)."""
    if utilisation > FLUID_ABOVE and fluid_supported(channel):
        return "fluid"
    if per_window > contact_cap:
        if erlang_supported(channel):
            return "erlang"
        if fluid_supported(channel):
            return "fluid"
    return "simulated"


def _analytic(
    channel: Channel,
    load: float,
    method: str,
    operation: SupportOperation,
    probs: FloatArray,
    warmup_hours: float,
    window: float,
    start: float,
) -> FluidFigures:
    """One grid point from the fluid limit or from Erlang A hour by hour."""
    if method == "erlang":
        return erlang_hourly(
            channel, load, period_hours=operation.period_hours, profile=operation.weights,
            probs=probs,
        )  # fmt: skip
    return fluid_channel(
        channel, load, period_hours=operation.period_hours, profile=operation.weights,
        probs=probs, warmup_hours=warmup_hours, window_hours=window, start_hour=start,
    )  # fmt: skip


def _hw(v: FloatArray, confidence: float = 0.95) -> float:
    from scipy import stats

    v = v[np.isfinite(v)]
    if v.size < 2:
        return math.nan
    return float(stats.t.ppf(0.5 + confidence / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))


def _fill(v: FloatArray) -> FloatArray:
    """Replace NaNs by the nearest finite neighbour (all-NaN stays NaN)."""
    ok = np.isfinite(v)
    if ok.all() or not ok.any():
        return v
    idx = np.arange(v.size)
    nearest = np.interp(idx, idx[ok], idx[ok]).round().astype(np.int64)
    return np.where(ok, v, v[nearest])
