"""The report's decisions page: the recommended set, what must be true (break-even on cost) and
what is worth knowing first (value of information), all read off one comparison's runs.

Nothing is simulated here: break-even on cost is the largest multiple of each option's cost at
which it still pays in the target share of runs (`cxsim.analysis.breakeven.cost_multiple`), and
the value of information is `cxsim.analysis.voi.value_of_information` on the same runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
from matplotlib.figure import Figure

from cxsim.analysis.breakeven import cost_multiple
from cxsim.analysis.voi import ValueOfInformation, value_of_information
from cxsim.errors import UserError
from cxsim.formatting.money import format_money
from cxsim.outputs import charts, pages
from cxsim.outputs.i18n import input_name, language_of
from cxsim.outputs.labels import percent_words, title_weight, wrap_label

if TYPE_CHECKING:
    from cxsim.analysis.compare import Comparison

#: The share of runs in which an option must pay (the break-even's target).
TARGET = 0.8
#: Below this share of the largest expected NPV, perfect information is not worth a study.
NEGLIGIBLE = 0.005
#: Height of one bar with its label (up to two lines) on the value-of-information chart (inches).
BAR_INCHES = 0.34
#: Inputs shown with their partial EVPI (largest first; under half a percent is noise).
MOST_INPUTS = 6


class _Style(TypedDict):
    """Text properties for `pages.paragraph`'s matplotlib keywords (never its `bullet`)."""

    fontweight: str
    color: str


WORDS: dict[str, dict[str, str]] = {
    "title": {
        "en": "Decisions: what to fund, what must be true, what to learn first",
        "ja": "意思決定：何に投資し、何が前提で、何を先に確かめるか",
    },
    "recommended": {"en": "Recommended", "ja": "推奨"},
    "recommend_set": {
        "en": "Fund {name}: {members}. Expected NPV {npv} (90% interval {p5} to {p95}); it "
        "pays in {p:.0%} of runs. No member lowers its NPV.",
        "ja": "{name}（{members}）に投資：期待NPV {npv}（90%区間 {p5}〜{p95}）、"
        "{p:.0%}の試行で投資が回収されます。NPVを下げる施策は含みません。",
    },
    "recommend_one": {
        "en": "Fund {name}. Expected NPV {npv} (90% interval {p5} to {p95}); it pays in "
        "{p:.0%} of runs.",
        "ja": "{name}に投資：期待NPV {npv}（90%区間 {p5}〜{p95}）、{p:.0%}の試行で回収。",
    },
    "recommend_none": {
        "en": "Fund nothing yet: no option has a positive expected NPV.",
        "ja": "現時点では投資を見送り：期待NPVがプラスの選択肢はありません。",
    },
    "breakeven": {
        "en": "What must be true: the highest cost at which each pays in {t:.0%} of runs",
        "ja": "成立条件：{t:.0%}の試行で回収できる最大コスト",
    },
    "columns": {
        "en": "Option|P(pays)|Expected cost|Highest cost|Headroom",
        "ja": "選択肢|回収確率|期待コスト|最大コスト|余裕",
    },
    "never": {"en": "never", "ja": "なし"},
    "voi": {
        "en": "What is worth knowing first: value of information",
        "ja": "先に確かめる価値：情報の価値",
    },
    "evpi": {
        "en": "Perfect information on every input is worth at most {evpi} (EVPI): without "
        "it, fund {best}. A study of one input is worth at most its partial EVPI:",
        "ja": "全ての入力を完全に知る価値は最大{evpi}（EVPI）。追加情報なしなら{best}。"
        "個々の入力の調査の価値は部分EVPIが上限です：",
    },
    "no_input": {
        "en": "No single input would change the decision: no study is worth running first.",
        "ja": "どの入力も判断を変えません：事前調査の価値はありません。",
    },
    "none": {"en": "nothing", "ja": "投資なし"},
    "no_evpi": {
        "en": "Perfect information would rarely change the decision: it is worth at most "
        "{evpi} (EVPI), under {share} of the expected NPV, so no study is worth running "
        "before funding {best}.",
        "ja": "完全な情報でも判断はほとんど変わりません。その価値は最大{evpi}（EVPI）で期待NPVの"
        "{share}未満のため、{best}に投資する前に調査する価値はありません。",
    },
}


def _w(key: str, lang: str, **values: Any) -> str:
    phrase = WORDS[key][lang]
    return phrase.format(**values) if values else phrase


def breakeven_rows(comparison: Comparison, target: float = TARGET) -> list[dict[str, Any]]:
    """Per option: P(pays), expected cost, the highest cost at which it pays with `target`."""
    rows = []
    for o in comparison.outcomes:
        cost = np.asarray(o.cost, dtype=float)
        benefit = np.asarray(o.npv, dtype=float) + cost  # loss avoided and costs spared
        multiple = cost_multiple(benefit, cost, target)
        mean = float(cost.mean())
        rows.append(
            {
                "name": o.name,
                "p_pays": float(o.p_pays),
                "cost": mean,
                # At or below zero it does not pay with the target even when free: "never".
                "highest_cost": mean * multiple if 0 < multiple < np.inf else np.nan,
                "multiple": multiple if 0 < multiple < np.inf else np.nan,
            }
        )
    return rows


def _voi(comparison: Comparison) -> ValueOfInformation | None:
    try:
        return value_of_information(comparison)
    except UserError:  # the expected-value model or independent numbers: nothing to read
        return None


@charts.styled
def decisions_page(comparison: Comparison, *, language: str | None = None) -> Figure:
    """The recommended set, the break-even cost of each option and the value of information."""
    scenario = comparison.baseline.scenario
    lang = language_of(language, default=scenario.language)
    money = lambda v: format_money(v, scenario.economics.currency, language=lang)  # noqa: E731
    fig = pages.blank_page()
    # An empty axes under the words: notebooks (IPython) show no figure that has no axes.
    fig.add_axes((0, 0, 1, 1), zorder=-1).set_axis_off()
    bold: _Style = {"fontweight": title_weight(lang), "color": charts.INK}
    y = pages.paragraph(fig, 0.22, _w("title", lang), 15, 70, **bold)

    y = pages.paragraph(fig, y + 0.06, _w("recommended", lang), 11.5, 90, **bold)
    y = pages.paragraph(fig, y, _recommendation(comparison, money, lang), 10, 130, color=charts.INK)

    y = pages.paragraph(fig, y + 0.08, _w("breakeven", lang, t=TARGET), 11.5, 90, **bold)
    y = _table(fig, y, breakeven_rows(comparison), money, lang)

    y = pages.paragraph(fig, y + 0.1, _w("voi", lang), 11.5, 90, **bold)
    found = _voi(comparison)
    if found is not None:
        best = found.best if found.best != "none" else _w("none", lang)
        stake = max((abs(float(np.mean(o.npv))) for o in comparison.outcomes), default=0.0)
        if found.evpi <= NEGLIGIBLE * stake:  # the choice (almost) never changes
            share = percent_words(NEGLIGIBLE)
            said = _w("no_evpi", lang, evpi=money(found.evpi), share=share, best=best)
            pages.paragraph(fig, y, said, 10, 130, color=charts.INK)
            return fig
        words = _w("evpi", lang, evpi=money(found.evpi), best=best)
        y = pages.paragraph(fig, y, words, 10, 130, color=charts.INK)
        shown = worth_knowing(found)
        if shown.empty:
            pages.paragraph(fig, y, _w("no_input", lang), 10, 130, color=charts.MUTED)
        else:
            _voi_bars(fig, y, shown, money, lang)
    return fig


def _recommendation(comparison: Comparison, money: Any, lang: str) -> str:
    """The option to fund, in a sentence: the best expected NPV if positive."""
    if not comparison.outcomes:
        return _w("recommend_none", lang)
    best = max(comparison.outcomes, key=lambda o: float(np.mean(o.npv)))
    npv = np.asarray(best.npv, dtype=float)
    if npv.mean() <= 0:
        return _w("recommend_none", lang)
    p5, p95 = np.percentile(npv, [5, 95])
    figures = {"npv": money(npv.mean()), "p5": money(p5), "p95": money(p95), "p": best.p_pays}
    names = {iv.name for iv in comparison.baseline.scenario.interventions}
    if best.name not in names and best.description.startswith("Members: "):
        members = best.description.removeprefix("Members: ").split(". ", 1)[0]
        return _w("recommend_set", lang, name=best.name, members=members, **figures)
    return _w("recommend_one", lang, name=best.name, **figures)


def _table(fig: Figure, y: float, rows: list[dict[str, Any]], money: Any, lang: str) -> float:
    """The break-even rows as a table; returns where the next block goes (inches)."""
    height, width = fig.get_figheight(), fig.get_figwidth()
    xs = [0.35, 4.6, 5.7, 7.0, 8.3]  # inches: name, then right-aligned figures
    size, step = 9.5, 0.24
    heads = _w("columns", lang).split("|")
    for k, head in enumerate(heads):
        fig.text(
            (xs[k] + (0 if k == 0 else 0.9)) / width,
            1 - y / height,
            head,
            ha="left" if k == 0 else "right",
            va="top",
            fontsize=size,
            color=charts.MUTED,
        )
    y += step
    for row in rows[:8]:
        never = not np.isfinite(row["highest_cost"])
        cells = [
            wrap_label(row["name"], 52, lines=1),
            f"{row['p_pays']:.0%}",
            money(row["cost"]),
            _w("never", lang) if never else money(row["highest_cost"]),
            "" if never else f"×{row['multiple']:.2f}",
        ]
        colour = charts.MUTED if never else charts.INK
        for k, cell in enumerate(cells):
            fig.text(
                (xs[k] + (0 if k == 0 else 0.9)) / width,
                1 - y / height,
                cell,
                ha="left" if k == 0 else "right",
                va="top",
                fontsize=size,
                color=colour,
            )
        y += step
    return y


def worth_knowing(found: ValueOfInformation, most: int = MOST_INPUTS) -> Any:
    """The inputs whose partial EVPI is at least half a percent of the EVPI, largest first."""
    return found.inputs[found.inputs["share"] >= 0.005].head(most)


def input_words(path: str, label: str, lang: str = "en") -> str:
    """An input in words; an intervention's effect by the intervention's name, not its path."""
    if path.startswith("interventions.") and ".effects." in path:
        return label.split(": ", 1)[0] + ("：効果の大きさ" if lang == "ja" else ": size of effect")
    return input_name(label, lang)


def _voi_bars(fig: Figure, y: float, shown: Any, money: Any, lang: str) -> None:
    """Partial EVPI of the inputs most worth resolving, as horizontal bars."""
    height, width = fig.get_figheight(), fig.get_figwidth()
    bottom = 0.55
    top = y + 0.05
    room = max(height - bottom - top, 0.8)
    shown = shown.head(max(int(room / BAR_INCHES), 1))  # as many as fit
    tall = min(room, len(shown) * BAR_INCHES + 0.1)  # bars of one thickness, from the top
    low = height - top - tall
    ax = fig.add_axes((3.6 / width, low / height, (width - 4.6) / width, tall / height))
    labels = [
        wrap_label(input_words(str(path), label, lang), 44, lines=2)
        for path, label in zip(shown.index, shown["label"], strict=True)
    ]
    values = shown["evppi"].to_numpy(dtype=float)
    ypos = np.arange(len(values))[::-1]
    ax.barh(ypos, values, color=charts.MID, height=0.6)
    ax.set_yticks(ypos, labels, fontsize=8.5)
    for yy, v, share in zip(ypos, values, shown["share"], strict=True):
        ax.text(v, yy, f"  {money(v)} ({share:.0%})", va="center", fontsize=8.5, color=charts.INK)
    ax.set_ylim(-0.5, len(values) - 0.5)
    ax.set_xlim(0, values.max() * 1.45)
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
