"""The workbook's own words in English and Japanese (names a user wrote are never translated)."""

from __future__ import annotations

from cxsim.outputs.i18n import language_of

WORDS: dict[str, tuple[str, str]] = {
    # sheets
    "sheet_summary": ("Summary", "概要"),
    "sheet_inputs": ("Inputs", "入力"),
    "sheet_flows": ("Cash flows", "キャッシュフロー"),
    "sheet_years": ("By year", "年別"),
    "sheet_where": ("Where it is lost", "損失の内訳"),
    "sheet_case": ("Interventions", "施策"),
    "sheet_runs": ("Runs", "試行"),
    # summary facts
    "scenario": ("Scenario", "シナリオ"),
    "simulation": ("Simulation", "計算方法"),
    "runs": ("Runs", "試行回数"),
    "seed": ("Seed", "乱数シード"),
    "horizon": ("Horizon (periods)", "期間数"),
    "period": ("Period", "期間の単位"),
    "value_counted": ("Value counted", "集計する価値"),
    "discount_rate": ("Discount rate (a year)", "割引率（年）"),
    "periods_per_year": ("Periods a year", "年あたり期間数"),
    "lifetime": ("Lifetime beyond the horizon", "期間後の生涯価値"),
    "currency": ("Currency", "通貨"),
    "version": ("cxsim version", "cxsim バージョン"),
    "numpy": ("numpy version", "numpy バージョン"),
    "sha": ("Scenario SHA-256", "シナリオ SHA-256"),
    "yes": ("yes", "あり"),
    "no": ("no", "なし"),
    "revenue": ("revenue", "売上"),
    "margin": ("margin", "粗利"),
    # headings
    "metric": ("Metric", "指標"),
    "total_formula": ("Total (formula over Cash flows)", "合計（キャッシュフローの数式）"),
    "sim_mean": ("Mean (simulated)", "平均（シミュレーション）"),
    "sim_std": ("Std (simulated)", "標準偏差（シミュレーション）"),
    "sim_p": ("{p} (simulated)", "{p}（シミュレーション）"),
    "simulated_note": (
        "Columns marked (simulated) are Monte Carlo statistics over runs, stored as values; "
        "every other number is an input or an Excel formula over them.",
        "（シミュレーション）の列は試行全体のモンテカルロ統計量（値）です。"
        "それ以外の数値は入力値か、入力値を参照する Excel の数式です。",
    ),
    "input": ("Input", "入力項目"),
    "distribution": ("Distribution", "分布"),
    "mean": ("Mean", "平均"),
    "source": ("Source (comment in the scenario file)", "出典（シナリオファイルのコメント）"),
    "formula_inputs": (
        "Inputs the formulas use (named cells)",
        "数式が参照する入力（名前付きセル）",
    ),
    "model_inputs": (
        "Inputs of the simulation (distributions drawn once per run)",
        "シミュレーションの入力（試行ごとに一度抽出する分布）",
    ),
    # metrics
    "customers_lost": ("Customers lost to failures", "失敗による離反顧客数"),
    "lost_acquisitions": ("Acquisitions lost (net)", "獲得できなかった顧客数（純）"),
    "churn_rate": ("Churn per period, all causes", "期間あたり解約率（全要因）"),
    "value_with": ("{basis} with failures", "失敗がある場合の{basis}"),
    # cash flows
    "period_no": ("Period", "期"),
    "year": ("Year", "年"),
    "factor": ("Discount factor", "割引係数"),
    "base_value": ("Baseline {basis}", "現状の{basis}"),
    "base_value_disc": ("Baseline {basis} (discounted)", "現状の{basis}（割引後）"),
    "base_loss_disc": ("{what} (discounted)", "{what}（割引後）"),
    "iv_value": ("{name}: {basis}", "{name}：{basis}"),
    "iv_benefit": ("{name}: benefit", "{name}：効果"),
    "iv_spared": ("{name}: failure costs avoided", "{name}：回避した失敗コスト"),
    "iv_cost": ("{name}: cost", "{name}：費用"),
    "iv_net": ("{name}: net", "{name}：純額"),
    "iv_disc": ("{name}: net (discounted)", "{name}：純額（割引後）"),
    "iv_cum": ("{name}: cumulative (discounted)", "{name}：累計（割引後）"),
    "iv_paid": ("{name}: paid back in period", "{name}：回収した期"),
    "beyond": ("Beyond the horizon (lifetime value, discounted)", "期間後（生涯価値、割引後）"),
    "total": ("Total (discounted)", "合計（割引後）"),
    "flows_note": (
        "Means over runs. Amounts are undiscounted per period; the discount factor is "
        "(1 + DiscountRate) ^ -(period / PeriodsPerYear), from the Inputs sheet.",
        "試行の平均値。各期の金額は割引前で、割引係数は入力シートの割引率から "
        "(1 + DiscountRate) ^ -(期 / PeriodsPerYear) で計算します。",
    ),
    # interventions
    "intervention": ("Intervention", "施策"),
    "description": ("Description", "説明"),
    "loss_avoided": ("Loss avoided", "回避できる損失"),
    "cost": ("Cost", "費用"),
    "npv": ("NPV", "正味現在価値"),
    "roi": ("ROI", "ROI"),
    "payback": ("Payback (periods)", "回収期間（期）"),
    "p_pays": ("P(pays) (simulated)", "回収できる確率（シミュレーション）"),
    "p_never": ("P(never pays back) (simulated)", "回収できない確率（シミュレーション）"),
    "formula_cols": (
        "Formulas over the expected cash flows",
        "期待キャッシュフローに基づく数式",
    ),
    "payback_note": (
        "Payback: the first period in which the cumulative discounted net benefit is positive; "
        "blank where it is not reached within the horizon. ROI = NPV / cost.",
        "回収期間：割引後の累計純効果が初めて正になる期。期間内に回収しない場合は空欄。"
        "ROI = 正味現在価値 / 費用。",
    ),
    # runs
    "run": ("Run", "試行"),
    "runs_all": ("All {n} runs.", "全 {n} 試行。"),
    "runs_sample": (
        "The first {k} of {n} runs (a sample; the statistics elsewhere use every run).",
        "{n} 試行のうち最初の {k} 試行（標本。他のシートの統計量は全試行に基づきます）。",
    ),
    "base_lost": ("Baseline: {what}", "現状：{what}"),
    "iv_roi": ("{name}: ROI", "{name}：ROI"),
    "iv_npv": ("{name}: NPV", "{name}：正味現在価値"),
    "iv_avoided": ("{name}: loss and failure costs avoided", "{name}：回避できる損失と失敗コスト"),
    "iv_payback": ("{name}: payback (periods)", "{name}：回収期間（期）"),
    # attribution
    "by_pathway": ("Pathway", "経路"),
    "by_stage": ("Stage", "ステージ"),
    "by_touchpoint": ("Touchpoint", "タッチポイント"),
    "by_segment": ("Segment", "セグメント"),
    "share": ("Share", "構成比"),
    "p5": ("P5 (simulated)", "P5（シミュレーション）"),
    "p95": ("P95 (simulated)", "P95（シミュレーション）"),
}


def word(key: str, language: str, **values: object) -> str:
    """The workbook phrase `key` in `language`, with `{placeholders}` filled."""
    en, ja = WORDS[key]
    phrase = ja if language_of(language) == "ja" else en
    return phrase.format(**values) if values else phrase
