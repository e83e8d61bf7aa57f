"""`cxsim calibrate`: numbers for a scenario from what a company observes.

A thin layer over `cxsim.analysis.retention` and `cxsim.analysis.complaints`: read the file, call
the function, print.
"""

from __future__ import annotations

import json
import math
from typing import Any

import click

import cxsim as api
from cxsim.analysis.calibration import calibrate_scenario, reconcile
from cxsim.analysis.calibration.solve import baseline_from_retention
from cxsim.analysis.calibration.yamltext import write_solved
from cxsim.analysis.complaints import (
    ComplaintCalibration,
    Estimate,
    calibrate_complaints,
    read_complaints_yaml,
)
from cxsim.analysis.retention import SbgFit, fit_sbg, read_retention_csv, sbg_yaml
from cxsim.cli.options import count, file_target, json_option, probability, seed_option
from cxsim.cli.progress import echo_text
from cxsim.errors import UserError
from cxsim.model.actuals import RetentionActual
from cxsim.outputs.files import write_text


@click.group(
    epilog="Examples:\n\n\b\n  cxsim calibrate retention cohorts.csv\n"
    "  cxsim calibrate complaints complaints.yaml --json"
)
def calibrate() -> None:
    """Turn observed data into scenario inputs: retention curves, complaint counts."""


@calibrate.command(
    epilog="Examples:\n\n\b\n  cxsim calibrate retention cohorts.csv\n"
    "  cxsim calibrate retention cohorts.csv --periods 36 --discount 0.008 --json"
)
@click.argument("file", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--periods",
    default=24,
    show_default=True,
    type=count(1, 10_000),
    help="Periods to project beyond the data.",
)
@click.option(
    "--discount",
    default=0.1,
    show_default=True,
    type=probability(),
    help="Discount rate per period of the data, for the expected residual lifetime "
    "(0.1 with yearly data as in Fader & Hardie 2010; about 0.008 for 10% a year with "
    "monthly data).",
)
@json_option
@click.option(
    "--scenario",
    "scenario_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Fit the failure-free baseline net of this scenario's failure-caused churn.",
)
@click.option("--segment", help="The scenario's segment the cohort joined (with --scenario).")
@click.option(
    "--step",
    default=1,
    show_default=True,
    type=count(1, 10_000),
    help="Scenario periods per period of the data (12: yearly data, monthly scenario).",
)
def retention(
    file: str,
    periods: int,
    discount: float,
    as_json: bool,
    scenario_file: str | None,
    segment: str | None,
    step: int,
) -> None:
    """Fit the shifted-beta-geometric churn model to a retention curve.

    FILE.csv has a header and one row per period: period,alive (customers still active; period
    0 is the cohort's start), and a cohort column when there are several cohorts (each with its
    own period 0). Lines starting with # are comments.

    \b
        period,alive
        0,1000
        1,631
        2,468

    Prints alpha, beta and the log-likelihood of the maximum-likelihood fit (Fader & Hardie,
    J. Interactive Marketing 21(1), 2007), fitted and projected survival, the discounted
    expected residual lifetime (Fader & Hardie, Marketing Science 29(1), 2010), and a churn:
    block to paste into a scenario. --json gives alpha, beta, loglik, survival (from period 0),
    projected (--periods values, from the period after the data) and more.
    """
    periods_, alive, cohort = read_retention_csv(file)
    if scenario_file is not None:
        _net_baseline(file, scenario_file, segment, step, periods_, alive, cohort, as_json)
        return
    fit = fit_sbg(periods_, alive, cohort)
    if as_json:
        doc = _jsonable(fit.to_dict(periods=periods, discount=discount))
        click.echo(json.dumps(doc, indent=2, allow_nan=False))
        return
    click.echo(_retention_report(fit, file, periods, discount), nl=False)


def _net_baseline(
    file: str,
    scenario_file: str,
    segment: str | None,
    step: int,
    periods: list[int],
    alive: list[int],
    cohort: list[str] | None,
    as_json: bool,
) -> None:
    """Fit the baseline net of the scenario's failure-caused churn (observed = baseline +
    failure-caused), not the observed total; prints it and the reconciliation."""
    if cohort is not None and len(set(cohort)) > 1:
        raise UserError(f"{file}: with --scenario, give one cohort")
    scenario = api.load(scenario_file)
    survival = [a / alive[0] for a in alive[1:]]
    if (len(survival) * step) > 600:
        raise UserError(f"{file}: the table is longer than 600 scenario periods")
    solved = baseline_from_retention(scenario, survival, segment, step)
    fitted = api.modify(scenario, solved)
    name = segment or scenario.segments[0].name
    check = RetentionActual(metric="retention", segment=name, survival=survival, step=step)
    table = reconcile(api.modify(fitted, {"actuals": [check.model_dump()]}))
    if as_json:
        doc = {"kind": "baseline", "solved": solved, "reconciliation": table.records()}
        click.echo(json.dumps(_jsonable(doc), indent=2, allow_nan=False))
        return
    click.echo(
        f"Failure-free baseline of {name} net of {scenario.name}'s failure-caused churn "
        f"({len(periods) - 1} periods of {file}):"
    )
    for path, value in solved.items():
        click.echo(f"  {path} = {value:.6g}")
    click.echo(table.text(), nl=False)


def _retention_report(fit: SbgFit, file: str, periods: int, discount: float) -> str:
    cohorts = f"{fit.n_cohorts} cohorts" if fit.n_cohorts > 1 else "1 cohort"
    lo_a, hi_a = _interval(fit.alpha, fit.se_log_alpha)
    lo_b, hi_b = _interval(fit.beta, fit.se_log_beta)
    mean_first = fit.alpha / (fit.alpha + fit.beta)
    out = [
        f"sBG fit (Fader & Hardie 2007) to {file}",
        f"  {fit.n_customers} customers, {cohorts}, periods 0-{fit.last_period}",
        f"  alpha           {fit.alpha:.4g}  (SE {fit.se_alpha:.3g}; 95% {lo_a:.4g} to {hi_a:.4g})",
        f"  beta            {fit.beta:.4g}  (SE {fit.se_beta:.3g}; 95% {lo_b:.4g} to {hi_b:.4g})",
        f"  log-likelihood  {fit.loglik:.2f}",
        f"  correlation of the estimates (log scale) {fit.corr:.2f}",
        f"  churn at the first renewal {mean_first:.1%}, at period {fit.last_period} "
        f"{1 - float(fit.retention(fit.last_period)):.1%} (the loyal stay on)",
        "",
        "  period  observed  fitted",
    ]
    for t, obs, fitted in zip(fit.periods, fit.observed, fit.survival, strict=True):
        out.append(f"  {t:6d}  {obs:8.4f}  {fitted:6.4f}")
    ahead = range(fit.last_period + 1, fit.last_period + 1 + periods)
    out.append(f"  projected, periods {ahead[0]}-{ahead[-1]}:")
    for t, s in zip(ahead, fit.project(ahead), strict=True):
        out.append(f"  {t:6d}            {s:6.4f}")
    derl = fit.derl(discount)
    undiscounted = fit.derl(0.0)
    out += [
        "",
        "  expected residual lifetime of a new customer (Fader & Hardie 2010, renewals to come):",
        f"    discounted at {discount:.3g} per period: {derl:.3f} periods",
        "    undiscounted: "
        + (
            f"{undiscounted:.3f} periods"
            if math.isfinite(undiscounted)
            else "infinite (alpha <= 1: a long tail of customers who almost never leave)"
        ),
        "",
        "# for a scenario's segment:",
        sbg_yaml(fit).rstrip("\n"),
        "# or, carrying the fit's uncertainty:",
        sbg_yaml(fit, uncertainty=True, comments=False),
    ]
    return "\n".join(out)


def _interval(value: float, se_log: float) -> tuple[float, float]:
    return value * math.exp(-1.96 * se_log), value * math.exp(1.96 * se_log)


_COMPLAINTS_HELP = """Failure and complaint rates from complaint counts (Goodman's iceberg).

Most customers who meet a problem never tell anyone who records it: about half tell a
front-line person and only 1-5% of those reach headquarters (Goodman, Basic Facts on Customer
Complaint Behavior, 1999). Each recorded complaint stands for a multiplier of customers with a
problem, 1 / (complain share x share reaching the recording level), or, with a survey, the
survey's customers with a problem per recorded complaint. Failures at a touchpoint are its
complaints x multiplier; its failure rate is failures / customers passing through it. The
inputs' uncertainty (Poisson counts, the survey's sample, the shares) is carried by simulation
and summarised as beta distributions in the scenario's syntax.

FILE.yaml (one period's observations; only touchpoints is required):

\b
    customers: 120000          # active customers per period
    periods: 3                 # the counts below cover 3 periods (default 1)
    recorded_at: headquarters  # or front_line (default): where complaints are counted
    complain_share: {dist: pert, low: 0.3, mode: 0.5, high: 0.75}  # to the front line
    escalation_share: {dist: uniform, low: 0.01, high: 0.05}       # headquarters only
    survey:                    # optional: sizes the iceberg from data
      respondents: 800
      with_problem: 264        # respondents who had a problem
      recall_periods: 12       # "in the last 12 months", monthly periods (default 1)
    customer_value: 420        # optional: CCMC's revenue at risk
    touchpoints:
      - name: Billing error
        complaints: 450        # complaints recorded over `periods`
        customers: 120000      # passing through it per period (default: customers)
      - name: Delivery
        complaints: 90
        customers: 40000

complain_share and escalation_share take a number or a uniform, triangular, pert or beta
distribution; their defaults are the ones shown (Goodman's figures). Prints the rates with
p10-p90 and the YAML lines to paste into the scenario (touchpoints' failure_rate, the loss
tree's complaint_rate).
"""


@calibrate.command(
    help=_COMPLAINTS_HELP,
    short_help="Failure and complaint rates from complaint counts.",
    epilog="Examples:\n\n\b\n  cxsim calibrate complaints complaints.yaml\n"
    "  cxsim calibrate complaints complaints.yaml --draws 20000 --seed 3 --json",
)
@click.argument("file", metavar="FILE.yaml", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--draws",
    default=100_000,
    show_default=True,
    type=count(100, 10_000_000),
    help="Simulation draws for the uncertainty.",
)
@seed_option(default=0)
@json_option
def complaints(file: str, draws: int, seed: int, as_json: bool) -> None:
    spec = read_complaints_yaml(file)
    cal = calibrate_complaints(**spec, draws=draws, seed=seed)
    if as_json:
        doc = _jsonable(cal.to_dict())
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False))
        return
    click.echo(_complaints_report(cal, file), nl=False)


def _complaints_report(cal: ComplaintCalibration, file: str) -> str:
    how = (
        "the survey's customers with a problem per recorded complaint"
        if cal.method == "survey"
        else "Goodman's complain and escalation shares"
    )
    level = cal.recorded_at.replace("_", " ")
    out = [
        f"Complaint calibration (Goodman's iceberg) of {file}",
        f"  complaints recorded at {level}; multiplier from {how}",
        f"  customers with a problem per recorded complaint: {_est(cal.multiplier)}",
        "",
        f"  {'touchpoint':<28} {'complaints':>10} {'customers':>10}  failure rate",
    ]
    for tp in cal.touchpoints:
        out.append(
            f"  {tp.name[:28]:<28} {tp.complaints:>10.4g} {tp.customers:>10,.0f}  "
            f"{_est(tp.failure_rate)}"
        )
    out += [
        "  (complaints and customers per period; failure rate per customer passing through)",
        "",
        f"  complaint rate (to a front-line person): {_est(cal.complaint_rate)}",
    ]
    if cal.escalation is not None:
        out.append(f"  of those, reaching headquarters: {_est(cal.escalation)}")
    if cal.problem_share is not None:
        out.append(f"  customers with a problem per period: {_est(cal.problem_share, pct=True)}")
    if cal.revenue_at_risk is not None:
        out.append(
            "  revenue at risk per period (CCMC: complaints x multiplier x customer value): "
            f"{_est(cal.revenue_at_risk, money=True)}"
        )
    if cal.notes:
        out += ["", "notes:"] + [f"  - {note}" for note in cal.notes]
    out += ["", cal.to_yaml()]
    return "\n".join(out)


def _est(e: Estimate, pct: bool = False, money: bool = False) -> str:
    def f(x: float) -> str:
        if money:
            return f"{x:,.0f}"
        return f"{x:.2%}" if pct else f"{x:.4g}"

    if e.p10 == e.p90:
        return f(e.mean)
    return f"{f(e.mean)} (p10 {f(e.p10)}, p90 {f(e.p90)})"


def _jsonable(value: Any) -> Any:
    """NaN and infinity become null, so the output is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@calibrate.command(
    "scenario",
    epilog="Examples:\n\n\b\n  cxsim calibrate scenario scenarios/subscription.yaml\n"
    "  cxsim calibrate scenario my_case.yaml -o my_case_calibrated.yaml\n"
    "  cxsim calibrate scenario my_case.yaml --json",
)
@click.argument("file", metavar="FILE.yaml", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o",
    "--out",
    "output",
    type=click.Path(dir_okay=False),
    help="Write the calibrated scenario to this file (solved values marked, comments kept).",
)
@click.option("--force", is_flag=True, help="Replace an existing -o file.")
@json_option
def scenario_command(file: str, output: str | None, force: bool, as_json: bool) -> None:
    """Solve a scenario's baseline churn and acquisition so its status quo reproduces its actuals.

    The failure-free baseline churn is solved so that baseline plus failure-caused churn equals
    the observed churn or retention; prospects (conversion kept) so that new customers match;
    start customers and revenue per customer from the observed figures. Prints the
    reconciliation: each actual, observed against modelled, within tolerance or not.
    """
    scenario, source = api.load_with_source(file)
    target = file_target(output, "yaml", force, "-o") if output else None
    cal = calibrate_scenario(scenario)
    if target is not None:
        write_text(target, write_solved(source.text, cal.solved))
    if as_json:
        text = cal.to_json()
        click.echo(text, nl=not text.endswith("\n"))
    else:
        echo_text(cal.text())


@calibrate.command(
    "records",
    epilog="Examples:\n\n\b\n"
    "  cxsim calibrate records --customers scenarios/records/customers.csv \\\n"
    "      --contacts scenarios/records/contacts.csv --map customer=customer_id\n"
    "  cxsim calibrate records --customers c.csv --contacts k.csv \\\n"
    "      --scenario my_case.yaml -o my_case_from_records.yaml",
)
@click.option(
    "--customers",
    "customers_file",
    required=True,
    metavar="CUSTOMERS.csv",
    type=click.Path(exists=True, dir_okay=False),
    help="One row per customer: id, segment, start, end, revenue.",
)
@click.option(
    "--contacts",
    "contacts_file",
    required=True,
    metavar="CONTACTS.csv",
    type=click.Path(exists=True, dir_okay=False),
    help="One row per contact: customer, date, touchpoint, channel, response_hours, "
    "outcome or csat, severity.",
)
@click.option(
    "--scenario",
    "scenario_file",
    type=click.Path(exists=True, dir_okay=False),
    help="The scenario to calibrate (its assumptions fill what records cannot show).",
)
@click.option(
    "-o",
    "--out",
    "output",
    type=click.Path(dir_okay=False),
    help="Write the calibrated scenario to this file (needs --scenario).",
)
@click.option("--force", is_flag=True, help="Replace an existing -o file.")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="NAME=COLUMN",
    help="Your column for one of ours, e.g. --map start=signup_date (repeatable).",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False),
    help="A YAML file: columns: {start: signup_date}, csat_bands: {satisfied: 5, mollified: 3}.",
)
@click.option(
    "--window-days",
    default=90,
    show_default=True,
    type=click.IntRange(min=1, max=3650),
    help="Churn is counted within this many days after a contact.",
)
@click.option("--as-of", help="The day the records end (YYYY-MM-DD; default: their last date).")
@json_option
def records_command(
    customers_file: str,
    contacts_file: str,
    scenario_file: str | None,
    output: str | None,
    force: bool,
    maps: tuple[str, ...],
    mapping: str | None,
    window_days: int,
    as_of: str | None,
    as_json: bool,
) -> None:
    """Learn the loss tree from a company's customer table and contact log.

    Estimates churn within the window after satisfied, mollified and dissatisfied complaints
    (against customers with no contact), the memory odds ratios, the response-time curve and
    complaints per touchpoint, with Beta posteriors (Jeffreys prior). Silent failures and the
    complaint rate are not in records: they stay the scenario's, marked as assumptions. The
    file formats are in the README (`cxsim.analysis.records`).
    """
    from cxsim.analysis.records import calibrate_records, read_mapping, read_records
    from cxsim.analysis.records.writing import write_scenario

    if output and not scenario_file:
        raise UserError("-o/--output needs --scenario: the estimates are written into it")
    target = file_target(output, "yaml", force, "-o") if output else None
    records = read_records(
        customers_file, contacts_file, read_mapping(list(maps), mapping), as_of=as_of
    )
    scenario, source = api.load_with_source(scenario_file) if scenario_file else (None, None)
    cal = calibrate_records(records, scenario, window_days=window_days)
    if target is not None and scenario is not None and source is not None:
        text = write_scenario(source.text, scenario, cal)
        api.loads(text, source=str(target))  # what is written must load
        write_text(target, text)
    if as_json:
        out = cal.to_json()
        click.echo(out, nl=not out.endswith("\n"))
    else:
        echo_text(cal.text())
