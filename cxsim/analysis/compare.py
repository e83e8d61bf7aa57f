"""The business case: what each intervention saves against what it costs.

`compare` runs the baseline and every intervention on common random numbers: each chunk of runs
draws its inputs and its customers' randomness once, and every world uses them, so the
difference between worlds has a far smaller error than either total. The benefit of an
intervention is the discounted revenue (or margin) it adds over the baseline, which is the loss
it avoids when it acts on failures, plus whatever else it changes (churn, acquisition).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxsim.analysis.business_case import FIGURES, business_case
from cxsim.analysis.portfolio import SubsetFigures, recommended_set
from cxsim.analysis.valuation import business_case_note, for_business_case
from cxsim.engine.execution import (
    Scheduler,
    combine,
    dask_client,
    new_seed,
    run_chunks,
)
from cxsim.engine.results import Results
from cxsim.engine.stats import describe_with_never
from cxsim.engine.variance import (
    ControlTerms,
    Estimate,
    check_sampling,
    control_terms,
    controlled,
    controlled_estimates,
    estimate,
)
from cxsim.errors import UserError
from cxsim.formatting.money import format_money
from cxsim.formatting.tables import display_comparison
from cxsim.model.interventions import InterventionSet
from cxsim.model.loader import Source, scenario_and_source
from cxsim.model.parameters import DEFAULT_SAMPLING
from cxsim.model.scenario import Scenario
from cxsim.protocol import Result

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FloatArray = NDArray[np.float64]
OUTCOME_METRICS = FIGURES


@dataclass(frozen=True, repr=False)
class Outcome:
    """One intervention (or a combination) against the baseline, on the same random numbers."""

    name: str
    description: str
    results: Results
    loss_avoided: FloatArray
    cost: FloatArray
    npv: FloatArray
    roi: FloatArray
    payback_periods: FloatArray
    p_pays: float
    #: Control-variate estimates of figures (`compare(control_variate=True)`), by figure.
    controlled: dict[str, Estimate] = field(default_factory=dict)
    #: The cost side: serving, recovery and replacement costs of failures spared (per run).
    cost_avoided: FloatArray = field(default_factory=lambda: np.zeros(1))

    def stats(self, metric: str) -> dict[str, float | None]:
        """Mean and P5 / P50 / P95 (payback: `None` where it never pays back)."""
        x = np.asarray(getattr(self, metric), dtype=float)
        finite = np.isfinite(x)
        out: dict[str, float | None] = {"mean": None, "sem": None}
        if finite.all():
            e = self.controlled.get(metric) or estimate(
                x, self.results.sampling, self.results.coupled
            )
            out["mean"], out["sem"] = e.mean, e.sem
        # Never paying back sorts above every finite payback; such a percentile is None.
        out.update(describe_with_never(x))
        if metric == "payback_periods":
            out["p_never"] = float(1 - finite.mean())
        return out

    def __repr__(self) -> str:
        cur = self.results.currency
        return (
            f"<Outcome {self.name!r}: NPV {format_money(float(self.npv.mean()), cur)}, "
            f"P(pays) {self.p_pays:.0%}>"
        )


@dataclass(frozen=True, repr=False)
class Comparison(Result):
    """A baseline and its interventions, ranked by mean NPV (best first)."""

    baseline: Results
    outcomes: list[Outcome]
    #: The choices of `compare` that decide the numbers (recorded so `cxsim rerun` can repeat it).
    options: dict[str, Any] = field(default_factory=dict)
    #: `business_case_note`: said when a scenario valued on revenue was valued on margin.
    note: str | None = None

    kind: ClassVar[str] = "comparison"

    def __getitem__(self, name: str) -> Outcome:
        for o in self.outcomes:
            if o.name == name:
                return o
        raise KeyError(name)

    def to_frame(self) -> pd.DataFrame:
        """One row per intervention: mean and P5 / P50 / P95 of each figure, and P(pays)."""
        rows = {}
        for o in self.outcomes:
            row: dict[str, Any] = {}
            for metric in OUTCOME_METRICS:
                for k, v in o.stats(metric).items():
                    if k != "sem":
                        row[f"{metric}_{k}"] = v
            row["p_pays"] = o.p_pays
            rows[o.name] = row
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "intervention"
        return frame

    def summary(self, *, formatted: bool = False) -> pd.DataFrame:
        """The documented alias of `to_frame`; `formatted=True` gives `display()`."""
        return self.display() if formatted else self.to_frame()

    def display(self) -> pd.DataFrame:
        """The table for people, best NPV first: money in the scenario's currency, percents."""
        sc = self.baseline.scenario
        return display_comparison(
            self.to_frame(), self.baseline.currency, sc.economics.period, sc.language
        )

    def heading(self) -> str:
        return repr(self).strip("<>")

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of `cxsim compare --json`."""
        base = self.baseline.to_dict()
        return {
            "kind": self.kind,
            "scenario": base["scenario"],
            "cxsim_version": base["cxsim_version"],
            "seed": base["seed"],
            "runs": base["runs"],
            "scenario_sha256": base["scenario_sha256"],
            "currency": base["currency"],
            "baseline": base["metrics"],
            "interventions": [
                {
                    "name": o.name,
                    "description": o.description,
                    **{
                        m: {k: v for k, v in o.stats(m).items() if k != "sem"}
                        for m in OUTCOME_METRICS
                    },
                    "p_pays": o.p_pays,
                }
                for o in self.outcomes
            ],
            "provenance": {**base["provenance"], "compare": self.options},
            "note": self.note,
        }

    def __repr__(self) -> str:
        cur = self.baseline.currency
        best = self.outcomes[0] if self.outcomes else None
        head = (
            f"best {best.name!r} NPV {format_money(float(best.npv.mean()), cur)}"
            if best
            else "no interventions"
        )
        return f"<Comparison {self.baseline.scenario.name!r}: {len(self.outcomes)} options, {head}>"

    def text(self) -> str:
        """The interventions, best first: loss avoided, cost, NPV, ROI, payback, P(pays)."""
        cur, lang = self.baseline.currency, self.baseline.scenario.language
        money = lambda v: "n/a" if v is None else format_money(v, cur, language=lang)  # noqa: E731
        lines = [
            f"{self.baseline.scenario.name}: interventions on {self.baseline.runs:,} runs "
            f"(seed {self.baseline.seed}), common random numbers",
            *([f"Note: {self.note}."] if self.note else []),
            "",
        ]
        for rank, o in enumerate(self.outcomes, 1):
            npv, avoided, cost = o.stats("npv"), o.stats("loss_avoided"), o.stats("cost")
            payback = o.stats("payback_periods")
            pb = (
                f"{payback['p50']:.0f} {self.baseline.scenario.economics.period}s"
                if payback["p50"] is not None
                else "not within the horizon"
            )
            roi = o.stats("roi")["p50"]
            lines += [
                f"{rank}. {o.name}",
                f"   loss avoided {money(avoided['mean'])} (P5 {money(avoided['p5'])}, "
                f"P95 {money(avoided['p95'])})",
                *_cost_side(o, money, self.baseline),
                f"   cost {money(cost['mean'])};  NPV {money(npv['mean'])} "
                f"(P5 {money(npv['p5'])}, P95 {money(npv['p95'])})",
                f"   ROI (median) {roi:.0%};  payback (median) {pb};  P(pays) {o.p_pays:.0%}"
                if roi is not None
                else f"   payback (median) {pb};  P(pays) {o.p_pays:.0%}",
                "",
            ]
        return "\n".join(lines).rstrip() + "\n"

    def plot(self, ax: Axes | None = None) -> Figure:
        """`cxsim.outputs.charts.intervention_npv` of this comparison."""
        from cxsim.outputs import charts

        return charts.intervention_npv(self, ax=ax)


def _cost_side(
    o: Outcome, money: Callable[[float | None], str], baseline: Results | None = None
) -> list[str]:
    """The cost-side line of an outcome's text, when the scenario states costs: the failures'
    costs avoided, and the routine contacts' cost avoided apart where it moves."""
    if not np.any(o.cost_avoided):
        return []
    routine = np.zeros_like(o.cost_avoided)
    k = "routine_contacts_cost"
    if baseline is not None and k in baseline.totals and k in o.results.totals:
        routine = baseline.totals[k] - o.results.totals[k]
    if not np.any(routine):
        spared = o.stats("cost_avoided")
        mean = spared["mean"]
    else:
        spared = describe_with_never(o.cost_avoided - routine)
        mean = float(np.mean(o.cost_avoided - routine))
    line = (
        f"   cost side: failure costs avoided {money(mean)} "
        f"(P5 {money(spared['p5'])}, P95 {money(spared['p95'])})"
    )
    if np.any(routine):
        line += f"; routine contacts {money(float(np.mean(routine)))}"
    return [line]


def _outcome(name: str, description: str, base: Results, world: Results) -> Outcome:
    case = business_case(base, world)
    assert case.payback_periods is not None
    return Outcome(
        name=name,
        description=description,
        results=world,
        loss_avoided=case.loss_avoided,
        cost=case.cost,
        npv=case.npv,
        roi=case.roi,
        payback_periods=case.payback_periods,
        p_pays=case.p_pays,
        cost_avoided=case.figure("cost_avoided"),
    )


COMBINATION_LABELS = {
    "en": {"together": "All together: ", "budget": "Best within budget: "},
    "ja": {"together": "すべて実施: ", "budget": "予算内の最適な組み合わせ: "},
}


def _label(kind: str, scenario: Scenario) -> str:
    """Names of combinations, in the scenario's language (they reach the client's report)."""
    return COMBINATION_LABELS.get(scenario.language, COMBINATION_LABELS["en"])[kind]


def chosen_names(names: str | Sequence[str] | None) -> list[str] | None:
    """Names as a list: a single name is a list of one; a name given twice is refused."""
    if names is None:
        return None
    chosen = [names] if isinstance(names, str) else list(names)
    for n in chosen:
        if not isinstance(n, str):
            raise TypeError(f"intervention names must be text, got {type(n).__name__}")
    twice = sorted({n for n in chosen if chosen.count(n) > 1})
    if twice:
        raise UserError(
            "each intervention may be named once; named more than once: "
            + ", ".join(repr(n) for n in twice)
        )
    return chosen


def intervention_sets(
    scenario: Scenario,
    names: str | Sequence[str] | None = None,
    combined: bool = True,
    figures: SubsetFigures | None = None,
) -> list[InterventionSet]:
    """One set per named intervention (all by default), plus the recommended set of them.

    The recommended set (`cxsim.analysis.portfolio.recommended_set`) has the best expected NPV
    and no member whose removal raises it; it is left out when it is a single intervention.
    `figures`, if given, evaluates the subsets (shared with the budget's search).
    """
    known = [iv.name for iv in scenario.interventions]
    chosen = chosen_names(names) or known
    for n in chosen:
        if n not in known:
            raise UserError(f"no intervention named {n!r}; the scenario has: {', '.join(known)}")
    sets = [InterventionSet((known.index(n),), n) for n in chosen]
    if combined and len(chosen) > 1:
        evaluate = None if figures is None else figures.npv_and_cost
        best = recommended_set(scenario, chosen, evaluate=evaluate)  # replaced "all together"
        if best is not None:
            sets.append(best)
    return sets


def compare(
    scenario: Scenario | str | os.PathLike[str],
    runs: int = 1000,
    seed: int | None = None,
    interventions: str | Sequence[str] | None = None,
    *,
    combined: bool = True,
    budget: float | None = None,
    workers: int | None = 1,
    source: Source | None = None,
    common_random_numbers: bool = True,
    scheduler: Scheduler = None,
    sampling: str = DEFAULT_SAMPLING,
    control_variate: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Comparison:
    """Simulate the baseline and each intervention on the same random numbers; rank by NPV.

    `budget` adds the set of interventions with the best expected NPV whose expected cost fits
    (searched with the expected-value model over every subset, then simulated).
    `common_random_numbers=False` gives the interventions streams of their own: only useful to
    show how much the common numbers reduce the error of a difference. `workers` and
    `scheduler` say where the runs (and the budget search) go, as in `cxsim.simulate`.
    `sampling` and `control_variate` reduce the variance as in `cxsim.simulate`; the control of
    loss avoided is the difference of the two worlds' expected-value models on each run's inputs.
    `progress` is called with the runs done after each chunk (they add up to `runs`, twice
    that without common random numbers). `scenario` may be the path of a scenario file;
    `interventions` one name or a list of names.
    """
    scenario, source = scenario_and_source(scenario, source)
    note, scenario = business_case_note(scenario), for_business_case(scenario)
    interventions = chosen_names(interventions)
    check_sampling(sampling)
    if not scenario.interventions:
        raise UserError(f"scenario {scenario.name!r} has no interventions to compare")
    seed = new_seed() if seed is None else int(seed)
    sets = intervention_sets(scenario, interventions, combined and budget is None)
    with dask_client(scheduler, workers) as client:
        if budget is not None:
            # the recommended set's search and the budget's run each subset's expected-value
            # model once between them
            figures = SubsetFigures(scenario, workers=workers, scheduler=client)
            sets = intervention_sets(scenario, interventions, combined, figures)
            best = best_within_budget(
                scenario, budget, interventions, workers=workers, scheduler=client, figures=figures
            )
            if best is not None and all(best.indices != s.indices for s in sets):
                sets.append(best)
        run = functools.partial(
            run_chunks,
            workers=workers,
            scheduler=client,
            sampling=sampling,
            progress=progress,
        )
        if common_random_numbers:
            per_variant = run(scenario, runs, seed, [None, *sets])
        else:
            (base_blocks,) = run(scenario, runs, seed, [None])
            per_variant = [base_blocks, *run(scenario, runs, seed + 1, sets)]
    terms = None
    if control_variate:
        if not common_random_numbers:
            raise ValueError("control_variate needs common_random_numbers")
        terms = control_terms(scenario, runs, seed, [None, *sets], sampling)
    results = [
        Results.from_block(
            scenario,
            combine(blocks),
            runs=runs,
            seed=seed,
            kind="monte carlo",
            source=source,
            sampling=sampling,
            controlled=None
            if terms is None
            else controlled_estimates(combine(blocks).totals, terms, v, sampling),
        )
        for v, blocks in enumerate(per_variant)
    ]
    base = results[0]
    outcomes = []
    for v, (s, world) in enumerate(zip(sets, results[1:], strict=True), start=1):
        description = "; ".join(iv.description.strip() for iv in s.interventions(scenario))
        if len(s.indices) > 1:  # a combination's short name; its members listed here
            members = ", ".join(iv.name for iv in s.interventions(scenario))
            description = f"Members: {members}. {description}"
        outcome = _outcome(s.name, description, base, world)
        if terms is not None:
            outcome = dataclasses.replace(outcome, controlled=_controlled_case(outcome, terms, v))
        outcomes.append(outcome)
    outcomes.sort(key=lambda o: -float(np.mean(o.npv)))
    options = {
        "interventions": list(interventions) if interventions else None,
        "combined": combined,
        "budget": budget,
        "common_random_numbers": common_random_numbers,
        "sampling": sampling,
        "control_variate": control_variate,
    }
    return Comparison(base, outcomes, options, note)


def _controlled_case(outcome: Outcome, terms: ControlTerms, v: int) -> dict[str, Estimate]:
    """Control-variate estimates of loss avoided, cost and NPV of world `v` against the base."""
    sampling = outcome.results.sampling
    avoided = terms.difference("revenue", v)
    cost = (terms.per_run[v]["cost"], terms.extra_runs[v]["cost"])
    npv = (avoided[0] - cost[0], avoided[1] - cost[1])
    return {
        name: controlled(
            getattr(outcome, name), g, h, sampling, terms.extra, outcome.results.coupled
        )
        for name, (g, h) in (("loss_avoided", avoided), ("cost", cost), ("npv", npv))
    }


def best_within_budget(
    scenario: Scenario,
    budget: float,
    names: str | Sequence[str] | None = None,
    *,
    workers: int | None = 1,
    scheduler: Scheduler = None,
    figures: SubsetFigures | None = None,
) -> InterventionSet | None:
    """The subset with the highest expected NPV whose expected cost is within `budget`.

    Every subset is run through the expected-value model, so interactions between
    interventions are simulated, not summed. The subsets are spread over `workers` local
    processes or a Dask `scheduler`, as in `cxsim.simulate`.
    """
    known = [iv.name for iv in scenario.interventions]
    pool = [known.index(n) for n in (chosen_names(names) or known)]
    if len(pool) > 12:
        raise UserError("--budget searches every subset: name at most 12 interventions")
    options = [
        InterventionSet(subset, _label("budget", scenario) + " + ".join(known[i] for i in subset))
        for k in range(1, len(pool) + 1)
        for subset in itertools.combinations(pool, k)
    ]
    if figures is None:
        figures = SubsetFigures(scenario, workers=workers, scheduler=scheduler)
    base = figures.base_revenue  # run once per figures, shared with the recommended set's search
    best: tuple[float, InterventionSet] | None = None
    for option, (revenue, cost) in zip(options, figures([o.indices for o in options]), strict=True):
        if cost > budget:
            continue
        npv = float(revenue - base) - cost
        if best is None or npv > best[0]:
            best = (npv, option)
    return best[1] if best else None
