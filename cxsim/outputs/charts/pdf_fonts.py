"""PDF fonts embedded without their OpenType layout tables or their larger cmaps, while cxsim
saves.

matplotlib embeds each font in a PDF as a TrueType subset made by fontTools, which keeps the
font's layout tables (GSUB, GPOS, GDEF: ligatures, kerning, mark positioning). A PDF places
every glyph itself and matplotlib has kerned the text before writing it, so no viewer reads
those tables; decompiling them is most of the subsetting (DejaVu Sans: 0.07-0.10 s of each
font in each file, 0.03 s without them), and a report embeds fonts in every chart's PDF. The
text, its positions and what a reader can copy out are unchanged; the files are a little smaller.

Dropping them through the subsetter's options is not enough since fontTools 4.6x: before it
drops anything it decompiles GSUB and GPOS to look for 64k-glyph lookup formats (a third of a
subset's time, measured with fontTools 4.68). So the fonts are loaded without those tables too.

Nor does a PDF read an embedded font's cmap: matplotlib maps each character to its glyph itself
(CIDToGIDMap, and ToUnicode for copying text out). A Japanese font's full cmap is large (a map
of 12,000 characters beside the BMP one, and up to 10,000 variation sequences), and fontTools
reads all of it to make up glyph names for a font that stores none (post table format 3, as
BIZ UDPGothic's): such a font gets names by glyph number instead (they are not written out), and
every font keeps its BMP (format 4) map only. Writing japan_ec's report took 10.2 s before,
8.75 s after; the Japanese fonts embedded are byte for byte the same, and pages render pixel for
pixel as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Tables a PDF viewer never reads from an embedded TrueType font.
LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH")


@contextmanager
def lean_subsets() -> Iterator[None]:
    """Subset fonts without `LAYOUT_TABLES`, and with their BMP cmap only, inside the block
    (fontTools' default list of tables to drop, which matplotlib extends with its own, and its
    font loader are restored after it)."""
    from fontTools import subset

    default, load = subset.Options._drop_tables_default, subset.load_font

    def load_without_layout(*args: Any, **kwargs: Any) -> Any:
        font = load(*args, **kwargs)
        if "GPOS" in font and "kern" in font:  # as the subsetter drops it (no legacy kerning)
            del font["kern"]
        for tag in LAYOUT_TABLES:
            if tag in font:
                del font[tag]  # not decompiled: a lazily loaded font reads a table when asked
        if "glyf" in font and "post" in font and font["post"].formatType == 3:
            # TrueType outlines without glyph names (a CFF font names its glyphs itself):
            # fontTools would make them up from the whole cmap (every subtable read)
            names = [f"glyph{i:05d}" for i in range(font.getGlyphCount())]
            font.setGlyphOrder([".notdef", *names[1:]])
        if "cmap" in font:
            cmap = font["cmap"]  # the subtables' headers only: their maps load when read
            cmap.tables = [t for t in cmap.tables if t.format == 4] or cmap.tables
        return font

    subset.Options._drop_tables_default = [
        *default,
        *(t for t in LAYOUT_TABLES if t not in default),
    ]
    subset.load_font = load_without_layout
    try:
        yield
    finally:
        subset.Options._drop_tables_default, subset.load_font = default, load
