"""Where work runs: chunks of runs, their seeds, local processes and Dask.

Runs are cut into fixed chunks of `CHUNK` runs. Chunk k draws from the keys (k, 0..2) of
`SeedSequence(seed)` and builds its support queue's response curve from key (k, 5), so a seed
gives the same numbers whatever the number of workers, however
chunks are grouped into tasks (`block`, runs per task) and wherever the tasks run; the first runs
of a longer simulation are the runs of a shorter one (at chunk boundaries). The chunk is the unit
of randomness: its size is fixed, a block is a whole number of chunks. A variant changes the
drawn inputs (an intervention, a sensitivity swing) and is applied after drawing, so a scenario
and its variants see the same draws.

Tasks run in this process (`workers=1`), in local worker processes (`workers=N`), or on Dask
distributed (`scheduler=`): `"local"` starts a `LocalCluster` on this machine for the call,
`"tcp://HOST:PORT"` connects to a running scheduler, and a `distributed.Client` is used as it is
(start one yourself to reuse a cluster across calls). `parallel_map` and `imap` spread any
picklable function over the same places, for sweeps: many scenarios, sensitivity settings, the
budget search, convergence.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import socket
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, overload

import numpy as np

from cxsim.engine import coupling
from cxsim.engine.period import FIRST_TOUCHPOINT_SLOT
from cxsim.engine.recursion import BlockResult
from cxsim.engine.sampling import RandomSampler
from cxsim.engine.world import run_world, support_peak
from cxsim.errors import UserError
from cxsim.model.parameters import draw_values
from cxsim.model.scenario import Scenario
from cxsim.model.variants import Variant

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from distributed import Client

CHUNK = 256
#: How long to wait for a remote Dask scheduler to answer before saying it cannot be reached
#: (Dask's own default is 30 s; a scheduler that is up answers in milliseconds on a LAN).
CONNECT_SECONDS = 5.0
#: Where tasks run: None (this process or local workers), "local" (a Dask LocalCluster),
#: "tcp://HOST:PORT" (a running Dask scheduler), or a `distributed.Client`.
Scheduler: TypeAlias = "str | Client | None"
T = TypeVar("T")
R = TypeVar("R")


def new_seed() -> int:
    """A fresh seed, recorded in the results so the run can be repeated."""
    return int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]


class Lazy(Sequence[T]):
    """A read-only sequence of `length` items made by `item(i)` when asked for: `--runs 1e12`
    needs no list of four billion chunks up front."""

    def __init__(self, length: int, item: Callable[[int], T]) -> None:
        self._length, self._item = length, item

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...
    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._length))]
        if i < 0:
            i += self._length
        if not 0 <= i < self._length:
            raise IndexError(i)
        return self._item(i)


def chunks(runs: int) -> Sequence[tuple[int, int]]:
    """(index, size) of every chunk for `runs` runs (made as they are read)."""
    return Lazy(math.ceil(runs / CHUNK), lambda k: (k, min(CHUNK, runs - k * CHUNK)))


def run_chunk(
    scenario: Scenario,
    seed: int,
    index: int,
    size: int,
    variants: Sequence[Variant | None] = (None,),
    keep_periods: bool = True,
    sampling: str = "random",
) -> list[BlockResult]:
    """One chunk of runs, for each variant (None: the scenario as it is), on the same numbers.

    `sampling` lays out the chunk's input draws (`cxsim.model.parameters.draw_values`): a Latin
    hypercube or scrambled Sobol' points stratify within this fixed chunk, one independent
    randomisation per chunk, so the numbers do not depend on how chunks are grouped into tasks.
    """
    n_slots = FIRST_TOUCHPOINT_SLOT + len(scenario.touchpoints())
    # Chunk `index` owns the keys (index, 0..2): its inputs, its customers, its interventions.
    param_seed, engine_seed, intervention_seed = (
        np.random.SeedSequence(seed, spawn_key=(index, i)) for i in range(3)
    )
    values = draw_values(
        scenario,
        size,
        np.random.default_rng(param_seed),
        np.random.default_rng(intervention_seed),
        sampling,
    )
    peak = support_peak(scenario)
    return [
        run_world(
            scenario,
            values,
            variant,
            RandomSampler(engine_seed, n_slots),
            seed=coupling.chunk_seed(seed, index),
            peak=peak,
            keep_periods=keep_periods,
            replications=coupling.CHUNK_REPLICATIONS,
        )
        for variant in variants
    ]


def default_workers() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# --- where tasks run ---------------------------------------------------------------------------


@contextlib.contextmanager
def dask_client(scheduler: Scheduler, workers: int | None = None) -> Iterator[Client | None]:
    """A Dask client for `scheduler` (None: no Dask), closed on exit if it was opened here.

    `"local"` starts a `LocalCluster` of `workers` single-threaded processes (default: all
    cores); an address such as `"tcp://10.0.0.5:8786"` connects to a running scheduler, whose
    workers must have this version of cxsim installed; a `distributed.Client` is used as is.
    """
    if scheduler is None:
        yield None
        return
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        yield scheduler
        return
    if not isinstance(scheduler, str) or not scheduler:
        raise ValueError(f'"scheduler" must be "local", an address or a Client, got {scheduler!r}')
    if scheduler == "local":
        with (
            LocalCluster(
                n_workers=workers or default_workers(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
    else:
        try:
            _refused_at_once(scheduler)
            client = Client(scheduler, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError) as exc:  # refused, no such host, timed out
            why = f"within {CONNECT_SECONDS:g} s"
            if isinstance(exc, ConnectionRefusedError):
                why = "(nothing listens there)"
            elif isinstance(exc, socket.gaierror):
                why = "(no such host)"
            raise UserError(
                f"scheduler {scheduler}: no Dask scheduler answered {why}; start one with "
                "`dask scheduler`, or leave --scheduler out to use local processes"
            ) from exc
        except UserError:
            raise
        except Exception as exc:  # something answered, but not in Dask's protocol
            raise UserError(
                f"scheduler {scheduler}: what answered there is not a Dask scheduler "
                f"({type(exc).__name__})"
            ) from exc
        with client:
            yield client


def _refused_at_once(address: str) -> None:
    """Connect to a TCP `address` once, raising the connection's `OSError` (refused, no such
    host, timed out) or a `UserError` for an address without its port: Dask would retry a
    refusal until its timeout, in case a scheduler is starting, but a user who typed a wrong
    port should hear so at once. Other schemes (tls, inproc, ...) are left to Dask."""
    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(address)
    if scheme != "tcp":
        return
    try:
        host_port = parse_host_port(location)
    except ValueError:
        raise UserError(
            f"scheduler {address}: give its port, as in tcp://HOST:8786 (Dask's usual one)"
        ) from None
    with socket.create_connection(host_port, timeout=CONNECT_SECONDS):
        pass


def _process_pool(workers: int) -> ProcessPoolExecutor:
    import multiprocessing  # with the first pool: `run --expected` and one worker never need it
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_ignore_ctrl_c)


def _ignore_ctrl_c() -> None:
    """A worker leaves Ctrl-C to the process that started it, which cancels what is queued and
    waits for the chunks in hand: a worker interrupted inside the pool's queue could die holding
    its lock and leave the pool waiting forever (seen once under heavy load). It was forked with
    Ctrl-C blocked (`_ctrl_c_held`): one pressed before this ran is dropped, not fatal."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold Ctrl-C back while work is handed to the pool; it arrives as the block ends.

    The pool forks its workers within the first `submit`: a worker forked here starts with
    Ctrl-C blocked until `_ignore_ctrl_c` has run. One that Ctrl-C killed before that broke the
    pool, and a broken pool with tasks still in its queue's pipe can wait forever (a likely
    cause of `cxsim run` still running 60 s after Ctrl-C, seen once in a loaded test run). Nor
    is an interrupt raised inside `submit`, with the pool's locks held.
    """
    import signal

    if not hasattr(signal, "pthread_sigmask"):  # Windows: no fork, no signal masks
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


class _Opaque:
    """Hides an item from Dask, which would otherwise look inside tuples and lists for tasks."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _call(fn: Callable[[Any], Any], item: _Opaque) -> Any:
    return fn(item.value)


def _in_order(submit: Callable[[T], Any], items: Iterable[T], window: int) -> Iterator[Any]:
    """Results of `submit(item)` futures in order, with at most `window` of them in flight."""
    todo = iter(items)
    pending = deque(submit(item) for item in itertools.islice(todo, window))
    while pending:
        result = pending.popleft().result()
        for item in itertools.islice(todo, 1):
            pending.append(submit(item))
        yield result


def imap(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int | None = 1,
    scheduler: Scheduler = None,
    window: int | None = None,
) -> Iterator[R]:
    """`fn` over `items`, results in order, in this process, local processes or on Dask.

    At most `window` tasks are in flight (default: four per worker), so results that are
    consumed as they come keep memory bounded. `fn` and the items must be picklable (on Dask,
    cloudpickle: closures are fine); `workers=None` means all cores.
    """
    items = items if isinstance(items, Sequence) else list(items)
    if scheduler is not None:
        with dask_client(scheduler, workers) as client:
            assert client is not None
            threads = sum(client.nthreads().values()) or 1
            yield from _in_order(
                lambda item: client.submit(_call, fn, _Opaque(item), pure=False),
                items,
                window or 4 * threads,
            )
        return
    n = max(1, min(workers or default_workers(), len(items)))
    if n == 1:
        yield from map(fn, items)
        return

    def submit(item: T) -> Any:
        with _ctrl_c_held():
            return pool.submit(fn, item)

    with _process_pool(n) as pool:
        try:
            yield from _in_order(submit, items, window or 4 * n)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def parallel_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int | None = 1,
    scheduler: Scheduler = None,
) -> list[R]:
    """`[fn(x) for x in items]`, spread over local processes or a Dask cluster, in order.

    For sweeps: many scenarios, sensitivity settings, the budget search. For example
    `parallel_map(partial(simulate, runs=1000, seed=1), scenarios, scheduler="local")`.
    """
    return list(imap(fn, items, workers=workers, scheduler=scheduler))


# --- chunks of runs ----------------------------------------------------------------------------


def _run_task(args: tuple[Any, ...]) -> list[Any]:
    """A task: consecutive chunks, each reduced by `reduce` (if any) where it was computed."""
    scenario, seed, batch, variants, keep_periods, reduce, sampling = args
    out = []
    for k, n in batch:
        blocks = run_chunk(scenario, seed, k, n, variants, keep_periods, sampling)
        out.append(blocks if reduce is None else reduce(scenario, blocks))
    return out


def blocks_of(runs: int, block: int | None = None) -> Sequence[Sequence[tuple[int, int]]]:
    """The chunks of `runs` runs grouped into tasks of `block` runs (rounded up to whole chunks),
    made as they are read."""
    if block is not None and block < 1:
        raise ValueError(f'"block" must be at least 1 run, got {block}')
    per_task = 1 if block is None else math.ceil(block / CHUNK)
    todo = chunks(runs)
    return Lazy(math.ceil(len(todo) / per_task), lambda i: todo[i * per_task : (i + 1) * per_task])


def iter_chunks(
    scenario: Scenario,
    runs: int,
    seed: int,
    variants: Sequence[Variant | None] = (None,),
    *,
    workers: int | None = 1,
    scheduler: Scheduler = None,
    keep_periods: bool = True,
    block: int | None = None,
    reduce: Callable[[Scenario, list[BlockResult]], Any] | None = None,
    window: int | None = None,
    sampling: str = "random",
) -> Generator[tuple[int, Any], None, None]:
    """Every chunk in order, as (size, one block per variant), or (size, `reduce(...)` of them).

    `reduce` (a picklable function) runs where the chunk was computed, so only what it returns
    travels back; with few tasks (at most `window`, see `imap`) in flight, memory stays bounded
    however many runs there are. Closing the generator early cancels the tasks not yet done.
    """
    batches = blocks_of(runs, block)
    each = list(variants)
    tasks = Lazy(
        len(batches),
        lambda i: (scenario, seed, batches[i], each, keep_periods, reduce, sampling),
    )
    results = imap(_run_task, tasks, workers=workers, scheduler=scheduler, window=window)
    for task, result in zip(tasks, results, strict=True):
        for (_, size), chunk in zip(task[2], result, strict=True):
            yield size, chunk


def run_chunks(
    scenario: Scenario,
    runs: int,
    seed: int,
    variants: Sequence[Variant | None] = (None,),
    workers: int | None = None,
    keep_periods: bool = True,
    progress: Callable[[int], None] | None = None,
    *,
    scheduler: Scheduler = None,
    block: int | None = None,
    sampling: str = "random",
) -> list[list[BlockResult]]:
    """All chunks; returns, per variant, the chunks' block results in order."""
    per_chunk: list[list[BlockResult]] = []
    for size, blocks in iter_chunks(
        scenario,
        runs,
        seed,
        variants,
        workers=workers,
        scheduler=scheduler,
        keep_periods=keep_periods,
        block=block,
        sampling=sampling,
    ):
        per_chunk.append(blocks)
        if progress:
            progress(size)
    return [[chunk[v] for chunk in per_chunk] for v in range(len(variants))]


def combine(blocks: Sequence[BlockResult]) -> BlockResult:
    """Concatenate blocks along the runs axis."""
    return BlockResult(
        attribution=np.concatenate([b.attribution for b in blocks]),
        totals={k: np.concatenate([b.totals[k] for b in blocks]) for k in blocks[0].totals},
        periods={k: np.concatenate([b.periods[k] for b in blocks]) for k in blocks[0].periods},
        costs=None
        if any(b.costs is None for b in blocks)
        else np.concatenate([b.costs for b in blocks]),  # type: ignore[misc]
    )
