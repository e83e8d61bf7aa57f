"""Shared wording and formatting of the faces (charts, report, workbook): what is lost, over
what view, money and percent labels, wrapped names, the title weight for the language.

One place for the words, so a chart's subtitle and the report's sentence say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cxsim.engine.results import Results
from cxsim.formatting.money import format_money_label, shared_unit
from cxsim.formatting.tables import text_width
from cxsim.outputs.i18n import language_of, text


def language_for(results: Results, language: str | None) -> str:
    """The language asked for, or the scenario's own."""
    return language_of(language, default=results.scenario.language)


def what_is_lost(results: Results, language: str) -> str:
    """'Lost revenue' or 'Lost margin', as the scenario counts it."""
    key = "lost_margin" if results.scenario.economics.value == "margin" else "lost_revenue"
    return text(key, language)


def loss_basis(results: Results, language: str) -> str:
    """The axis wording: what is counted, over what, discounted how."""
    e = results.scenario.economics
    what = what_is_lost(results, language)
    unit = text(f"{e.period}s", language)
    if language == "ja":
        view = "生涯価値" if e.lifetime else f"{e.horizon}{unit}"
        return f"{what}（{view}、年{e.discount_rate:.0%}で割引）"
    view = "lifetime value" if e.lifetime else f"over {e.horizon} {unit}"
    return f"{what}, {view}, discounted at {e.discount_rate:.0%} a year"


def view_words(results: Results, language: str) -> str:
    """'over 36 months' or 'over customer lifetimes', in the language."""
    e = results.scenario.economics
    if e.lifetime:
        return text("view_lifetime", language)
    return text("view_horizon", language, n=e.horizon, unit=text(f"{e.period}s", language))


def value_basis(results: Results, language: str) -> str:
    """The axis wording for amounts of money in a comparison: discounted, over what."""
    return text("discounted_value", language, view=view_words(results, language))


def title_weight(language: str) -> str:
    """Bold titles; in Japanese only where the Japanese font has a bold face (never a bold
    Latin fallback beside regular kana)."""
    from cxsim.outputs.charts.style import japanese_family

    return "bold" if language == "en" or japanese_family()[1] else "normal"


def money_formatter(results: Results, language: str) -> Callable[[float], str]:
    """Amounts in the results' currency, for labels: `$12.3M`."""
    cur = results.currency
    return lambda v: format_money_label(float(v), cur, language=language)


def money_in_one_unit(
    results: Results, language: str, values: Iterable[float], decimals: int | None = None
) -> Callable[[float], str]:
    """Amounts printed together (an interval, a chart's labels, a table's column) in one unit,
    chosen from the largest: 0.6億円〜2.0億円, never 6,361万円〜2億円."""
    return shared_unit([float(v) for v in values], results.currency, language, decimals)


#: Characters a line may not start with (Japanese line breaking, kinsoku shori).
NO_LINE_START = frozenset(
    "、。，．,.)）」』】〕〉》％%:：;；!！?？・ーぁぃぅぇぉっゃゅょァィゥェォッャュョ"
)


def wrap_label(label: str, width: int = 32, lines: int = 12) -> str:
    """Wrap a long name for a tick label (at spaces, or anywhere in Japanese); cut with '…'."""
    out: list[str] = []
    line = ""
    for word in label.split(" "):
        candidate = f"{line} {word}" if line else word
        if text_width(candidate) <= width:
            line = candidate
            continue
        if line:
            out.append(line)
            line = ""
        for ch in word:  # a word too long for a line (Japanese has no spaces): break anywhere
            # but never before closing punctuation (kinsoku): it stays on the line it closes
            if text_width(line + ch) > width and not (line and ch in NO_LINE_START):
                out.append(line)
                line = ""
            line += ch
    if line:
        out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1].rstrip()[: max(1, len(out[-1]) - 1)] + "…"
    return "\n".join(out)


def percent_words(x: float) -> str:
    """A percent in a sentence: 47%, 2.5%, 0.8% (a decimal only below 10%, where not zero)."""
    if abs(x) >= 0.095:
        return f"{x:.0%}"
    s = f"{x * 100:.1f}"
    s = s[:-2] if s.endswith(".0") else s
    return f"{s}%"


#: Charts and sentences show a percent at one precision, so a chart and the summary agree.
percent_label = percent_words


def members_of(name: str, description: str, known: list[str]) -> list[str]:
    """The interventions an outcome stands for: itself, or a combination's members as
    `cxsim.analysis.compare` lists them ("Members: A, B. ..."), matched against the scenario's
    intervention names (`known`), so a name holding ", " still reads whole."""
    if name in known:
        return [name]
    head = "Members: "
    if not description.startswith(head):
        return [name]
    rest = description[len(head) :]

    def parse(s: str) -> list[str] | None:
        for k in sorted(known, key=len, reverse=True):
            if s.startswith(k):
                tail = s[len(k) :]
                if tail.startswith("."):
                    return [k]
                if tail.startswith(", "):
                    more = parse(tail[2:])
                    if more is not None:
                        return [k, *more]
        return None

    return parse(rest) or [name]
