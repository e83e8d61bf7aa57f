"""Tables for the notebooks: an analysis's raw frame turned into cells for people.

Each function takes the result object a notebook holds (a tornado, a Sobol analysis, a records
calibration, a staffing search, worlds of results) and returns a pandas DataFrame of text: inputs
in words (never `loss_tree.x.y`), probabilities as percents, money in the scenario's currency in
one unit per column, counts with separators, intervals as "low to high". The raw numbers stay
in each result's `to_frame()`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from cxsim.formatting.money import format_count, shared_unit
from cxsim.outputs.i18n import input_name
from cxsim.outputs.labels import percent_words
from cxsim.outputs.notebook import category_label

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "attribution_display",
    "comparison_table",
    "indicator_table",
    "input_value",
    "money_table",
    "period_table",
    "reconciliation_table",
    "records_table",
    "sobol_table",
    "staffing_table",
    "tornado_table",
]

#: Inputs that are not probabilities: people told, ratios, hours, counts, money (by path or
#: by name in words).
_NOT_SHARES = (
    ".told.",
    "people told by",
    "odds",
    "hours",
    "customers",
    "prospects",
    "revenue",
    "cost",
    "acquisition",
)


def input_value(label: str, value: float) -> str:
    """An input's value for people: a probability as a percent (1.2%), other inputs (people
    told, an odds ratio, hours) to three significant figures."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    v = float(value)
    lowered = label.lower()
    if 0.0 <= v <= 1.0 and not any(word in lowered for word in _NOT_SHARES):
        return percent_words(v)
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def _interval(label: str, low: float, high: float) -> str:
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return f"{input_value(label, low)} to {input_value(label, high)}"


def tornado_table(tornado: Any, currency: str, top: int = 10) -> pd.DataFrame:
    """A tornado's rows, widest swing first: the input in words, its low and high values, and
    the output at each (money in one unit)."""
    import pandas as pd

    frame = tornado.to_frame().head(top)
    money = shared_unit([*frame["low"], *frame["high"], *frame["swing"]], currency)
    rows = {
        input_name(str(name)): {
            "input from": input_value(str(name), row["input_low"]),
            "input to": input_value(str(name), row["input_high"]),
            "output at low": money(row["low"]),
            "output at high": money(row["high"]),
            "swing": money(abs(row["swing"])),
        }
        for name, row in frame.iterrows()
    }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "input"
    return out


def sobol_table(sobol: Any, top: int = 10) -> pd.DataFrame:
    """Sobol indices as shares of the variance, each with its bootstrap interval."""
    import pandas as pd

    frame = sobol.to_frame().sort_values("ST", ascending=False).head(top)

    def cell(row: Any, key: str) -> str:
        return (
            f"{percent_words(row[key])} ({percent_words(row[f'{key}_low'])} to "
            f"{percent_words(row[f'{key}_high'])})"
        )

    rows = {
        input_name(str(name)): {
            "alone (S1)": cell(row, "S1"),
            "with interactions (ST)": cell(row, "ST"),
        }
        for name, row in frame.iterrows()
    }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "input"
    return out


def records_table(calibration: Any) -> pd.DataFrame:
    """A records calibration: each input in words, where it comes from, its estimate with the
    95% interval, and the counts behind it."""
    import pandas as pd

    frame = calibration.to_frame()
    rows = []
    for _, row in frame.iterrows():
        label = str(row["input"])
        rows.append(
            {
                "input": label,
                "from": "our records" if row["source"] == "records" else "assumption",
                "estimate": input_value(label, row["estimate"]),
                "95% interval": _interval(label, row["low"], row["high"]),
                "basis": str(row.get("basis", "") or ""),
            }
        )
    return pd.DataFrame(rows).set_index("input")


def staffing_table(result: Any) -> pd.DataFrame:
    """A staffing search: per number of agents, the formula's and the simulation's service
    level, hang-ups and mean wait."""
    import pandas as pd

    frame = result.to_frame()
    name = "Erlang C" if result.model == "erlang_c" else "Erlang A"
    sl = result.inputs["sl_seconds"]
    rows = {}
    for agents, row in frame.iterrows():
        rows[int(agents)] = {
            f"answered in {sl:g} s ({name})": percent_words(row["service_level_analytic"]),
            f"answered in {sl:g} s (simulated)": percent_words(row["service_level"]),
            f"hung up ({name})": percent_words(row["abandon_rate_analytic"]),
            "hung up (simulated)": percent_words(row["abandon_rate"]),
            f"mean wait ({name})": f"{row['asa_seconds_analytic']:,.0f} s",
            "mean wait (simulated)": f"{row['asa_seconds']:,.0f} s",
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "agents"
    return out


def indicator_table(worlds: Mapping[str, Any]) -> pd.DataFrame:
    """Averages over the horizon and the runs of each world's indicators: complaints a period,
    response time, CSAT and NPS."""
    import pandas as pd

    rows = {}
    for name, results in worlds.items():
        mean = results.indicators().mean()
        period = results.scenario.economics.period
        row = {f"complaints a {period}": format_count(mean["complaints"])}
        if "response_hours" in mean:
            row["mean time to answer"] = f"{mean['response_hours']:.1f} hours"
        row["complainers satisfied (CSAT)"] = percent_words(mean["csat"])
        row["NPS (estimate)"] = f"{mean['nps']:.1f}"
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def money_table(
    columns: Mapping[str, Any], currency: str, label: Callable[[str], str] = category_label
) -> pd.DataFrame:
    """Columns of amounts by category (pathways in words), with a total row, in one unit for
    the whole table: `{"today": series, "after": series}`."""
    import pandas as pd

    frame = pd.DataFrame(dict(columns))
    frame.loc["Total"] = frame.sum()
    money = shared_unit([float(v) for v in frame.to_numpy().ravel()], currency)
    out = frame.map(lambda v: money(float(v)))
    out.index = [label(str(i)) for i in out.index]
    return out


def period_table(results: Any, first: int = 6) -> pd.DataFrame:
    """The indicators period by period (the first `first`): active customers and complaints
    as counts, churn and CSAT as percents, NPS to one decimal."""
    import pandas as pd

    frame = results.indicators().head(first)
    period = results.scenario.economics.period
    out = pd.DataFrame(
        {
            "active customers": [format_count(v) for v in frame["active"]],
            f"churn a {period}": [f"{v:.2%}" for v in frame["churn_rate"]],
            "complaints": [format_count(v) for v in frame["complaints"]],
            "complainers satisfied (CSAT)": [f"{v:.1%}" for v in frame["csat"]],
            "NPS (estimate)": [f"{v:.1f}" for v in frame["nps"]],
        },
        index=pd.Index(frame.index, name=period),
    )
    return out


def attribution_display(results: Any, by: str = "touchpoint") -> pd.DataFrame:
    """Where the loss arises, largest first: the mean, its 90% interval and its share, money
    in one unit for the whole table; pathways in words."""
    import pandas as pd

    table = results.attribution_table(by).sort_values("mean", ascending=False)
    money = shared_unit(
        [float(v) for c in ("mean", "p5", "p95") for v in table[c]], results.currency
    )
    out = pd.DataFrame(
        {
            "expected": [money(v) for v in table["mean"]],
            "90% interval": [
                f"{money(a)} to {money(b)}" for a, b in zip(table["p5"], table["p95"], strict=True)
            ],
            "share": [percent_words(v) for v in table["share"]],
        },
        index=pd.Index([category_label(str(i)) for i in table.index], name=by),
    )
    return out


def reconciliation_table(fit: Any) -> pd.DataFrame:
    """The status quo against the company's actuals: each actual in words, observed against
    modelled, the difference and whether it is within the actual's tolerance."""
    import pandas as pd

    from cxsim.outputs.reconciliation import METRIC_WORDS

    rows = []
    for r in fit.rows:
        metric = str(r["metric"])
        observed, modelled = float(r["observed"]), float(r["modelled"])
        share = metric in ("churn", "csat", "retention")

        def show(v: float, share: bool = share) -> str:
            if share:
                return f"{v:.2%}"
            return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"

        rows.append(
            {
                "figure": METRIC_WORDS["en"].get(metric, metric),
                "segment": r["segment"] or "all",
                "period": r["period"],
                "observed": show(observed),
                "modelled": show(modelled),
                "off by": f"{(modelled - observed) / observed:+.1%}" if observed else "–",
                "within tolerance": "yes" if r["within"] else "NO",
            }
        )
    return pd.DataFrame(rows).set_index("figure")


def comparison_table(comparison: Any) -> pd.DataFrame:
    """A comparison, best NPV first: the loss avoided (revenue side), the failure costs avoided
    (cost side), the cost, the NPV with its 90% interval, the chance it pays and the median
    payback; money in one unit for the table."""
    import pandas as pd

    base = comparison.baseline
    period = base.scenario.economics.period
    cells = [
        float(v)
        for o in comparison.outcomes
        for v in (
            *(o.stats(m)["mean"] for m in ("loss_avoided", "cost_avoided", "cost")),
            *(o.stats("npv")[k] for k in ("mean", "p5", "p95")),
        )
        if v is not None
    ]
    money = shared_unit(cells, base.currency)
    rows = {}
    for o in comparison.outcomes:
        npv = o.stats("npv")
        payback = o.stats("payback_periods")["p50"]
        rows[o.name] = {
            "loss avoided": money(o.stats("loss_avoided")["mean"]),
            "failure costs avoided": money(o.stats("cost_avoided")["mean"]),
            "cost": money(o.stats("cost")["mean"]),
            "NPV": money(npv["mean"]),
            "NPV, 90% interval": f"{money(npv['p5'])} to {money(npv['p95'])}",
            "chance it pays": percent_words(o.p_pays),
            "median payback": f"{payback:.0f} {period}s" if payback is not None else "never",
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "intervention"
    return out
