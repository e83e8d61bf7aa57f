"""Options shared by the commands, defined once so they read and behave the same everywhere.

Every numeric option uses one of the parameter types below: NaN and infinity are refused where
the value enters, with the option's name in the message (click exits with status 2).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from cxsim.cli.progress import warn
from cxsim.errors import UserError
from cxsim.outputs.files import check_free
from cxsim.outputs.formats import check_extension
from cxsim.outputs.i18n import LANGUAGES

F = TypeVar("F", bound=Callable[..., Any])

#: The most Monte Carlo runs a command accepts (beyond this a run takes hours and memory).
MAX_RUNS = 10_000_000
#: The largest seed numpy's generators take from one integer without folding it.
MAX_SEED = 2**63 - 1


class FiniteFloat(click.FloatRange):
    """A float within optional bounds, never NaN or infinite."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Refuse NaN and infinity before the range check (NaN passes every comparison)."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number.", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return super().convert(number, param, ctx)

    def _describe_range(self) -> str:
        """No range in the help when there is none (click would print "x<=None")."""
        if self.min is None and self.max is None:
            return ""
        return super()._describe_range()


def finite(
    min: float | None = None,
    max: float | None = None,
    *,
    min_open: bool = False,
    max_open: bool = False,
) -> FiniteFloat:
    """A finite float type with bounds (stated in the help as click states ranges)."""
    return FiniteFloat(min=min, max=max, min_open=min_open, max_open=max_open)


def probability(*, open_ends: bool = False) -> FiniteFloat:
    """A share between 0 and 1 (excluding both ends with `open_ends`)."""
    return finite(0, 1, min_open=open_ends, max_open=open_ends)


class Count(click.IntRange):
    """A whole number within bounds; click's message names the option and the bounds."""

    name = "integer"


class Seed(click.IntRange):
    """A seed: a whole number from 0 to MAX_SEED (the upper bound checked, not shown)."""

    name = "integer"

    def __init__(self) -> None:
        super().__init__(min=0)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Refuse seeds beyond MAX_SEED as well as negative ones."""
        number = super().convert(value, param, ctx)
        if number > MAX_SEED:
            self.fail(f"{number} is beyond the largest seed, {MAX_SEED}.", param, ctx)
        return number


def count(min: int = 1, max: int | None = None) -> Count:
    """A whole number with bounds, stated in the help."""
    return Count(min=min, max=max)


class SchedulerAddress(click.ParamType):
    """'local' or a Dask scheduler address such as tcp://10.0.0.5:8786."""

    name = "address"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Accept 'local' or PROTOCOL://HOST:PORT; refuse empty and other text, and a TCP
        address without its port (Dask has no default for it)."""
        text = str(value).strip()
        tcp = text.startswith("tcp://")
        if text == "local" or re.fullmatch(
            r"tcp://\S+:\d+" if tcp else r"[a-z][a-z0-9+.-]*://\S+", text
        ):
            return text
        self.fail(
            f"wants 'local' or an address such as tcp://HOST:PORT, got {value!r}.", param, ctx
        )


def runs_option(default: int | None = 1000, help: str = "Monte Carlo runs.") -> Callable[[F], F]:
    """--runs N, from 1 to MAX_RUNS."""
    return click.option(
        "--runs",
        default=default,
        show_default=default is not None,
        type=count(1, MAX_RUNS),
        help=help,
    )


def seed_option(default: int | None = None) -> Callable[[F], F]:
    """--seed N: the same seed gives the same numbers; by default a fresh one, recorded."""
    fresh = " Default: a fresh one, recorded in the output." if default is None else ""
    return click.option(
        "--seed",
        default=default,
        show_default=default is not None,
        type=Seed(),
        help="Random seed: the same seed gives the same numbers." + fresh,
    )


set_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="PATH=VALUE",
    help="Override a scenario field, e.g. segments.0.customers=2000000 (repeatable).",
)

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document instead of the text."
)

workers_option = click.option(
    "--workers",
    type=count(1, 1024),
    default=None,
    help="Worker processes (default: all cores); the numbers do not depend on them.",
)

scheduler_option = click.option(
    "--scheduler",
    type=SchedulerAddress(),
    default=None,
    help="Run on Dask: 'local' (a LocalCluster of --workers processes) or tcp://HOST:PORT.",
)

language_option = click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of titles and labels (default: the scenario's `language`, else en).",
)

force_option = click.option("--force", is_flag=True, help="Replace existing files.")


def out_option(help: str, required: bool = False) -> Callable[[F], F]:
    """-o/--out FOLDER: where a command writes its files."""
    return click.option(
        "-o", "--out", "out", required=required, type=click.Path(file_okay=False), help=help
    )


def file_target(path: str, fmt: str, force: bool, option: str) -> Path:
    """A file a command is about to write in format `fmt` (for example --xlsx, -o FILE.yaml).

    Warns when the name's extension says another format; refuses a folder that does not exist
    (rather than creating folders outside the target) and, unless `force`, an existing file.
    """
    target = Path(path)
    problem = check_extension(target, fmt)
    if problem:
        warn(problem)
    check_free([target], force)
    folder = target.parent
    if not folder.exists():
        raise UserError(
            f"{option} {path}: the folder {folder} does not exist; create it first, "
            "or give a file in an existing folder"
        )
    return target
