"""From a scenario to arrays: the uncertain inputs drawn per run, then the engine's parameters.

Every number of a scenario has a path (`journey.stages.1.touchpoints.0.failure_rate`). The
uncertain ones are drawn once per run from one matrix of standard normals (a Gaussian copula
carries the scenario's correlations); fixed ones are constant. `build` turns the values, one
array per path, into `Params`: plain arrays shaped by runs, the engine's only input. Overrides
(interventions, `--set`, sensitivity swings) act on the values, so every variant of a scenario
sees the same draws.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cxsim.model.churn import beta_quadrature, quadrature_nodes_for
from cxsim.model.paths import input_label, iter_inputs, path_str, uncertain_paths
from cxsim.model.scenario import GROUPS, SEVERITIES, Sbg, Scenario

# Paths and labels live in `cxsim.model.paths`; they stay importable from here for callers.
__all__ = [
    "DEFAULT_SAMPLING",
    "SAMPLINGS",
    "Params",
    "Values",
    "build",
    "draw_values",
    "input_label",
    "iter_inputs",
    "mean_values",
    "path_str",
    "uncertain_paths",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Values = dict[str, FloatArray]


def _copula_factor(scenario: Scenario, order: list[str]) -> FloatArray | None:
    """Cholesky factor of the copula correlation, or None when inputs are independent."""
    if not scenario.correlations:
        return None
    # Only inputs that are uncertain can be correlated; check_references says so at load time.
    index = {p: i for i, p in enumerate(order)}
    corr = np.eye(len(order))
    for c in scenario.correlations:
        i, j = index[c.between[0]], index[c.between[1]]
        # Spearman's rank correlation rho_s of a Gaussian copula is (6 / pi) asin(r / 2).
        r = 2.0 * math.sin(math.pi * c.rho / 6.0)
        corr[i, j] = corr[j, i] = r
    return np.asarray(np.linalg.cholesky(corr), dtype=float)


#: How the uniforms behind the uncertain inputs are laid out within one call (one chunk).
SAMPLINGS = ("random", "lhs", "sobol")
#: What `simulate`, `summarise` and `compare` use unless told (see `cxsim.engine.variance`).
DEFAULT_SAMPLING = "random"


def _uniforms(
    generator: np.random.Generator, runs: int, dims: int, sampling: str
) -> FloatArray | None:
    """(runs, dims) uniforms laid out by `sampling`, or None for plain random normals.

    "lhs": a Latin hypercube (McKay, Beckman & Conover 1979), each input's range cut into
    `runs` strata with one point in each. "sobol": scrambled Sobol' points (Owen 1997; scipy's
    LMS + digital shift), the first `runs` of a 2^m sequence. Both are one independent
    randomisation per call, so every point is uniform and the mean is unbiased.
    """
    from scipy.stats import qmc  # only when asked

    if sampling == "random" or dims == 0:
        return None
    # scipy >= 1.15 names the generator `rng`; older versions `seed`.
    key = "rng" if "rng" in inspect.signature(qmc.Sobol).parameters else "seed"
    if sampling == "lhs":
        u = qmc.LatinHypercube(d=dims, **{key: generator}).random(runs)
    elif sampling == "sobol":
        m = max(0, math.ceil(math.log2(max(runs, 1))))
        u = qmc.Sobol(d=dims, scramble=True, **{key: generator}).random_base2(m)[:runs]
    else:
        raise ValueError(f'"sampling" must be one of {SAMPLINGS}, got {sampling!r}')
    # Scrambled points never sit on 0 or 1 in exact arithmetic; keep the tails finite.
    return np.clip(u, 1e-12, 1.0 - 1e-12)


def draw_values(
    scenario: Scenario,
    runs: int,
    rng: np.random.Generator,
    intervention_rng: np.random.Generator | None = None,
    sampling: str = "random",
) -> Values:
    """One value per run for every input: uncertain ones drawn, fixed ones repeated.

    Interventions' inputs (effect sizes, costs) come from `intervention_rng`, so adding an
    intervention to a file leaves the scenario's own draws as they were. `sampling` lays out
    the draws of this call (see `_uniforms`): "random" (independent draws, the original
    stream), "lhs" or "sobol" (stratified over the `runs` rows, so a caller that wants the same
    numbers whatever the workers must call it per fixed chunk, as `cxsim.engine.execution`
    does). Correlations act on the normal scores of the points (Gaussian copula), so with them
    only the first input of each correlated pair keeps its strata exactly.
    """
    from scipy import stats

    if sampling not in SAMPLINGS:
        raise ValueError(f'"sampling" must be one of {SAMPLINGS}, got {sampling!r}')
    inputs = list(iter_inputs(scenario))
    values: Values = {}
    # The cost side (`costs.`) is drawn after the rest from the same generator, so giving a
    # scenario costs leaves its other draws as they were.
    parts = (("own", rng), ("costs", rng), ("interventions", intervention_rng or rng))
    for kind, generator in parts:
        own = kind == "own"
        part = [(p, d) for p, d in inputs if _input_kind(p) == kind]
        uncertain = [path for path, dist in part if not dist.is_fixed]
        laid = _uniforms(generator, runs, len(uncertain), sampling)
        if laid is None:
            z = generator.standard_normal((runs, len(uncertain)))
        else:
            z = stats.norm.ppf(laid)
        factor = _copula_factor(scenario, uncertain) if own else None
        if factor is not None:
            z = z @ factor.T
            u = stats.norm.cdf(z)
        elif laid is not None:
            u = laid  # no round trip through the normal scores: keep the strata exact
        else:
            u = stats.norm.cdf(z)
        column = {path: i for i, path in enumerate(uncertain)}
        for path, dist in part:
            if path in column:
                values[path] = dist.ppf(u[:, column[path]])
            else:
                values[path] = np.full(runs, dist.mean())
    return values


def _input_kind(path: str) -> str:
    """Which part of the draws an input belongs to: "interventions", "costs" or "own"."""
    head = path.split(".", 1)[0]
    return head if head in ("interventions", "costs") else "own"


def mean_values(scenario: Scenario) -> Values:
    """Every input at its mean (one run): the expected-value model's inputs."""
    return {path: np.array([dist.mean()]) for path, dist in iter_inputs(scenario)}


@dataclass(frozen=True)
class Params:
    """The engine's input for a block of runs. Groups are (segment, churn class) pairs."""

    runs: int
    horizon: int
    discount: FloatArray  # (H,) discount factor applied to period t's revenue
    period_discount: float  # one period's factor d
    beyond: float  # periods valued after the horizon: 0, a cap, or inf (uncapped lifetime)
    fade: float  # share of unresolved failures forgotten each period
    settled: bool  # customers start in the dynamics' steady mix of experience states
    group_segment: IntArray  # (G,) segment of each group
    class_weight: FloatArray  # (R, G) share of a segment's new customers in each class
    initial_weight: FloatArray  # (R, G) share of a segment's initial customers in each class
    churn: FloatArray  # (R, G) per-period baseline churn of each class
    initial: FloatArray  # (R, S)
    prospects: FloatArray  # (R, S)
    conversion: FloatArray  # (R, S)
    value: FloatArray  # (R, S) revenue (or margin) per customer per period
    tp_prob: FloatArray  # (R, T, S) exposure x failure rate
    tp_customers: NDArray[np.bool_]  # (T,) post-purchase touchpoint
    tp_severity: IntArray  # (T,)
    tp_complaint: FloatArray  # (R, T)
    tp_stage: IntArray  # (T,)
    split: FloatArray  # (R, 3) satisfied, mollified, dissatisfied
    defect: FloatArray  # (R, 2, 3, 4) severity, memory state, group
    told: FloatArray  # (R, 4)
    deterred: FloatArray  # (R,)
    referred: FloatArray  # (R,)
    promoters: FloatArray  # (3,)
    detractors: FloatArray  # (3,)
    # Referrals per customer with no problem in a period (0: none), and smaller wallets: the
    # share of each group's stayers who spend `wallet_spend` of the usual for `wallet_periods`.
    promote: FloatArray  # (R,)
    wallet_share: FloatArray  # (R, 4) silent, satisfied, mollified, dissatisfied
    wallet_spend: FloatArray  # (R,)
    wallet_periods: int  # 0: no smaller wallets
    # The cost side (`costs:`), per event, undiscounted; zeros when the scenario gives none.
    contact_cost: FloatArray  # (R,) one contact, after deflection to a bot
    contacts: FloatArray  # (R, 3) contacts per complaint: satisfied, mollified, dissatisfied
    recovery: FloatArray  # (R, 3) refunds, credits, goodwill per complaint, by outcome
    replacement: FloatArray  # (R,) acquisition cost x share replaced, per lost customer
    routine: FloatArray  # (R,) routine contacts per customer per period (not failures)
    #: The runs are separate worlds (`cxsim.engine.world.run_variants`): the engine computes
    #: each as it would alone, to the bit (a little slower), not as draws of one world.
    rowwise: bool = False

    @property
    def lifetime(self) -> bool:
        return self.beyond > 0

    @property
    def segments(self) -> int:
        return self.initial.shape[1]

    @property
    def groups(self) -> int:
        return int(self.group_segment.size)

    def segment_matrix(self) -> FloatArray:
        """(G, S) one-hot: sums group arrays into segments."""
        m = np.zeros((self.groups, self.segments))
        m[np.arange(self.groups), self.group_segment] = 1.0
        return m


def build(scenario: Scenario, values: Mapping[str, FloatArray]) -> Params:
    """Turn one value per run for every input into the engine's arrays."""
    runs = len(next(iter(values.values())))
    econ = scenario.economics
    horizon = econ.horizon
    d = econ.discount_factor
    nodes = quadrature_nodes_for(horizon)

    def v(path: str) -> FloatArray:
        return np.asarray(values[path], dtype=float)

    group_segment: list[int] = []
    weights: list[FloatArray] = []
    initial_weights: list[FloatArray] = []
    churns: list[FloatArray] = []
    for s, seg in enumerate(scenario.segments):
        base = f"segments.{s}.churn"
        if isinstance(seg.churn, Sbg):
            theta, w = beta_quadrature(v(f"{base}.alpha"), v(f"{base}.beta"), nodes)
            # The initial customers have survived `tenure` renewals: Bayes on the class weights.
            w0 = w * (1.0 - theta) ** seg.churn.tenure
            w0 /= w0.sum(axis=1, keepdims=True)
            for m in range(nodes):
                group_segment.append(s)
                weights.append(w[:, m])
                initial_weights.append(w0[:, m])
                churns.append(theta[:, m])
        else:
            group_segment.append(s)
            weights.append(np.ones(runs))
            initial_weights.append(np.ones(runs))
            churns.append(v(f"{base}.rate"))

    seg_names = [seg.name for seg in scenario.segments]
    n_seg = len(seg_names)
    tps = scenario.touchpoints()
    tp_prob = np.zeros((runs, len(tps), n_seg))
    tp_complaint = np.zeros((runs, len(tps)))
    stage_index = {id(stage): i for i, stage in enumerate(scenario.journey.stages)}
    t = 0
    for i, stage in enumerate(scenario.journey.stages):
        for j, tp in enumerate(stage.touchpoints):
            base = f"journey.stages.{i}.touchpoints.{j}"
            exposure = _per_segment(values, f"{base}.exposure", tp.exposure, seg_names, runs)
            failure = _per_segment(values, f"{base}.failure_rate", tp.failure_rate, seg_names, runs)
            tp_prob[:, t, :] = exposure * failure
            tp_complaint[:, t] = (
                v(f"{base}.complaint_rate")
                if tp.complaint_rate is not None
                else v("loss_tree.complaint_rate")
            )
            t += 1

    if scenario.loss_tree.resolution is not None:
        sat = v("loss_tree.resolution.satisfied")
        mol = np.minimum(v("loss_tree.resolution.mollified"), 1.0 - sat)
    else:  # the support model sets the split every period; this is only its placeholder
        sat, mol = np.full(runs, 1 / 3), np.full(runs, 1 / 3)
    split = np.stack([sat, mol, 1.0 - sat - mol], axis=1)

    base_defect = np.stack(
        [
            np.stack([v(f"loss_tree.defection.{g}.{sev}") for g in GROUPS], axis=1)
            for sev in SEVERITIES
        ],
        axis=1,
    )  # (R, 2, 4)
    # (R, 3): one set of memory odds ratios per run (each may carry a distribution).
    odds = np.stack([v(f"memory.odds_ratio.{k}") for k in range(3)], axis=1)
    defect = _scale_odds(base_defect[:, :, None, :], odds[:, None, :, None])

    value = np.stack(
        [
            v(f"segments.{s}.revenue")
            * (v(f"segments.{s}.margin") if econ.value == "margin" else 1.0)
            for s in range(n_seg)
        ],
        axis=1,
    )
    wom = "loss_tree.word_of_mouth"
    outcomes = GROUPS[1:]  # satisfied, mollified, dissatisfied
    promote = np.zeros(runs)
    if scenario.loss_tree.word_of_mouth.promoters is not None:
        pro = f"{wom}.promoters"
        promote = v(f"{pro}.recommend") * v(f"{pro}.told") * v(f"{pro}.converted")
    wallets = scenario.loss_tree.smaller_wallets
    wallet_share, wallet_spend = np.zeros((runs, len(GROUPS))), np.ones(runs)
    if wallets is not None:
        ws = "loss_tree.smaller_wallets"
        wallet_share = np.stack([v(f"{ws}.share.{g}") for g in GROUPS], axis=1)
        wallet_spend = v(f"{ws}.spend")
    return Params(
        runs=runs,
        horizon=horizon,
        discount=np.power(d, np.arange(horizon) + 1.0, dtype=np.float64),
        period_discount=d,
        beyond=econ.beyond_periods,
        fade=scenario.memory.fade_per_period(econ.periods_per_year),
        settled=scenario.memory.start == "settled",
        group_segment=np.asarray(group_segment, dtype=np.int64),
        class_weight=np.stack(weights, axis=1),
        initial_weight=np.stack(initial_weights, axis=1),
        churn=np.stack(churns, axis=1),
        initial=np.stack([v(f"segments.{s}.customers") for s in range(n_seg)], axis=1),
        prospects=np.stack([v(f"segments.{s}.prospects") for s in range(n_seg)], axis=1),
        conversion=np.stack([v(f"segments.{s}.conversion") for s in range(n_seg)], axis=1),
        value=value,
        tp_prob=np.clip(tp_prob, 0.0, 1.0),
        tp_customers=np.array([stage.audience == "customers" for stage, _ in tps], dtype=bool),
        tp_severity=np.array([SEVERITIES.index(tp.severity) for _, tp in tps], dtype=np.int64),
        tp_complaint=tp_complaint,
        tp_stage=np.array([stage_index[id(stage)] for stage, _ in tps], dtype=np.int64),
        split=split,
        defect=defect,
        told=np.stack([v(f"{wom}.told.{g}") for g in GROUPS], axis=1),
        deterred=v(f"{wom}.deterred"),
        referred=v(f"{wom}.referred"),
        promoters=np.asarray(scenario.nps.promoters, dtype=float),
        detractors=np.asarray(scenario.nps.detractors, dtype=float),
        promote=promote,
        wallet_share=wallet_share,
        wallet_spend=wallet_spend,
        wallet_periods=0 if wallets is None else wallets.periods,
        contact_cost=_contact_cost(v),
        contacts=1.0 + np.stack([v(f"costs.repeat_contacts.{o}") for o in outcomes], axis=1),
        recovery=np.stack([v(f"costs.recovery.{o}") for o in outcomes], axis=1),
        replacement=v("costs.acquisition") * v("costs.replaced"),
        routine=v("costs.routine_contacts"),
    )


def _contact_cost(v: Callable[[str], FloatArray]) -> FloatArray:
    """(R,) cost of one contact: agents', less what a bot contains at its own cost.

    A share `deflection.share` of contacts meets the bot first (at `deflection.cost`); the share
    it does not contain goes on to an agent (at `per_contact`).
    """
    share, contained = v("costs.deflection.share"), v("costs.deflection.containment")
    agent = v("costs.per_contact")
    return share * (v("costs.deflection.cost") + (1.0 - contained) * agent) + (1.0 - share) * agent


def _per_segment(
    values: Mapping[str, FloatArray], path: str, spec: object, names: list[str], runs: int
) -> FloatArray:
    """(R, S) values of a field given for all segments or per segment (missing ones: 0)."""
    if isinstance(spec, dict):
        out = np.zeros((runs, len(names)))
        for s, name in enumerate(names):
            if name in spec:
                out[:, s] = values[f"{path}.{name}"]
        return out
    return np.repeat(np.asarray(values[path], dtype=float)[:, None], len(names), axis=1)


def _scale_odds(p: FloatArray, ratio: FloatArray) -> FloatArray:
    """Multiply the odds p / (1 - p) by `ratio`, staying within [0, 1]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = ratio * p / (1.0 - p + ratio * p)
    return np.where(p >= 1.0, 1.0, np.where(p <= 0.0, 0.0, scaled))
