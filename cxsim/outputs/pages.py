"""The report's pages of words: method, glossary, sources and limitations, and the text
helpers every page of words uses (a wrapped paragraph, a blank page)."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from cxsim.engine.results import Results
from cxsim.outputs import charts
from cxsim.outputs.i18n import input_name as words_for_input
from cxsim.outputs.i18n import language_of
from cxsim.outputs.labels import title_weight, wrap_label
from cxsim.outputs.sources import input_sources

PAGE = charts.FIGSIZE

#: Each page's words, English and Japanese: a title, then paragraphs ("- " marks a bullet).
WORDS: dict[str, dict[str, tuple[str, list[str]]]] = {
    "method": {
        "en": (
            "How the model works",
            [
                "cxsim follows every customer segment period by period. At each touchpoint a "
                "share of customers meets a failure; of those, some complain and the rest stay "
                "silent. A complaint is resolved to the customer's satisfaction, mollified or "
                "left unresolved, and each of these four pathways has its own chance that the "
                "customer leaves (higher for a major failure than a minor one).",
                "Customers who leave take their future revenue (or margin) with them; those "
                "unhappy tell others, and some of the people told do not become customers. "
                "Repeated failures weigh more than the first (an odds ratio). Amounts are "
                "discounted at the scenario's rate, to the horizon or over customer lifetime.",
                "Every uncertain input is a distribution. The Monte Carlo simulation draws all "
                "inputs once per run and repeats the whole calculation; the figures are the "
                "mean over runs with the 5th and 95th percentiles (a 90% interval). The "
                "standard error says how precisely the runs pin down the mean; more runs "
                "narrow it. Interventions are run with the same random draws as the status "
                "quo, so their difference is not noise.",
            ],
        ),
        "ja": (
            "モデルの仕組み",
            [
                "cxsimは顧客セグメントを期ごとに追跡します。各接点で一部の顧客が失敗を経験し、"
                "その一部が苦情を言い、残りは何も言いません。苦情は「満足」「一応納得」"
                "「不満」のいずれかで解決され、これら4つの経路ごとに離反の確率が異なります"
                "（軽微な失敗より重大な失敗で高くなります）。",
                "離反した顧客は将来の売上（または粗利）を失わせ、不満を持つ顧客は他人に話し、"
                "話を聞いた人の一部は顧客になりません。繰り返しの失敗は最初の失敗より重く"
                "効きます（オッズ比）。金額はシナリオの割引率で、期間末または顧客生涯まで"
                "割り引きます。",
                "不確実な入力はすべて分布です。モンテカルロ・シミュレーションは試行ごとに"
                "全入力を一度ずつ抽出し、計算全体を繰り返します。数値は試行の平均と、"
                "5パーセンタイル・95パーセンタイル（90%区間）です。標準誤差は平均の精度を"
                "示し、試行を増やすと小さくなります。施策は現状と同じ乱数で計算するため、"
                "差は偶然によるものではありません。",
            ],
        ),
    },
    "glossary": {
        "en": (
            "Glossary",
            [
                "- Lost revenue (or margin): what customers who leave after a failure, and "
                "customers never won because of what others were told, would have brought.",
                "- Cost of poor experience: the lost revenue (or margin) plus the costs failures "
                "cause: the contacts they create, recovery (refunds, credits, goodwill) and "
                "replacing lost customers.",
                "- Silent defection: customers who leave without ever complaining.",
                "- Mollified: a complaint resolved, but not to the customer's full satisfaction.",
                "- Mean: the average over all runs. P5 / P95: 5% of runs fall below P5, 5% "
                "above P95; between them, the 90% interval.",
                "- Standard error: the uncertainty of the mean itself from the finite number "
                "of runs (the standard deviation over the square root of the runs).",
                "- Exceedance: the chance that the loss is larger than a given amount.",
                "- NPV: net present value, the discounted benefit minus the discounted cost.",
                "- ROI: NPV divided by cost. Payback: the first period in which the cumulative "
                "discounted net benefit is positive. P(pays): the share of runs with NPV > 0.",
                "- Input range: uncertain inputs are shown with their P10–P90 range.",
            ],
        ),
        "ja": (
            "用語集",
            [
                "- 逸失売上（または逸失粗利）：失敗後に離反した顧客と、口コミにより獲得"
                "できなかった顧客がもたらしたはずの金額。",
                "- 顧客体験の失敗のコスト：逸失売上（または逸失粗利）に、失敗が生む費用"
                "（問い合わせ対応・リカバリー〈返金・クレジット・お詫び〉・顧客の補充）を"
                "加えたもの。",
                "- 苦情なし離反：一度も苦情を言わずに離反する顧客。",
                "- 一応納得：苦情は解決したが、顧客が十分には満足していない状態。",
                "- 平均：全試行の平均。P5・P95：試行の5%がP5を下回り、5%がP95を上回る。"
                "その間が90%区間。",
                "- 標準誤差：有限の試行回数による平均そのものの不確かさ"
                "（標準偏差÷試行回数の平方根）。",
                "- 超過確率：損失がある金額を上回る確率。",
                "- 正味現在価値（NPV）：割り引いた便益から割り引いた費用を引いた値。",
                "- 投資収益率（ROI）：NPV÷費用。回収期間：割引後の累積純便益が初めて正に"
                "なる期。P(回収)：NPVが正となる試行の割合。",
                "- 入力の範囲：不確実な入力はP10〜P90の範囲で示します。",
            ],
        ),
    },
    "limitations": {
        "en": (
            "Limitations",
            [
                "- The figures are as good as the inputs: failure, complaint and defection "
                "rates from studies or surveys may not match this business.",
                "- Inputs are drawn independently unless the scenario couples them; related "
                "uncertainties may make the real spread wider than shown.",
                "- The model counts revenue lost through customers leaving and prospects "
                "deterred, and the costs failures cause where the scenario states them "
                "(contacts, recovery, replacing lost customers); it leaves out brand effects "
                "beyond word of mouth, and competitors' responses.",
                "- Interventions are assumed to work as described from their start; how "
                "fast and how fully they take hold is itself uncertain.",
                "- The percentiles come from a finite number of runs: the standard error on "
                "the first page says how precise the mean is.",
            ],
        ),
        "ja": (
            "限界",
            [
                "- 数値は入力の質に依存します。調査や文献による失敗率・苦情率・離反率が"
                "この事業に当てはまるとは限りません。",
                "- シナリオで関連付けない限り、入力は独立に抽出されます。関連する不確実性に"
                "より、実際のばらつきは示したものより大きい可能性があります。",
                "- モデルは顧客の離反と見込み客の喪失による損失と、シナリオに記載がある場合は"
                "失敗が生む費用（問い合わせ対応・リカバリー・顧客の補充）を数えます。"
                "口コミ以外のブランドへの影響、競合の反応は含みません。",
                "- 施策は開始時から記載どおりに効くと仮定しています。浸透の速さと程度も"
                "不確実です。",
                "- パーセンタイルは有限の試行から求めています。平均の精度は1ページ目の"
                "標準誤差をご覧ください。",
            ],
        ),
    },
}

#: The sources page's title and what it says when the scenario file gives no sources.
SOURCES_WORDS: dict[str, tuple[str, str]] = {
    "en": ("Sources", "The scenario file gives no sources for its figures."),
    "ja": ("出典", "シナリオファイルに数値の出典の記載はありません。"),
}


def paragraph(
    fig: Figure,
    y_in: float,
    body: str,
    size: float,
    width: int,
    bullet: bool = False,
    **kw: Any,
) -> float:
    """Write text wrapped at `width` characters or the page's edge, from `y_in` inches below the
    top (a bullet hangs to the left of its lines); return where the next paragraph goes."""
    width_in, height = fig.get_figwidth(), fig.get_figheight()
    x = 0.12 / width_in
    if bullet:
        bullet_y = 1 - (y_in + 0.2 * size / 72) / height  # level with the line's x-height
        fig.text(x, bullet_y, "•", va="top", ha="left", fontsize=size, **kw)
        x += 0.22 / width_in
    # DejaVu Sans averages about 0.56 em a character; a Japanese one is 1 em and counts 2.
    fits = int((width_in * (1 - x) - 0.15) * 72 / (0.56 * size))
    wrapped = wrap_label(body, min(width, fits), lines=12)
    n = wrapped.count("\n") + 1
    fig.text(
        x, 1 - y_in / height, wrapped, va="top", ha="left", fontsize=size, linespacing=1.35, **kw
    )
    return y_in + n * size * 1.35 / 72 + 0.12


def blank_page() -> Figure:
    return Figure(figsize=PAGE)


def words_page(
    title: str, paragraphs: list[str], lang: str, size: float = 10.0, gap: float = 0.04
) -> Figure:
    """A page of words: a bold title, then paragraphs; those starting "- " are bullets. What
    does not fit above the page number is counted in a last line, never drawn over it."""
    fig, y, rest = _fill_page(title, paragraphs, lang, size, gap)
    if rest:
        more = len(rest)
        note = f"ほか{more}件（シナリオファイル参照）" if lang == "ja" else f"+ {more} more"
        paragraph(fig, y + gap, note, size, 150, color=charts.MUTED)
    return fig


def words_pages(
    title: str, paragraphs: list[str], lang: str, size: float = 10.0, gap: float = 0.04
) -> list[Figure]:
    """As `words_page`, but what does not fit continues on further pages (titled "… (cont.)"),
    so nothing is dropped."""
    out: list[Figure] = []
    rest = paragraphs
    while True:
        heading = title if not out else f"{title}{'（続き）' if lang == 'ja' else ' (continued)'}"
        fig, _, rest = _fill_page(heading, rest, lang, size, gap)
        out.append(fig)
        if not rest:
            return out


def _fill_page(
    title: str, paragraphs: list[str], lang: str, size: float, gap: float
) -> tuple[Figure, float, list[str]]:
    """A page with `title` and as many of `paragraphs` as fit (at least one): the page, where
    its words end (inches from the top), and the paragraphs left over."""
    fig = blank_page()
    y = paragraph(fig, 0.22, title, 15, 70, fontweight=title_weight(lang), color=charts.INK)
    room = fig.get_figheight() - 0.45
    for i, p in enumerate(paragraphs):
        body = p.removeprefix("- ")
        lines = wrap_label(body, 150, lines=12).count("\n") + 1
        if i > 0 and y + gap + lines * size * 1.35 / 72 > room - 0.25:
            return fig, y, paragraphs[i:]
        y = paragraph(fig, y + gap, body, size, 150, p.startswith("- "), color=charts.INK)
    return fig, y, []


@charts.styled
def method_page(results: Results, *, language: str | None = None) -> Figure:
    lang = language_of(language, default=results.scenario.language)
    title, paragraphs = WORDS["method"][lang]
    return words_page(title, paragraphs, lang)


@charts.styled
def glossary_page(results: Results, *, language: str | None = None) -> Figure:
    lang = language_of(language, default=results.scenario.language)
    title, paragraphs = WORDS["glossary"][lang]
    return words_page(title, paragraphs, lang, size=9.5)


@charts.styled
def limitations_page(results: Results, *, language: str | None = None) -> Figure:
    lang = language_of(language, default=results.scenario.language)
    title, paragraphs = WORDS["limitations"][lang]
    return words_page(title, paragraphs, lang)


def source_notes(results: Results, language: str = "en") -> list[str]:
    """The scenario's comments on its inputs, each once in file order, after the first input
    it is the source of: "Monthly plan: customers: solved by cxsim calibrate"; cxsim's names
    of inputs in the report's language ("Complaint rate", 苦情を言う割合)."""
    notes = input_sources(results.scenario, results.source)
    first: dict[str, str] = {}
    for path, note in notes.items():
        if note.strip():
            first.setdefault(note, path)
    colon = "：" if language == "ja" else ": "
    return [
        f"{_named(results.scenario, path, language)}{colon}{note}" for note, path in first.items()
    ]


def _named(scenario: Any, path: str, language: str) -> str:
    """An input in words, through the sensitivity labels where they know it (the loss tree,
    costs, support; a segment's or touchpoint's field), else `input_name`."""
    words = input_name(scenario, path)
    known = words_for_input(path, language)
    if known != path:
        return known
    name, sep, _ = words.rpartition(": ")
    field = path.rsplit(".", 1)[-1]
    if sep:
        labelled = words_for_input(f"{name}: {field}", language)
        if labelled != f"{name}: {field}":
            return labelled
    return words


def input_name(scenario: Any, path: str) -> str:
    """An input's path in words: list items by their names, "segments.0.customers" as
    "Monthly plan: customers", "loss_tree.defection.silent.minor" as "defection silent minor"."""
    node: Any = scenario
    words: list[str] = []
    named = ""
    for part in path.split("."):
        if part.isdigit() and isinstance(node, list | tuple):
            node = node[int(part)]
            item = f"{named + ': ' if named else ''}{' '.join(words)} {int(part) + 1}"
            named = str(getattr(node, "name", "") or item.strip())
            words = []
            continue
        node = getattr(node, part, None)
        if part not in ("loss_tree", "economics"):
            words.append(part.replace("_", " "))
    rest = " ".join(words)
    return f"{named}: {rest}" if named and rest else (named or rest)


def sources_pages(results: Results, *, language: str | None = None) -> list[Figure]:
    """Where the figures come from: the comments in the scenario file, on as many pages as
    they need."""
    lang = language_of(language, default=results.scenario.language)
    title, none = SOURCES_WORDS[lang]
    notes = source_notes(results, lang)
    with charts.theme(lang):
        figs = words_pages(title, [f"- {n}" for n in notes] or [none], lang, size=8.5, gap=-0.02)
        for fig in figs:
            fig.draw_without_rendering()
    return figs


@charts.styled
def sources_page(results: Results, *, language: str | None = None) -> Figure:
    """The first page of `sources_pages` (the rest counted in a last line)."""
    lang = language_of(language, default=results.scenario.language)
    title, none = SOURCES_WORDS[lang]
    notes = source_notes(results, lang)
    return words_page(title, [f"- {n}" for n in notes] or [none], lang, size=8.5, gap=-0.02)
