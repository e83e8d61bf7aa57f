"""Writing files safely: nothing the user had is lost, nothing is left half-written.

- A file is written under a temporary name, then renamed into place; without `force` the rename
  never replaces (a hard link, which fails if the name was taken meanwhile), so of two commands
  writing one file, one completes and the other fails cleanly.
- A folder of outputs (the report) is built in a hidden sibling, under a lock file beside it
  (`.NAME.cxsim-lock`, holding the writer's process id), and moved into place when complete.
  Its manifest (`.cxsim-manifest.json`) lists what cxsim wrote there with each file's SHA-256:
  `force` replaces those files, if unchanged, and refuses to touch anything else.
- SIGTERM while writing is handled like Ctrl-C: the temporary files and folders go.
- Single files (`run --out`, `compare --xlsx`) are recorded in their folder's manifest too, so
  `force` replaces them only if cxsim wrote them and they are unchanged.
- Targets are checked before any long work: not a symbolic link, the right type, writable.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType

from cxsim.errors import UserError

MANIFEST = ".cxsim-manifest.json"

#: Files this process has written completely (renamed into place): what an interrupted
#: command can say it did.
written: list[Path] = []


# --- checks, before any long work -----------------------------------------------------------


def check_free(paths: Iterable[Path], force: bool) -> None:
    """Refuse targets that are not plain files in a writable folder, and existing outputs
    unless `force`."""
    paths = list(paths)
    for folder in {p.parent for p in paths}:
        check_folder(folder)
    for p in paths:
        if p.is_symlink() or (p.exists() and not p.is_file()):
            raise UserError(f"{p} exists and is not a plain file; not replaced")
    taken = [p for p in paths if p.exists()]
    if taken and not force:
        names = ", ".join(str(p) for p in taken)
        raise UserError(f"would overwrite {names}; use --force to replace")
    for p in taken:  # with force: only what cxsim wrote there, unchanged since
        owned = _manifest(p.parent)
        if p.name not in owned:
            raise UserError(
                f"{p} was not written by cxsim (not in {p.parent / MANIFEST}); --force replaces "
                "only cxsim's own files: move it, or choose another name"
            )
        if _sha256(p) != owned[p.name]:
            raise UserError(f"{p} was changed since cxsim wrote it; not replaced")


def check_folder(folder: Path) -> None:
    """A folder to write in: not a link, not a file, and writable (it, or where it would go)."""
    if folder.is_symlink():
        raise UserError(f"{folder} is a symbolic link; give the folder it points to")
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} exists and is not a folder")
    existing = folder
    while not existing.exists():
        if existing.is_symlink():  # a dangling link on the way
            raise UserError(f"{existing} is a broken symbolic link")
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"{existing} is not a folder, so {folder} cannot be made there")
    _probe(existing)


def _probe(folder: Path) -> None:
    """Create and remove a hidden file: the one honest test of 'writable' (root ignores modes)."""
    probe = folder / f".cxsim-probe-{secrets.token_hex(4)}"
    try:
        probe.open("x").close()
        probe.unlink()
    except OSError as exc:
        raise UserError(f"cannot write in {folder}: {exc.strerror or exc}") from None


def check_target(out: Path, force: bool, names: Sequence[str] = ()) -> None:
    """A folder of outputs: new, empty, or (with `force`) holding only cxsim's own files at the
    places `names` (relative paths) and their folders would take; and no other writer at work."""
    check_folder(out)
    check_folder(out.parent)
    _check_no_writer(out)
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not force:
        raise UserError(f"{out} is not empty; use --force to replace the report in it")
    _check_replaceable(out, names, _manifest(out))


def _check_replaceable(out: Path, names: Iterable[str], owned: dict[str, str]) -> None:
    for name in names:
        target = out / name
        if name.endswith("/"):  # a folder cxsim writes into
            if target.is_symlink() or (target.exists() and not target.is_dir()):
                raise UserError(f"{target} is in the way of the report's folder; not replaced")
            continue
        for parent in list(Path(name).parents)[:-1]:
            where = out / parent
            if where.is_symlink() or (where.exists() and not where.is_dir()):
                raise UserError(f"{where} is in the way of the report and is not cxsim's folder")
        if not (target.exists() or target.is_symlink()):
            continue
        if target.is_symlink() or not target.is_file():
            raise UserError(f"{target} is in the way and is not a file cxsim wrote; not replaced")
        if name not in owned:
            raise UserError(
                f"{target} was not written by cxsim (not in {out / MANIFEST}); "
                "--force replaces only cxsim's own files: move it, or choose another folder"
            )
        if _sha256(target) != owned[name]:
            raise UserError(f"{target} was changed since cxsim wrote it; not replaced")


def _manifest(out: Path) -> dict[str, str]:
    """What cxsim wrote in `out`: relative path to SHA-256 ({} without a readable manifest)."""
    try:
        doc = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        files = doc["files"]
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- a lock beside the folder ---------------------------------------------------------------


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.cxsim-lock"


def _check_no_writer(out: Path) -> None:
    lock = _lock_path(out)
    pid = _holder(lock)
    if pid is not None and _alive(pid):
        raise UserError(f"another cxsim (process {pid}) is writing {out}; try again when it ends")


def _holder(lock: Path) -> int | None:
    try:
        return int(lock.read_text().strip() or "0") or None
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold `out`'s lock file (created exclusively); a lock left by a dead process is taken over."""
    lock = _lock_path(out)
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            pid = _holder(lock)
            if pid is not None and _alive(pid):
                raise UserError(
                    f"another cxsim (process {pid}) is writing {out}; try again when it ends"
                ) from None
            lock.unlink(missing_ok=True)  # stale: its writer is gone
        except OSError as exc:
            raise UserError(f"cannot write in {out.parent}: {exc.strerror or exc}") from None
    else:
        raise UserError(f"another cxsim is writing {out}; try again when it ends")
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        yield
    finally:
        lock.unlink(missing_ok=True)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt meanwhile, so clean-up runs as for Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- a folder of outputs --------------------------------------------------------------------


@contextlib.contextmanager
def staged_folder(out: Path, force: bool) -> Iterator[Path]:
    """Build in a hidden sibling of `out`, then call `commit_folder`; nothing left on failure.

    The check, the lock and the move happen here; the caller writes into the yielded folder.
    """
    check_target(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    with terminate_as_interrupt(), locked(out):
        tmp = out.parent / f".{out.name}.{secrets.token_hex(4)}.part"
        tmp.mkdir()
        try:
            yield tmp
            commit_folder(tmp, out, force)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def commit_folder(tmp: Path, out: Path, force: bool) -> None:
    """Move the finished folder into place with its manifest (under the caller's lock)."""
    names = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
    new = {name: _sha256(tmp / name) for name in names}
    _write_manifest(tmp, new)
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        try:
            os.rename(tmp, out)  # onto nothing, or an empty folder: never over files
        except OSError as exc:
            raise UserError(
                f"{out} was filled while cxsim wrote (another writer?): {exc}"
            ) from None
        tmp.mkdir()  # for the staging context to remove
        return
    if not force:
        raise UserError(f"{out} is not empty; use --force to replace the report in it")
    owned = _manifest(out)
    _check_replaceable(out, names, owned)  # again, now: another writer may have been quick
    stale = [
        name
        for name in owned
        if name not in new and (out / name).is_file() and _sha256(out / name) == owned[name]
    ]
    for name in names:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / name, out / name)
    for name in stale:
        (out / name).unlink(missing_ok=True)
    _write_manifest(tmp, new)  # files the user changed since are no longer cxsim's
    os.replace(tmp / MANIFEST, out / MANIFEST)


def _write_manifest(folder: Path, files: dict[str, str], name: str = MANIFEST) -> None:
    doc = {"written_by": "cxsim", "files": files}
    (folder / name).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


# --- single files ---------------------------------------------------------------------------


def write_atomic(path: Path, write: Callable[[Path], None], replace: bool = True) -> None:
    """Call `write(tmp)` then rename tmp to `path`; on any failure nothing is left behind.

    Without `replace`, a file that appeared at `path` meanwhile is kept and the write fails.
    `write` creates the temporary file itself, so it gets the usual permissions (the umask's),
    not the owner-only ones of `tempfile.mkstemp`.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    try:
        with terminate_as_interrupt():
            path.parent.mkdir(parents=True, exist_ok=True)
            write(tmp)
            if replace:
                os.replace(tmp, path)
            else:
                os.link(tmp, path)  # fails if `path` exists: never replaces
                tmp.unlink()
    except FileExistsError:
        tmp.unlink(missing_ok=True)
        raise UserError(
            f"{path} appeared while cxsim ran (another writer?); not replaced"
        ) from None
    except OSError as exc:  # a full disk, a folder one may not write to: the user's to fix
        tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    written.append(path)
    _record(path)


def _record(path: Path) -> None:
    """Add a file cxsim wrote to its folder's manifest (what a later --force may replace)."""
    owned = _manifest(path.parent)
    owned[path.name] = _sha256(path)
    tmp = path.parent / f".{MANIFEST}.{secrets.token_hex(4)}.part"
    try:
        _write_manifest(tmp.parent, owned, tmp.name)
        os.replace(tmp, path.parent / MANIFEST)
    except OSError:  # the file is written; without a record, --force will refuse it later
        tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str, replace: bool = True) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    write_atomic(path, write, replace)
