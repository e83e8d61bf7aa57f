"""The charts' look: figure size, colours, fonts (Japanese included) and the rc style."""

from __future__ import annotations

import functools
import importlib.util
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, ParamSpec

import numpy as np
from cycler import cycler
from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure
from numpy.typing import NDArray

from cxsim.outputs.charts.pdf_fonts import lean_subsets

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


#: Japanese families with a bold face, best first: BIZ UDPGothic (Morisawa, SIL OFL; Debian's
#: fonts-morisawa-bizud-gothic), then Noto Sans CJK JP. IPAexGothic (bundled with
#: matplotlib-fontja, always there) is the fallback: it has no bold.
BOLD_JAPANESE = ("BIZ UDPGothic", "Noto Sans CJK JP")


class _NoBoldNotice(logging.Filter):
    """Drop matplotlib's notice that a Japanese font has no bold (regular is used: fine)."""

    def __init__(self, family: str) -> None:
        super().__init__()
        self.needle = f"weight bold for {family}"

    def filter(self, record: logging.LogRecord) -> bool:
        return self.needle not in record.getMessage()


def _has_bold(family: str) -> bool:
    """Whether matplotlib knows a bold face of `family` (installed on the system)."""
    return any(
        f.name == family and f.weight in ("bold", 700, "700")
        for f in font_manager.fontManager.ttflist
    )


#: File names of those families' faces, to register them where matplotlib's font cache was
#: built before they were installed.
BOLD_JAPANESE_FILES = ("BIZUDPGothic-Regular.ttf", "BIZUDPGothic-Bold.ttf")


@functools.cache
def japanese_family() -> tuple[str, bool]:
    """The family Japanese is set in, and whether it has a bold face."""
    # IPAexGothic may still be reached as a fallback for a glyph: its missing bold is fine.
    logging.getLogger("matplotlib.font_manager").addFilter(_NoBoldNotice("IPAexGothic"))
    if not any(_has_bold(f) for f in BOLD_JAPANESE):
        for path in font_manager.findSystemFonts():
            if Path(path).name in BOLD_JAPANESE_FILES:
                font_manager.fontManager.addfont(path)
    for family in BOLD_JAPANESE:
        if _has_bold(family):
            return family, True
    font = japanese_font_path()
    font_manager.fontManager.addfont(str(font))
    family = font_manager.FontProperties(fname=font).get_name()
    logging.getLogger("matplotlib.font_manager").addFilter(_NoBoldNotice(family))
    return family, False


@functools.cache
def fonts(language: str = "en") -> tuple[str, ...]:
    """The family list, fallback last: Latin first for English (names a user wrote in
    Japanese still render); the Japanese family first for Japanese, so digits and Latin
    letters share its design."""
    family, _ = japanese_family()
    path = japanese_font_path()
    font_manager.fontManager.addfont(str(path))  # IPAexGothic: glyphs the first lacks
    ipaex = font_manager.FontProperties(fname=path).get_name()
    if language == "ja":
        return tuple(dict.fromkeys((family, ipaex, DEFAULT_FONT)))
    return tuple(dict.fromkeys((DEFAULT_FONT, family, ipaex)))


def style(language: str = "en") -> dict[str, Any]:
    """The rc settings every chart is drawn and saved with."""
    return {
        "font.family": list(fonts(language)),
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
        "pdf.fonttype": 42,  # embedded TrueType: text a consultant can edit in a deck
        "ps.fonttype": 42,
        "svg.fonttype": "none",  # real text in SVG (the fonts named, not drawn as outlines)
    }


def theme(language: str = "en") -> AbstractContextManager[None]:
    """`matplotlib.rc_context` with the style: for drawing or saving charts by hand."""
    return rc_context(style(language))  # type: ignore[arg-type]  # rc keys are typed as literals


def styled(chart: Callable[P, Figure]) -> Callable[P, Figure]:
    """Draw `chart` inside the style; lay it out once there, so ticks get the style's fonts."""

    @functools.wraps(chart)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with theme(_language(args, kwargs)):
            fig = chart(*args, **kwargs)
            fig.draw_without_rendering()
        return fig

    return wrapper


def _language(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The language a chart is drawn in: its `language` argument, else its subject's own."""
    if kwargs.get("language"):
        return str(kwargs["language"])
    subject = args[0] if args else None
    subject = getattr(subject, "baseline", subject)
    scenario = getattr(subject, "scenario", None)
    return str(getattr(scenario, "language", None) or "en")


def save(fig: Figure, path: str | Path | Sequence[str | Path], dpi: int = DPI) -> None:
    """Save a chart with the style's output settings (PNG at `dpi`, PDF/SVG as vectors).

    Given several paths (one per format), the chart is laid out once, as the first is saved,
    and the others keep that layout: laying out measures every label, a third of the work.
    """
    first, *others = [path] if isinstance(path, str | Path) else path
    with theme(), lean_subsets():
        fig.savefig(first, dpi=dpi)
        with layout_kept(fig):
            for other in others:
                fig.savefig(other, dpi=dpi)


@contextmanager
def layout_kept(fig: Figure) -> Iterator[None]:
    """Within it, `fig` keeps the layout of its last drawing (its engine resumes after), so
    drawing it again, in another format or on a report page, does not lay it out again."""
    engine = fig.get_layout_engine()
    if engine is None:
        yield
        return
    fig.set_layout_engine("none")
    try:
        yield
    finally:
        fig.set_layout_engine(engine)
