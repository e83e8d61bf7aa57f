"""Writing files safely: under a temporary name, then renamed; never over a user's file unasked."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from cxsim.errors import UserError


def check_free(paths: Iterable[Path], force: bool) -> None:
    """Refuse to overwrite existing outputs unless `force`."""
    taken = [str(p) for p in paths if p.exists()]
    if taken and not force:
        raise UserError(f"would overwrite {', '.join(taken)}; use --force to replace")


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` then rename tmp to `path`; on any failure nothing is left behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    write_atomic(path, write)
