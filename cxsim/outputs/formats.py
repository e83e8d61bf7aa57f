"""File formats by extension: which suffixes each output format is written with.

`check_extension(path, fmt)` is for the CLI to call before writing (`--xlsx book.csv` writes an
Excel workbook that a spreadsheet opens as text): it returns a warning to print, or None. It
does not touch the file system.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FORMATS", "check_extension", "format_of"]

#: Each output format and the extensions its files carry (the first is the usual one).
FORMATS: dict[str, tuple[str, ...]] = {
    "xlsx": (".xlsx",),
    "json": (".json",),
    "csv": (".csv",),
    "txt": (".txt", ".text"),
    "pdf": (".pdf",),
    "png": (".png",),
    "svg": (".svg",),
    "html": (".html", ".htm"),
    "yaml": (".yaml", ".yml"),
}


def format_of(path: str | Path) -> str | None:
    """The format a file's extension says it is in (None for an extension we do not write)."""
    suffix = Path(path).suffix.lower()
    return next((fmt for fmt, suffixes in FORMATS.items() if suffix in suffixes), None)


def check_extension(path: str | Path, fmt: str) -> str | None:
    """A warning when `path`'s extension does not match the format written to it, else None."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    suffixes = FORMATS[fmt]
    suffix = Path(path).suffix.lower()
    if suffix in suffixes:
        return None
    usual = suffixes[0]
    if not suffix:
        return f"{path}: has no extension; a {fmt.upper()} file is usually named *{usual}"
    said = format_of(path)
    kind = f"a {said.upper()} file" if said else f"a '{suffix}' file"
    return (
        f"{path}: the name says {kind}, but a {fmt.upper()} file is written; "
        f"name it *{usual} so it opens in the right program"
    )
