"""Progress with an ETA and colour, on a terminal only: silent in pipes, files and `--json`."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

#: What the API functions accept as `progress=`: called with the units just done.
Progress = Callable[[int], None]


def on_terminal() -> bool:
    """Whether stderr is an interactive terminal (not a pipe, a file or a test runner)."""
    stream = sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


@contextlib.contextmanager
def progress(total: int, label: str, *, enabled: bool = True) -> Iterator[Progress | None]:
    """A progress bar with an ETA on stderr, yielding its `update` for an API's `progress=`.

    Yields None (and prints nothing) when `enabled` is false (for example with `--json`) or
    stderr is not a terminal, so the API can skip the calls.
    """
    if not (enabled and total > 0 and on_terminal()):
        yield None
        return
    with click.progressbar(
        length=total, label=label, file=sys.stderr, show_eta=True, show_percent=True
    ) as bar:
        yield bar.update


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
