"""Distributions: quantiles, means and truncation to the field's valid range."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter
from scipy import stats

from cxsim.model.distributions import NonNegative, Probability

PROB = TypeAdapter(Probability)
NONNEG = TypeAdapter(NonNegative)
U = (np.arange(200_000) + 0.5) / 200_000


@pytest.mark.parametrize(
    ("spec", "reference"),
    [
        ({"dist": "uniform", "low": 0.1, "high": 0.3}, stats.uniform(0.1, 0.2)),
        ({"dist": "triangular", "low": 0.1, "mode": 0.2, "high": 0.6}, stats.triang(0.2, 0.1, 0.5)),
        ({"dist": "pert", "low": 0.0, "mode": 0.25, "high": 1.0}, stats.beta(2.0, 4.0)),
        ({"dist": "beta", "alpha": 2.0, "beta": 5.0}, stats.beta(2.0, 5.0)),
    ],
)
def test_bounded_distributions_match_scipy(spec: dict[str, object], reference: object) -> None:
    dist = PROB.validate_python(spec)
    q = np.array([0.05, 0.5, 0.95])
    np.testing.assert_allclose(dist.ppf(q), reference.ppf(q), rtol=1e-10)  # type: ignore[attr-defined]
    assert dist.mean() == pytest.approx(reference.mean(), rel=1e-9)  # type: ignore[attr-defined]


def test_expert_meets_its_three_quantiles_exactly() -> None:
    dist = NONNEG.validate_python({"dist": "expert", "p10": 5.0, "p50": 6.0, "p90": 10.0})
    np.testing.assert_allclose(dist.ppf(np.array([0.1, 0.5, 0.9])), [5.0, 6.0, 10.0], rtol=1e-12)
    assert dist.mean() > 6.0  # skewed to the right


def test_unbounded_distributions_are_truncated_to_the_valid_range() -> None:
    normal = PROB.validate_python({"dist": "normal", "mean": 0.9, "sd": 0.2})
    x = normal.ppf(U)
    assert x.min() >= 0.0 and x.max() <= 1.0
    truncated = stats.truncnorm((0 - 0.9) / 0.2, (1 - 0.9) / 0.2, loc=0.9, scale=0.2)
    assert normal.mean() == pytest.approx(truncated.mean(), rel=1e-6)
    lognormal = NONNEG.validate_python({"dist": "lognormal", "mean": 10.0, "sd": 5.0})
    assert lognormal.mean() == pytest.approx(10.0, rel=1e-3)
    assert np.mean(lognormal.ppf(U) ** 2) - 100 == pytest.approx(25.0, rel=1e-2)


def test_a_bare_number_is_fixed() -> None:
    dist = PROB.validate_python(0.25)
    assert dist.is_fixed and dist.mean() == 0.25
    np.testing.assert_array_equal(dist.ppf(np.array([0.1, 0.9])), [0.25, 0.25])


@pytest.mark.parametrize(
    "spec",
    [
        0.3,
        {"dist": "uniform", "low": 0.1, "high": 0.4},
        {"dist": "triangular", "low": 0.1, "mode": 0.2, "high": 0.6},
        {"dist": "pert", "low": 0.3, "mode": 0.5, "high": 0.75},
        {"dist": "beta", "alpha": 2.0, "beta": 5.0},
        {"dist": "normal", "mean": 0.9, "sd": 0.2},
        {"dist": "expert", "p10": 0.2, "p50": 0.3, "p90": 0.5},
    ],
)
def test_sample_draws_the_distribution_that_ppf_describes(spec: object) -> None:
    """`sample` (independent draws, outside the copula) and `ppf` are the same distribution:
    the draws' deciles match the quantile function's, truncation included, and are seeded."""
    dist = PROB.validate_python(spec)
    x = dist.sample(np.random.default_rng(5), 200_000)
    np.testing.assert_array_equal(x, dist.sample(np.random.default_rng(5), 200_000))
    assert x.min() >= 0.0 and x.max() <= 1.0
    q = np.linspace(0.1, 0.9, 9)
    np.testing.assert_allclose(np.quantile(x, q), dist.ppf(q), atol=3e-3)
