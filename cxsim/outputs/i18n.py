"""Chart and report wording in English and Japanese.

One small table of phrases, looked up by key: `text("lost_revenue", "ja")`. Names a user wrote
in a scenario (segments, stages, touchpoints, interventions) are never translated; only cxsim's
own titles, axis labels and sentences are.
"""

from __future__ import annotations

LANGUAGES = ("en", "ja")

PHRASES: dict[str, dict[str, str]] = {
    # what is lost
    "lost_revenue": {"en": "Lost revenue", "ja": "逸失売上"},
    "lost_margin": {"en": "Lost margin", "ja": "逸失粗利"},
    "revenue": {"en": "revenue", "ja": "売上"},
    "margin": {"en": "margin", "ja": "粗利"},
    # periods
    "week": {"en": "Week", "ja": "週"},
    "month": {"en": "Month", "ja": "月"},
    "quarter": {"en": "Quarter", "ja": "四半期"},
    "year": {"en": "Year", "ja": "年"},
    "weeks": {"en": "weeks", "ja": "週間"},
    "months": {"en": "months", "ja": "か月"},
    "quarters": {"en": "quarters", "ja": "四半期"},
    "years": {"en": "years", "ja": "年"},
    # pathways of Goodman's loss tree
    "silent": {"en": "Silent defection (never complained)", "ja": "苦情を言わずに離反"},
    "satisfied": {"en": "Complained, satisfied", "ja": "苦情 → 満足"},
    "mollified": {"en": "Complained, mollified", "ja": "苦情 → 一応納得"},
    "dissatisfied": {"en": "Complained, dissatisfied", "ja": "苦情 → 不満"},
    "word_of_mouth": {"en": "Word of mouth (net)", "ja": "口コミ（純影響）"},
    "lost_sales": {"en": "Lost sales before purchase", "ja": "購入前の販売機会損失"},
    "referrals_not_made": {
        "en": "Referrals not made (had a problem)",
        "ja": "問題に遭った顧客が紹介しなかった分",
    },
    "spent_less": {"en": "Stayed but spent less", "ja": "離反せず購入額が減少"},
    # chart titles
    "title_distribution": {"en": "{what}: the range of outcomes", "ja": "{what}の分布"},
    "title_waterfall": {
        "en": "{what} by stage and touchpoint",
        "ja": "ステージ・タッチポイント別の{what}",
    },
    "title_pathway": {"en": "{what} by pathway", "ja": "経路別の{what}"},
    "title_customers": {"en": "Active customers over time", "ja": "アクティブ顧客数の推移"},
    "title_indicators": {"en": "Key indicators over time", "ja": "主要指標の推移"},
    "title_value": {
        "en": "Interventions: loss avoided against cost",
        "ja": "施策の比較：回避できる損失とコスト",
    },
    "title_npv": {
        "en": "Interventions: net present value and the chance of paying back",
        "ja": "施策の比較：正味現在価値と回収できる確率",
    },
    "title_tornado": {
        "en": "What moves the result: sensitivity of {what}",
        "ja": "結果を動かす要因：{what}の感度",
    },
    # chart titles that state the finding (cxsim.outputs.findings)
    "find_distribution": {
        "en": "{what} is {mean} expected; 1 run in 20 exceeds {p95}",
        "ja": "{what}の期待値は{mean}、20回に1回は{p95}を超える",
    },
    "find_distribution_one": {
        "en": "{what} is {mean} in the expected-value model",
        "ja": "期待値モデルの{what}は{mean}",
    },
    "find_waterfall": {
        "en": "{touchpoint} ({stage}) causes {share} of the {what}",
        "ja": "{what}の{share}は「{touchpoint}」（{stage}）から生じる",
    },
    "find_pathway_silent": {
        "en": "Customers who never complained cause {silent} of the {what}",
        "ja": "{what}の{silent}は苦情を言わない顧客によるもの",
    },
    "find_pathway_complainers": {
        "en": "Customers who complained cause {complainers} of the {what}; silent ones {silent}",
        "ja": "{what}の{complainers}は苦情を言った顧客、{silent}は言わない顧客による",
    },
    "find_customers_kept": {
        "en": "{name} keeps {n} more customers by the end of {h} {unit}",
        "ja": "「{name}」で{h}{unit}後の顧客が{n}人多く残る",
    },
    "find_customers_up": {
        "en": "Active customers grow {share} over {h} {unit}",
        "ja": "アクティブ顧客は{h}{unit}で{share}増える",
    },
    "find_customers_down": {
        "en": "Active customers fall {share} over {h} {unit}",
        "ja": "アクティブ顧客は{h}{unit}で{share}減る",
    },
    "find_indicators": {
        "en": "Churn averages {churn} a {period}; {csat} of complainers end satisfied",
        "ja": "解約率は平均で{period}{churn}、苦情を言った顧客の{csat}が満足",
    },
    "find_indicators_churn": {
        "en": "Churn averages {churn} a {period}",
        "ja": "解約率は平均で{period}{churn}",
    },
    "find_value": {
        "en": "{name} avoids {avoided}, {ratio} times its cost",
        "ja": "「{name}」は{avoided}の損失を回避、コストの{ratio}倍",
    },
    "find_value_free": {
        "en": "{name} avoids {avoided} at no cost",
        "ja": "「{name}」はコストなしで{avoided}の損失を回避",
    },
    "find_npv": {
        "en": "{name} is worth {npv} and pays back in {p} of runs",
        "ja": "「{name}」の正味現在価値は{npv}、試行の{p}で回収",
    },
    "find_npv_none": {
        "en": "None of the {n} interventions pays back on average",
        "ja": "{n}件の施策はいずれも平均では回収できない",
    },
    "find_tornado": {
        "en": "{name} moves the {what} most: {low} to {high}",
        "ja": "{what}を最も動かすのは「{name}」：{low}〜{high}",
    },
    # subtitles
    "sub_distribution": {
        "en": "Expected {mean}; in 90% of runs between {p5} and {p95}",
        "ja": "期待値{mean}。90%の試行が{p5}〜{p95}の範囲",
    },
    "sub_distribution_one": {
        "en": "Expected-value model: a single figure, {mean}",
        "ja": "期待値モデル：{mean}",
    },
    "sub_waterfall": {
        "en": "Mean over {runs} runs; total {total}",
        "ja": "{runs}回の試行の平均。合計{total}",
    },
    "sub_pathway_silent": {
        "en": "Customers who never complained cause {silent} of the loss, "
        "more than all complainers together ({complainers})",
        "ja": "苦情を言わない顧客が損失の{silent}を占め、"
        "苦情を言った顧客の合計（{complainers}）を上回る",
    },
    "sub_pathway": {
        "en": "Customers who never complained cause {silent} of the loss; "
        "complainers together {complainers}",
        "ja": "苦情を言わない顧客による損失は{silent}、苦情を言った顧客の合計は{complainers}",
    },
    "sub_bands": {
        "en": "Mean over {runs} runs; band: 90% of runs (P5–P95)",
        "ja": "{runs}回の試行の平均。帯は試行の90%（P5〜P95）",
    },
    "sub_intervals": {
        "en": "Bars: mean; whiskers: 90% interval (P5–P95) over {runs} runs, common random numbers",
        "ja": "棒：平均、ひげ：90%区間（P5〜P95）、{runs}回の試行（共通乱数）",
    },
    "sub_tornado_q": {
        "en": "Each input moved from its {low} to its {high}, the others at their means "
        "({model}); base {base}{why}",
        "ja": "各入力を{low}から{high}へ動かし、他は平均値に固定（{model}）。基準値{base}{why}",
    },
    "sub_tornado_why": {
        "en": " (all inputs at their means, so not the Monte Carlo mean of the headline)",
        "ja": "（全入力を平均値とした値のため、見出しのモンテカルロ平均とは異なる）",
    },
    "sub_tornado": {
        "en": "Each input moved from its low to its high value; base {base}",
        "ja": "各入力を低い値から高い値へ動かした場合。基準値{base}",
    },
    "sub_bands_cmp": {
        "en": "Mean over {runs} runs. Left: band = 90% of baseline runs (P5–P95). "
        "Right: difference on common random numbers, band = 90% of runs",
        "ja": "{runs}回の試行の平均。左：帯はベースラインの試行の90%（P5〜P95）。"
        "右：共通乱数による差、帯は試行の90%",
    },
    "sub_bands_base": {
        "en": "Mean over {runs} runs; band: 90% of baseline runs (P5–P95)",
        "ja": "{runs}回の試行の平均。帯はベースラインの試行の90%（P5〜P95）",
    },
    # axes and legends
    "kept_vs_baseline": {
        "en": "Customers kept compared with the baseline",
        "ja": "ベースラインより多く維持できる顧客数",
    },
    "discounted_value": {
        "en": "Discounted value, {view}",
        "ja": "割引後の金額（{view}）",
    },
    # the report's summary and assumptions pages
    "report_title": {
        "en": "{scenario}: what experience failures cost",
        "ja": "{scenario}：顧客体験の失敗による損失",
    },
    "headline": {
        "en": "Experience failures are expected to cost {amount} in lost {basis} {view}; "
        "in 90% of runs between {p5} and {p95}.",
        "ja": "顧客体験の失敗による{what}は、{view}で期待値{amount}（試行の90%が{p5}〜{p95}）。",
    },
    "headline_one": {
        "en": "Experience failures are expected to cost {amount} in lost {basis} {view} "
        "(expected-value model: every input at its mean).",
        "ja": "顧客体験の失敗による{what}は、{view}で{amount}"
        "（期待値モデル：入力はすべて平均値）。",
    },
    "headline_share": {
        "en": "That is {share} of the {basis} a journey without failures would bring.",
        "ja": "失敗のない場合に得られる{basis}の{share}にあたる。",
    },
    "headline_silent": {
        "en": "Customers who never complain cause {silent} of the loss; "
        "customers who complained, {complainers}.",
        "ja": "損失の{silent}は苦情を言わずに離れる顧客によるもので、"
        "苦情を言った顧客によるものは{complainers}。",
    },
    "headline_top": {
        "en": "The largest single source is {touchpoint} ({stage}): {amount}, {share} of the loss.",
        "ja": "最大の要因は「{stage}」の「{touchpoint}」で{amount}（損失の{share}）。",
    },
    "headline_best": {
        "en": "Best intervention by expected NPV: {name}, NPV {npv} "
        "(90% interval {p5} to {p95}); it pays in {p} of runs.",
        "ja": "期待NPVが最も高い施策は「{name}」：NPV {npv}"
        "（90%区間{p5}〜{p95}）、回収できる確率{p}。",
    },
    "headline_none": {
        "en": "None of the {n} interventions compared has a positive expected NPV.",
        "ja": "比較した{n}件の施策のいずれも期待NPVがプラスにならない。",
    },
    "view_horizon": {"en": "over {n} {unit}", "ja": "{n}{unit}"},
    "view_lifetime": {"en": "over customer lifetimes", "ja": "顧客生涯"},
    "kpi_loss": {"en": "{what}, expected", "ja": "{what}（期待値）"},
    "kpi_interval": {"en": "90% interval", "ja": "90%区間"},
    "kpi_customers": {"en": "Customers lost to failures", "ja": "失敗による離反顧客数"},
    "kpi_acquisitions": {"en": "Sales and sign-ups lost (net)", "ja": "失った新規獲得（純数）"},
    "kpi_silent": {"en": "Share caused by silent customers", "ja": "苦情を言わない顧客による割合"},
    "kpi_best": {"en": "Best intervention, NPV", "ja": "最良の施策のNPV"},
    "assumptions": {"en": "Main assumptions", "ja": "主な前提"},
    "assumptions_note": {
        "en": "Uncertain inputs are shown as their mean with the P5–P95 range in brackets; "
        "the scenario file names the source of each figure.",
        "ja": "不確実な入力は平均値（括弧内はP5〜P95）。各数値の出典はシナリオファイルに記載。",
    },
    "a_economics": {
        "en": "{currency}; {horizon} {unit} simulated; {basis} counted; discounted at {rate} a "
        "year{lifetime}.",
        "ja": "{currency}、{horizon}{unit}を試算、{basis}で評価、年{rate}で割引{lifetime}。",
    },
    "a_lifetime": {"en": "; loss beyond the horizon included", "ja": "、期間後の損失も含む"},
    "a_segment": {"en": "Segment", "ja": "セグメント"},
    "a_customers": {"en": "Customers", "ja": "顧客数"},
    "a_new": {"en": "New per {period}", "ja": "{period}あたり新規"},
    "a_revenue": {"en": "Revenue per {period}", "ja": "{period}あたり売上"},
    "a_margin_note": {"en": " (margin)", "ja": "（粗利率）"},
    "a_churn": {"en": "Churn per {period}", "ja": "{period}あたり解約率"},
    "a_sbg": {"en": "sBG, first {period} {rate}", "ja": "sBG、初{period}{rate}"},
    "a_complaint": {
        "en": "Customers with a problem who complain: {x}",
        "ja": "問題に遭った顧客のうち苦情を言う割合：{x}",
    },
    "a_resolution": {
        "en": "Complaints ending satisfied: {s}; mollified: {m}",
        "ja": "苦情の結果：満足{s}、一応納得{m}",
    },
    "a_support": {
        "en": "Complaint outcomes set by the contact centre's response times ({channels})",
        "ja": "苦情の結果はコンタクトセンターの応答時間で決まる（{channels}）",
    },
    "a_defection": {
        "en": "Defection after a minor / major failure: silent {s1} / {s2}; "
        "dissatisfied complainers {d1} / {d2}",
        "ja": "軽微／重大な失敗後の離反率：苦情なし{s1}／{s2}、不満の苦情{d1}／{d2}",
    },
    "a_wom": {
        "en": "People told: {low} (satisfied) to {high} (dissatisfied); "
        "share of them deterred: {deterred}",
        "ja": "口コミで伝える人数：{low}（満足）〜{high}（不満）、うち購入をやめる割合：{deterred}",
    },
    "a_memory": {
        "en": "Earlier unresolved failures multiply the odds of leaving by {one} (one) "
        "and {more} (several)",
        "ja": "未解決の失敗が続くと離反のオッズは{one}倍（1回）、{more}倍（複数回）",
    },
    "a_interventions": {"en": "Interventions compared", "ja": "比較した施策"},
    "a_cost_one_off": {"en": "{x} one-off", "ja": "初期費用{x}"},
    "a_cost_per_period": {"en": "{x} per {period}", "ja": "{period}あたり{x}"},
    "a_cost_per_customer": {
        "en": "{x} per customer per {period}",
        "ja": "顧客1人・{period}あたり{x}",
    },
    "a_cost_none": {"en": "no cost given", "ja": "費用の記載なし"},
    "monte_carlo": {"en": "Monte Carlo", "ja": "モンテカルロ法"},
    "expected": {"en": "expected-value model", "ja": "期待値モデル"},
    "provenance": {
        "en": "{kind}, {runs} runs · seed {seed} · cxsim {version} · scenario SHA-256 {sha} · "
        "{date}",
        "ja": "{kind}、試行{runs}回 · シード {seed} · cxsim {version} · シナリオ SHA-256 {sha} · "
        "{date}",
    },
    "share_of_runs": {"en": "Share of runs", "ja": "試行の割合"},
    "customers": {"en": "Active customers", "ja": "アクティブ顧客数"},
    "baseline": {"en": "Baseline (no intervention)", "ja": "ベースライン（施策なし）"},
    "total": {"en": "Total", "ja": "合計"},
    "churn_week": {"en": "Churn per week", "ja": "週次解約率"},
    "churn_month": {"en": "Churn per month", "ja": "月次解約率"},
    "churn_quarter": {"en": "Churn per quarter", "ja": "四半期解約率"},
    "churn_year": {"en": "Churn per year", "ja": "年間解約率"},
    "csat": {"en": "CSAT: complainers satisfied", "ja": "CSAT：苦情で満足した割合"},
    "nps": {"en": "NPS (estimate)", "ja": "NPS（推計）"},
    "response_hours": {"en": "Response time (hours)", "ja": "応答時間（時間）"},
    "loss_avoided": {"en": "Loss avoided", "ja": "回避できる損失"},
    "cost": {"en": "Cost", "ja": "コスト"},
    "npv": {"en": "Net present value", "ja": "正味現在価値（NPV）"},
    "npv_axis": {"en": "Net present value, {view}", "ja": "正味現在価値（{view}、割引後）"},
    "p_pays": {"en": "pays in {p} of runs", "ja": "回収確率{p}"},
    "payback": {"en": "median payback {n} {unit}", "ja": "回収期間（中央値）{n}{unit}"},
    "payback_never": {"en": "no payback in horizon", "ja": "期間内に回収できず"},
    "low_input": {"en": "Input at its low value", "ja": "入力が低い場合"},
    "high_input": {"en": "Input at its high value", "ja": "入力が高い場合"},
    "top_of": {"en": "top {n} of {total} by NPV", "ja": "NPV上位{n}件（全{total}件）"},
    "more_rows": {"en": "{n} smaller inputs not shown", "ja": "他{n}件の小さい要因は省略"},
    "footnote": {
        "en": "{scenario} · {runs} runs · seed {seed} · cxsim {version}",
        "ja": "{scenario} · 試行{runs}回 · シード {seed} · cxsim {version}",
    },
    "footnote_expected": {
        "en": "{scenario} · expected-value model · cxsim {version}",
        "ja": "{scenario} · 期待値モデル · cxsim {version}",
    },
    "page": {"en": "page {n} of {total}", "ja": "{n} / {total} ページ"},
    "md_figures": {"en": "Key figures", "ja": "主要な数値"},
    "md_metric": {"en": "Figure", "ja": "指標"},
    "md_mean": {"en": "Expected", "ja": "期待値"},
    "md_where": {"en": "Where it is lost", "ja": "損失の発生箇所"},
    "md_touchpoint": {"en": "Touchpoint", "ja": "タッチポイント"},
    "md_stage": {"en": "Stage", "ja": "ステージ"},
    "md_share": {"en": "Share", "ja": "割合"},
    "md_intervention": {"en": "Intervention", "ja": "施策"},
    "md_p_pays": {"en": "P(pays)", "ja": "回収確率"},
    "md_payback": {"en": "Median payback", "ja": "回収期間（中央値）"},
    "md_never": {"en": "not within the horizon", "ja": "期間内に回収できず"},
    # the P&L page (cxsim.outputs.pnl_page): both sides of the cost of poor experience
    "cost_of_poor_experience": {"en": "Cost of poor experience", "ja": "顧客体験の失敗のコスト"},
    "serving_cost": {"en": "Contacts failures create", "ja": "失敗が生む問い合わせの対応費"},
    "recovery_cost": {
        "en": "Recovery: refunds, credits, goodwill",
        "ja": "リカバリー費用（返金・クレジット・お詫び）",
    },
    "replacement_cost": {"en": "Replacing lost customers", "ja": "失った顧客の補充費用"},
    "routine_cost": {
        "en": "Routine contacts lost customers no longer make",
        "ja": "失った顧客の通常問い合わせ（減少分）",
    },
    "pnl_revenue_side": {"en": "Revenue side: {what}", "ja": "収益面：{what}"},
    "pnl_cost_side": {"en": "Cost side: costs failures cause", "ja": "費用面：失敗が生む費用"},
    "pnl_find": {
        "en": "Poor experience costs {total}: {revenue} of lost {basis} and {costs} of costs",
        "ja": "顧客体験の失敗のコストは{total}（{what}{revenue}、費用{costs}）",
    },
    "pnl_find_revenue": {
        "en": "Poor experience costs {total} of lost {basis}; the scenario states no costs",
        "ja": "顧客体験の失敗による{what}は{total}（費用の記載なし）",
    },
    "pnl_sub": {
        "en": "Expected values over {runs} runs, {view}, discounted",
        "ja": "{runs}回の試行の期待値（{view}、割引後）",
    },
    "pnl_no_costs": {
        "en": "The scenario states no costs of failures (its costs: section): the cost side is "
        "zero.",
        "ja": "シナリオに失敗の費用（costs:）の記載がないため、費用面はゼロです。",
    },
    "pnl_statement": {"en": "The cost of poor experience", "ja": "顧客体験の失敗のコスト"},
    "pnl_interventions": {
        "en": "What the interventions change (against the status quo)",
        "ja": "施策による変化（現状との比較）",
    },
    "pnl_loss_avoided": {"en": "Loss avoided (revenue side)", "ja": "回避できる損失（収益面）"},
    "pnl_cost_avoided": {
        "en": "Failure costs avoided (cost side)",
        "ja": "回避できる失敗の費用（費用面）",
    },
    "pnl_of_which": {"en": "of which {line}", "ja": "うち{line}"},
    "pnl_contacts_avoided": {
        "en": "contacts (bot included)",
        "ja": "問い合わせ対応（ボット含む）",
    },
    "pnl_recovery_avoided": {"en": "recovery", "ja": "リカバリー"},
    "pnl_replacement_avoided": {"en": "replacement", "ja": "顧客の補充"},
    "pnl_routine_avoided": {"en": "routine contacts", "ja": "通常の問い合わせ"},
    "pnl_cost": {"en": "Less: cost of the intervention", "ja": "差し引き：施策の費用"},
    "pnl_saving": {
        "en": "A positive figure on the cost line is a saving (agents retired, a licence dropped).",
        "ja": "施策の費用の行がプラスの場合は節約（人員削減など）です。",
    },
    "pnl_net": {"en": "Net (NPV)", "ja": "正味（NPV）"},
    "pnl_mean": {"en": "Expected", "ja": "期待値"},
    "pnl_share": {"en": "Share", "ja": "構成比"},
    "pnl_ranges": {
        "en": "P5, P95: 90% of the {runs} runs fall between them, line by line. Unlike the "
        "expected values, they do not add up: a run high on one line is not high on all.",
        "ja": "P5〜P95：各行で{runs}回の試行の90%が収まる範囲。期待値と異なり合計は一致しません"
        "（ある行が高い試行で、他の行も高いとは限らないため）。",
    },
    "md_files": {"en": "Files", "ja": "ファイル"},
    "md_files_text": {
        "en": "`report.pdf` (summary, assumptions and every chart), `charts/` (each chart as "
        "PNG, SVG and PDF), `workbook.xlsx` (the finance workbook), `results.json` (every "
        "figure, with the scenario text that produced it).",
        "ja": "`report.pdf`（概要・前提・全グラフ）、`charts/`（各グラフのPNG・SVG・PDF）、"
        "`workbook.xlsx`（財務ワークブック）、`results.json`（全数値と元のシナリオ）。",
    },
}


def language_of(language: str | None, default: str = "en") -> str:
    """A supported language code; `None` means `default`."""
    lang = default if language is None else language
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {lang!r}")
    return lang


def text(key: str, language: str = "en", **values: object) -> str:
    """The phrase `key` in `language`, with `{placeholders}` filled from `values`."""
    phrase = PHRASES[key][language_of(language)]
    return phrase.format(**values) if values else phrase


_GROUPS = {
    "silent": ("silent customers", "苦情なし"),
    "satisfied": ("satisfied complainers", "苦情→満足"),
    "mollified": ("mollified complainers", "苦情→一応納得"),
    "dissatisfied": ("dissatisfied complainers", "苦情→不満"),
}
_SEVERITY = {"minor": ("minor", "軽微"), "major": ("major", "重大")}
_FIELDS = {
    "failure_rate": ("failure rate", "失敗率"),
    "complaint_rate": ("complaint rate", "苦情率"),
    "exposure": ("exposure", "接触率"),
    "churn.rate": ("churn rate", "解約率"),
    "churn.alpha": ("churn, sBG α", "解約（sBG α）"),
    "churn.beta": ("churn, sBG β", "解約（sBG β）"),
    "customers": ("customers", "顧客数"),
    "prospects": ("prospects", "見込み客数"),
    "conversion": ("conversion", "成約率"),
    "revenue": ("revenue per customer", "顧客あたり売上"),
    "margin": ("margin", "粗利率"),
}
_PATHS = {
    "loss_tree.complaint_rate": ("Complaint rate", "苦情を言う割合"),
    "loss_tree.resolution.satisfied": ("Complaints ending satisfied", "苦情の結果：満足"),
    "loss_tree.resolution.mollified": ("Complaints ending mollified", "苦情の結果：一応納得"),
    "loss_tree.word_of_mouth.deterred": (
        "Share of people told who are deterred",
        "口コミを聞いて購入をやめる割合",
    ),
    "loss_tree.word_of_mouth.referred": (
        "Share of people told who become customers",
        "口コミを聞いて購入する割合",
    ),
    "support.resolution.satisfied_fast": ("Satisfied at an instant answer", "即答時の満足率"),
    "support.resolution.satisfied_slow": ("Satisfied at a very late answer", "遅い回答時の満足率"),
    "support.resolution.dissatisfied_fast": (
        "Dissatisfied at an instant answer",
        "即答時の不満率",
    ),
    "support.resolution.dissatisfied_slow": (
        "Dissatisfied at a very late answer",
        "遅い回答時の不満率",
    ),
    "support.resolution.midpoint_hours": ("Hours until half the effect", "効果半減までの時間"),
    "costs.per_contact": ("Cost per contact", "問い合わせ1件あたりの対応費"),
    "costs.repeat_contacts.satisfied": (
        "Repeat contacts per satisfied complaint",
        "満足した苦情1件あたりの再問い合わせ数",
    ),
    "costs.repeat_contacts.mollified": (
        "Repeat contacts per mollified complaint",
        "一応納得した苦情1件あたりの再問い合わせ数",
    ),
    "costs.repeat_contacts.dissatisfied": (
        "Repeat contacts per dissatisfied complaint",
        "不満の苦情1件あたりの再問い合わせ数",
    ),
    "costs.deflection.share": (
        "Share of contacts sent to the bot",
        "ボットに誘導する問い合わせの割合",
    ),
    "costs.deflection.containment": ("Bot containment rate", "ボットで完結する割合"),
    "costs.deflection.cost": ("Cost of a bot contact", "ボット対応1件あたりの費用"),
    "costs.recovery.satisfied": (
        "Recovery per satisfied complaint",
        "満足した苦情1件あたりのリカバリー費用",
    ),
    "costs.recovery.mollified": (
        "Recovery per mollified complaint",
        "一応納得した苦情1件あたりのリカバリー費用",
    ),
    "costs.recovery.dissatisfied": (
        "Recovery per dissatisfied complaint",
        "不満の苦情1件あたりのリカバリー費用",
    ),
    "costs.acquisition": ("Acquisition cost per new customer", "新規顧客1人あたりの獲得費用"),
    "costs.replaced": ("Share of lost customers replaced", "失った顧客を補充する割合"),
    "memory.odds_ratio.0": (
        "Defection odds, no unresolved failure",
        "離反オッズ：未解決の失敗なし",
    ),
    "memory.odds_ratio.1": (
        "Defection odds, one unresolved failure",
        "離反オッズ：未解決の失敗1回",
    ),
    "memory.odds_ratio.2": (
        "Defection odds, several unresolved failures",
        "離反オッズ：未解決の失敗が複数",
    ),
}


#: How an intervention's effect on an input is labelled in a sensitivity analysis.
_EFFECTS = ("add", "set", "scale", "multiply")


def input_name(label: str, language: str = "en") -> str:
    """A sensitivity input's label in words: `Defection: silent customers, minor` rather than
    `loss_tree.defection.silent.minor`. Labels it does not know are returned as they are."""
    ja = language_of(language) == "ja"
    pick = (lambda pair: pair[1]) if ja else (lambda pair: pair[0])
    if label in _PATHS:
        return pick(_PATHS[label])
    parts = label.split(".")
    if parts[:2] == ["loss_tree", "defection"] and len(parts) == 4:
        group, sev = pick(_GROUPS[parts[2]]), pick(_SEVERITY[parts[3]])
        return f"離反率：{group}・{sev}" if ja else f"Defection: {group}, {sev} failure"
    if parts[:3] == ["loss_tree", "word_of_mouth", "told"] and len(parts) == 4:
        group = pick(_GROUPS[parts[3]])
        return f"口コミで伝える人数：{group}" if ja else f"People told by {group}"
    name, sep, field = label.rpartition(": ")
    verb, _, path = field.partition(" ")
    if sep and verb in _EFFECTS and path:  # an intervention's effect: "Live chat: add PATH"
        words = input_name(path, language)
        if ja:
            return f"{name}：{words}への効果"
        return f"{name}: effect on {words[:1].lower() + words[1:]}"
    if sep and field in _FIELDS:
        return f"{name}{'：' if ja else ': '}{pick(_FIELDS[field])}"
    return label
