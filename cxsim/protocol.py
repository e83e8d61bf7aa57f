"""The one shape every result object has, whatever produced it.

A result is plain data with a `kind` (the name its JSON document carries, which `cxsim.rerun`
dispatches on), a table (`to_frame`), a JSON-ready dict (`to_dict`, and `to_json` of it), a text
summary for people (`text`, also `str(result)`), and a chart (`plot`) where one exists. Every
output (CLI, report, workbook, notebooks) is built from these, so each can be re-run from its JSON.
"""

from __future__ import annotations

import html
import json
import math
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


class Result:
    """Base of every result object; subclasses set `kind` and implement the first three."""

    kind: ClassVar[str] = ""

    def to_frame(self) -> pd.DataFrame:
        """The result as a table: one row per thing measured, raw numbers (not formatted)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that starts with the result's `kind`."""
        raise NotImplementedError

    def text(self) -> str:
        """A summary for people, in the scenario's currency and words."""
        raise NotImplementedError

    def to_json(self, indent: int | None = 2) -> str:
        """`to_dict()` as JSON; infinities and NaN become null (JSON has neither)."""
        return json.dumps(_finite(self.to_dict()), indent=indent, ensure_ascii=False)

    def plot(self, ax: Axes | None = None) -> Figure:
        """The result's chart (on `ax` if given)."""
        raise NotImplementedError(f"a {type(self).__name__} has no chart")

    def display(self) -> pd.DataFrame:
        """The table for people (formatted where a result knows how; else `to_frame()`)."""
        return self.to_frame()

    def heading(self) -> str:
        """A one-line title: the first line of `text()`."""
        return next((line for line in self.text().splitlines() if line.strip()), self.kind)

    def _repr_html_(self) -> str:
        """Notebooks show a short heading and the display table."""
        return f"<p><strong>{html.escape(self.heading())}</strong></p>\n" + self.display().to_html(
            notebook=True
        )

    def __str__(self) -> str:
        return self.text()


def _finite(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    return x
