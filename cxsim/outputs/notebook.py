"""Small helpers for the notebooks: progress bars, signed what-if sentences, a live chart.

The notebooks call the public API; these only show its answers. `progress` gives a long call
(compare, Sobol, convergence, a Monte Carlo) a bar under the cell through the API's own
`progress=` callback. `change_words` says what a what-if does in words ("saves $1.7M"), never a
bare signed number. `LiveBars` is the what-if chart: one styled figure whose bars are resized
in place and rendered to an `ipywidgets.Image`, so a slider redraws it in tens of milliseconds
instead of building and laying out a new figure.

ipywidgets is imported only when a widget is made (it is in the `notebooks` extra).
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cxsim.formatting.money import format_money
from cxsim.outputs.charts.frame import TickFormatter
from cxsim.outputs.charts.style import DARK, GREY, theme

__all__ = [
    "LiveBars",
    "category_label",
    "change_words",
    "debounced",
    "presenting",
    "progress",
]


@contextlib.contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar under the cell, yielding the callback an API function's `progress=` takes
    (called with the units just done). It ends with the time taken:

        with progress(RUNS, "Monte Carlo") as step:
            results = cxsim.simulate(scenario, runs=RUNS, progress=step)
    """
    import ipywidgets as widgets
    from IPython.display import display

    bar = widgets.IntProgress(value=0, min=0, max=max(int(total), 1), bar_style="info")
    words = widgets.Label(f"{label}: 0 of {total:,}")
    display(widgets.HBox([bar, words]))
    start = time.perf_counter()
    done = 0

    def step(units: int) -> None:
        nonlocal done
        done += int(units)
        bar.value = min(done, bar.max)
        words.value = f"{label}: {min(done, total):,} of {total:,}"

    try:
        yield step
    except BaseException:
        bar.bar_style = "danger"
        raise
    bar.value = bar.max
    bar.bar_style = "success"
    words.value = f"{label}: done in {time.perf_counter() - start:.1f} s"


def change_words(before: float, after: float, currency: str) -> str:
    """What a change does to a loss, in words: 'saves $1.7M (15%)' or 'adds $0.3M (2.6%)'."""
    diff = before - after
    share = f" ({abs(diff) / abs(before):.1%})" if before else ""
    amount = format_money(abs(diff), currency)
    if abs(diff) < 0.0005 * max(abs(before), 1.0):
        return "changes nothing"
    return f"saves {amount}{share}" if diff > 0 else f"adds {amount}{share}"


def debounced(seconds: float, action: Callable[[], None]) -> Callable[..., None]:
    """`action` run once, `seconds` after the last of a burst of calls (widget events).

    Uses the kernel's asyncio loop (ipykernel and Voila run one); without a running loop the
    action runs at once.
    """
    import asyncio

    handle: list[asyncio.TimerHandle] = []

    def call(*_: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            try:
                loop = asyncio.get_event_loop()
            except RuntimeError:
                action()
                return
        if handle:
            handle.pop().cancel()
        if not loop.is_running():
            action()
            return
        handle.append(loop.call_later(seconds, action))

    return call


class LiveBars:
    """Horizontal bars of two series (today, what if) by category, redrawn in place.

    `set(categories, today, what_if)` builds the figure when the categories change (a new
    split) or the values outgrow the axis. Otherwise the frame (axes, ticks, title, legend) is
    kept as a rendered background and only the bars are drawn over it
    (matplotlib's blitting), then encoded as PNG into `image` (an `ipywidgets.Image`): a few
    milliseconds where building and laying out a new figure takes a few hundred. (Labels on
    the bars would be text drawn on every move, the slowest part of a redraw: the line above
    the chart says what the changes save.)
    """

    def __init__(
        self,
        currency: str,
        names: Sequence[str] = ("today", "what if"),
        width: float = 9.0,
        language: str = "en",
    ) -> None:
        self.currency = currency
        self.names = tuple(names)
        self.width = width
        self.language = language
        self.key: tuple[Any, ...] = ()
        self.fig: Figure | None = None
        self.top = 0.0
        self._bars: list[Any] = []
        self._background: Any = None
        self._image: Any = None

    @property
    def image(self) -> Any:
        """The `ipywidgets.Image` the chart is shown in."""
        import ipywidgets as widgets

        if self._image is None:
            self._image = widgets.Image(format="png", layout={"width": f"{self.width * 100:.0f}px"})
        return self._image

    def _build(self, categories: tuple[str, ...], title: str, top: float) -> None:
        with theme():
            height = 0.42 * len(categories) + 1.3
            fig = Figure(figsize=(self.width, height), dpi=100, layout="constrained")
            canvas = FigureCanvasAgg(fig)
            ax = fig.add_subplot()
            y = np.arange(len(categories))[::-1].astype(float)
            h = 0.38
            zeros = np.zeros(len(y))
            self._bars = [
                ax.barh(y + h / 2, zeros, h, color=GREY, label=self.names[0]),
                ax.barh(y - h / 2, zeros, h, color=DARK, label=self.names[1]),
            ]
            ax.set_yticks(y, list(categories))
            ax.tick_params(axis="y", length=0)
            ax.xaxis.set_major_formatter(TickFormatter(self.currency, self.language))
            ax.set_xlim(0, top)
            ax.grid(axis="x")
            ax.set_title(title)
            ax.legend(loc="lower right")
            for artist in self._moving():
                artist.set_animated(True)
            canvas.draw()  # lays out once; the frame is the background from now on
            fig.set_layout_engine("none")
            canvas.draw()
            self._background = canvas.copy_from_bbox(fig.bbox)
        self.fig, self.ax, self.top = fig, ax, top

    def _moving(self) -> list[Any]:
        return [bar for bars in self._bars for bar in bars]

    def set(
        self,
        categories: Sequence[str],
        today: Sequence[float],
        what_if: Sequence[float],
        title: str = "",
    ) -> bytes:
        """Show the values; returns the PNG (also put into `image`)."""
        from PIL import Image

        categories = tuple(categories)
        highest = max(float(np.max(today, initial=0)), float(np.max(what_if, initial=0)), 1.0)
        key = (categories, title)
        if key != self.key or self.fig is None or highest > self.top:
            self._build(categories, title, highest * 1.25)
            self.key = key
        assert self.fig is not None
        for bars, values in zip(self._bars, (today, what_if), strict=True):
            for bar, v in zip(bars, values, strict=True):
                bar.set_width(float(v))
        canvas = self.fig.canvas
        with theme():
            canvas.restore_region(self._background)  # type: ignore[attr-defined]
            for artist in self._moving():
                self.ax.draw_artist(artist)
        rgba = np.asarray(canvas.buffer_rgba())  # type: ignore[attr-defined]
        buffer = io.BytesIO()
        Image.fromarray(rgba[..., :3]).save(buffer, format="png", compress_level=1)
        png = buffer.getvalue()
        self.image.value = png
        return png


def presenting() -> bool:
    """Whether the notebook runs as an app (Voila sets these in its kernels' environment)."""
    import os

    return any(k in os.environ for k in ("VOILA_APP_PORT", "VOILA_SERVER_URL", "VOILA_KERNEL_ID"))


#: Goodman's pathways, as the charts name them.
def category_label(name: str, language: str = "en") -> str:
    """A split's category for people: pathways in words ('Word of mouth (net)'), other names
    (touchpoints, stages, segments: the scenario's own) as they are."""
    from cxsim.model.scenario import PATHWAYS
    from cxsim.outputs.i18n import PHRASES, text

    return text(name, language) if name in PATHWAYS and name in PHRASES else name
