"""The charts' look: figure size, colours, fonts (Japanese included) and the rc style."""

from __future__ import annotations

import functools
import importlib.util
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ParamSpec

import numpy as np
from cycler import cycler
from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
P = ParamSpec("P")

#: Slide-shaped (16:9): the same figure serves a deck, a notebook and a report page.
FIGSIZE = (10.0, 5.625)
DPI = 200

# One blue ramp, light to dark, and neutral greys: distinct in lightness, so in greyscale too.
INK = "#222222"
MUTED = "#666666"
RULE = "#b0b0b0"
GRID = "#e8e8e8"
DARK = "#1b365d"
MID = "#4f7299"
LIGHT = "#9db4cc"
PALE = "#d6e1ec"
GREY = "#cfcfcf"
ACCENT = "#a23b2a"
#: Line series (baseline first): colour and dash differ together, so print keeps them apart.
SERIES = ((DARK, "-"), (ACCENT, "--"), (MID, "-."), ("#7a7a7a", ":"))
BAND_ALPHA = (0.22, 0.16, 0.16, 0.16)

DEFAULT_FONT = "DejaVu Sans"  # matplotlib's own, always installed
JAPANESE_FONT_FILE = "ipaexg.ttf"


# --- fonts and style ------------------------------------------------------------------------


def japanese_font_path() -> Path:
    """IPAexGothic as shipped inside matplotlib-fontja (found without importing the package)."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib-fontja is not installed; it ships the Japanese font")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / JAPANESE_FONT_FILE
    if not path.is_file():
        raise RuntimeError(f"matplotlib-fontja's font file is missing: {path}")
    return path


class _NoBoldNotice(logging.Filter):
    """Drop matplotlib's notice that the Japanese font has no bold (regular is used: fine)."""

    def __init__(self, family: str) -> None:
        super().__init__()
        self.needle = f"weight bold for {family}"

    def filter(self, record: logging.LogRecord) -> bool:
        return self.needle not in record.getMessage()


@functools.cache
def fonts() -> tuple[str, ...]:
    """Register the Japanese font with matplotlib (once); the family list, fallback last."""
    path = japanese_font_path()
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=path).get_name()
    logging.getLogger("matplotlib.font_manager").addFilter(_NoBoldNotice(family))
    return (DEFAULT_FONT, family)


def style() -> dict[str, Any]:
    """The rc settings every chart is drawn and saved with."""
    return {
        "font.family": list(fonts()),
        "font.size": 9.5,
        "text.parse_math": False,  # "$12M to $18M" is money, not mathematics
        "axes.titlesize": 12.5,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.titlecolor": INK,
        "axes.titlepad": 22,
        "axes.labelsize": 9.5,
        "axes.labelcolor": INK,
        "axes.edgecolor": RULE,
        "axes.linewidth": 0.8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.axisbelow": True,
        "axes.prop_cycle": cycler(color=[c for c, _ in SERIES]),
        "grid.color": GRID,
        "grid.linewidth": 0.8,
        "xtick.color": RULE,
        "ytick.color": RULE,
        "xtick.labelcolor": INK,
        "ytick.labelcolor": INK,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.frameon": False,
        "legend.fontsize": 9,
        "lines.linewidth": 1.8,
        "hatch.linewidth": 0.7,
        "figure.facecolor": "white",
        "figure.dpi": 100,
        "savefig.facecolor": "white",
        "savefig.dpi": DPI,
        "pdf.fonttype": 3,  # subset fonts, text stays searchable; 42 (TrueType) is 4x slower
        "svg.fonttype": "path",  # glyphs as outlines: an SVG shows the same with no fonts
    }


def theme() -> AbstractContextManager[None]:
    """`matplotlib.rc_context` with the style: for drawing or saving charts by hand."""
    return rc_context(style())  # type: ignore[arg-type]  # rc keys are typed as literals


def styled(chart: Callable[P, Figure]) -> Callable[P, Figure]:
    """Draw `chart` inside the style; lay it out once there, so ticks get the style's fonts."""

    @functools.wraps(chart)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with theme():
            fig = chart(*args, **kwargs)
            fig.draw_without_rendering()
        return fig

    return wrapper


def save(fig: Figure, path: str | Path, dpi: int = DPI) -> None:
    """Save a chart with the style's output settings (PNG at `dpi`, PDF/SVG as vectors)."""
    with theme():
        fig.savefig(path, dpi=dpi)
