"""Calibration: the sBG fit against Fader & Hardie's published example, closed forms and simulated
data with known parameters; Goodman's complaint iceberg on hand-checkable cases; the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from pydantic import TypeAdapter

import cxsim
from cxsim.analysis.complaints import (
    calibrate_complaints,
    complaints_yaml,
    read_complaints_yaml,
)
from cxsim.analysis.retention import (
    fit_sbg,
    read_retention_csv,
    sbg_loglik,
    sbg_yaml,
    simulate_sbg_cohort,
)
from cxsim.cli.main import cli
from cxsim.errors import UserError
from cxsim.model.churn import sbg_survival
from cxsim.model.distributions import Probability

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "scenarios" / "calibration"

# Fader & Hardie (2007), Table 1: customers still active at the start of years 0..12.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


# --- retention: the published example ---------------------------------------------------------


@pytest.mark.parametrize(
    ("alive", "alpha", "beta", "loglik"),
    [(REGULAR, 0.704, 1.182, -1680.27), (HIGH_END, 0.668, 3.806, -1611.16)],
    ids=["regular", "high end"],
)
def test_fader_hardie_2007_published_fit(
    alive: list[int], alpha: float, beta: float, loglik: float
) -> None:
    """FH 2007 fit years 0-7 of each segment; they print alpha and beta to 3 decimals and the
    log-likelihood to 2: the fit must agree to the last printed digit."""
    fit = fit_sbg(range(8), alive[:8])
    assert abs(fit.alpha - alpha) <= 0.0005
    assert abs(fit.beta - beta) <= 0.0005
    assert abs(fit.loglik - loglik) <= 0.005
    assert fit.n_customers == 1000
    assert repr(fit).startswith(f"<SbgFit: alpha {alpha:.3f}, beta {beta:.3f}, loglik {loglik}")


def test_example_csv_files_reproduce_fader_hardie() -> None:
    for name, alpha, beta in (("fh2007_regular", 0.704, 1.182), ("fh2007_highend", 0.668, 3.806)):
        fit = fit_sbg(*read_retention_csv(EXAMPLES / f"{name}.csv"))
        assert (round(fit.alpha, 3), round(fit.beta, 3)) == (alpha, beta)


# --- retention: closed forms --------------------------------------------------------------------


def test_loglik_is_fader_hardie_eq_5_and_6() -> None:
    """Lost in period t: log(S(t-1) - S(t)) = log P(T = t); still alive at T: log S(T)."""
    alive = np.array(REGULAR[:8], dtype=float)
    a, b = 0.9, 1.7
    s = sbg_survival(a, b, np.arange(8))
    by_hand = np.sum((alive[:-1] - alive[1:]) * np.log(s[:-1] - s[1:])) + alive[-1] * np.log(s[-1])
    assert sbg_loglik(a, b, alive) == pytest.approx(by_hand, rel=1e-12)


def test_fit_is_a_maximum_and_its_covariance_is_the_inverse_information() -> None:
    fit = fit_sbg(range(8), REGULAR[:8])
    alive = np.array(REGULAR[:8], dtype=float)

    def ll(u: np.ndarray) -> float:
        return sbg_loglik(math.exp(u[0]), math.exp(u[1]), alive)

    u0 = np.log([fit.alpha, fit.beta])
    h = 1e-4
    grad = [(ll(u0 + h * e) - ll(u0 - h * e)) / (2 * h) for e in np.eye(2)]
    assert np.max(np.abs(grad)) < 1e-3
    hess = np.array(
        [
            [
                (
                    ll(u0 + h * ei + h * ej)
                    - ll(u0 + h * ei - h * ej)
                    - ll(u0 - h * ei + h * ej)
                    + ll(u0 - h * ei - h * ej)
                )
                / (4 * h * h)
                for ej in np.eye(2)
            ]
            for ei in np.eye(2)
        ]
    )
    np.testing.assert_allclose(np.array(fit.cov_log), np.linalg.inv(-hess), rtol=1e-4)
    assert fit.se_alpha == pytest.approx(fit.alpha * math.sqrt(fit.cov_log[0][0]))
    assert np.all(np.linalg.eigvalsh(np.linalg.inv(np.array(fit.cov_log))) > 0)


def test_survival_projection_retention_and_derl_are_the_closed_forms() -> None:
    fit = fit_sbg(range(8), HIGH_END[:8])
    a, b = fit.alpha, fit.beta
    np.testing.assert_allclose(fit.survival, sbg_survival(a, b, np.arange(8)), rtol=1e-14)
    assert fit.survival[0] == 1.0
    assert fit.observed == tuple(x / 1000 for x in HIGH_END[:8])
    np.testing.assert_allclose(fit.project([8, 20]), sbg_survival(a, b, [8, 20]), rtol=1e-14)
    t = np.arange(1, 30)
    np.testing.assert_allclose(fit.retention(t), sbg_survival(a, b, t) / sbg_survival(a, b, t - 1))
    # DERL (FH 2010, eq. 6) is the discounted sum of future renewals: S(1 + k) / (1 + d)^k.
    k = np.arange(2000)  # 1.1^-2000 < 1e-82: the rest of the tail is nothing
    series = np.sum(sbg_survival(a, b, 1 + k) / 1.1**k)
    assert fit.derl(0.1) == pytest.approx(series, rel=1e-9)
    assert math.isinf(fit.derl(0.0))  # alpha < 1: the mean lifetime is infinite


def test_summary_and_scale() -> None:
    """Ten times the customers: same curve, same estimates, standard errors / sqrt(10)."""
    fit = fit_sbg(range(8), REGULAR[:8])
    big = fit_sbg(range(8), [10 * x for x in REGULAR[:8]])
    assert big.alpha == pytest.approx(fit.alpha, rel=1e-7)
    assert big.beta == pytest.approx(fit.beta, rel=1e-7)
    assert big.se_alpha == pytest.approx(fit.se_alpha / math.sqrt(10), rel=1e-5)
    table = fit.summary()
    assert list(table.index) == ["alpha", "beta"]
    lo, hi = table.loc["alpha", ["lower 95% bound", "upper 95% bound"]]
    assert lo < fit.alpha < hi


# --- retention: recovery on simulated data ----------------------------------------------------


@pytest.mark.parametrize(("alpha", "beta"), [(0.7, 1.2), (2.0, 8.0), (0.3, 3.0)])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fit_recovers_known_parameters(alpha: float, beta: float, seed: int) -> None:
    """5000 customers simulated one by one, 10 periods: within 3 standard errors."""
    alive = simulate_sbg_cohort(alpha, beta, 5000, 10, seed)
    fit = fit_sbg(range(11), alive)
    assert abs(fit.alpha - alpha) < 3 * fit.se_alpha
    assert abs(fit.beta - beta) < 3 * fit.se_beta
    assert fit.se_alpha / alpha < 0.25  # and the data do pin them down


def test_standard_errors_have_their_coverage() -> None:
    """Over 300 simulated cohorts, about 95% of the 95% intervals for log alpha and log beta
    cover the truth (binomial sd 1.3 points: 0.91-0.99 is a wide margin)."""
    rng = np.random.default_rng(7)
    alpha, beta = 0.8, 2.5
    hits = np.zeros(2)
    n = 300
    for _ in range(n):
        fit = fit_sbg(range(9), simulate_sbg_cohort(alpha, beta, 2000, 8, rng))
        hits += [
            abs(math.log(fit.alpha / alpha)) < 1.96 * fit.se_log_alpha,
            abs(math.log(fit.beta / beta)) < 1.96 * fit.se_log_beta,
        ]
    coverage = hits / n
    assert np.all((coverage > 0.91) & (coverage < 0.99)), coverage


def test_several_cohorts_share_alpha_and_beta() -> None:
    """Cohorts seen for 12, 7 and 3 periods: the log-likelihood is the sum over cohorts, each
    with its own period 0, and the joint fit recovers the common parameters."""
    alpha, beta = 1.1, 6.0
    rng = np.random.default_rng(11)
    lengths = {"2023": 12, "2024": 7, "2025": 3}
    cohorts = {name: simulate_sbg_cohort(alpha, beta, 4000, t, rng) for name, t in lengths.items()}
    periods = [t for c in cohorts.values() for t in range(len(c))]
    alive = [x for c in cohorts.values() for x in c]
    labels = [name for name, c in cohorts.items() for _ in c]
    fit = fit_sbg(periods, alive, labels)
    assert fit.n_cohorts == 3
    assert fit.n_customers == 12000
    assert fit.periods == tuple(range(13))
    total = sum(sbg_loglik(fit.alpha, fit.beta, c) for c in cohorts.values())
    assert fit.loglik == pytest.approx(total, rel=1e-12)
    assert abs(fit.alpha - alpha) < 3 * fit.se_alpha
    assert abs(fit.beta - beta) < 3 * fit.se_beta
    # the pooled observed share at period 5 counts only the cohorts seen that long
    assert fit.observed[5] == pytest.approx(
        (cohorts["2023"][5] + cohorts["2024"][5]) / 8000, rel=1e-12
    )
    # row order does not matter
    order = np.random.default_rng(0).permutation(len(periods))
    shuffled = fit_sbg(
        [periods[i] for i in order], [alive[i] for i in order], [labels[i] for i in order]
    )
    assert shuffled.alpha == pytest.approx(fit.alpha, rel=1e-9)


def test_example_cohorts_file_recovers_its_parameters() -> None:
    fit = fit_sbg(*read_retention_csv(EXAMPLES / "cohorts.csv"))
    assert fit.n_cohorts == 4
    assert abs(fit.alpha - 1.0) < 3 * fit.se_alpha
    assert abs(fit.beta - 13.0) < 3 * fit.se_beta


def test_data_without_heterogeneity_point_to_constant_churn() -> None:
    """Halving every period is a geometric curve: the sBG maximum runs off to infinity."""
    with pytest.raises(UserError, match=r"constant churn probability of about 0\.5"):
        fit_sbg(range(5), [1000, 500, 250, 125, 62])


# --- retention: bad data --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("period,alive\n0,1000\n1,600\n2,650\n", r"x\.csv:4: alive rises from 600 .* to 650"),
        ("period,alive\n0,1000\n", r"a single point"),
        ("period,alive\n0,1000\n1,600\n", r"only periods 0 and 1"),
        ("period,alive\n0,1000\n1,six hundred\n2,500\n", r"x\.csv:3: alive is 'six hundred'"),
        ("period,alive\n0,1000\n1,600.5\n2,500\n", r"x\.csv:3: alive must be a whole number"),
        ("period,alive\n0,1000\n1,-5\n2,0\n", r"x\.csv:3: alive must be >= 0"),
        ("period,count\n0,1000\n1,600\n", r"x\.csv:1: unknown column 'count'"),
        ("period\n0\n1\n", r"x\.csv:1: no 'alive' column"),
        ("period,alive\n1,1000\n2,600\n3,500\n", r"x\.csv:2: no period 0"),
        ("period,alive\n0,1000\n1,600\n3,500\n", r"x\.csv:4: .*without gaps"),
        ("period,alive\n0,1000\n1,600\n1,600\n2,500\n", r"x\.csv:4: period 1 appears twice"),
        ("period,alive\n0,1000\n1,600,7\n", r"x\.csv:3: 3 values, but the header has 2"),
        ("period,alive\n0,1000\n1,1000\n2,1000\n", r"no customer was lost"),
        ("# only a comment\n", r"empty"),
        ("period,alive\n", r"no data rows"),
        (
            "cohort,period,alive\na,0,100\na,1,80\na,2,70\nb,1,90\n",
            r"x\.csv:5: cohort b: no period 0",
        ),
    ],
    ids=[
        "rising",
        "one point",
        "two points",
        "not a number",
        "fraction",
        "negative",
        "unknown column",
        "missing column",
        "no period 0",
        "gap",
        "duplicate",
        "extra value",
        "no churn",
        "empty",
        "header only",
        "cohort without period 0",
    ],
)
def test_bad_retention_files_say_what_and_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(text)
    with pytest.raises(UserError, match=message):
        read_retention_csv(path)


def test_bad_retention_arrays_are_user_errors() -> None:
    with pytest.raises(UserError, match="different lengths"):
        fit_sbg([0, 1, 2], [100, 90])
    with pytest.raises(UserError, match="must be numbers"):
        fit_sbg([0, 1, 2], ["100", "ninety", "80"])
    with pytest.raises(UserError, match="row 3: alive rises"):
        fit_sbg([0, 1, 2], [100, 90, 95])


# --- retention: YAML for a scenario -----------------------------------------------------------


def _scenario_with(tiny_text: str, edit: dict) -> cxsim.Scenario:
    data = yaml.safe_load(tiny_text)
    for key, value in edit.items():
        if key == "churn":
            data["segments"][0]["churn"] = value
        elif key == "touchpoints":
            by_name = {tp["name"]: tp for tp in value}
            for stage in data["journey"]["stages"]:
                for tp in stage["touchpoints"]:
                    if tp["name"] in by_name:
                        tp["failure_rate"] = by_name[tp["name"]]["failure_rate"]
        elif isinstance(value, dict):
            data[key].update(value)
        else:
            data[key] = value
    return cxsim.loads(yaml.safe_dump(data, sort_keys=False), source="<calibrated>")


def test_churn_yaml_loads_into_a_scenario(tiny_text: str) -> None:
    fit = fit_sbg(range(8), REGULAR[:8])
    plain = yaml.safe_load(sbg_yaml(fit))
    assert plain == {"churn": {"model": "sbg", "alpha": 0.7041, "beta": 1.182}}
    scenario = _scenario_with(tiny_text, plain)
    assert scenario.segments[0].churn.alpha.mean() == 0.7041

    uncertain = yaml.safe_load(sbg_yaml(fit, uncertainty=True))
    alpha = uncertain["churn"]["alpha"]
    # lognormal with median at the fit and log-scale sd equal to the standard error
    sigma2 = math.log1p((alpha["sd"] / alpha["mean"]) ** 2)
    assert math.exp(math.log(alpha["mean"]) - sigma2 / 2) == pytest.approx(fit.alpha, rel=1e-3)
    assert math.sqrt(sigma2) == pytest.approx(fit.se_log_alpha, rel=2e-3)
    rho = uncertain["correlations"][0]["rho"]
    assert rho == pytest.approx(6 / math.pi * math.asin(fit.corr / 2), abs=1e-3)
    scenario = _scenario_with(tiny_text, uncertain)
    assert scenario.correlations[0].between == ["segments.0.churn.alpha", "segments.0.churn.beta"]


# --- complaints ---------------------------------------------------------------------------------


def test_front_line_counts_hand_checked() -> None:
    """200 complaints to the front line, half of those with a problem complain: 400 failures
    among 10,000 customers = 0.04. The Jeffreys posterior of the count has mean 200.5."""
    cal = calibrate_complaints(
        [{"name": "Billing", "complaints": 200, "customers": 10_000}], complain_share=0.5
    )
    tp = cal.touchpoints[0]
    assert cal.method == "multiplier"
    assert cal.multiplier.point == 2.0
    assert tp.failures.point == 400.0
    assert tp.failure_rate.point == 0.04
    assert tp.failure_rate.mean == pytest.approx(200.5 * 2 / 10_000, rel=2e-3)
    # the beta given for the scenario has the draws' mean and (Poisson) spread
    d = tp.failure_rate.dist
    assert isinstance(d, dict) and d["dist"] == "beta"
    assert d["alpha"] / (d["alpha"] + d["beta"]) == pytest.approx(0.0401, rel=2e-3)
    sd = math.sqrt(
        d["alpha"] * d["beta"] / ((d["alpha"] + d["beta"]) ** 2 * (d["alpha"] + d["beta"] + 1))
    )
    assert sd == pytest.approx(math.sqrt(200.5) * 2 / 10_000, rel=0.02)
    assert cal.complaint_rate.dist == 0.5  # a fixed input stays a plain number


def test_headquarters_counts_hand_checked() -> None:
    """30 headquarters complaints in 3 periods = 10 a period; 50% complain, 4% of those reach
    headquarters: multiplier 1 / 0.02 = 50, so 500 failures among 20,000 = 0.025; CCMC's
    revenue at risk 10 x 50 x 100 = 50,000 a period."""
    cal = calibrate_complaints(
        [{"name": "Delivery", "complaints": 30}],
        customers=20_000,
        periods=3,
        recorded_at="headquarters",
        complain_share=0.5,
        escalation_share=0.04,
        customer_value=100,
    )
    assert cal.multiplier.point == pytest.approx(50)
    assert cal.touchpoints[0].complaints == 10
    assert cal.touchpoints[0].failure_rate.point == pytest.approx(0.025)
    assert cal.revenue_at_risk is not None
    assert cal.revenue_at_risk.point == pytest.approx(50_000)
    assert cal.problem_share is not None and cal.problem_share.point == pytest.approx(0.025)
    assert cal.escalation is not None and cal.escalation.point == pytest.approx(0.04)


def test_survey_sizes_the_iceberg_hand_checked() -> None:
    """250 of 1000 respondents had a problem: 2,500 of 10,000 customers. 500 front-line
    complaints: multiplier 5, complaint rate 0.2; A 300 x 5 / 10,000 = 0.15, B 200 x 5 / 5,000
    = 0.2. A yearly recall with monthly periods: q = 1 - 0.75^(1/12) a month."""
    tps = [
        {"name": "A", "complaints": 300},
        {"name": "B", "complaints": 200, "customers": 5000},
    ]
    survey = {"respondents": 1000, "with_problem": 250}
    cal = calibrate_complaints(tps, customers=10_000, survey=survey)
    assert cal.method == "survey"
    assert cal.multiplier.point == pytest.approx(5)
    assert cal.complaint_rate.point == pytest.approx(0.2)
    assert [tp.failure_rate.point for tp in cal.touchpoints] == pytest.approx([0.15, 0.2])
    assert cal.complaint_rate.mean == pytest.approx(0.2, rel=0.02)
    assert cal.complaint_rate.p10 < 0.2 < cal.complaint_rate.p90
    fewer = [{**tp, "complaints": tp["complaints"] / 10} for tp in tps]
    yearly = calibrate_complaints(fewer, customers=10_000, survey={**survey, "recall_periods": 12})
    q = 1 - 0.75 ** (1 / 12)
    assert yearly.multiplier.point == pytest.approx(q * 10_000 / 50)


def test_survey_with_headquarters_counts_implies_the_escalation() -> None:
    cal = calibrate_complaints(
        [{"name": "A", "complaints": 50}],
        customers=10_000,
        recorded_at="headquarters",
        complain_share=0.5,
        survey={"respondents": 1000, "with_problem": 250},
    )
    # 2,500 with a problem, 1,250 tell the front line, 50 reach headquarters: 4%
    assert cal.escalation is not None
    assert cal.escalation.point == pytest.approx(0.04)
    assert cal.complaint_rate.point == 0.5


def test_complaints_are_reproducible_and_uncertainty_widens_with_fewer_counts() -> None:
    tps = [{"name": "A", "complaints": 20, "customers": 1000}]
    a = calibrate_complaints(tps, complain_share=0.5, seed=3)
    assert a == calibrate_complaints(tps, complain_share=0.5, seed=3)
    many = calibrate_complaints(
        [{"name": "A", "complaints": 2000, "customers": 100_000}], complain_share=0.5
    )
    width = a.touchpoints[0].failure_rate.p90 - a.touchpoints[0].failure_rate.p10
    assert width > 5 * (many.touchpoints[0].failure_rate.p90 - many.touchpoints[0].failure_rate.p10)


def test_complaint_shares_are_distributions_of_the_model() -> None:
    """A share may be a number, scenario syntax or a `cxsim.model.distributions` model: the
    same share gives the same calibration, draw for draw; a bad one says which field."""
    tps = [{"name": "A", "complaints": 20, "customers": 1000}]
    pert = {"dist": "pert", "low": 0.3, "mode": 0.5, "high": 0.75}
    as_model = TypeAdapter(Probability).validate_python(pert)
    assert calibrate_complaints(tps, complain_share=as_model) == calibrate_complaints(
        tps, complain_share=pert
    )
    assert calibrate_complaints(tps) == calibrate_complaints(tps, complain_share=pert)  # default
    with pytest.raises(UserError, match=r"complain_share\.high: Field required"):
        calibrate_complaints(tps, complain_share={"dist": "uniform", "low": 0.5})
    with pytest.raises(UserError, match=r"complain_share: a share of 0 would make"):
        calibrate_complaints(tps, complain_share={"dist": "uniform", "low": 0, "high": 0.5})


def test_complaints_yaml_pastes_into_a_scenario(tiny_text: str) -> None:
    cal = calibrate_complaints(
        [
            {"name": "Delivery", "complaints": 120, "customers": 10_000},
            {"name": "Billing", "complaints": 60},
        ],
        customers=20_000,
        recorded_at="headquarters",
    )
    snippet = yaml.safe_load(complaints_yaml(cal))
    assert [tp["name"] for tp in snippet["touchpoints"]] == ["Delivery", "Billing"]
    assert snippet["loss_tree"]["complaint_rate"]["dist"] == "beta"
    scenario = _scenario_with(tiny_text, snippet)
    tps = {tp.name: tp for _, tp in scenario.touchpoints()}
    assert tps["Delivery"].failure_rate.mean() == pytest.approx(
        cal.touchpoints[0].failure_rate.mean, rel=1e-3
    )
    assert scenario.loss_tree.complaint_rate.mean() == pytest.approx(
        cal.complaint_rate.mean, rel=1e-3
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("touchpoints: []\n", r"x\.yaml:1: touchpoints: need a list of touchpoints"),
        (
            "customers: 100\ntouchpoints:\n  - {name: A, complaints: 5, cusomers: 9}\n",
            r"x\.yaml:3: touchpoints\[0\]\.cusomers: unknown key 'cusomers'; did you mean "
            r"'customers'",
        ),
        (
            "customers: 100\nrecorded_at: hq\ntouchpoints: [{name: A, complaints: 5}]\n",
            r"x\.yaml:2: recorded_at: must be front_line or headquarters",
        ),
        (
            "customers: 100\ncomplain_share: 1.5\ntouchpoints: [{name: A, complaints: 5}]\n",
            r"x\.yaml:2: complain_share: must be a share",
        ),
        (
            "customers: 100\ncomplain_share: {dist: normal, mean: 0.5, sd: 0.1}\n"
            "touchpoints: [{name: A, complaints: 5}]\n",
            r"x\.yaml:2: complain_share\.dist: a share takes a bounded distribution",
        ),
        (
            "customers: 100\ntouchpoints:\n  - {name: A, complaints: -5}\n",
            r"x\.yaml:3: touchpoints\[0\]\.complaints: must be >= 0",
        ),
        (
            "customers: 100\ntouchpoints:\n  - {name: A, complaints: lots}\n",
            r"touchpoints\[0\]\.complaints: must be a number, got 'lots'",
        ),
        ("touchpoints:\n  - {name: A}\n", r"x\.yaml:2: touchpoints\[0\]: .*no complaints"),
        ("touchpoints:\n  - {name: A, complaints: 5}\n", r"how many customers pass through"),
        (
            "customers: 100\ntouchpoints:\n  - {name: A, complaints: 5}\n"
            "  - {name: A, complaints: 6}\n",
            r"x\.yaml:4: touchpoints\[1\]\.name: touchpoint name 'A' is used twice",
        ),
        (
            "customers: 100\ntouchpoints: [{name: A, complaints: 5}]\n"
            "survey: {respondents: 10, with_problem: 12}\n",
            r"survey\.with_problem: 12 with a problem out of 10",
        ),
        (
            "touchpoints: [{name: A, complaints: 5, customers: 50}]\n"
            "survey: {respondents: 10, with_problem: 2}\n",
            r"with a survey, give customers",
        ),
        (
            "customers: 1000\ntouchpoints: [{name: A, complaints: 500}]\n"
            "survey: {respondents: 100, with_problem: 10}\n",
            r"more complaints recorded .* than customers with a problem",
        ),
        (
            "customers: 100\ncomplain_share: 0.5\ntouchpoints: [{name: A, complaints: 80}]\n",
            r"touchpoint 'A': 160 customers with a problem per period",
        ),
        ("customers: [1\n", r"x\.yaml:\d+:\d+: not valid YAML"),
        ("", r"empty file"),
    ],
    ids=[
        "no touchpoints",
        "typo",
        "recorded_at",
        "share above 1",
        "unbounded share",
        "negative",
        "not a number",
        "no complaints",
        "no customers",
        "duplicate name",
        "survey k > n",
        "survey without customers",
        "complaints exceed problems",
        "rate above 1",
        "bad yaml",
        "empty",
    ],
)
def test_bad_complaints_files_say_what_and_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with pytest.raises(UserError, match=message):
        calibrate_complaints(**read_complaints_yaml(path), draws=1000)


def test_example_complaints_files_read() -> None:
    for name in ("complaints.yaml", "complaints_survey.yaml"):
        cal = calibrate_complaints(**read_complaints_yaml(EXAMPLES / name), draws=2000)
        assert all(0 < tp.failure_rate.point < 1 for tp in cal.touchpoints)


# --- the command ---------------------------------------------------------------------------------


def test_cli_retention_json() -> None:
    result = CliRunner().invoke(
        cli, ["calibrate", "retention", str(EXAMPLES / "fh2007_regular.csv"), "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert round(doc["alpha"], 3) == 0.704 and round(doc["beta"], 3) == 1.182
    assert round(doc["loglik"], 2) == -1680.27
    assert len(doc["survival"]) == 8 and doc["survival"][0] == 1.0
    assert len(doc["projected"]) == 24 and doc["projected_from"] == 8
    assert doc["projected"][0] == pytest.approx(float(sbg_survival(doc["alpha"], doc["beta"], 8)))
    assert doc["derl"] > 0 and doc["se_alpha"] > 0


def test_cli_retention_report_and_options() -> None:
    result = CliRunner().invoke(
        cli,
        ["calibrate", "retention", str(EXAMPLES / "fh2007_highend.csv"), "--periods", "3"],
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "alpha           0.668" in out and "log-likelihood  -1611.16" in out
    assert "projected, periods 8-10" in out
    assert "churn: {model: sbg, alpha: 0.6681, beta: 3.806}" in out
    helped = CliRunner().invoke(cli, ["calibrate", "retention", "-h"])
    assert "--discount" in helped.output and "period,alive" in helped.output


def test_cli_complaints() -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["calibrate", "complaints", str(EXAMPLES / "complaints_survey.yaml"), "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["method"] == "survey"
    assert [tp["name"] for tp in doc["touchpoints"]] == [
        "Billing error",
        "App crash",
        "Streaming quality",
    ]
    assert doc["touchpoints"][0]["failure_rate"]["dist"]["dist"] == "beta"
    text = runner.invoke(cli, ["calibrate", "complaints", str(EXAMPLES / "complaints.yaml")])
    assert text.exit_code == 0, text.output
    assert "complaint_rate:" in text.output and "failure_rate:" in text.output


def test_cli_user_errors_propagate_for_main_to_report() -> None:
    result = CliRunner().invoke(cli, ["calibrate", "retention", str(EXAMPLES / "complaints.yaml")])
    assert isinstance(result.exception, UserError)


def test_cli_exit_code_2_with_the_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("period,alive\n0,100\n1,80\n2,90\n")
    exe = Path(sys.executable).parent / "cxsim"
    proc = subprocess.run(
        [str(exe), "calibrate", "retention", str(bad)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert f"{bad}:4: alive rises from 80" in proc.stderr
    assert "Traceback" not in proc.stderr
    missing = subprocess.run(
        [str(exe), "calibrate", "retention", str(tmp_path / "nope.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2 and "does not exist" in missing.stderr
