"""Progress with an ETA and colour on a terminal; an estimate of a long run's time anywhere."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import click

#: What the API functions accept as `progress=`: called with the units just done.
Progress = Callable[[int], None]


def on_terminal() -> bool:
    """Whether stderr is an interactive terminal (not a pipe, a file or a test runner)."""
    stream = sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


#: Work expected to take at least this long is announced ("about 3 min for 50,000 runs").
ESTIMATE_FROM_SECONDS = 20.0
#: How long to watch the work before extrapolating: long enough to see past start-up.
MEASURE_SECONDS = 1.0


def duration(seconds: float) -> str:
    """A duration in the largest unit that keeps it readable: '40 s', '3 min', '2.5 h'."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def announce(seconds: float, what: str, *, bar: bool = False, left: float | None = None) -> None:
    """Say on stderr how long the work will take, if long enough to be worth saying.

    `bar`: a progress bar is on this line of the terminal; clear it first (it redraws below).
    `left`: the seconds still to go; with under half the work's time left, the news comes too
    late to be of use (several workers finish their first chunks together) and is not said.
    """
    if seconds >= ESTIMATE_FROM_SECONDS and (left is None or left >= seconds / 2):
        clear = "\r\x1b[K" if bar else ""
        click.echo(f"{clear}about {duration(seconds)} for {what}", err=True)


class _Timed:
    """An API's `progress=` that times the work and, once, extrapolates to all of it.

    The rate is measured from the first update on, so start-up (loading, worker processes, the
    support model's curve) counts once, not once per chunk.
    """

    def __init__(self, total: int, unit: str, bar: Progress | None) -> None:
        self.total, self.unit, self.bar = total, unit, bar
        self.start = time.perf_counter()
        self.done = 0
        self.first: tuple[float, int] | None = None
        self.estimated: float | None = None

    def __call__(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar(n)
        if self.estimated is not None or self.done >= self.total:
            return
        now = time.perf_counter()
        if self.first is None:
            self.first = (now, self.done)
            return
        since, then = now - self.first[0], self.done - self.first[1]
        if since >= MEASURE_SECONDS and then > 0:
            self.estimated = now - self.start + since / then * (self.total - self.done)
            left = self.estimated - (now - self.start)
            what = f"{self.total:,} {self.unit}"
            announce(self.estimated, what, bar=self.bar is not None, left=left)


@contextlib.contextmanager
def progress(
    total: int, label: str, *, enabled: bool = True, unit: str = "runs"
) -> Iterator[Progress | None]:
    """A progress bar with an ETA on stderr, yielding its `update` for an API's `progress=`.

    When the first seconds of work say the whole will take ESTIMATE_FROM_SECONDS or more, one
    line says so ("about 12 min for 100,000 runs"), on a terminal or not. The bar itself is
    drawn on a terminal only. Yields None (and prints nothing) when `enabled` is false (for
    example with `--json`), so the API can skip the calls.
    """
    if not (enabled and total > 0):
        yield None
        return
    if not on_terminal():
        yield _Timed(total, unit, None)
        return
    with click.progressbar(
        length=total, label=label, file=sys.stderr, show_eta=True, show_percent=True
    ) as bar:
        yield _Timed(total, unit, bar.update)


def wants_colour() -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and on_terminal() and sys.stdout.isatty()


def style(text: str, **styles: Any) -> str:
    """`click.style` on a terminal; the plain text in pipes, files and with NO_COLOR."""
    return click.style(text, **styles) if wants_colour() else text


def warn(message: str) -> None:
    """One line on stderr, 'warning:' in yellow on a terminal."""
    stream_is_tty = on_terminal() and not os.environ.get("NO_COLOR")
    head = click.style("warning:", fg="yellow", bold=True) if stream_is_tty else "warning:"
    click.echo(f"{head} {message}", err=True)


def echo_text(text: str, nl: bool | None = None) -> None:
    """A command's text output on stdout, its first line (the title) in bold on a terminal.

    `nl`: end with a newline; by default only if the text does not end with one.
    """
    title, newline, rest = text.partition("\n")
    end = not text.endswith("\n") if nl is None else nl
    click.echo(style(title, bold=True) + newline + rest, nl=end)
