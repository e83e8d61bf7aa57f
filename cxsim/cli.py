"""The `cxsim` command: a thin layer over the public API."""

from __future__ import annotations

import sys
import tempfile
import time
import traceback

import click

from cxsim import __version__
from cxsim.errors import UserError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cxsim")
def cli() -> None:
    """cxsim: what a bad customer experience costs, and which fix pays back."""


def main() -> None:
    """Entry point: user errors exit 2 with a message; cxsim's own errors say where the traceback is."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("cxsim: interrupted; nothing was written.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UserError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("cxsim: interrupted; nothing was written.", err=True)
        sys.exit(130)
    except Exception as exc:  # cxsim's own fault: short message, full traceback in a file
        with tempfile.NamedTemporaryFile(
            "w", prefix=f"cxsim-crash-{time.strftime('%Y%m%d-%H%M%S')}-", suffix=".log", delete=False
        ) as log:
            traceback.print_exc(file=log)
        click.echo(f"cxsim: internal error: {exc!r}\nfull traceback written to {log.name}", err=True)
        sys.exit(1)
