"""What each loss event is worth: the values the engine prices defections and acquisitions at.

Each failure-caused defection is valued at the revenue that customer would still have brought
absent failures (their class's survival, discounted, to the horizon or, with `lifetime`, beyond
it); lost and won acquisitions are valued as new customers. In the expected-value model these
values add up exactly to the revenue difference from the world without failures; in the Monte
Carlo, within sampling error.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from cxsim.engine.period import matmul_runs, tile_phases
from cxsim.errors import UserError
from cxsim.model.parameters import Params

FloatArray = NDArray[np.float64]


def _geometric(x: FloatArray, n: FloatArray | float) -> FloatArray:
    """sum_{k<n} x^k, safe at x = 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (1.0 - x**n) / (1.0 - x)
    return np.where(np.abs(1.0 - x) < 1e-12, np.broadcast_to(n, np.shape(x)), out)


def stay_value(p: Params, t: int) -> FloatArray:
    """(R, G) value of a customer who has survived period t's churn, from period t on.

    The valuation window is the horizon plus `p.beyond` periods (0, a cap, or infinity); every
    value of the engine (defections, new customers, the revenue tail) uses this one series, so
    the per-event values add up to the revenue difference exactly. With promoters, a customer
    also refers new customers every period they meet no problem; the value counts those from
    the next period on (and theirs, and so on), and the referrals of period t itself apart
    (`referral_value`), as a customer who fails in period t makes none then.
    """
    if np.any(p.promote > 0):
        return _with_referrals(p, t)
    value = p.value[:, p.group_segment]
    d = p.period_discount
    q = d * (1.0 - p.churn)
    total = np.zeros_like(q) if t >= p.horizon else _geometric(q, p.horizon - t)
    if p.beyond > 0:
        ahead = q ** max(p.horizon - t, 0)
        if math.isinf(p.beyond):
            with np.errstate(divide="ignore"):
                total = total + ahead / (1.0 - q)
        else:
            total = total + ahead * _geometric(q, p.beyond)
    return value * d ** (t + 1) * total


def _window(p: Params, t: int) -> float:
    """Periods from period t to the valuation window's end (infinite for an uncapped lifetime)."""
    return math.inf if math.isinf(p.beyond) else max(p.horizon + p.beyond - t, 0)


_REFERRAL_SERIES: dict[int, tuple[Params, list[FloatArray]]] = {}


def _with_referrals(p: Params, t: int) -> FloatArray:
    """`stay_value` with promoters' referrals: j(n) = v + q (j(n-1) + r nu(n-1)) per period.

    j(n) (R, G) is the value, in money of the period it starts in, of a customer with n
    periods of the window left: this period's spend, then, if they survive churn and
    discounting (q = d (1 - churn)), the next period's value and their referrals then, r new
    customers each worth nu = sum over the segment's classes of class weight x j. An uncapped
    lifetime solves the fixed point, finite only while r sum(w q / (1 - q)) < 1: customers who
    refer more than churn and discounting take away are worth no finite amount.
    """
    n = _window(p, t)
    scale = p.period_discount ** (t + 1)
    seg = p.group_segment
    value, w, to_seg = p.value[:, seg], p.class_weight, p.segment_matrix()
    q = p.period_discount * (1.0 - p.churn)
    r = p.promote[:, None]
    if math.isinf(n):
        with np.errstate(divide="ignore", invalid="ignore"):
            a = matmul_runs(p, w * value / (1.0 - q), to_seg)  # (R, S)
            b = matmul_runs(p, w * q / (1.0 - q), to_seg)
            room = 1.0 - r * b
            if not np.all(np.isfinite(a) & (room > 0)):
                raise UserError(
                    "loss_tree.word_of_mouth.promoters: customers refer more new customers "
                    "than churn and discounting take away, so a customer's lifetime value is "
                    "infinite; lower the referrals or give economics.lifetime a cap"
                )
            nu = a / room
            return scale * (value + q * r * nu[:, seg]) / (1.0 - q)
    key = id(p)
    cached = _REFERRAL_SERIES.get(key)
    if cached is None or cached[0] is not p:
        series = [np.zeros_like(value)]
        for _ in range(p.horizon + int(p.beyond)):
            j = series[-1]
            nu = matmul_runs(p, w * j, to_seg)
            series.append(value + q * (j + r * nu[:, seg]))
        if len(_REFERRAL_SERIES) > 64:
            _REFERRAL_SERIES.clear()
        _REFERRAL_SERIES[key] = cached = (p, series)
    return scale * cached[1][int(n)]


def referral_value(p: Params, t: int) -> FloatArray:
    """(R, S) value of the referrals one customer with no problem makes in period t."""
    return p.promote[:, None] * new_value(p, t)


def wallet_values(p: Params, t: int) -> FloatArray:
    """(R, M + 1, G) spend a customer still to spend less for m periods forgoes, m = 0..M.

    From period t on, in the world without failures: (1 - spend) of the period's value while
    they would have stayed (churn and discounting), within the valuation window.
    """
    m_max = p.wallet_periods
    value = p.value[:, p.group_segment] * (1.0 - p.wallet_spend)[:, None]
    q = p.period_discount * (1.0 - p.churn)
    n = _window(p, t)
    out = np.zeros((p.runs, m_max + 1, p.groups))
    for m in range(1, m_max + 1):
        out[:, m] = value * p.period_discount ** (t + 1) * _geometric(q, min(m, n))
    return out


def new_value(p: Params, t: int) -> FloatArray:
    """(R, S) value of a customer who would buy in period t (before class is known).

    A buyer pays for the period they buy in (a first purchase, a first month) and joins the
    customers at its end: the value of one who has survived period t's churn, so a buyer lost
    or deterred in a one-period case is worth that period's value.
    """
    return matmul_runs(p, stay_value(p, t) * p.class_weight, p.segment_matrix())


def tail_values(p: Params, last: Params, phases: int) -> FloatArray:
    """(R, phases x G) value after the horizon of a customer there, by wallet phase.

    Surviving the next period's churn, then their value from it on (with promoters, their
    referrals then included), less what their spell, if any, still forgoes.
    """
    tail = (1.0 - last.churn) * stay_value(last, p.horizon)
    if np.any(last.promote > 0):  # they refer in the period after the horizon too
        tail = tail + (1.0 - last.churn) * referral_value(last, p.horizon)[:, p.group_segment]
    if phases == 1:
        return tail
    forgone = wallet_values(last, p.horizon).reshape(p.runs, -1)
    return tile_phases(tail, phases) - forgone * tile_phases(1.0 - last.churn, phases)
