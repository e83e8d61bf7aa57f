"""Writing files safely: under a temporary name, then renamed; never over a user's file unasked."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

from cxsim.errors import UserError


def check_free(paths: Iterable[Path], force: bool) -> None:
    """Refuse to overwrite existing outputs unless `force`."""
    taken = [str(p) for p in paths if p.exists()]
    if taken and not force:
        raise UserError(f"would overwrite {', '.join(taken)}; use --force to replace")


#: Files this process has written completely (renamed into place): what an interrupted
#: command can say it did.
written: list[Path] = []


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` then rename tmp to `path`; on any failure nothing is left behind.

    `write` creates the temporary file itself, so it gets the usual permissions (the umask's),
    not the owner-only ones of `tempfile.mkstemp`.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:  # a full disk, a folder one may not write to: the user's to fix
        tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    written.append(path)


def write_text(path: Path, text: str) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    write_atomic(path, write)
